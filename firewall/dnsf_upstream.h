/* The DNS filter's upstream side: a query of an allowed name goes out as a
 * fresh query (new random id, the question only) on one of a few shared UDP
 * sockets, each connected to its upstream (the kernel drops datagrams from
 * anyone else and reports a dead upstream as ECONNREFUSED).  An answer
 * counts only when its id is that of a query waiting on the same socket and
 * its question is that query's (dns_parse_answer); anything else is
 * dropped and the query keeps waiting.  Ids are unique per socket, and a
 * socket takes DNSF_UPSOCK_USES queries before it is replaced by a fresh one
 * (a fresh random port).  A truncated answer is asked again over TCP on a
 * socket of the query's own.  The answer is then checked (guard), inserted
 * (parent), released to the client and remembered (cache). */
#ifndef FW_DNSF_UPSTREAM_H
#define FW_DNSF_UPSTREAM_H

#include "firewall/dnsf_state.h"

/* Send P (its query and client filled in) to the next upstream, or answer
 * SERVFAIL when every try is used up. */
void dnsf_attempt(struct dnsf_state *st, struct dnsf_pending *p);

/* Shared socket S is readable (or failed): match what arrived. */
void dnsf_upsock_input(struct dnsf_state *st, int s);

/* P's own TCP socket is ready as REVENTS says. */
void dnsf_upstream_tcp_io(struct dnsf_state *st, struct dnsf_pending *p, short revents);

/* Give up P: its client gets nothing more, its sockets are let go. */
void dnsf_release(struct dnsf_state *st, struct dnsf_pending *p);

#endif
