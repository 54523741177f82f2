/* codex-sandbox attach ID: back onto a sandbox left running (--keep).
 * Planned like a run (runner/core/plan_attach.c reads what the host knows
 * of the sandbox); the E2B backend executes the plan. */
#include "runner/cmd_attach.h"

#include <limits.h>
#include <unistd.h>

#include "runner/core/plan.h"
#include "runner/e2b/e2b.h"

int cmd_attach(const struct cs_opts *o, struct cs_err *err)
{
	cleanup_plan struct sandbox_plan p = { 0 };
	struct plan_env env = { .stdin_tty = isatty(STDIN_FILENO),
				.stdout_tty = isatty(STDOUT_FILENO) };
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof cwd))
		return cs_fail(err, 0, "cannot determine the current directory");
	env.cwd = cwd;
	if (plan_build(o, &env, &p, err) < 0) {
		if (p.attach.project && !o->work_dir)
			cs_wrap(err, "the sandbox's project %s", p.attach.project);
		return -1;
	}
	if (p.dry_run)
		return e2b_attach_dry_run(&p, err);
	return e2b_attach(&p, err);
}
