/* codex-sandbox ps: local sandboxes from the engine (runner/docker/docker.h),
 * E2B's from e2b_ps (runner/e2b/e2b.h); blocked counts from each local run
 * dir's blocked.jsonl (runner/core/blocked_log.h). */
#include "runner/cmd_ps.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "runner/core/blocked_log.h"
#include "runner/core/rundir.h"
#include "runner/core/sandbox_id.h"
#include "runner/e2b/e2b.h"


const char cmd_ps_usage[] =
"usage: codex-sandbox ps [--json]\n"
"  The running sandboxes of this user, both backends: id (what attach, allow,\n"
"  deny and blocked take; a unique prefix is enough), backend, project, age and\n"
"  how many attempts their firewall blocked (E2B does not report that: '-').\n"
"  --json   a JSON array of objects: id, backend, work_dir, started (RFC 3339),\n"
"           blocked (a number, or null on E2B)\n";

static void rfc3339(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outsz, "?");
}

/* Blocked attempts recorded in RUN_DIR's log (counts summed). */
static double blocked_count(const char *run_dir)
{
	struct blocked_agg a;
	struct cs_err e = { 0 };
	char path[PATH_MAX + 64];
	uint64_t off = 0, total;

	snprintf(path, sizeof path, "%s/%s", run_dir, RUNDIR_BLOCKED);
	blocked_agg_init(&a);
	blocked_read(path, &off, &a, &e);
	total = a.total;
	blocked_agg_free(&a);
	return (double)total;
}

static int add_local(cJSON *arr, struct cs_err *err)
{
	struct docker_sandbox *v = NULL;
	size_t n = 0;

	if (docker_sandboxes(&v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		char started[40];

		rfc3339(v[i].created, started, sizeof started);
		cJSON_AddStringToObject(o, "id", v[i].id);
		cJSON_AddStringToObject(o, "backend", "local");
		cJSON_AddStringToObject(o, "work_dir", v[i].work_dir);
		cJSON_AddStringToObject(o, "started", started);
		cJSON_AddNumberToObject(o, "blocked", blocked_count(v[i].run_dir));
		cJSON_AddItemToArray(arr, o);
	}
	free(v);
	return 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* "3m", "2h05m", "4d" since STARTED (RFC 3339). */
static void age(const char *started, char *out, size_t outsz)
{
	struct tm tm = { 0 };
	const char *end = strptime(started, "%Y-%m-%dT%H:%M:%S", &tm);
	long s = end ? (long)(time(NULL) - timegm(&tm)) : -1;

	if (s < 0)
		snprintf(out, outsz, "?");
	else if (s < 3600)
		snprintf(out, outsz, "%ldm", s / 60);
	else if (s < 86400)
		snprintf(out, outsz, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, outsz, "%ldd", s / 86400);
}

static void print_table(const cJSON *arr)
{
	const cJSON *o;

	printf("%-32s  %-7s  %-7s  %-8s  %s\n", "ID", "BACKEND", "AGE", "BLOCKED", "PROJECT");
	cJSON_ArrayForEach(o, arr) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "blocked");
		char a[32], bl[32];

		age(str(o, "started"), a, sizeof a);
		if (cJSON_IsNumber(b))
			snprintf(bl, sizeof bl, "%.0f", b->valuedouble);
		else
			snprintf(bl, sizeof bl, "-");
		printf("%-32s  %-7s  %-7s  %-8s  %s\n", str(o, "id"), str(o, "backend"), a, bl,
		       str(o, "work_dir"));
	}
}

int cmd_ps(const struct cs_opts *o, struct cs_err *err)
{
	cleanup_json cJSON *arr = cJSON_CreateArray();
	bool json = false;
	struct cs_err e2 = { 0 };

	for (size_t i = 0; i < o->args.n; i++) {
		if (strcmp(o->args.v[i], "--json") != 0) {
			cs_fail_status(err, CS_EXIT_FAIL, 0, "ps: unknown argument '%s'", o->args.v[i]);
			return cs_hint(err, "codex-sandbox ps [--json]");
		}
		json = true;
	}
	if (add_local(arr, &e2) < 0)
		fprintf(stderr, "codex-sandbox: ps: no local sandboxes listed: %s\n", e2.msg);
	e2 = (struct cs_err){ 0 };
	if (e2b_ps(arr, &e2) < 0)
		fprintf(stderr, "codex-sandbox: ps: no E2B sandboxes listed: %s\n", e2.msg);
	if (json) {
		cleanup_free char *text = cJSON_PrintUnformatted(arr);

		if (!text)
			return cs_fail(err, ENOMEM, "out of memory");
		printf("%s\n", text);
	} else {
		print_table(arr);
	}
	return 0;
}

int ps_resolve(const char *id, struct docker_sandbox *s, char *e2b_id, size_t e2b_idsz,
	       struct cs_err *err)
{
	struct docker_sandbox *v = NULL;
	struct strv ids = { 0 };
	struct cs_err local = { 0 };
	const char *hit = NULL;
	size_t n = 0;
	int r = 0, kind = 0;

	if (sandbox_id_check(id, err) < 0)
		return -1;
	/* One id space: local run ids and E2B ids together, so a prefix
	 * matching one of each is ambiguous, never silently the local one. */
	if (docker_sandboxes(&v, &n, &local) < 0)
		n = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = strv_push(&ids, v[i].id);
	if (r == 0)
		r = e2b_sandbox_ids(&ids);
	r = r < 0 ? cs_fail(err, ENOMEM, "out of memory") : sandbox_id_match(id, &ids, &hit, err);
	for (size_t i = 0; hit && i < n; i++)
		if (strcmp(v[i].id, hit) == 0) {
			*s = v[i];
			kind = PS_LOCAL;
		}
	if (hit && !kind) {
		snprintf(e2b_id, e2b_idsz, "%s", hit);
		kind = PS_E2B;
	}
	strv_free(&ids);
	free(v);
	if (r < 0)
		return -1;
	if (kind)
		return kind;
	cs_fail_status(err, CS_EXIT_FAIL, 0, "no running sandbox '%s'%s%s", id,
		       local.set ? " (the engine: " : "", local.set ? local.msg : "");
	if (local.set)
		strncat(err->msg, ")", sizeof err->msg - strlen(err->msg) - 1);
	return cs_hint(err, "codex-sandbox ps lists the running sandboxes");
}
