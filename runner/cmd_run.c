/* codex-sandbox [run] / exec / shell: plan, then hand the plan to its
 * backend (or print what the backend would do: --dry-run). */
#include "runner/cmd_run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"
#include "runner/core/plan.h"
#include "runner/core/plan_json.h"
#include "runner/docker/docker.h"
#include "runner/e2b/e2b.h"

/* --dry-run: the plan and the operations its backend would run.  The E2B
 * backend still takes the plan as text (until its dry run walks its step
 * table like docker_dry_run). */
static int dry_run(const struct sandbox_plan *p, struct cs_err *err)
{
	if (p->backend != BACKEND_E2B)
		return docker_dry_run(p, err);
	return e2b_dry_run(p, err);
}

int cmd_run(const struct cs_opts *o, struct cs_err *err)
{
	cleanup_plan struct sandbox_plan p = { 0 };
	struct plan_env env = { .stdin_tty = isatty(STDIN_FILENO),
				.stdout_tty = isatty(STDOUT_FILENO) };
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof cwd))
		return cs_fail(err, 0, "cannot determine the current directory");
	env.cwd = cwd;
	if (plan_build(o, &env, &p, err) < 0)
		return -1;
	if (p.dry_run)
		return dry_run(&p, err);
	if (p.backend == BACKEND_E2B)
		return e2b_backend_run(&p, err);
	return docker_backend_run(&p, err);
}
