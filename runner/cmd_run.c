/* codex-sandbox [run] / exec / shell: plan, then hand the plan to its
 * backend (or print what the backend would do: --dry-run). */
#include "runner/cmd_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "runner/core/plan.h"
#include "runner/docker/docker.h"
#include "runner/e2b/e2b.h"

static const char *real_getenv(const char *name)
{
	return getenv(name);
}

int cmd_run(const struct cs_opts *o, struct cs_err *err)
{
	struct sandbox_plan p;
	struct plan_env env = { .getenv = real_getenv, .euid = geteuid(),
				.stdin_tty = isatty(STDIN_FILENO), .stdout_tty = isatty(STDOUT_FILENO) };
	char cwd[4096];
	int rc;

	if (!getcwd(cwd, sizeof cwd))
		return cs_fail(err, 0, "cannot determine the current directory");
	env.cwd = cwd;
	if (plan_build(o, &env, &p, err) < 0) {
		plan_free(&p);
		return -1;
	}
	if (p.dry_run) {
		char *json = plan_to_json(&p);

		if (p.backend == BACKEND_E2B)
			rc = e2b_dry_run(&p, json, err);
		else
			rc = docker_dry_run(&p, err);
		free(json);
		plan_free(&p);
		return rc;
	}
	if (p.backend == BACKEND_E2B)
		rc = e2b_backend_run(&p, err);
	else
		rc = docker_backend_run(&p, err);
	plan_free(&p);
	return rc;
}
