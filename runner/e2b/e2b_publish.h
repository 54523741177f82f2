/* --publish PORT[:HOSTPORT] on E2B: the user opens the same local URL as
 * with the local backend.  The sandbox is created with public traffic off
 * (network.allowPublicTraffic false: its ports answer only requests that
 * carry its trafficAccessToken in the e2b-traffic-access-token header), and
 * a forwarder process listens on 127.0.0.1:HOSTPORT (loopback only) and
 * sends each connection to the sandbox's PORT through E2B's per-port host
 * (https://PORT-ID.DOMAIN, or E2B_SANDBOX_URL with the E2b-Sandbox-Id/-Port
 * headers: docs/E2B-PROTOCOL.md 2.1), the token added to the request head.
 *
 * Fail closed and bounded: the ports are bound before the sandbox exists (in
 * use: exit 125, nothing created); at most PUBLISH_CONNS connections at once
 * (one process each), a request head of at most PUBLISH_HEAD_MAX bytes; one
 * request per connection (Connection: close), so no request ever reaches the
 * sandbox without the token; the forwarder dies with the runner
 * (PR_SET_PDEATHSIG) and is stopped at the end of the session. */
#ifndef CS_E2B_PUBLISH_H
#define CS_E2B_PUBLISH_H

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/strv.h"
#include "runner/e2b/e2b_http.h"

#define PUBLISH_MAX 32
#define PUBLISH_CONNS 32
#define PUBLISH_HEAD_MAX (32u << 10)

struct e2b_publish {
	size_t n;
	int port[PUBLISH_MAX];        /* the sandbox's */
	int host_port[PUBLISH_MAX];   /* on 127.0.0.1 */
	int fd[PUBLISH_MAX];          /* listening; -1 when closed */
	pid_t pid;                    /* the forwarder, 0 when none */
};

/* Bind 127.0.0.1:HOSTPORT for each "PORT:HOSTPORT" of PUBLISH. */
int e2b_publish_bind(struct e2b_publish *pub, const struct strv *publish, struct cs_err *err);
/* The forwarder for sandbox SB (its traffic token required). */
int e2b_publish_start(struct e2b_publish *pub, const struct e2b_cfg *cfg,
		      const struct e2b_sandbox *sb, struct cs_err *err);
/* Stop the forwarder, close the sockets.  Safe on a zeroed or stopped one. */
void e2b_publish_stop(struct e2b_publish *pub);
/* The upstream base URL for PORT of sandbox SB (caller frees). */
char *e2b_publish_url(const struct e2b_cfg *cfg, const char *id, const char *domain, int port);
/* Rewrite the request head HEAD (LEN bytes, ending in an empty line) for the
 * sandbox: Host set to HOST, Connection: close unless it upgrades, the
 * e2b-* headers the client sent dropped, ours added.  A fresh string, or
 * NULL when HEAD is not a request head. */
char *e2b_publish_head(const char *head, size_t len, const char *host, const char *id, int port,
		       const char *token);
/* --dry-run: what the forwarder does (no token). */
cJSON *e2b_publish_describe(const struct e2b_cfg *cfg, const struct strv *publish);

#endif
