/* What was uploaded to a sandbox that is left running (--keep, or a sync
 * that could not finish), so that `codex-sandbox attach ID` can later bring
 * the changes back under the same never-overwrite rule.  Kept on the host
 * ($XDG_STATE_HOME or ~/.local/state, codex-sandbox/e2b/ID.json, 0600): the
 * sandbox is not trusted to remember what we sent it. */
#include "runner/e2b_state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/util.h"

#define STATE_MAX (256u << 20)

static int state_path(const char *id, char *out, size_t outsz, bool make_dirs)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char base[PATH_MAX];

	if (xdg && xdg[0] == '/')
		snprintf(base, sizeof base, "%s/codex-sandbox", xdg);
	else if (home && home[0] == '/')
		snprintf(base, sizeof base, "%s/.local/state/codex-sandbox", home);
	else
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
	if (snprintf(out, outsz, "%s/e2b/%s.json", base, id) >= (int)outsz)
		return -1;
	return 0;
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
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	cJSON *root = cJSON_CreateObject(), *a;
	cleanup_free char *text = NULL;
	int fd;
	size_t len;

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
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cs_fail(err, errno, "writing %s", tmp);
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return cs_fail(err, e, "writing %s", path);
	}
	return 0;
}

static int load_list(const cJSON *files, struct sync_list *l)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, files) {
		const cJSON *p = cJSON_GetArrayItem(r, 0), *t = cJSON_GetArrayItem(r, 1);
		const cJSON *sz = cJSON_GetArrayItem(r, 2), *md = cJSON_GetArrayItem(r, 3);
		const cJSON *sh = cJSON_GetArrayItem(r, 4), *lk = cJSON_GetArrayItem(r, 5);
		struct sync_entry e = { 0 };
		char clean[SYNC_PATH_MAX];

		if (!cJSON_IsString(p) || !cJSON_IsString(t) || !cJSON_IsNumber(sz) ||
		    !cJSON_IsNumber(md) || !cJSON_IsString(sh) || strlen(sh->valuestring) > 64 ||
		    sync_path_clean(p->valuestring, clean, sizeof clean) < 0)
			continue;
		e.path = clean;
		e.type = strcmp(t->valuestring, "l") == 0 ? SYNC_LINK : SYNC_FILE;
		e.size = (uint64_t)sz->valuedouble;
		e.mode = (unsigned)md->valueint & 07777;
		snprintf(e.sha, sizeof e.sha, "%s", sh->valuestring);
		if (e.type == SYNC_LINK) {
			if (!cJSON_IsString(lk))
				continue;
			e.link = lk->valuestring;
		}
		if (sync_list_add(l, &e) < 0)
			return -1;
	}
	sync_list_sort(l);
	return 0;
}

int e2b_state_load(const char *id, struct sync_tree *trees, size_t n)
{
	char path[PATH_MAX];
	struct buf b;
	char chunk[65536];
	cJSON *root;
	const cJSON *t;
	ssize_t r;
	int fd, found = 0;

	if (state_path(id, path, sizeof path, false) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	buf_init(&b, STATE_MAX);
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		if (buf_append(&b, chunk, (size_t)r) < 0)
			break;
	close(fd);
	root = b.data ? cJSON_ParseWithLength(b.data, b.len) : NULL;
	buf_free(&b);
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(root, "trees")) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(t, "name");
		const cJSON *rt = cJSON_GetObjectItemCaseSensitive(t, "root");
		const cJSON *rm = cJSON_GetObjectItemCaseSensitive(t, "remote");

		if (!cJSON_IsString(nm) || !cJSON_IsString(rt) || !cJSON_IsString(rm))
			continue;
		for (size_t i = 0; i < n; i++)
			if (strcmp(trees[i].name, nm->valuestring) == 0 &&
			    strcmp(trees[i].root, rt->valuestring) == 0 &&
			    strcmp(trees[i].remote, rm->valuestring) == 0 &&
			    load_list(cJSON_GetObjectItemCaseSensitive(t, "files"), &trees[i].manifest) == 0)
				found = 1;
	}
	cJSON_Delete(root);
	return found;
}

void e2b_state_remove(const char *id)
{
	char path[PATH_MAX];

	if (state_path(id, path, sizeof path, false) == 0)
		unlink(path);
}
