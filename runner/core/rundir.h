/* The run's private directory on the host (XDG_RUNTIME_DIR/codex-sandbox/ID,
 * or /tmp/codex-sandbox-UID/ID, mode 0700): files we bind into the sandbox
 * (passwd/group entries for the sandbox user, the effective allowlist, the
 * resolver config) and the init's status channel.  Removed at the end. */
#ifndef CS_RUNDIR_H
#define CS_RUNDIR_H

#include <limits.h>

#include "runner/core/plan.h"

struct rundir {
	char dir[PATH_MAX];
};

struct runner_identity;

/* Creates the dir and records who owns it (RUNNER file) for the sweep. */
int rundir_create(struct rundir *r, const struct runner_identity *id, const struct sandbox_plan *p,
		  struct cs_err *err);
/* Remove run dirs of ours whose runner is gone (killed with SIGKILL). */
void rundir_sweep(const struct runner_identity *self);
/* Where this user's run dirs are (XDG_RUNTIME_DIR/codex-sandbox or
 * /tmp/codex-sandbox-UID). */
void rundir_base(char *out, size_t outsz);
/* PATH of NAME inside the run dir. */
void rundir_path(const struct rundir *r, const char *name, char *out, size_t outsz);
void rundir_remove(struct rundir *r);
/* Copy SRC to DST (in the run dir) readable only by UID:GID (0400 when we
 * can chown, else 0444 inside the private run dir). */
int rundir_copy_private(const char *src, const char *dst, uid_t uid, gid_t gid,
			struct cs_err *err);
/* The run dir's files the sandbox sees at SANDBOX_ETC_DIR (read-only). */
#define RUNDIR_ETC "etc-codex"
#define RUNDIR_ALLOWED RUNDIR_ETC "/allowed_domains.txt"
#define RUNDIR_BLOCKED RUNDIR_ETC "/blocked.jsonl"
#define STATUS_MAX_BYTES 4096      /* the init writes well under 1200 */
#define RUNDIR_COPY_MAX (1u << 20) /* auth.json copies */

/* Read the init's status file: returns 1 and fills STATUS/MSG when present.
 * A link, FIFO, device or oversized file there is ignored (said on stderr). */
int rundir_read_status(const struct rundir *r, int *status, char *stage, size_t stagesz,
		       char *msg, size_t msgsz, int *errnum);
/* The parser alone (fuzzed): key=value lines, control characters made '?'. */
int rundir_parse_status(const char *text, int *status, char *stage, size_t stagesz, char *msg,
			size_t msgsz, int *errnum);

#endif
