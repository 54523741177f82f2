#include "runner/docker/live.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "runner/core/identity.h"
#include "runner/core/rundir.h"
#include "runner/core/sandbox_plan.h"
#include "runner/docker/container.h"
#include "runner/docker/hijack.h"
#include "runner/docker/mux.h"

/* Running network owners of ours (label role=firewall). */
#define LIVE_LIST_PATH "/containers/json?filters=%7B%22label%22%3A%5B%22" \
	LABEL_PREFIX "role%3Dfirewall%22%5D%7D"

static const char *label(const cJSON *labels, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The run dir of RUN_ID when it is this user's own directory (no link). */
static int own_run_dir(const char *run_id, char *out, size_t outsz)
{
	char base[PATH_MAX];
	struct stat st;

	rundir_base(base, sizeof base);
	if ((size_t)snprintf(out, outsz, "%s/%s", base, run_id) >= outsz)
		return -1;
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -1;
	return 0;
}

/* S from one entry of the list; -1 when it is not a live sandbox of ours. */
static int live_from(const cJSON *c, const struct runner_identity *self, struct docker_sandbox *s)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "Id");
	const cJSON *created = cJSON_GetObjectItemCaseSensitive(c, "Created");
	const char *run_id = label(labels, LABEL_PREFIX "run-id");
	const char *wd = label(labels, LABEL_PREFIX "workdir");

	memset(s, 0, sizeof *s);
	if (!cJSON_IsString(id) || !run_id || strlen(run_id) >= sizeof s->id ||
	    strspn(run_id, "0123456789abcdefABCDEF") != strlen(run_id) || !run_id[0])
		return -1;
	if (runner_alive(label(labels, LABEL_PREFIX "runner-pid"), label(labels, LABEL_PREFIX "runner-start"),
			 label(labels, LABEL_PREFIX "boot-id"), label(labels, LABEL_PREFIX "pidns"), self) != 1 ||
	    !label(labels, LABEL_PREFIX "runner-pid"))
		return -1;
	if (own_run_dir(run_id, s->run_dir, sizeof s->run_dir) < 0)
		return -1;
	snprintf(s->id, sizeof s->id, "%s", run_id);
	snprintf(s->owner, sizeof s->owner, "%s", id->valuestring);
	snprintf(s->work_dir, sizeof s->work_dir, "%s", wd ? wd : "");
	s->created = cJSON_IsNumber(created) ? (int64_t)created->valuedouble : 0;
	return 0;
}

int live_each(struct docker *d, live_fn fn, void *ctx, struct cs_err *err)
{
	cleanup_json cJSON *list = NULL;
	struct runner_identity self;
	const cJSON *c;
	int seen = 0;

	if (runner_identity_init(&self) < 0)
		return cs_fail(err, errno, "reading this runner's identity");
	if (docker_call_json(d, "GET", LIVE_LIST_PATH, NULL, &list, err) != 200)
		return cs_wrap(err, "listing the running sandboxes");
	cJSON_ArrayForEach(c, list) {
		struct docker_sandbox s;

		if (live_from(c, &self, &s) < 0)
			continue;
		seen++;
		if (fn(ctx, &s) < 0)
			break;
	}
	return seen;
}

static void collect(void *ctx, int stream, const char *data, size_t len)
{
	(void)stream;
	if (buf_append(ctx, data, len) < 0) {
		/* bounded: the rest is dropped */
	}
}

/* Read the exec's multiplexed stream from FD (after EARLY) into OUT. */
static int read_stream(int fd, const struct buf *early, struct buf *out, struct cs_err *err)
{
	struct mux m;
	char chunk[4096];
	struct timespec t0, now;

	mux_init(&m, collect, out);
	if (early->len)
		mux_feed(&m, early->data, early->len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long left;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = LIVE_CTL_MS - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return cs_fail(err, ETIMEDOUT, "the firewall did not answer within %d ms", LIVE_CTL_MS);
		r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		mux_feed(&m, chunk, (size_t)r);
	}
}

