#include "runner/core/plan_saved.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic.h"
#include "common/env.h"
#include "common/fdio.h"
#include "common/util.h"
#include "runner/core/sandbox_plan.h"

int saved_path(char *out, size_t outsz)
{
	const char *xdg = cs_getenv("XDG_CONFIG_HOME"), *home = cs_getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(out, outsz, "%s/codex-sandbox/saved-allow.json", xdg);
	else if (home && home[0] == '/')
		n = snprintf(out, outsz, "%s/.config/codex-sandbox/saved-allow.json", home);
	else
		return -1;
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static int bad_file(struct cs_err *err, const char *file, const char *why)
{
	cs_fail_status(err, CS_EXIT_FAIL, 0, "%s: %s", file, why);
	return cs_hint(err, "fix or remove %s (written by codex-sandbox allow --save)", file);
}

int saved_parse(const char *text, const char *work_dir, const char *file, struct allowlist *al,
		struct strv *out, struct cs_err *err)
{
	cleanup_json cJSON *root = cJSON_ParseWithLength(text, strlen(text));
	const cJSON *proj, *list, *e;
	char source[PATH_MAX + 64];
	int n = 0;

	if (!cJSON_IsObject(root))
		return bad_file(err, file, "not a JSON object");
	proj = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "projects"),
						work_dir);
	if (!proj)
		return 0;
	list = cJSON_GetObjectItemCaseSensitive(proj, "allow");
	if (!cJSON_IsArray(list))
		return bad_file(err, file, "the project's \"allow\" is not an array");
	if (cJSON_GetArraySize(list) > SAVED_PER_PROJECT_MAX)
		return bad_file(err, file, "more saved entries than the limit for one project");
	snprintf(source, sizeof source, "saved for this project in %s", file);
	cJSON_ArrayForEach(e, list) {
		struct allow_entry one;
		char canon[300];

		if (!cJSON_IsString(e) || strlen(e->valuestring) > ALLOW_NAME_MAX + 2 ||
		    strpbrk(e->valuestring, " \t\r\n,"))
			return bad_file(err, file, "an entry that is not a short string");
		/* one entry (or one @preset) per string, never a list in disguise */
		if ((e->valuestring[0] != '@' && allow_entry_parse(e->valuestring, source, &one, err) < 0) ||
		    allowlist_add_text(al, e->valuestring, source, err) < 0) {
			err->status = CS_EXIT_FAIL;
			return cs_hint(err, "fix or remove %s", file);
		}
		if (e->valuestring[0] == '@')
			snprintf(canon, sizeof canon, "%s", e->valuestring);
		else
			allow_entry_format(&one, canon, sizeof canon);
		if (out && strv_push(out, canon) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		n++;
	}
	return n;
}

static bool has_string(const cJSON *arr, const char *s)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
			return true;
	return false;
}

int saved_add(const char *text, const char *work_dir, const struct strv *entries, char **out,
	      struct cs_err *err)
{
	cleanup_json cJSON *root = text ? cJSON_ParseWithLength(text, strlen(text)) : cJSON_CreateObject();
	cJSON *projects, *proj, *list;

	if (!cJSON_IsObject(root))
		return cs_fail_status(err, CS_EXIT_FAIL, 0, "the saved entries file is not a JSON object");
	cJSON_DeleteItemFromObjectCaseSensitive(root, "version");
	cJSON_AddNumberToObject(root, "version", 1);
	projects = cJSON_GetObjectItemCaseSensitive(root, "projects");
	if (!cJSON_IsObject(projects)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "projects");
		projects = cJSON_AddObjectToObject(root, "projects");
	}
	proj = cJSON_GetObjectItemCaseSensitive(projects, work_dir);
	if (!cJSON_IsObject(proj)) {
		cJSON_DeleteItemFromObjectCaseSensitive(projects, work_dir);
		proj = cJSON_AddObjectToObject(projects, work_dir);
	}
	list = cJSON_GetObjectItemCaseSensitive(proj, "allow");
	if (!cJSON_IsArray(list)) {
		cJSON_DeleteItemFromObjectCaseSensitive(proj, "allow");
		list = cJSON_AddArrayToObject(proj, "allow");
	}
	for (size_t i = 0; list && i < entries->n; i++)
		if (!has_string(list, entries->v[i]))
			cJSON_AddItemToArray(list, cJSON_CreateString(entries->v[i]));
	/* saved_parse refuses a longer list: saving it would break every
	 * later run of the project */
	if (list && cJSON_GetArraySize(list) > SAVED_PER_PROJECT_MAX)
		return cs_fail_status(err, CS_EXIT_FAIL, 0, "the project would have more than %u saved "
				      "entries", SAVED_PER_PROJECT_MAX);
	*out = list ? cJSON_Print(root) : NULL;
	if (*out && strlen(*out) > SAVED_FILE_MAX) {
		free(*out);
		*out = NULL;
		return cs_fail(err, EFBIG, "the saved entries would exceed %u bytes", SAVED_FILE_MAX);
	}
	return *out ? 0 : cs_fail(err, ENOMEM, "out of memory");
}

