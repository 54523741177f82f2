/* The engine requests about one container of ours, shared by the run, the
 * firewall owner (pod.c), the sweep and doctor's probe, so each is sent one
 * way.  Paths and bodies come from container.h's builders. */
#ifndef CS_CTR_OPS_H
#define CS_CTR_OPS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "runner/docker/docker_api.h"

/* POST /containers/create?name=NAME (NAME NULL: no name) with BODY; the new
 * container's id into ID.  Returns the HTTP status (201 on success), or -1;
 * not 201 always comes with ERR set. */
long ctr_create(struct docker *d, const char *name, const cJSON *body, char *id, size_t idsz,
		struct cs_err *err);
/* POST /containers/ID/start.  0, or -1 with ERR. */
int ctr_start(struct docker *d, const char *id, struct cs_err *err);
/* POST /containers/ID/wait?condition=not-running: its exit status into
 * *CODE (CS_EXIT_FAIL when the engine does not say).  0, or -1 with ERR. */
int ctr_wait(struct docker *d, const char *id, int *code, struct cs_err *err);
/* Stop (SIGTERM, then SIGKILL after the grace: STOP_FIRST) and remove a
 * container of ours, volumes included.  Never aborted by a pending signal:
 * this is the cleanup. */
void ctr_remove(struct docker *d, const char *id, bool stop_first);

#endif