/* POST /containers/OWNER/exec for the command; the exec id into ID. */
static int exec_create(struct docker *d, const char *owner, const char *op, const struct strv *entries,
		       char *id, size_t idsz, struct cs_err *err)
{
	cleanup_json cJSON *body = cJSON_CreateObject(), *resp = NULL;
	cJSON *cmd = cJSON_AddArrayToObject(body, "Cmd");
	const cJSON *eid;
	char path[200];

	cJSON_AddItemToArray(cmd, cJSON_CreateString(SANDBOX_FIREWALL));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("ctl"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(op));
	for (size_t i = 0; entries && i < entries->n; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(entries->v[i]));
	cJSON_AddStringToObject(body, "User", "0:0");
	cJSON_AddBoolToObject(body, "AttachStdout", true);
	cJSON_AddBoolToObject(body, "AttachStderr", true);
	snprintf(path, sizeof path, "/containers/%s/exec", owner);
	if (docker_call_json(d, "POST", path, body, &resp, err) != 201)
		return cs_wrap(err, "asking the sandbox's firewall");
	eid = cJSON_GetObjectItemCaseSensitive(resp, "Id");
	if (!cJSON_IsString(eid) || strlen(eid->valuestring) >= idsz ||
	    strspn(eid->valuestring, "0123456789abcdef") != strlen(eid->valuestring))
		return cs_fail(err, 0, "the engine answered the exec without an id");
	snprintf(id, idsz, "%s", eid->valuestring);
	return 0;
}

int live_fw_ctl(struct docker *d, const char *owner, const char *op, const struct strv *entries,
		struct buf *out, struct cs_err *err)
{
	cleanup_json cJSON *info = NULL;
	cleanup_buf struct buf early;
	cleanup_close int fd = -1;
	const cJSON *code;
	char id[80], path[200];

	buf_init(&early, HIJACK_HEADER_MAX);
	buf_init(out, LIVE_CTL_OUT_MAX);
	if (exec_create(d, owner, op, entries, id, sizeof id, err) < 0)
		return -1;
	snprintf(path, sizeof path, "/exec/%s/start", id);
	fd = docker_hijack(d, path, "{\"Detach\":false,\"Tty\":false}", &early, err);
	if (fd < 0 || read_stream(fd, &early, out, err) < 0)
		return cs_wrap(err, "asking the sandbox's firewall");
	snprintf(path, sizeof path, "/exec/%s/json", id);
	/* the stream ends a moment before the engine records the exit */
	for (int i = 0; i < 40; i++) {
		cJSON_Delete(info);
		info = NULL;
		if (docker_call_json(d, "GET", path, NULL, &info, err) != 200)
			return cs_wrap(err, "reading the firewall's answer");
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(info, "Running")))
			break;
		poll(NULL, 0, 25);
	}
	code = cJSON_GetObjectItemCaseSensitive(info, "ExitCode");
	if (!cJSON_IsNumber(code))
		return cs_fail(err, 0, "the firewall's exec reported no exit code");
	return (int)code->valuedouble;
}

static int grow(void *ctx, const struct docker_sandbox *s)
{
	struct { struct docker_sandbox *v; size_t n, cap; } *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct docker_sandbox *v = realloc(l->v, cap * sizeof *v);

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return 0;
}

int docker_sandboxes(struct docker_sandbox **out, size_t *n, struct cs_err *err)
{
	struct { struct docker_sandbox *v; size_t n, cap; } l = { NULL, 0, 0 };
	struct docker d;
	int r;

	*out = NULL;
	*n = 0;
	if (docker_open(&d, err) < 0)
		return -1;
	r = live_each(&d, grow, &l, err);
	docker_close(&d);
	if (r < 0) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int docker_fw_ctl(const struct docker_sandbox *s, const char *op, const struct strv *entries,
		  struct buf *out, struct cs_err *err)
{
	struct docker d;
	int r;

	if (docker_open(&d, err) < 0)
		return -1;
	r = live_fw_ctl(&d, s->owner, op, entries, out, err);
	docker_close(&d);
	return r;
}
