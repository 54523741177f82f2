/* The DNS filter's state, shared by its parts: the loop (dnsfilter.c), the
 * replies to clients (dnsf_reply), the upstream side (dnsf_upstream) and the
 * channel to the parent (dnsf_parent).  All of it lives in one allocation,
 * sized at start: nothing grows with the traffic but the bounded cache. */
#ifndef FW_DNSF_STATE_H
#define FW_DNSF_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "firewall/allowlist.h"
#include "firewall/dns.h"
#include "firewall/dnscache.h"
#include "firewall/guard.h"
#include "firewall/ruleset.h"

/* What the parent hands the filter (firewall/dnsfilter.h runs it). */
#define DNSF_MAX_PENDING 128     /* queries in flight upstream */
#define DNSF_MAX_TCP 32          /* client TCP connections */
#define DNSF_TRY_MS 1500         /* per upstream attempt */
#define DNSF_TCP_IDLE_MS 10000   /* client TCP connection idle limit */
#define DNSF_ACK_MS 2000         /* waiting for the parent's insert */

struct dnsf_cfg {
	struct allowlist *al;        /* changed only by the parent's FW_OP_CTL_* (dnsf_control) */
	const struct guard *guard;
	const struct fw_upstream *up;
	size_t n_up;
	int udp_fd, tcp_fd;          /* bound, listening, non-blocking */
	int priv_fd;                 /* socketpair to the parent */
	uint32_t ttl_cap;            /* TTL cap in answers to clients */
	uint32_t max_addrs;          /* addresses kept per answer */
	bool cache_off;              /* tests of the forwarding path: every query goes upstream */
	const char *sandbox_id;      /* named in refusals' EDE text; "" unknown */
};

#define DNSF_TCP_MSG_MAX (2 + DNS_TCP_MAX)
#define DNSF_UPSOCKS 8               /* shared upstream UDP sockets */
#define DNSF_UPSOCK_USES 64          /* queries per socket, then a fresh one (a fresh port) */

struct dnsf_client {
	bool tcp;
	struct sockaddr_storage sa;  /* UDP: where to answer */
	socklen_t salen;
	int conn;                    /* TCP: index into conns */
	uint32_t gen;                /* TCP: the connection's generation */
};

struct dnsf_pending {
	bool used;
	int sock;                    /* UDP: index into the shared sockets, -1 if none */
	int fd;                      /* TCP (after a TC answer): its own socket */
	bool tcp;
	bool connected;
	uint8_t qbuf[DNS_UDP_MAX_EDNS]; /* the client's query: q points into it */
	struct dns_query q;
	struct dnsf_client c;
	uint16_t up_id;
	size_t first_up;
	int tries;
	int64_t deadline;
	uint8_t out[2 + DNS_HDR + DNS_NAME_MAX + 4 + 11];
	size_t out_len, out_off;
	uint8_t *in;                 /* TCP answer, DNSF_TCP_MSG_MAX */
	size_t in_len;
};

struct dnsf_conn {
	int fd;
	uint32_t gen;
	uint8_t in[2 + DNS_UDP_MAX_EDNS];
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_off;
	bool busy;                   /* a query of this connection is in flight */
	int64_t deadline;
};

/* A connected UDP socket to one upstream, shared by the queries sent on it. */
struct dnsf_upsock {
	int fd;                      /* -1: the slot is free */
	size_t up;                   /* index into cfg->up */
	uint32_t uses;               /* queries sent on it */
	uint32_t inflight;           /* pending queries waiting on it */
	bool retired;                /* no new queries; closed when INFLIGHT is 0 */
};

struct dnsf_state {
	const struct dnsf_cfg *cfg;
	struct dnsf_pending p[DNSF_MAX_PENDING];
	struct dnsf_conn c[DNSF_MAX_TCP];
	struct dnsf_upsock us[DNSF_UPSOCKS];
	struct dnscache cache;
	uint32_t seq, gen;
	size_t next_up;
	struct dns_answer ans;
	uint8_t buf[DNSF_TCP_MSG_MAX];
	uint8_t rnd[64];
	size_t rnd_left;
};

/* A state for CFG with every socket slot empty; NULL on ENOMEM. */
struct dnsf_state *dnsf_state_new(const struct dnsf_cfg *cfg);
/* Close everything still open and free ST. */
void dnsf_state_free(struct dnsf_state *st);

int64_t dnsf_now_ms(void);
/* 16 unpredictable bits (getrandom, buffered). */
uint16_t dnsf_rand16(struct dnsf_state *st);

#endif
