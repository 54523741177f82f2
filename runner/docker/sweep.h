#ifndef CS_SWEEP_H
#define CS_SWEEP_H

#include "runner/docker/container.h"
#include "runner/docker/docker_api.h"

/* Remove containers of ours whose runner is gone (killed with SIGKILL,
 * machine rebooted).  Containers of runners still alive, or of runners in
 * another pid namespace (which we cannot check), are left alone.
 * Returns how many were removed. */
int sweep_orphans(struct docker *d, const struct runner_identity *self);


#endif
