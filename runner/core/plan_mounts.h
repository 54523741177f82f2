/* What the sandbox sees of the host: the init hook (.environment/init.sh or
 * --init_script) and the mounts -- the project, the Codex home, sessions,
 * --read-only paths, auth.json (read-only, a private copy when the sandbox
 * user cannot read it), the tmpfs scratch and HOME. */
#ifndef CS_PLAN_MOUNTS_H
#define CS_PLAN_MOUNTS_H

#include "common/error.h"
#include "runner/core/cli.h"
#include "runner/core/sandbox_plan.h"

/* run_hook, hook_host_path and the hook's copy. */
int plan_hook(const struct cs_opts *o, const struct plan_env *env,
	      struct sandbox_plan *p, struct cs_err *err);
/* The mount list.  Needs the user, the Codex home and auth_file planned. */
int plan_mounts(const struct cs_opts *o, const struct plan_env *env,
		struct sandbox_plan *p, struct cs_err *err);

#endif
