/* The project side of the plan: the work dir (and WORKSPACE_ROOT_DIR), the
 * user the sandbox runs as, and the Codex home. */
#ifndef CS_PLAN_PROJECT_H
#define CS_PLAN_PROJECT_H

#include <sys/types.h>

#include "common/error.h"
#include "runner/core/cli.h"
#include "runner/core/sandbox_plan.h"

/* work_dir, sandbox_work_dir, uid/gid and where they came from. */
int plan_workdir(const struct cs_opts *o, const struct plan_env *env,
		 struct sandbox_plan *p, struct cs_err *err);
/* codex_home (a real directory, never reached through a link inside the
 * project), whether it must be created, sandbox_env_dir. */
int plan_codex_home(const struct cs_opts *o, const struct plan_env *env,
		    struct sandbox_plan *p, struct cs_err *err);
/* "UID:GID", both decimal and below 2^32-1.  0, or -1. */
int parse_user(const char *s, uid_t *uid, gid_t *gid);

#endif
