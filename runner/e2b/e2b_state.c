/* What was uploaded to a sandbox that is left running (--keep, or a sync
 * that could not finish), so that `codex-sandbox attach ID` can later bring
 * the changes back under the same never-overwrite rule.  Kept on the host
 * ($XDG_STATE_HOME or ~/.local/state, codex-sandbox/e2b/ID.json, 0600): the
 * sandbox is not trusted to remember what we sent it. */
#include "runner/e2b/e2b_state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic.h"
#include "common/util.h"
#include "runner/core/plan_attach.h"

#define STATE_TREES_MAX 8
#define SIZE_MAX_EXACT 9007199254740992.0   /* 2^53: a double holds it exactly */

/* The state dir's file for sandbox ID with SUFFIX (the plan checks the id:
 * letters, digits, '-' and '_' only, so it names a file). */
int e2b_state_file(const char *id, const char *suffix, char *out, size_t outsz, bool make_dirs)
{
	char base[PATH_MAX];

	if (plan_e2b_state_path(id, base, sizeof base, out, outsz) < 0)
		return -1;
	if (make_dirs) {
		char tmp[PATH_MAX];

		snprintf(tmp, sizeof tmp, "%s", base);
		for (char *s = tmp + 1; *s; s++)
			if (*s == '/') {
				*s = '\0';
				mkdir(tmp, 0700);
				*s = '/';
			}
		mkdir(tmp, 0700);
		snprintf(tmp, sizeof tmp, "%s/e2b", base);
		mkdir(tmp, 0700);
	}
	if (snprintf(out, outsz, "%s/e2b/%s%s", base, id, suffix) >= (int)outsz)
		return -1;
	return 0;
}

static int state_path(const char *id, char *out, size_t outsz, bool make_dirs)
{
	return e2b_state_file(id, ".json", out, outsz, make_dirs);
}

static cJSON *list_json(const struct sync_list *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->n; i++) {
		const struct sync_entry *e = &l->v[i];
		cJSON *r = cJSON_CreateArray();

		cJSON_AddItemToArray(r, cJSON_CreateString(e->path));
		cJSON_AddItemToArray(r, cJSON_CreateString(e->type == SYNC_LINK ? "l" : "f"));
		cJSON_AddItemToArray(r, cJSON_CreateNumber((double)e->size));
		cJSON_AddItemToArray(r, cJSON_CreateNumber(e->mode));
		cJSON_AddItemToArray(r, cJSON_CreateString(e->sha));
		if (e->link)
			cJSON_AddItemToArray(r, cJSON_CreateString(e->link));
		cJSON_AddItemToArray(a, r);
	}
	return a;
}

