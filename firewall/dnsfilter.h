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

#include "firewall/dnsf_state.h"   /* struct dnsf_cfg and the limits */
#include "common/error.h"

/* Serve until the parent goes away (returns 0) or a fatal error (-1, ERR). */
int dnsfilter_run(const struct dnsf_cfg *cfg, struct cs_err *err);

#endif
