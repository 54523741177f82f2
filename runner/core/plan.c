/* plan_build(): flags, environment and files -> struct sandbox_plan, one
 * step after the other.  Reads the filesystem (realpath, stat, config.toml)
 * but never writes it. */
#include "runner/core/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/env.h"
#include "common/safeopen.h"
#include "common/util.h"
#include "runner/core/codex_cmd.h"
#include "runner/core/plan_attach.h"
#include "runner/core/plan_discover.h"
#include "runner/core/plan_e2b_plan.h"
#include "runner/core/plan_env_vars.h"
#include "runner/core/plan_mounts.h"
#include "runner/core/plan_network.h"
#include "runner/core/plan_project.h"

#define CONFIG_MAX_BYTES (1u << 20)

void sanitize_name(const char *path, char *out, size_t outsz)
{
	size_t j = 0;
	bool last_us = false;

	for (const char *p = path; *p && j + 1 < outsz && j < 48; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-';

		if (!ok) {
			if (j == 0 || last_us)
				continue;
			c = '_';
		}
		last_us = c == '_';
		out[j++] = c;
	}
	while (j > 0 && out[j - 1] == '_')
		j--;
	out[j] = '\0';
	if (j == 0)
		snprintf(out, outsz, "root");
}

/* What the init execs: the command (exec), a login shell, or Codex with
 * the flags its config.toml calls for. */
static int plan_command(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	/* Codex reads the Codex home's config.toml, which is the copy source
	 * when the copy will replace or create it. */
	const char *cfg = p->config_source ? p->config_source : p->effective_config;
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	struct stat st;
	size_t len = 0;

	switch (o->command) {
	case CMD_EXEC:
		for (size_t i = 0; i < o->args.n; i++)
			if (strv_push(&p->command_argv, o->args.v[i]) < 0)
				return cs_fail(err, ENOMEM, "out of memory");
		return 0;
	case CMD_SHELL:
		if (strv_push(&p->command_argv, "/bin/bash") < 0 ||
		    strv_push(&p->command_argv, "-l") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		return 0;
	default:
		break;
	}
	/* The Codex home's file is the sandbox's to write: no link, no FIFO,
	 * bounded (a bigger one is read as no config). */
	fd = plan_open_kind(cfg, S_IFREG, &st);
	if (fd >= 0 && safe_read_fd(fd, CONFIG_MAX_BYTES, &text, &len) < 0)
		text = NULL;
	if (codex_command(&p->command_argv, text, len, p->sandbox_work_dir,
			  (const char *const *)o->args.v, o->args.n) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

/* The flags and variables that need no file: backend, terminal, image. */
static int plan_basics(const struct cs_opts *o, const struct plan_env *env,
		       struct sandbox_plan *p, struct cs_err *err)
{
	const char *backend = o->backend ? o->backend : cs_getenv("CODEX_SANDBOX_BACKEND");
	const char *image = o->image ? o->image : cs_getenv("CODEX_DOCKER_IMAGE");
	const char *tmpl = o->template_id ? o->template_id : cs_getenv("E2B_TEMPLATE_ID");

	p->command = o->command;
	if (!backend || !*backend || strcmp(backend, "docker") == 0) {
		p->backend = BACKEND_DOCKER;
	} else if (strcmp(backend, "e2b") == 0) {
		p->backend = BACKEND_E2B;
	} else {
		cs_fail(err, 0, "unknown backend '%s'", backend);
		return cs_hint(err, "use --backend docker or --backend e2b");
	}
	/* attach is E2B's (a kept local sandbox does not exist). */
	if (o->command == CMD_ATTACH)
		p->backend = BACKEND_E2B;
	p->tty = env->stdin_tty && env->stdout_tty;
	/* A terminal on stdin without one on stdout (codex-sandbox ... | jq)
	 * gets no stdin, as docker run without -i: otherwise `codex exec`
	 * would wait for an EOF the user never types. */
	p->attach_stdin = p->tty || !env->stdin_tty;
	p->yes = o->yes;
	p->dry_run = o->dry_run;
	p->keep = o->keep;
	p->strict_egress = o->strict_egress;
	p->auth_writeback = o->auth_writeback;
	p->image_is_default = !image || !*image;
	p->image = strdup(p->image_is_default ? DEFAULT_IMAGE : image);
	p->template_id = strdup(tmpl && *tmpl ? tmpl : DEFAULT_TEMPLATE);
	if (!p->image || !p->template_id)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

int plan_build(const struct cs_opts *o, const struct plan_env *env,
	       struct sandbox_plan *p, struct cs_err *err)
{
	char name[64];

	memset(p, 0, sizeof *p);
	if (plan_basics(o, env, p, err) < 0 ||
	    (o->command == CMD_ATTACH && plan_attach(o, &p->attach, err) < 0) ||
	    plan_workdir(o, env, p, err) < 0 ||
	    plan_codex_home(o, env, p, err) < 0 ||
	    plan_discover(o, env, p, err) < 0 ||
	    plan_hook(o, env, p, err) < 0 ||
	    plan_mounts(o, env, p, err) < 0 ||
	    plan_env_vars(o, p, err) < 0 ||
	    plan_network(o, env, p, err) < 0 ||
	    plan_command(o, p, err) < 0 ||
	    (p->backend == BACKEND_E2B && plan_e2b(o, p, err) < 0))
		return -1;
	sanitize_name(p->work_dir, name, sizeof name);
	if (asprintf(&p->name_base, "codex_%s", name) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}
