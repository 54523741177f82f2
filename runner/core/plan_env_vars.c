/* The sandbox's environment variables (plan_env_vars.h). */
#include "runner/core/plan_env_vars.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/env.h"
#include "common/util.h"

static int push(struct sandbox_plan *p, struct cs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int push(struct sandbox_plan *p, struct cs_err *err, const char *fmt, ...)
{
	cleanup_free char *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		line = NULL;   /* undefined after a failure: never freed */
	if (!line || strv_push(&p->env, line) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

static bool valid_name(const char *name, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!(name[k] == '_' || (name[k] >= 'A' && name[k] <= 'Z') ||
		      (name[k] >= 'a' && name[k] <= 'z') || (k && name[k] >= '0' && name[k] <= '9')))
			return false;
	return true;
}

/* One --env NAME=VALUE, or NAME (the host's value; left out when unset,
 * like docker run -e NAME). */
static int user_var(struct sandbox_plan *p, const char *e, struct cs_err *err)
{
	const char *eq = strchr(e, '=');
	size_t nl = eq ? (size_t)(eq - e) : strlen(e);
	char name[256];

	if (nl == 0 || nl >= sizeof name) {
		cs_fail(err, 0, "invalid --env '%s'", e);
		return cs_hint(err, "use NAME=VALUE or NAME");
	}
	memcpy(name, e, nl);
	name[nl] = '\0';
	if (!valid_name(name, nl)) {
		cs_fail(err, 0, "invalid environment variable name '%s' in --env", name);
		return cs_hint(err, "use NAME=VALUE with NAME made of letters, digits and _");
	}
	if (eq) {
		if (strv_push(&p->env, e) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	} else {
		const char *v = cs_getenv(name);

		if (!v)
			return 0;
		if (push(p, err, "%s=%s", name, v) < 0)
			return -1;
	}
	return strv_push(&p->env_secret, name) < 0 ? cs_fail(err, ENOMEM, "out of memory") : 0;
}

int plan_env_vars(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	const char *term = cs_getenv("TERM");

	if (push(p, err, "HOME=" SANDBOX_HOME) < 0 ||
	    push(p, err, "CODEX_HOME=" SANDBOX_CODEX_HOME) < 0 ||
	    push(p, err, "SANDBOX_ENV_DIR=%s", p->sandbox_env_dir) < 0 ||
	    push(p, err, "CODEX_SANDBOX=1") < 0 ||
	    push(p, err, "LANG=C.UTF-8") < 0 ||
	    push(p, err, "USER=codex") < 0)
		return -1;
	if (p->tty && push(p, err, "TERM=%s", term && *term && strcmp(term, "dumb") != 0 ?
			   term : "xterm-256color") < 0)
		return -1;
	for (size_t i = 0; i < o->env.n; i++)
		if (user_var(p, o->env.v[i], err) < 0)
			return -1;
	return 0;
}