/* The file's text into *TEXT (NULL when there is none): 0, or -1 with
 * ERR.  Never through a link at the file's own name: it could point into a
 * project, whose sandbox would then write entries every project reads
 * (inside() sees only the directories). */
static int read_saved(const char *path, char **text, struct cs_err *err)
{
	*text = NULL;
	if (read_small_file(path, SAVED_FILE_MAX, text, NULL) == 0 || errno == ENOENT ||
	    errno == ENOTDIR)
		return 0;
	if (errno == ELOOP)
		cs_fail_status(err, CS_EXIT_FAIL, 0, "%s is a symbolic link: codex-sandbox reads its "
			       "saved entries only from a regular file (a link could point into a project "
			       "that the sandbox writes)", path);
	else
		cs_fail_status(err, CS_EXIT_FAIL, errno, "reading %s (a regular file of at most %u bytes)",
			       path, SAVED_FILE_MAX);
	return cs_hint(err, "replace %s with a regular file, or remove it", path);
}

/* True when PATH lies inside WORK_DIR (as given, and as resolved). */
static bool inside(const char *path, const char *work_dir)
{
	char real[PATH_MAX], dir[PATH_MAX];
	size_t n = strlen(work_dir);
	char *slash;

	if (strncmp(path, work_dir, n) == 0 && (path[n] == '/' || path[n] == '\0'))
		return true;
	snprintf(dir, sizeof dir, "%s", path);
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (realpath(dir, real))
			return strncmp(real, work_dir, n) == 0 && (real[n] == '/' || real[n] == '\0');
	}
	return false;
}

int plan_saved(struct sandbox_plan *p, struct cs_err *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;

	if (!p->work_dir || saved_path(path, sizeof path) < 0)
		return 0;
	if (inside(path, p->work_dir)) {
		/* The sandbox writes the project: it could write entries there
		 * that every later run of every project would read (R5.35: a
		 * repository must not widen egress, its own or another's). */
		cs_fail_status(err, CS_EXIT_FAIL, 0, "the project %s contains your codex-sandbox "
			       "configuration (%s): the sandbox could write saved allowlist entries that "
			       "widen the egress of every project", p->work_dir, path);
		return cs_hint(err, "run codex-sandbox on the project's own directory, not on one "
			       "that holds your configuration");
	}
	if (read_saved(path, &text, err) < 0)
		return -1;
	if (!text)
		return 0;
	if (saved_parse(text, p->work_dir, path, &p->allow, &p->saved_allow, err) < 0)
		return -1;
	if (p->saved_allow.n && !(p->saved_file = strdup(path)))
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

/* Take the lock of the configuration directory (created 0700 when
 * missing): two `allow --save` at once must not lose each other's entry
 * in the read-modify-write.  The fd, or -1 with ERR. */
static int lock_dir(const char *path, struct cs_err *err)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0700);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cs_fail(err, errno, "opening %s", dir);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return cs_fail(err, errno, "locking %s", dir);
	}
	return fd;
}

int saved_begin(const char *work_dir, const struct strv *entries, struct saved_tx *tx,
		struct cs_err *err)
{
	cleanup_free char *text = NULL;
	struct allowlist check;
	char dir[PATH_MAX];
	int r;

	tx->lock = -1;
	tx->new_text = NULL;
	tx->path[0] = '\0';
	if (saved_path(tx->path, sizeof tx->path) < 0)
		return cs_fail(err, 0, "--save needs HOME or XDG_CONFIG_HOME (an absolute path)");
	if (!work_dir[0] || inside(tx->path, work_dir))
		return cs_fail(err, 0, "--save would write %s inside the project %s", tx->path, work_dir);
	if ((tx->lock = lock_dir(tx->path, err)) < 0)
		return -1;
	snprintf(dir, sizeof dir, "%s", tx->path);
	*strrchr(dir, '/') = '\0';
	if (access(dir, W_OK) < 0)
		return cs_fail(err, errno, "--save cannot write in %s", dir);
	if (read_saved(tx->path, &text, err) < 0)
		return -1;
	allowlist_init(&check);
	r = text ? saved_parse(text, work_dir, tx->path, &check, NULL, err) : 0;
	allowlist_free(&check);
	if (r < 0 || saved_add(text, work_dir, entries, &tx->new_text, err) < 0)
		return -1;
	return 0;
}

int saved_commit(struct saved_tx *tx, struct cs_err *err)
{
	return atomic_write_path(tx->path, tx->new_text, strlen(tx->new_text),
				 &(struct atomic_opts){ .mode = 0600 }, err);
}

void saved_end(struct saved_tx *tx)
{
	if (tx->lock >= 0)
		close(tx->lock);
	tx->lock = -1;
	free(tx->new_text);
	tx->new_text = NULL;
}

int saved_record(const char *work_dir, const struct strv *entries, char *path, size_t pathsz,
		 struct cs_err *err)
{
	struct saved_tx tx;
	int rc = saved_begin(work_dir, entries, &tx, err);

	if (rc == 0)
		rc = saved_commit(&tx, err);
	snprintf(path, pathsz, "%s", tx.path);
	saved_end(&tx);
	return rc;
}
