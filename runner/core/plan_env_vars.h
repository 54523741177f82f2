/* The sandbox's environment variables: our fixed ones (HOME, CODEX_HOME,
 * SANDBOX_ENV_DIR, TERM with a TTY...) and the user's --env NAME[=VALUE],
 * whose names are remembered as secret (--dry-run shows them, never their
 * values). */
#ifndef CS_PLAN_ENV_VARS_H
#define CS_PLAN_ENV_VARS_H

#include "common/error.h"
#include "runner/core/cli.h"
#include "runner/core/sandbox_plan.h"

/* env and env_secret.  Needs sandbox_env_dir and tty planned. */
int plan_env_vars(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err);

#endif
