#ifndef CS_PREPARE_H
#define CS_PREPARE_H

#include "runner/core/plan.h"

/* Ask (on a terminal) or refuse (otherwise) writable mounts outside the
 * project directory; -y accepts.  Nothing has been created yet. */
int prepare_consent(const struct sandbox_plan *p, struct cs_err *err);
/* Create the Codex home / sessions dirs and do the plan's copies. */
int prepare_files(const struct sandbox_plan *p, struct cs_err *err);
/* Docker creates an empty auth.json where it mounts the file: was one
 * there before the run, and remove ours afterwards (never through a link). */
bool prepare_auth_placeholder_exists(const struct sandbox_plan *p);
void prepare_remove_auth_placeholder(const struct sandbox_plan *p);

#endif
