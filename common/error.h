/* One error type for the whole project (runner, init, firewall).
 *
 * A function that can fail takes `struct cs_err *err` and returns a negative
 * value on failure after filling it; callers add context on the way up with
 * cs_wrap() and only main() prints it, once, as one line naming the cause and
 * the fix.  The first failure wins: cleanup code that fails later uses its own
 * throwaway cs_err so it never overwrites the primary error (crun habit).
 *
 * Fixed-size and stack-allocated on purpose: no allocation on error paths, and
 * the struct can be written as-is over a pipe/socket between processes.
 */
#ifndef CS_ERROR_H
#define CS_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define CS_ERR_MSG_MAX 1024
#define CS_ERR_HINT_MAX 512

/* Exit statuses, as `docker run` uses them. */
enum {
	CS_EXIT_FAIL = 125,      /* codex-sandbox itself failed */
	CS_EXIT_CANNOT_RUN = 126, /* command found but not executable */
	CS_EXIT_NOT_FOUND = 127, /* command not found */
};

struct cs_err {
	int set;                   /* nonzero once a failure was recorded */
	int errnum;                /* errno of the root cause, 0 if none */
	int status;                /* exit status main() should use */
	char msg[CS_ERR_MSG_MAX];  /* "context: context: cause" */
	char hint[CS_ERR_HINT_MAX];/* what the user can do about it */
};

/* Record a failure (errnum may be 0).  Returns -1.  Does nothing but return -1
 * when an error is already recorded (first error wins). */
int cs_fail(struct cs_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with an explicit exit status (126/127 for exec failures, or the
 * hook's status). */
int cs_fail_status(struct cs_err *err, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prefix context ("ctx: " + existing message).  Returns -1. */
int cs_wrap(struct cs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Attach the "how to fix" text, only if none is set yet (the innermost, most
 * specific hint wins).  Returns -1. */
int cs_hint(struct cs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Format as one line (no newline): "MSG: strerror — HINT". */
void cs_err_format(const struct cs_err *err, char *out, size_t outsz);
/* Print "PROG: <line>\n" to stderr. */
void cs_err_print(const struct cs_err *err, const char *prog);
void cs_err_clear(struct cs_err *err);

#endif
