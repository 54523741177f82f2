#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void vset(struct cs_err *err, int status, int errnum, const char *fmt, va_list ap)
{
	if (err->set)
		return;
	err->set = 1;
	err->status = status;
	err->errnum = errnum;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int cs_fail(struct cs_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, CS_EXIT_FAIL, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int cs_fail_status(struct cs_err *err, int status, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, status, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int cs_wrap(struct cs_err *err, const char *fmt, ...)
{
	char ctx[CS_ERR_MSG_MAX];
	char old[CS_ERR_MSG_MAX];
	va_list ap;

	if (!err->set)
		return cs_fail(err, 0, "internal error: cs_wrap without an error");
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s: %s", ctx, old);
	return -1;
}

int cs_hint(struct cs_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err->hint[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof err->hint, fmt, ap);
	va_end(ap);
	return -1;
}

void cs_err_format(const struct cs_err *err, char *out, size_t outsz)
{
	char cause[256] = "";

	if (err->errnum)
		snprintf(cause, sizeof cause, ": %s", strerror(err->errnum));
	if (err->hint[0])
		snprintf(out, outsz, "%s%s (fix: %s)", err->msg, cause, err->hint);
	else
		snprintf(out, outsz, "%s%s", err->msg, cause);
}

void cs_err_print(const struct cs_err *err, const char *prog)
{
	char line[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];

	cs_err_format(err, line, sizeof line);
	fprintf(stderr, "%s: %s\n", prog, line);
}

void cs_err_clear(struct cs_err *err)
{
	memset(err, 0, sizeof *err);
}
