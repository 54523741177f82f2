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
	bool eof;
};

/* Create, attach and start the owner; wait for READY. */
int pod_start(struct pod *pod, struct docker *d, const struct sandbox_plan *p,
	      const struct runner_identity *id, const struct rundir *rd, struct cs_err *err);
/* Read what is available on the owner's stream (session extra fd).
 * Returns -1 when the stream ended (the owner died). */
int pod_drain(struct pod *pod);
/* Ask the owner for its summary (SIGTERM), collect it, remove the owner,
 * print what was blocked and write --log-blocked.  Safe to call on an
 * unstarted pod. */
void pod_stop(struct pod *pod, struct docker *d, const struct sandbox_plan *p);

/* The owner's create body (pure; tests). */
cJSON *pod_owner_body(const struct sandbox_plan *p, const struct runner_identity *id,
		      const char *resolv_conf);
/* Append "--guard-host ADDR" to CMD for every address of this host (every
 * interface) that the guard does not already refuse by range.  Returns 0,
 * or -1 with ERR (getifaddrs failed, more than GUARD_MAX_HOST). */
int pod_host_addrs(cJSON *cmd, struct cs_err *err);
/* One line of the owner's stdout (without its newline; only its first 8 KiB
 * count): READY / ERROR / EVENT / SUMMARY update POD, anything
 * else is ignored.  POD needs only a records array (fuzzed). */
void pod_handle_line(struct pod *pod, const char *line, size_t len);
/* Format the human summary of blocked traffic from RECORDS (pure; tests).
 * Returns the number of lines written into OUT. */
int pod_summary_text(const cJSON *records, struct buf *out);

#endif
