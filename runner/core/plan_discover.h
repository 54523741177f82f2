/* Finding the Codex files the sandbox gets: auth.json (mounted read-only,
 * never copied), config.toml (copied into the Codex home) and prompts/
 * (merged without overwriting), in the seed's search order. */
#ifndef CS_PLAN_DISCOVER_H
#define CS_PLAN_DISCOVER_H

#include "common/error.h"
#include "runner/core/cli.h"
#include "runner/core/sandbox_plan.h"

/* auth_file, config_source, effective_config, prompts_source and their
 * copies.  Needs the work dir and the Codex home planned. */
int plan_discover(const struct cs_opts *o, const struct plan_env *env,
		  struct sandbox_plan *p, struct cs_err *err);

#endif
