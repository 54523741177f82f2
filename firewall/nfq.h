/* NFQUEUE over netlink with libmnl only (no libnetfilter_queue): the
 * network owner's view of the first packets of new TCP flows to 80/443,
 * for the first-bytes judge (firewall/flowcheck.h).
 *
 * The queue is bound in copy-packet mode, fail closed (no FAIL_OPEN: a full
 * queue drops, the client retransmits), with GSO packets passed whole.
 * Verdicts are not ACKed (a kernel error comes back as an NLMSG_ERROR that
 * nfq_read reports).  The pure parts (nfq_parse_packet, nfq_build_verdict,
 * nfq_tcp_parse, nfq_rule_text) need no socket and are unit-tested.
 *
 * The rules that feed the queue and turn a verdict into a connection mark
 * are described by nfq_rule_text(); the verdicts mean:
 *   nfq_verdict(.., NF_ACCEPT, no mark)       a packet that needs no judging
 *                                             (SYN, pure ACK): it leaves the
 *                                             chain accepted;
 *   nfq_verdict(.., NF_REPEAT, NFQ_MARK_OK)   allowed: the chain sees the
 *                                             packet again with the mark, sets
 *                                             ct mark OK, and the flow's later
 *                                             packets never reach the queue;
 *   nfq_verdict(.., NF_REPEAT, NFQ_MARK_NO)   refused: the chain records it
 *                                             and resets the flow;
 *   nfq_verdict(.., NF_DROP, no mark)         a held packet of a refused flow.
 */
#ifndef FW_NFQ_H
#define FW_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct mnl_socket;
struct nlmsghdr;

#define NFQ_COPY_MAX 0xffff         /* a whole GSO packet's payload */
#define NFQ_MARK_MASK 0x00c50000u   /* the two bits of the packet/ct mark we own */
#define NFQ_MARK_OK 0x00c10000u
#define NFQ_MARK_NO 0x00c40000u
#define NFQ_CT_PENDING 0x00c00000u  /* ct mark of a flow queued until its verdict */

struct nfq {
	struct mnl_socket *sock;
	uint32_t portid;
	uint16_t num;
	uint32_t seq;
	uint8_t *buf;                  /* one datagram from the kernel */
	size_t bufsz;
};

/* One queued packet; DATA points into the datagram nfq_read received. */
struct nfq_pkt {
	uint32_t id;                   /* for the verdict */
	uint16_t hw_proto;             /* ETH_P_IP / ETH_P_IPV6, host order */
	uint8_t hook;
	uint32_t mark;
	const uint8_t *data;           /* the IP packet */
	size_t len;
	bool truncated;                /* NFQA_CAP_LEN said the packet was longer */
};

/* The TCP segment in an IP packet. */
struct nfq_tcp {
	int family;                    /* AF_INET / AF_INET6 */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;         /* host order */
	uint32_t seq;
	uint8_t flags;                 /* TH_SYN, TH_ACK, TH_FIN, TH_RST ... */
	const uint8_t *payload;
	size_t len;
};

/* Open a netfilter netlink socket and bind queue NUM: copy-packet mode up
 * to NFQ_COPY_MAX, at most MAXLEN packets waiting (held ones included), GSO
 * whole.  Needs CAP_NET_ADMIN.  Returns 0 or -1 with ERR. */
int nfq_open(struct nfq *q, uint16_t num, uint32_t maxlen, struct cs_err *err);
void nfq_close(struct nfq *q);
int nfq_fd(const struct nfq *q);

/* Called for each packet of a datagram; a negative return stops nfq_read. */
typedef int (*nfq_pkt_cb)(void *ctx, const struct nfq_pkt *p);

/* Receive one datagram (the socket may be non-blocking) and call CB for each
 * packet in it.  Returns the number of packets, 0 when nothing was waiting
 * (EAGAIN), or -1 with ERR (a kernel error about an earlier verdict, or the
 * callback's refusal). */
int nfq_read(struct nfq *q, nfq_pkt_cb cb, void *ctx, struct cs_err *err);

/* Send a verdict for packet ID; with SET_MARK the packet's mark becomes
 * MARK.  Returns 0 or -1 with ERR. */
int nfq_verdict(struct nfq *q, uint32_t id, uint32_t verdict, bool set_mark, uint32_t mark,
		struct cs_err *err);

/* Pure: one NFQNL_MSG_PACKET message into P.  Returns 0, or -1 when it is
 * not a packet message or lacks the header or payload. */
int nfq_parse_packet(const struct nlmsghdr *nlh, struct nfq_pkt *p);

/* Pure: a verdict message for queue NUM into BUF.  Returns its length, or 0
 * when BUFSZ is too small. */
size_t nfq_build_verdict(void *buf, size_t bufsz, uint16_t num, uint32_t seq, uint32_t id,
			 uint32_t verdict, bool set_mark, uint32_t mark);

/* Pure: the TCP segment in an IPv4/IPv6 packet.  Refuses (-1) fragments,
 * IPv6 extension headers, options or lengths that do not add up, and
 * anything not TCP: the caller drops such a packet (fail closed). */
int nfq_tcp_parse(const uint8_t *pkt, size_t len, struct nfq_tcp *t);

/* The rules the output chain needs for queue NUM, in nft syntax, one per
 * line, in chain order, for the ruleset's author (see the .c file). */
const char *nfq_rule_text(void);

#endif
