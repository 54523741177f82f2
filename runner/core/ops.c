#include "runner/core/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/env.h"
#include "common/util.h"
#include "runner/core/plan_json.h"

/* CODEX_SANDBOX_TRACE: "1" traces to stderr, any other non-empty value
 * (but "0") names a file the lines are appended to (a link is refused: the
 * name may point anywhere).  A trace that cannot be opened is said once and
 * the run goes on without it: it is a measurement, never part of the run. */
static int trace_open(void)
{
	const char *v = cs_getenv("CODEX_SANDBOX_TRACE");
	struct stat st;
	int fd;

	if (!v || !*v || strcmp(v, "0") == 0)
		return -1;
	if (strcmp(v, "1") == 0)
		return STDERR_FILENO;
	/* Non-blocking, then a regular file only: a FIFO would hang the run. */
	fd = open(v, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
		  0600);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = EINVAL;
	}
	if (fd < 0)
		dprintf(STDERR_FILENO, "codex-sandbox: trace: cannot append to %s: %s\n", v,
			errno == EINVAL ? "not a regular file" : strerror(errno));
	return fd;
}

static void trace_close(int fd)
{
	if (fd > STDERR_FILENO)
		close(fd);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* One line per step: its name, how long it took and when it started on the
 * wall clock (so a bench can line it up with clocks outside the runner:
 * the sandbox's, the model server's log). */
static void trace_step(int fd, const char *name, const struct timespec *wall,
		       const struct timespec *t0, int rc)
{
	struct timespec t1;

	if (fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dprintf(fd, "cs-trace step=%s ms=%.1f start=%lld.%06ld status=%s\n", name,
		ms_between(t0, &t1), (long long)wall->tv_sec, wall->tv_nsec / 1000,
		rc < 0 ? "failed" : "ok");
}

static bool wanted(const struct op *o, const struct sandbox_plan *p)
{
	return !o->applies || o->applies(p);
}

int ops_run(const struct op *ops, size_t n, const struct sandbox_plan *p, void *ctx,
	    size_t *done, struct cs_err *err)
{
	int trace = trace_open();
	size_t i;

	for (i = 0; i < n; i++) {
		struct timespec wall, t0;
		int rc;

		if (done)
			*done = i;
		if (!wanted(&ops[i], p))
			continue;
		clock_gettime(CLOCK_REALTIME, &wall);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = ops[i].run(p, ctx, err);
		trace_step(trace, ops[i].name, &wall, &t0, rc);
		if (rc < 0) {
			trace_close(trace);
			return -1;
		}
	}
	trace_close(trace);
	if (done)
		*done = n;
	return 0;
}

cJSON *ops_describe(const struct op *ops, size_t n, const struct sandbox_plan *p, void *ctx,
		    struct cs_err *err)
{
	cleanup_json cJSON *list = cJSON_CreateArray();

	if (!list) {
		cs_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *o;

		if (!wanted(&ops[i], p))
			continue;
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(list, o)) {
			cJSON_Delete(o);
			cs_fail(err, ENOMEM, "out of memory");
			return NULL;
		}
		cJSON_AddStringToObject(o, "op", ops[i].name);
		cJSON_AddStringToObject(o, "why", ops[i].why);
		if (ops[i].describe && ops[i].describe(p, ctx, o, err) < 0)
			return NULL;
	}
	return steal_pointer(&list);
}

int ops_print_dry_run(const struct sandbox_plan *p, cJSON *operations, struct cs_err *err)
{
	cleanup_json cJSON *root = plan_json(p);
	cleanup_free char *out = NULL;

	if (!root || !cJSON_AddItemToObject(root, "operations", operations)) {
		cJSON_Delete(operations);
		return cs_fail(err, ENOMEM, "out of memory");
	}
	out = cJSON_Print(root);
	if (!out)
		return cs_fail(err, ENOMEM, "out of memory");
	if (printf("%s\n", out) < 0 || fflush(stdout) == EOF)
		return cs_fail(err, errno, "cannot print the plan");
	return 0;
}