int e2b_state_save(const char *id, const struct sync_tree *trees, size_t n, struct cs_err *err)
{
	char path[PATH_MAX];
	cJSON *root = cJSON_CreateObject(), *a;
	cleanup_free char *text = NULL;

	if (state_path(id, path, sizeof path, true) < 0) {
		cJSON_Delete(root);
		return cs_fail(err, 0, "no place to remember the upload of sandbox %s (HOME unset)", id);
	}
	cJSON_AddStringToObject(root, "sandboxID", id);
	a = cJSON_AddArrayToObject(root, "trees");
	for (size_t i = 0; i < n; i++) {
		cJSON *t = cJSON_CreateObject();

		cJSON_AddStringToObject(t, "name", trees[i].name);
		cJSON_AddStringToObject(t, "root", trees[i].root);
		cJSON_AddStringToObject(t, "remote", trees[i].remote);
		cJSON_AddItemToObject(t, "files", list_json(&trees[i].manifest));
		cJSON_AddItemToArray(a, t);
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return cs_fail(err, ENOMEM, "out of memory");
	/* The one atomic write (common/atomic.h): a fresh temporary name,
	 * never a link or FIFO left there, fsync'd, renamed over. */
	if (atomic_write_path(path, text, strlen(text), &(struct atomic_opts){ .mode = 0600 }, err) < 0)
		return -1;
	return 0;
}

static bool is_sha(const char *s)
{
	size_t n = strlen(s);

	if (n != 0 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

static bool is_uint(const cJSON *j, double max)
{
	return cJSON_IsNumber(j) && j->valuedouble >= 0 && j->valuedouble <= max &&
	       j->valuedouble == (double)(uint64_t)j->valuedouble;
}

/* One tree's files, every record exactly as e2b_state_save writes it:
 * [path, "f", size, mode, sha] or [path, "l", size, mode, sha, target]. */
static const char *load_list(const cJSON *files, struct sync_list *l)
{
	const cJSON *r;

	if (!cJSON_IsArray(files))
		return "a tree without its file list";
	cJSON_ArrayForEach(r, files) {
		const cJSON *p = cJSON_GetArrayItem(r, 0), *t = cJSON_GetArrayItem(r, 1);
		const cJSON *sz = cJSON_GetArrayItem(r, 2), *md = cJSON_GetArrayItem(r, 3);
		const cJSON *sh = cJSON_GetArrayItem(r, 4), *lk = cJSON_GetArrayItem(r, 5);
		struct sync_entry e = { 0 };
		char clean[SYNC_PATH_MAX];
		int n = cJSON_GetArraySize(r);

		if (!cJSON_IsArray(r) || !cJSON_IsString(p) || !cJSON_IsString(t) ||
		    !cJSON_IsString(sh))
			return "a file record of the wrong shape";
		if (sync_path_clean(p->valuestring, clean, sizeof clean) < 0)
			return "a path that is absolute, has '..' or empty parts";
		if (!is_uint(sz, SIZE_MAX_EXACT) || !is_uint(md, 07777) || !is_sha(sh->valuestring))
			return "a bad size, mode or sha256";
		if (strcmp(t->valuestring, "f") == 0 && n == 5) {
			e.type = SYNC_FILE;
		} else if (strcmp(t->valuestring, "l") == 0 && n == 6 && cJSON_IsString(lk) &&
			   lk->valuestring[0] && strlen(lk->valuestring) < SYNC_PATH_MAX) {
			e.type = SYNC_LINK;
			e.link = lk->valuestring;
		} else {
			return "a record that is neither a file nor a symlink";
		}
		e.path = clean;
		e.size = (uint64_t)sz->valuedouble;
		e.mode = (unsigned)md->valuedouble;
		snprintf(e.sha, sizeof e.sha, "%s", sh->valuestring);
		if (sync_list_add(l, &e) < 0)
			return "too many files";
	}
	sync_list_sort(l);
	return NULL;
}

int e2b_state_parse(const char *data, size_t len, const char *id, struct sync_tree *trees,
		    size_t n, struct cs_err *err)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(root, "sandboxID");
	const cJSON *ta = cJSON_GetObjectItemCaseSensitive(root, "trees"), *t;
	const char *why = NULL;
	int found = 0;

	if (!cJSON_IsObject(root))
		why = "not a JSON object";
	else if (!cJSON_IsString(sid) || strcmp(sid->valuestring, id) != 0)
		why = "it is not this sandbox's";
	else if (!cJSON_IsArray(ta) || cJSON_GetArraySize(ta) > STATE_TREES_MAX)
		why = "no list of trees";
	if (why)
		ta = NULL;
	cJSON_ArrayForEach(t, ta) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(t, "name");
		const cJSON *rt = cJSON_GetObjectItemCaseSensitive(t, "root");
		const cJSON *rm = cJSON_GetObjectItemCaseSensitive(t, "remote");
		struct sync_list l = { 0 };

		if (!cJSON_IsString(nm) || !cJSON_IsString(rt) || !cJSON_IsString(rm)) {
			why = "a tree without its name, root or remote";
			break;
		}
		why = load_list(cJSON_GetObjectItemCaseSensitive(t, "files"), &l);
		if (why) {
			sync_list_free(&l);
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(trees[i].name, nm->valuestring) == 0 &&
			    strcmp(trees[i].root, rt->valuestring) == 0 &&
			    strcmp(trees[i].remote, rm->valuestring) == 0 && !trees[i].manifest.n) {
				trees[i].manifest = l;
				memset(&l, 0, sizeof l);
				found = 1;
				break;
			}
		sync_list_free(&l);
	}
	cJSON_Delete(root);
	if (!why)
		return found;
	/* All or nothing: a half-read manifest would be a wrong one. */
	for (size_t i = 0; i < n; i++)
		sync_list_free(&trees[i].manifest);
	cs_fail(err, EINVAL, "the remembered upload of sandbox %s is not valid (%s)", id, why);
	return -1;
}

int e2b_state_load(const struct plan_attach *a, struct sync_tree *trees, size_t n,
		   struct cs_err *err)
{
	int rc;

	if (!a->state)
		return 0;
	rc = e2b_state_parse(a->state, a->state_len, a->id, trees, n, err);
	if (rc < 0)
		plan_attach_state_hint(a, err);
	return rc;
}

int e2b_state_lock(const char *id, bool make_dirs, struct cs_err *err)
{
	char path[PATH_MAX];
	int fd;

	if (e2b_state_file(id, E2B_LOCK_SUFFIX, path, sizeof path, make_dirs) < 0)
		return cs_fail(err, EINVAL, "'%.80s' is not an E2B sandbox id", id);
	/* The end of the run removes the lock file under the lock
	 * (e2b_state_remove): a lock taken on a file no longer at PATH locks
	 * nothing, so take it again on the one that is there. */
	for (int tries = 0; tries < 8; tries++) {
		struct stat held, named;

		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || fstat(fd, &held) < 0) {
			cs_fail(err, errno, "locking %s", path);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (stat(path, &named) == 0 && named.st_ino == held.st_ino && named.st_dev == held.st_dev)
			return fd;
		close(fd);
	}
	return cs_fail(err, EAGAIN, "locking %s: the file kept being replaced", path);
}

void e2b_state_remove(const char *id)
{
	char path[PATH_MAX];
	struct cs_err e = { 0 };
	/* Under the record's lock: an `allow` changing the record now finishes
	 * first (it would otherwise write the record back after this), and
	 * one waiting sees the lock file gone and takes it afresh. */
	int lock cleanup_close = e2b_state_lock(id, false, &e);

	if (state_path(id, path, sizeof path, false) == 0)
		unlink(path);
	/* The sandbox is gone: `ps` no longer lists it (e2b_live.h). */
	if (e2b_state_file(id, E2B_LIVE_SUFFIX, path, sizeof path, false) == 0)
		unlink(path);
	if (lock >= 0 && e2b_state_file(id, E2B_LOCK_SUFFIX, path, sizeof path, false) == 0)
		unlink(path);
}
