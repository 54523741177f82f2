#ifndef CS_PREPARE_H
#define CS_PREPARE_H

#include "runner/plan.h"

/* Ask (on a terminal) or refuse (otherwise) writable mounts outside the
 * project directory; -y accepts.  Nothing has been created yet. */
int prepare_consent(const struct sandbox_plan *p, struct cs_err *err);
/* Create the Codex home / sessions dirs and do the plan's copies. */
int prepare_files(const struct sandbox_plan *p, struct cs_err *err);

#endif
