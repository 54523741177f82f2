/* The state of one local run, shared by its steps (steps.c) and its
 * teardown (teardown.c): what was created, so the teardown removes exactly
 * that.  For --dry-run the same struct holds placeholders instead. */
#ifndef CS_RUN_CTX_H
#define CS_RUN_CTX_H

#include <limits.h>
#include <stdbool.h>

#include "common/buf.h"
#include "runner/core/identity.h"
#include "runner/core/plan.h"
#include "runner/core/rundir.h"
#include "runner/core/writeback.h"
#include "runner/docker/docker_api.h"
#include "runner/docker/docker_bg.h"
#include "runner/docker/engine_user.h"
#include "runner/docker/pod.h"
#include "runner/docker/session.h"

struct run_ctx {
	struct docker d;
	struct runner_identity id;
	struct rundir rd;
	struct pod pod;
	struct writeback wb;
	struct sandbox_ids ids;       /* who the sandbox is inside (engine_user.h) */
	struct session s;
	struct buf early;             /* bytes that came with the attach's answer */
	int sock;                     /* the sandbox's hijacked stream */
	int rc;                       /* the command's exit status once reported, else -1 */
	bool console_sized;           /* ConsoleSize sent: no resize race to wait out */
	bool placeholder_existed;     /* an auth.json was where Docker mounts it */
	bool started;
	bool interrupted;             /* a step saw a terminating signal */
	const struct sandbox_plan *plan; /* for the creation's thread (set by sandbox-create) */
	struct docker_bg sb_create;    /* the sandbox's creation, overlapping the owner's start */
	struct docker_bg sb_remove;    /* its removal, overlapping the owner's summary */
	char sandbox_id[80];
	char sandbox_name[160];
	char auth_copy[PATH_MAX + 32];/* private read-only copy (auth_private_copy) */
};

/* Nothing created yet. */
void run_ctx_init(struct run_ctx *c);
/* What only the run knows, as placeholders ("<run-id>", "<run-dir>",
 * "<owner-id>", "<sandbox-id>"); the engine's facts assumed (a rootful
 * engine: P's uid:gid; the newest API we speak). */
void run_ctx_placeholders(struct run_ctx *c, const struct sandbox_plan *p);

#endif
