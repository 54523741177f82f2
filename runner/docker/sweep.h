#ifndef CS_SWEEP_H
#define CS_SWEEP_H

#include "runner/docker/container.h"
#include "runner/docker/docker_api.h"

/* Every container of ours, running or not (label managed=1). */
#define SWEEP_LIST_PATH "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22" \
	LABEL_MANAGED "%3D1%22%5D%7D"

/* Remove containers of ours whose runner is gone (killed with SIGKILL,
 * machine rebooted).  Containers of runners still alive, or of runners in
 * another pid namespace (which we cannot check), are left alone.
 * Returns how many were removed. */
int sweep_orphans(struct docker *d, const struct runner_identity *self);

#endif
