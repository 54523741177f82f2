/* The live record of an E2B sandbox (e2b_live.h). */
#include "runner/e2b/e2b_live.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/atomic.h"
#include "common/fdio.h"
#include "common/util.h"
#include "runner/core/sandbox_plan.h"
#include "runner/e2b/e2b_state.h"

#define LIVE_LIST_MAX 65536   /* entries in one list (ALLOWLIST_MAX) */

void e2b_live_free(struct e2b_live *l)
{
	strv_free(&l->allow);
	strv_free(&l->publish);
}

void e2b_live_now(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int e2b_live_save(const struct e2b_live *l, struct cs_err *err)
{
	char path[PATH_MAX];
	cleanup_json cJSON *root = cJSON_CreateObject();
	cleanup_free char *text = NULL;

	if (e2b_state_file(l->id, E2B_LIVE_SUFFIX, path, sizeof path, true) < 0)
		return cs_fail(err, 0, "no place to remember E2B sandbox %s (HOME unset)", l->id);
	cJSON_AddStringToObject(root, "sandboxID", l->id);
	cJSON_AddStringToObject(root, "work_dir", l->work_dir);
	cJSON_AddStringToObject(root, "started", l->started);
	cJSON_AddBoolToObject(root, "strict", l->strict);
	strv_add_json(root, "allow", &l->allow);
	strv_add_json(root, "publish", &l->publish);
	text = cJSON_PrintUnformatted(root);
	if (!text)
		return cs_fail(err, ENOMEM, "out of memory");
	return atomic_write_path(path, text, strlen(text), &(struct atomic_opts){ .mode = 0600 }, err);
}

static const char *load_list(const cJSON *a, struct strv *out)
{
	const cJSON *it;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > LIVE_LIST_MAX)
		return "a list that is not an array of strings";
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) > 300)
			return "a list that is not an array of strings";
		if (strv_push(out, it->valuestring) < 0)
			return "out of memory";
	}
	return NULL;
}

static const char *copy_str(const cJSON *j, char *out, size_t outsz)
{
	if (!cJSON_IsString(j) || !j->valuestring[0] || strlen(j->valuestring) >= outsz)
		return "a missing or too long field";
	snprintf(out, outsz, "%s", j->valuestring);
	return NULL;
}

int e2b_live_parse(const char *data, size_t len, const char *id, struct e2b_live *l,
		   struct cs_err *err)
{
	cleanup_json cJSON *root = cJSON_ParseWithLength(data, len);
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(root, "sandboxID");
	const cJSON *strict = cJSON_GetObjectItemCaseSensitive(root, "strict");
	const char *why = NULL;

	memset(l, 0, sizeof *l);
	if (!cJSON_IsObject(root))
		why = "not a JSON object";
	else if (!cJSON_IsString(sid) || strcmp(sid->valuestring, id) != 0)
		why = "it is not this sandbox's";
	else if (!cJSON_IsBool(strict))
		why = "no strict flag";
	if (!why)
		why = copy_str(sid, l->id, sizeof l->id);
	if (!why)
		why = copy_str(cJSON_GetObjectItemCaseSensitive(root, "work_dir"), l->work_dir,
			       sizeof l->work_dir);
	if (!why)
		why = copy_str(cJSON_GetObjectItemCaseSensitive(root, "started"), l->started,
			       sizeof l->started);
	if (!why)
		why = load_list(cJSON_GetObjectItemCaseSensitive(root, "allow"), &l->allow);
	if (!why)
		why = load_list(cJSON_GetObjectItemCaseSensitive(root, "publish"), &l->publish);
	if (!why) {
		l->strict = cJSON_IsTrue(strict);
		return 1;
	}
	e2b_live_free(l);
	return cs_fail(err, EINVAL, "the record of E2B sandbox %s is not valid (%s)", id, why);
}

int e2b_live_load(const char *id, struct e2b_live *l, struct cs_err *err)
{
	char path[PATH_MAX];
	cleanup_free char *data = NULL;
	size_t len = 0;

	memset(l, 0, sizeof *l);
	if (e2b_state_file(id, E2B_LIVE_SUFFIX, path, sizeof path, false) < 0)
		return 0;
	/* Our own file, read as anything from outside: no link, no FIFO,
	 * bounded (common/fdio.h). */
	if (read_small_file(path, E2B_LIVE_MAX, &data, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		cs_fail(err, errno == ELOOP ? EINVAL : errno, "%s: %s", path,
			errno == ELOOP || errno == EINVAL || errno == EFBIG
			? "not a regular file of at most 4 MiB" : "cannot be read");
		return cs_hint(err, "remove %s (codex-sandbox then no longer lists that sandbox)", path);
	}
	if (e2b_live_parse(data, len, id, l, err) < 0)
		return cs_hint(err, "remove %s (codex-sandbox then no longer lists that sandbox)", path);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int e2b_live_ids(struct strv *ids)
{
	char path[PATH_MAX], *slash;
	size_t sl = strlen(E2B_LIVE_SUFFIX);
	DIR *d;
	struct dirent *de;

	if (e2b_state_file("x", "", path, sizeof path, false) < 0)
		return 0;
	slash = strrchr(path, '/');
	*slash = '\0';
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char id[64];

		if (n <= sl || n - sl >= sizeof id || strcmp(de->d_name + n - sl, E2B_LIVE_SUFFIX))
			continue;
		memcpy(id, de->d_name, n - sl);
		id[n - sl] = '\0';
		if (strv_push(ids, id) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (ids->n > 1)
		qsort(ids->v, ids->n, sizeof *ids->v, cmp_str);
	return 0;
}

void e2b_live_created(const struct sandbox_plan *p, const char *id)
{
	struct e2b_live l;
	struct cs_err e = { 0 };
	int rc = 0;

	memset(&l, 0, sizeof l);
	snprintf(l.id, sizeof l.id, "%s", id);
	snprintf(l.work_dir, sizeof l.work_dir, "%s", p->work_dir);
	e2b_live_now(l.started, sizeof l.started);
	l.strict = p->strict_egress;
	for (size_t i = 0; rc == 0 && i < p->allow.n; i++) {
		char text[300];

		if (allow_entry_format(&p->allow.v[i], text, sizeof text) < 0)
			continue;
		rc = strv_push(&l.allow, text);
	}
	for (size_t i = 0; rc == 0 && i < p->publish.n; i++)
		rc = strv_push(&l.publish, p->publish.v[i]);
	if (rc < 0)
		cs_fail(&e, ENOMEM, "out of memory");
	else
		e2b_live_save(&l, &e);
	if (e.set) {
		/* The run goes on: only `ps` and `allow`/`deny` miss it. */
		cs_err_print(&e, "codex-sandbox: warning: codex-sandbox ps will not list it");
	}
	e2b_live_free(&l);
}
