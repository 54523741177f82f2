/* The DNS filter's side of the channel to the privileged parent
 * (firewall/privsep.h): notes it never waits for, and the inserts it waits
 * for before an answer is released. */
#ifndef FW_DNSF_PARENT_H
#define FW_DNSF_PARENT_H

#include <stddef.h>
#include <stdint.h>

#include "firewall/dns.h"
#include "firewall/dnsf_state.h"

/* FW_OP_UPSTREAM reasons, carried in fw_msg.ttl */
enum { DNSF_WHY_NO_ANSWER = 0, DNSF_WHY_MALFORMED = 1, DNSF_WHY_INSERT = 2, DNSF_WHY_RCODE = 16 };

/* Tell the parent about Q (OP: FW_OP_REFUSED, FW_OP_REBIND with A,
 * FW_OP_UPSTREAM with WHY).  Best effort: never blocks. */
void dnsf_note(struct dnsf_state *st, uint32_t op, const struct dns_query *q, const struct dns_addr *a,
	       uint32_t why);

/* Ask the parent to insert each of the N addresses A (all in one go, then
 * wait for the acks); keep the ones it acked as inserted, in order.
 * Returns the number kept, sets *FAILED to the number not kept. */
size_t dnsf_insert_all(struct dnsf_state *st, const struct dns_query *q, struct dns_addr *a, size_t n,
		       size_t *failed);

#endif
