/* `codex-sandbox attach ID` as one table of steps (runner/core/ops.h),
 * like the run's (e2b_steps.h): the attach walks it with run(), --dry-run
 * with describe().  The job is the run's (e2b_steps.h), its trees loaded
 * with what the planning phase read from the state file. */
#ifndef CS_E2B_ATTACH_H
#define CS_E2B_ATTACH_H

#include "runner/e2b/e2b_steps.h"

/* Walk the steps up to the reattached command.  The end (the changes back,
 * then kill or keep) is the job's cleanup (e2b.c's finish) once J->created
 * says the sandbox is ours again.  0 (J->status set), or -1 with ERR, or -1
 * with J->interrupted. */
int e2b_attach_steps_run(struct job *j, struct cs_err *err);
/* The whole table described, for --dry-run. */
cJSON *e2b_attach_steps_describe(struct job *j, struct cs_err *err);

#endif
