/* DNS-rebinding guard: addresses that a *name* may never open.
 *
 * An allowed name that resolves into the host's LAN, loopback, link-local
 * (cloud metadata 169.254.169.254), CGNAT, multicast or the netns's gateway
 * must not make that address reachable, or any allowed (or attacker-run)
 * domain could point the agent at the user's network.  Such addresses are
 * reachable only through an explicit IP/CIDR allowlist entry.  Pure; checked
 * by the DNS child (to strip the answer) and again by the privileged parent
 * before it inserts anything.
 *
 * The host's own addresses (every interface, collected by the runner on
 * the host and passed as --guard-host: this namespace cannot see them) are
 * refused too, so no answer makes a service bound to the host reachable.
 *
 * Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
 * 2001:db8::/32) are deliberately NOT guarded: they are the test suite's
 * "internet" and are never routed on the real one.
 */
#ifndef FW_GUARD_H
#define FW_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#define GUARD_MAX_GW 16
#define GUARD_MAX_HOST 256

struct guard {
	unsigned char gw4[GUARD_MAX_GW][4];
	size_t n4;
	unsigned char gw6[GUARD_MAX_GW][16];
	size_t n6;
	unsigned char host4[GUARD_MAX_HOST][4];
	size_t nh4;
	unsigned char host6[GUARD_MAX_HOST][16];
	size_t nh6;
};

void guard_init(struct guard *g);
/* Record a gateway address (deduplicated; silently ignores more than
 * GUARD_MAX_GW per family). */
void guard_add_gateway(struct guard *g, int family, const unsigned char *addr);
/* Record an address of the host.  Returns 1 when added, 0 when already
 * there, -1 when GUARD_MAX_HOST of FAMILY are held (the caller fails closed). */
int guard_add_host(struct guard *g, int family, const unsigned char *addr);
/* Parse the text of /proc/net/route or /proc/net/ipv6_route and record every
 * gateway of every route (not only the default one).  Returns the number of
 * gateways found, or -1 when the text does not look like that file. */
int guard_parse_route4(struct guard *g, const char *text);
int guard_parse_route6(struct guard *g, const char *text);

/* NULL when ADDR (FAMILY AF_INET/AF_INET6, network order) may be opened by a
 * DNS answer; otherwise a short reason ("private", "loopback", "gateway"...). */
const char *guard_check(const struct guard *g, int family, const unsigned char *addr);

#endif
