/* The local run as one table of steps and a cleanup table (runner/core/ops):
 * steps_run executes them, steps_describe lists the same steps for
 * --dry-run (nothing is asked or created). */
#ifndef CS_STEPS_H
#define CS_STEPS_H

#include <cjson/cJSON.h>

#include "common/error.h"
#include "runner/core/plan.h"

/* The command's exit status (>= 0), or -1 with ERR (whose status is the exit
 * code to use). */
int steps_run(const struct sandbox_plan *p, struct cs_err *err);
/* The operations array: the steps, then the cleanup ("cleanup": true). */
cJSON *steps_describe(const struct sandbox_plan *p, struct cs_err *err);

#endif
