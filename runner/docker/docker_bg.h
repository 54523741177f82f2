/* One piece of Engine API work on a thread and a connection of its own, so
 * that it overlaps what the caller does meanwhile: the sandbox is created
 * while the network owner starts, and removed while the owner prints its
 * summary (docs/PERFORMANCE.md).  The work gets its own copy of the
 * engine handle (a second libcurl handle; libcurl handles are not shared
 * between threads) and its own error; it must touch nothing the caller
 * uses until docker_bg_join.  Signals stay with the main thread. */
#ifndef CS_DOCKER_BG_H
#define CS_DOCKER_BG_H

#include <pthread.h>
#include <stdbool.h>

#include "common/error.h"
#include "runner/docker/docker_api.h"

typedef int (*docker_bg_fn)(struct docker *d, void *arg, struct cs_err *err);

struct docker_bg {
	pthread_t th;
	bool started;
	struct docker d;
	docker_bg_fn fn;
	void *arg;
	int rc;
	struct cs_err err;
};

/* Run FN(d, ARG, err) on a thread with a copy of FROM.  NEVER_ABORT: its
 * transfers run to the end even after a signal (teardown).  0, or -1 with
 * ERR (nothing started: the caller may run FN itself). */
int docker_bg_start(struct docker_bg *bg, const struct docker *from, docker_bg_fn fn, void *arg,
		    bool never_abort, struct cs_err *err);
/* Wait for it: FN's result, its error into ERR (when ERR has none yet).
 * 0 when nothing was started; joins once. */
int docker_bg_join(struct docker_bg *bg, struct cs_err *err);

#endif
