#ifndef CS_DOCKER_H
#define CS_DOCKER_H

#include <stdbool.h>

#include "runner/docker/docker_api.h"
#include "runner/core/plan.h"

/* Run the plan locally.  Returns the command's exit status (>= 0), or -1
 * with ERR (whose status is the exit code to use). */
int docker_backend_run(const struct sandbox_plan *p, struct cs_err *err);
/* Stop (optionally) and remove a container, ignoring pending signals. */
void docker_remove_container(struct docker *d, const char *id, bool stop_first);

#endif
