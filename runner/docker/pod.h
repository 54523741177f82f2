/* The pod's network owner: a codex-firewall container that owns the network
 * namespace, loads the ruleset and runs the DNS filter.  The sandbox joins
 * its namespace (NetworkMode container:<owner>) only after the owner said
 * READY; if it says ERROR, dies, or stays silent, nothing starts (fail
 * closed).  Its stdout is our channel: READY / ERROR / EVENT / SUMMARY / BYE
 * lines (firewall/README.md). */
#ifndef CS_POD_H
#define CS_POD_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "common/buf.h"
#include "runner/docker/blocked_log.h"
#include "runner/docker/container.h"
#include "runner/docker/docker_api.h"
#include "runner/docker/mux.h"
#include "runner/core/plan.h"
#include "runner/core/rundir.h"

#define POD_READY_TIMEOUT_MS 20000
#define POD_MAX_RECORDS 4096

struct pod {
	char owner_id[80];
	char owner_name[160];
	int sock;
	struct mux mux;
	struct buf line;          /* current stdout line */
	struct buf err_tail;      /* last bytes of its stderr, for error messages */
	bool ready;
	bool failed;
	char error[1024];         /* its ERROR line */
	double ready_ms;          /* its own setup time */
	cJSON *records;           /* EVENT and SUMMARY objects, bounded */
	/* each kind bounded on its own (POD_MAX_RECORDS each): a long run's
	 * EVENT lines never crowd out the end-of-run SUMMARY */
	size_t n_events, n_summaries;
	struct blocked_log blog;  /* RUNDIR_BLOCKED, written live from the EVENTs */
	bool eof;
};

/* The owner's life, one engine request a step (the run's step table):
 * init, create, attach (hijacked, before start: no line is lost), start
 * and wait for READY; at the end ask for its summary and finish. */
void pod_init(struct pod *pod);
int pod_create(struct pod *pod, struct docker *d, const struct sandbox_plan *p,
	       const struct runner_identity *id, struct cs_err *err);
int pod_attach(struct pod *pod, struct docker *d, struct cs_err *err);
int pod_start(struct pod *pod, struct docker *d, const struct sandbox_plan *p, struct cs_err *err);
/* Start appending the owner's EVENTs to PATH (RUNDIR_BLOCKED) as they come,
 * naming SANDBOX_ID in the allow commands.  0 or -1 with ERR. */
int pod_open_blocked_log(struct pod *pod, const char *path, const char *sandbox_id,
			 struct cs_err *err);
/* Read what is available on the owner's stream (session extra fd).
 * Returns -1 when the stream ended (the owner died). */
int pod_drain(struct pod *pod);
/* A ready owner: SIGTERM, and collect the SUMMARY lines it prints. */
void pod_ask_summary(struct pod *pod, struct docker *d);
/* Remove the owner, print what was blocked, write --log-blocked, free.
 * Safe on a pod that was only initialised. */
void pod_finish(struct pod *pod, struct docker *d, const struct sandbox_plan *p);

/* The owner's create body (pure; tests), and with the host's addresses
 * added (pod_host_addrs): what pod_create sends.  NULL with ERR. */
cJSON *pod_owner_body(const struct sandbox_plan *p, const struct runner_identity *id);
cJSON *pod_create_body(const struct sandbox_plan *p, const struct runner_identity *id,
		       struct cs_err *err);
void pod_owner_name(const struct sandbox_plan *p, const struct runner_identity *id, char *out,
		    size_t outsz);
/* doctor's probe: `codex-firewall check` with exactly the owner's
 * privileges, no network. */
cJSON *pod_check_body(const char *image, const struct runner_identity *id);
/* Append "--guard-host ADDR" to CMD for every address of this host (every
 * interface) that the guard does not already refuse by range.  Returns 0,
 * or -1 with ERR (getifaddrs failed, more than GUARD_MAX_HOST). */
int pod_host_addrs(cJSON *cmd, struct cs_err *err);
/* One line of the owner's stdout (without its newline; only its first 8 KiB
 * count): READY / ERROR / EVENT / SUMMARY update POD (an EVENT also goes to
 * the blocked log when one is open), anything else is ignored.  POD needs only a records array (fuzzed). */
void pod_handle_line(struct pod *pod, const char *line, size_t len);
/* Format the human summary of blocked traffic from RECORDS (pure; tests).
 * Returns the number of lines written into OUT. */
int pod_summary_text(const cJSON *records, struct buf *out);

#endif
