/* The DNS child's side of startup: the listening sockets it inherits, the
 * fork, its confinement (an unprivileged uid, no capabilities, its seccomp
 * allowlist: firewall/privsep.h) and the parent's wait for its READY.  What
 * it then serves is firewall/dnsfilter.h. */
#ifndef FW_CHILD_H
#define FW_CHILD_H

#include "firewall/config.h"
#include "firewall/parent.h"
#include "firewall/ruleset.h"
#include "common/error.h"

/* A non-blocking socket of TYPE (SOCK_DGRAM / SOCK_STREAM, listening) bound
 * to L.  Returns the fd, or -1 with ERR (with a hint when the address is in
 * use). */
int fw_listen_socket(const struct fw_upstream *l, int type, struct cs_err *err);

/* Fork the DNS child for CFG on the sockets UDP and TCP (which stay open
 * here: the caller closes its copies).  The child confines itself, reports
 * READY or its startup error over the channel and serves until the parent
 * goes; it never returns.  In the parent: PP's child and priv_fd are set.
 * Returns 0 or -1 with ERR. */
int fw_child_start(struct fw_parent *pp, const struct fw_config *cfg, int udp, int tcp,
		   struct cs_err *err);

/* Wait for the child's READY on PP's channel (or its startup error, which
 * becomes ERR).  Returns 0 or -1 with ERR. */
int fw_child_wait_ready(struct fw_parent *pp, struct cs_err *err);

#endif
