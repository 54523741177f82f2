/* The judge of a new TCP flow to port 443 or 80 from its first bytes
 * (issue 12 item 4: an opened address serves only its name).
 *
 * The network owner sees the flow's packets until the verdict (NFQUEUE,
 * firewall/nfq.h) and feeds each segment here with its sequence number.
 * Port 443 must start with a TLS ClientHello (firewall/tlshello.h), port 80
 * with an HTTP/1.x request (firewall/httphost.h); the name they carry is
 * allowed when it is on the allowlist (allowlist_match_name: any case,
 * trailing dot, wildcards) AND the firewall learned this address from a DNS
 * answer for that very name (the judge's name_has_addr).  With ECH the outer
 * name is the one judged.
 *
 * Reassembly is deliberately simple and fails closed: bytes must arrive in
 * order from ISN+1; a segment may repeat bytes already seen (a
 * retransmission) only if they are identical; a gap, a byte before ISN+1 or
 * a resent byte that differs refuses the flow, so the bytes judged are the
 * bytes the server reads.  The caller holds every packet of the flow until
 * the verdict (none reaches the server before), at most FLOW_BYTES_MAX of
 * payload.  The first final verdict sticks.
 *
 * Pure and bounded: no I/O, no allocation; a struct flowcheck is about
 * 16.5 KiB (the caller decides where it lives and how many may be pending).
 */
#ifndef FW_FLOWCHECK_H
#define FW_FLOWCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/allowlist.h"
#include "firewall/flowname.h"

#define FLOW_BYTES_MAX 16384     /* payload judged before refusing as too big */

enum flow_verdict { FLOW_NEED_MORE, FLOW_ALLOW, FLOW_REFUSE };
enum flow_kind { FLOW_TLS, FLOW_HTTP };

/* What the firewall knows.  NAME_HAS_ADDR gets a canonical name (lowercase,
 * no trailing dot) that AL allows, and the flow's destination (4 or 16
 * bytes, network order): true when a DNS answer for exactly that name
 * listed that address and the firewall opened it for it. */
struct flow_judge {
	const struct allowlist *al;
	bool (*name_has_addr)(void *ctx, const char *name, int family, const unsigned char *addr);
	void *ctx;
};

struct flowcheck {
	const struct flow_judge *judge;
	enum flow_kind kind;
	int family;                      /* AF_INET / AF_INET6 */
	unsigned char daddr[16];
	uint32_t base;                   /* ISN + 1: sequence number of byte 0 */
	size_t have;                     /* contiguous bytes in buf */
	enum flow_verdict verdict;
	enum flow_reason reason;         /* why, when FLOW_REFUSE */
	bool ech;                        /* the hello offered ECH (name is the outer one) */
	char name[FLOW_NAME_MAX + 1];    /* the name judged, once parsed ("" before) */
	uint8_t buf[FLOW_BYTES_MAX];
};

/* Start judging a flow to DADDR:DPORT (host order) whose SYN carried ISN.
 * Returns 0, or -1 for a port other than 443 and 80 (the verdict is then
 * FLOW_REFUSE with FLOW_R_PORT, so a caller that ignores the -1 still fails
 * closed). */
int flowcheck_init(struct flowcheck *fc, const struct flow_judge *judge, int family,
		   const unsigned char *daddr, uint16_t dport, uint32_t isn);

/* One segment of the client's stream: LEN payload bytes starting at
 * sequence number SEQ (for a SYN that carries data, ISN + 1).  An empty
 * segment changes nothing.  Returns the verdict so far. */
enum flow_verdict flowcheck_feed(struct flowcheck *fc, uint32_t seq, const uint8_t *data,
				 size_t len);

#endif
