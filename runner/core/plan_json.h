/* --dry-run: the resolved plan as JSON.  Environment variables appear by
 * name; values only for our own fixed variables, never for what the user
 * passed with --env (those may be secrets). */
#ifndef CS_PLAN_JSON_H
#define CS_PLAN_JSON_H

#include <cjson/cJSON.h>

#include "runner/core/sandbox_plan.h"

/* The plan as a cJSON object (caller deletes): mounts, user, env names,
 * command, network, allowlist.  NULL when out of memory. */
cJSON *plan_json(const struct sandbox_plan *p);

#endif
