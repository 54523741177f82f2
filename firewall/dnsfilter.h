/* The DNS filter: runs in the unprivileged, seccomp-confined child.
 *
 * Serves UDP and TCP on the listening sockets it is handed.  Names not on
 * the allowlist get NXDOMAIN at once and are never forwarded.  Allowed A and
 * AAAA queries are re-issued upstream as a fresh query (new id, question
 * only, EDNS 1232; TCP when the UDP answer is truncated); the answer's CNAME
 * chain is followed from the question name, guarded addresses are dropped
 * (FW_OP_REBIND), the rest are sent to the privileged parent one FW_OP_ALLOW
 * each and only after the parent has acked them is the answer - rebuilt to
 * hold exactly the chain and the inserted addresses - released to the client.
 * Released answers are kept in a cache (firewall/dnscache.h) and served
 * from it, without the upstream or the parent, until their TTL runs out.
 * Upstream queries share a few connected UDP sockets (firewall/dnsf_upstream.h):
 * answers are matched by id and question, each socket is replaced after a
 * few dozen queries so the source port keeps changing.
 * HTTPS/SVCB and every other type of an allowed name get NODATA (their hints
 * would bypass insertion).  Upstream timeout/failure gives SERVFAIL, except
 * that an AAAA the upstream answers REFUSED or NOTIMP gets NODATA (musl's
 * getaddrinfo would otherwise fail the name even though its A works).
 */
#ifndef FW_DNSFILTER_H
#define FW_DNSFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/allowlist.h"
#include "firewall/guard.h"
#include "firewall/ruleset.h"
#include "common/error.h"

#define DNSF_MAX_PENDING 128     /* queries in flight upstream */
#define DNSF_MAX_TCP 32          /* client TCP connections */
#define DNSF_TRY_MS 1500         /* per upstream attempt */
#define DNSF_TCP_IDLE_MS 10000   /* client TCP connection idle limit */
#define DNSF_ACK_MS 2000         /* waiting for the parent's insert */

struct dnsf_cfg {
	const struct allowlist *al;
	const struct guard *guard;
	const struct fw_upstream *up;
	size_t n_up;
	int udp_fd, tcp_fd;          /* bound, listening, non-blocking */
	int priv_fd;                 /* socketpair to the parent */
	uint32_t ttl_cap;            /* TTL cap in answers to clients */
	uint32_t max_addrs;          /* addresses kept per answer */
	bool cache_off;              /* tests of the forwarding path: every query goes upstream */
};

/* Serve until the parent goes away (returns 0) or a fatal error (-1, ERR). */
int dnsfilter_run(const struct dnsf_cfg *cfg, struct cs_err *err);

#endif
