/* The E2B part of the planning phase that reads the rest of the plan: the
 * options E2B refuses or ignores, the egress mapping.  (The types, knobs
 * and settings are in plan_e2b.h, which the plan's struct holds.) */
#ifndef CS_PLAN_E2B_PLAN_H
#define CS_PLAN_E2B_PLAN_H

#include "common/error.h"
#include "common/strv.h"
#include "runner/core/cli.h"

struct sandbox_plan;

/* Fill P->e2b from O, the rest of P and the environment (cs_getenv): for
 * attach the knobs and settings only.  0, or -1 with ERR naming the
 * variable or option and the fix. */
int plan_e2b(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err);
/* Options the local backend has and E2B cannot honour: refused (with the
 * fix) or, when harmless, listed in NOTES. */
int e2b_check_options(const struct sandbox_plan *p, struct strv *notes, struct cs_err *err);

#endif
