/* The step trace (CODEX_SANDBOX_TRACE, runner/core/ops.c): one line per
 * step run, with its name, duration and wall-clock start; a skipped step
 * has no line; a failing step is marked and ends the trace; the trace file
 * is appended to, never followed through a link, never a FIFO (that would
 * hang the run); unset or "0" traces nothing. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/env.h"
#include "runner/core/ops.h"

static const char *trace_value;

static const char *fake_getenv(const char *name)
{
	return strcmp(name, "CODEX_SANDBOX_TRACE") == 0 ? trace_value : NULL;
}

static int slow_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)p; (void)ctx; (void)err;
	nanosleep(&ts, NULL);
	return 0;
}

static int fail_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	(void)p; (void)ctx;
	return cs_fail(err, EIO, "step failed");
}

static bool never(const struct sandbox_plan *p)
{
	(void)p;
	return false;
}

static const struct op ops[] = {
	{ "first", "sleeps 20 ms", NULL, NULL, slow_run },
	{ "skipped", "does not apply", never, NULL, slow_run },
	{ "second", "fast", NULL, NULL, slow_run },
};
static const struct op failing[] = {
	{ "good", "works", NULL, NULL, slow_run },
	{ "bad", "fails", NULL, NULL, fail_run },
	{ "after", "never reached", NULL, NULL, slow_run },
};

/* Run OPS with the trace going to PATH (as the variable's value); the
 * file's text in BUF. */
static int traced(const struct op *o, size_t n, const char *value, const char *path, char *buf,
		  size_t size)
{
	struct sandbox_plan p;
	struct cs_err err;
	int rc, fd;
	ssize_t got;

	memset(&p, 0, sizeof p);
	cs_err_clear(&err);
	trace_value = value;
	rc = ops_run(o, n, &p, NULL, NULL, &err);
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		got = read(fd, buf, size - 1);
		buf[got > 0 ? got : 0] = 0;
		close(fd);
	}
	return rc;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int main(void)
{
	char dir[] = "/tmp/cs-trace-test.XXXXXX", path[256], link[256], fifo[256], buf[4096];
	double ms = 0;
	long long start = 0;
	time_t now = time(NULL);
	int rc;

	plan(13);
	env_use(fake_getenv);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/trace", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);

	rc = traced(ops, 3, path, path, buf, sizeof buf);
	is_int(rc, 0, "the steps run with a trace file");
	is_int(count_lines(buf), 2, "one line per step run (the skipped one has none)");
	ok(strstr(buf, "cs-trace step=first ms=") == buf && strstr(buf, "\ncs-trace step=second ms="),
	   "the lines name the steps in order");
	ok(!strstr(buf, "skipped"), "a step that does not apply is not traced");
	ok(sscanf(buf, "cs-trace step=first ms=%lf start=%lld.", &ms, &start) == 2 && ms >= 19 && ms < 2000,
	   "the duration is the step's (%.1f ms for a 20 ms sleep)", ms);
	ok(start >= now - 5 && start <= now + 5, "the start is wall-clock time (%lld vs %lld)", start,
	   (long long)now);
	ok(strstr(buf, "status=ok\n") != NULL, "a step that worked says status=ok");

	rc = traced(failing, 3, path, path, buf, sizeof buf);
	is_int(rc, -1, "a failing step fails the run");
	ok(count_lines(buf) == 4 && strstr(buf, "cs-trace step=bad ms=") &&
	   strstr(buf, "status=failed\n") && !strstr(buf, "step=after"),
	   "the file is appended to; the failing step is marked and the trace ends there");

	unlink(path);
	traced(ops, 3, "0", path, buf, sizeof buf);
	ok(access(path, F_OK) < 0, "CODEX_SANDBOX_TRACE=0 writes nothing");
	traced(ops, 3, NULL, path, buf, sizeof buf);
	ok(access(path, F_OK) < 0, "unset writes nothing");

	if (symlink(path, link) < 0 || mkfifo(fifo, 0600) < 0)
		return 1;
	rc = traced(ops, 3, link, path, buf, sizeof buf);
	ok(rc == 0 && access(path, F_OK) < 0, "a link as the trace file is not followed (the run goes on)");
	rc = traced(ops, 3, fifo, path, buf, sizeof buf);
	is_int(rc, 0, "a FIFO as the trace file is refused without hanging the run");

	unlink(link);
	unlink(fifo);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
