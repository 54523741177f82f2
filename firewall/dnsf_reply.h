/* The DNS filter's replies to its clients: UDP datagrams, and framed TCP
 * messages on the client connections it holds (one query at a time each). */
#ifndef FW_DNSF_REPLY_H
#define FW_DNSF_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "firewall/dns.h"
#include "firewall/dnsf_state.h"

/* Close client connection I and clear its slot. */
void dnsf_conn_close(struct dnsf_state *st, int i);
/* Send what connection I still owes; when done it waits for the next query. */
void dnsf_conn_flush(struct dnsf_state *st, int i);

/* Reply RCODE to Q for client CL, with the answer A (NULL: none), sized for
 * what the client can take (TC set when it does not fit). */
void dnsf_reply(struct dnsf_state *st, const struct dnsf_client *cl, const struct dns_query *q,
		int rcode, const struct dns_answer *a);
/* NXDOMAIN for a name the allowlist refuses; with an Extended DNS Error
 * (firewall/dns_ede.h: Blocked, the allow command) when Q had EDNS, cut to
 * the client's size. */
void dnsf_reply_blocked(struct dnsf_state *st, const struct dnsf_client *cl, const struct dns_query *q);
/* FORMERR with only a header (Q's id and flags): for queries we cannot parse. */
void dnsf_reply_formerr(struct dnsf_state *st, const struct dnsf_client *cl, const struct dns_query *q);

#endif
