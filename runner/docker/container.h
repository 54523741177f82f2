/* Pure builders of the Engine API request bodies for our containers, so the
 * exact create bodies are unit-tested without an engine. */
#ifndef CS_CONTAINER_H
#define CS_CONTAINER_H

#include <cjson/cJSON.h>
#include <stdbool.h>

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
	const char *allowed_domains; /* NULL: not mounted */
	const char *resolv_conf;     /* NULL: not mounted */
	const char *auth_override;   /* a private copy instead of the user's file */
	bool auth_override_rw;       /* writeback: Codex may rewrite the copy */
	/* Who the sandbox is inside (engine_user.h); NULL: the plan's uid:gid. */
	const struct sandbox_ids *ids;
	/* The terminal's size for HostConfig.ConsoleSize (API >= 1.42, the
	 * engine sets it before the command starts); 0: not sent. */
	unsigned console_rows, console_cols;
};


/* The Codex (or exec/shell) container.  NETWORK_MODE: "none" or
 * "container:<owner id>". */
cJSON *ctr_sandbox_body(const struct sandbox_plan *p, const struct runner_identity *id,
			const struct ctr_paths *paths, const char *network_mode);
/* Labels object shared by all our containers (ROLE: "sandbox", "firewall"). */
cJSON *ctr_labels(const struct sandbox_plan *p, const struct runner_identity *id, const char *role);

#endif
