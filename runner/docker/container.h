/* Pure builders of the Engine API requests for our containers (bodies and
 * paths), so the exact create bodies are unit-tested without an engine and
 * the dry run prints what the run sends.  Every container of ours (the
 * sandbox, its firewall owner, doctor's probe) starts from ctr_base_body. */
#ifndef CS_CONTAINER_H
#define CS_CONTAINER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "runner/core/identity.h"
#include "runner/core/plan.h"

#define LABEL_PREFIX "org.codex-sandbox."
#define LABEL_MANAGED LABEL_PREFIX "managed"

/* Who created a container: lets a later run tell a live sandbox from one a
 * killed runner left behind (pid + its start time, boot id, pid namespace). */
struct sandbox_ids;

struct ctr_paths {
	const char *passwd;          /* host files from the run dir */
	const char *group;
	const char *status_dir;
	const char *etc_dir;         /* bound at SANDBOX_ETC_DIR; NULL: not mounted */
	const char *resolv_conf;     /* NULL: not mounted */
	const char *auth_override;   /* a private copy instead of the user's file */
	bool auth_override_rw;       /* writeback: Codex may rewrite the copy */
	/* Who the sandbox is inside (engine_user.h); NULL: the plan's uid:gid. */
	const struct sandbox_ids *ids;
	/* The terminal's size for HostConfig.ConsoleSize (API >= 1.42, the
	 * engine sets it before the command starts); 0: not sent. */
	unsigned console_rows, console_cols;
};

/* What every container of ours has: no capability but CAP_ADD, no new
 * privileges, a read-only root, a pids limit, our labels. */
struct ctr_base {
	const char *image;
	const char *user;              /* "uid:gid" */
	const char *role;              /* label: "sandbox", "firewall", "doctor" */
	const char *network_mode;
	const char *const *cap_add;    /* NULL-terminated; NULL: none */
	int pids_limit;
};
/* P may be NULL (doctor): no workdir label. */
cJSON *ctr_base_body(const struct sandbox_plan *p, const struct runner_identity *id,
		     const struct ctr_base *base);

/* The Codex (or exec/shell) container.  NETWORK_MODE: "none" or
 * "container:<owner id>". */
cJSON *ctr_sandbox_body(const struct sandbox_plan *p, const struct runner_identity *id,
			const struct ctr_paths *paths, const char *network_mode);
/* Labels object shared by all our containers (ROLE: "sandbox", "firewall"). */
cJSON *ctr_labels(const struct sandbox_plan *p, const struct runner_identity *id, const char *role);

/* Request paths (without the API version prefix).  0, or -1 when OUT is
 * too small.  TAIL: one of the CTR_* below or ctr_attach_tail's. */
int ctr_path(char *out, size_t outsz, const char *id, const char *tail);
int ctr_create_path(char *out, size_t outsz, const char *name);
/* The hijacked attach; DETACH_KEYS: a sequence no one types by accident
 * (the sandbox, with a TTY, must not be detached by Docker's ctrl-p ctrl-q). */
void ctr_attach_tail(char *out, size_t outsz, bool attach_stdin, bool detach_keys);
#define CTR_START "/start"
#define CTR_WAIT "/wait?condition=not-running"
#define CTR_STOP "/stop?t=3"
#define CTR_REMOVE "?force=1&v=1"
#define CTR_KILL_TERM "/kill?signal=SIGTERM"
#define CTR_LOGS "/logs?stdout=1&stderr=1"

#endif
