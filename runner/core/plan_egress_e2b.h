/* The egress allowlist mapped onto E2B's network rules, pure (no I/O).
 *
 * Locally the allowlist is enforced by our own firewall: default deny for
 * IPv4 and IPv6, a DNS filter that only resolves allowed names, every
 * protocol and port to the addresses those names resolve to, blocked
 * connections reset at once and reported.  E2B enforces the same list with
 * its own machinery (`network.allowOut` + `denyOut: ["0.0.0.0/0"]`,
 * docs/E2B-PROTOCOL.md 1.5, and e2b-dev/infra's tcpfirewall):
 *
 *   entry                 allowOut            what differs
 *   api.example.com       "api.example.com"   matched on the HTTP Host header
 *                                             (port 80) and TLS SNI (443) only
 *   *.example.com         "*.example.com"     same; like ours, subdomains only
 *   203.0.113.7           "203.0.113.7"       nothing (all ports, all protocols)
 *   203.0.113.0/24        "203.0.113.0/24"    nothing
 *   10.1.2.3, 10.0.0.0/8  -- refused --       E2B always blocks private and
 *   (private/local IPv4)                      local ranges, even when listed
 *   2001:db8::1, ::/x     -- refused --       E2B's egress rules are IPv4 only
 *
 * and, as soon as any name is allowed, E2B opens a public resolver
 * (8.8.8.8) to the sandbox: DNS is not filtered.  Differences that make the
 * guarantee weaker (the open resolver, blocked connections not reported)
 * are listed in `weaker`; --strict-egress refuses them.  Differences that
 * only narrow what works (ports other than 80/443 to allowed names) are in
 * `narrower`.  An entry E2B cannot express at all is always refused, never
 * dropped. */
#ifndef CS_PLAN_EGRESS_E2B_H
#define CS_PLAN_EGRESS_E2B_H

#include <stdbool.h>

#include "firewall/allowlist.h"
#include "runner/core/cli.h"
#include "common/error.h"

struct e2b_egress {
	struct strv allow_out;   /* network.allowOut */
	struct strv deny_out;    /* network.denyOut: always "0.0.0.0/0" */
	struct strv weaker;      /* guarantees E2B does not give (strict: refused) */
	struct strv narrower;    /* what works locally but not on E2B */
	bool has_domains;
};

/* E2B's always-denied IPv4 ranges (e2b-dev/infra, shared/pkg/sandbox-network
 * DeniedSandboxCIDRs).  NULL-terminated. */
extern const char *const e2b_denied_cidrs[];

/* Map AL.  Returns 0, or -1 with ERR naming the entry (or, with STRICT,
 * every weaker guarantee) and the fix.  EG must be zeroed; free it with
 * e2b_egress_free even on failure. */
int e2b_egress_map(const struct allowlist *al, bool strict, struct e2b_egress *eg,
		   struct cs_err *err);
void e2b_egress_free(struct e2b_egress *eg);
/* The notice printed once before the run (caller frees); NULL when E2B
 * enforces exactly what the local firewall would. */
char *e2b_egress_notice(const struct e2b_egress *eg);

#endif
