/* The plan: flags + environment + files on disk resolved into one struct
 * (sandbox_plan.h), with no side effects (it reads the filesystem, never
 * writes it).  Every validation error happens here, before anything is
 * created; --dry-run prints it; the backends execute it.  The steps live
 * in plan_project, plan_discover, plan_mounts, plan_env_vars,
 * plan_network and plan_e2b; environment variables are read through
 * cs_getenv (common/env.h), the one seam tests substitute. */
#ifndef CS_PLAN_H
#define CS_PLAN_H

#include <stddef.h>

#include "common/error.h"
#include "runner/core/cli.h"
#include "runner/core/plan_paths.h"     /* path_is_within, for the backends */
#include "runner/core/sandbox_plan.h"

int plan_build(const struct cs_opts *o, const struct plan_env *env,
	       struct sandbox_plan *p, struct cs_err *err);

/* Docker names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.  "/home/u/my proj" ->
 * "home_u_my_proj"; bounded so the name stays readable. */
void sanitize_name(const char *path, char *out, size_t outsz);

#endif
