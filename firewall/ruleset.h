/* The egress table as one nftables batch (libnftnl), built without a socket:
 * the table and its chains here, the sets in firewall/sets.h, one rule's
 * expressions in firewall/rule.h.
 *
 * table inet codexfw
 *   set allow4, allow6, allow4_net, allow6_net, blocked4, blocked6 (sets.h)
 *   chain record                 regular: add @blockedN { daddr . proto . port counter }
 *   chain dns_reject             regular: jump record; reject icmpx admin-prohibited
 *   chain dns_only               regular: what only the DNS filter may send
 *      a ip daddr LISTEN udp/tcp dport LISTEN-PORT accept   (anyone asks the filter)
 *      b meta skuid DNS-UID ip daddr 127.0.0.11 accept    (port DNATed by Docker)
 *      c per upstream and udp/tcp: meta skuid DNS-UID daddr UP dport PORT accept
 *        [meta skuid EXTRA-UID udp/tcp dport 53 accept, only with --extra-dns-uid]
 *      d goto dns_reject
 *   chain output                 hook output priority 0 policy drop:
 *      1 ip daddr 127.0.0.11 goto dns_only
 *      2 udp/tcp dport 53/853 goto dns_only
 *      3 per upstream and udp/tcp: daddr UP dport PORT goto dns_only
 *        (1-3 come before conntrack: an established flow of the filter must
 *        not carry another uid's packet; every such packet is judged alone)
 *      with flow_check (the first-bytes judge, firewall/parent_nfq.h; marks
 *      in firewall/nfq.h):
 *      FS per family and port 80/443: tcp flags & (syn|ack) == syn (any ct
 *         state) daddr in allow, not in allow_net ct mark set PENDING queue
 *         (a new handshake on an old entry is judged afresh)
 *      F0 ct state established,related ct mark != PENDING ct mark != NO
 *         accept                          (the fast path of every judged flow)
 *      F1 meta mark & MASK == OK ct mark set OK accept   (the judge said yes)
 *      F2 meta mark & MASK == NO ct mark PENDING ct mark set NO jump record
 *      F3 meta mark & MASK == NO ct mark != OK reject with tcp reset
 *         (the judge said no; a late no never overrides an ok)
 *      F4 ct direction original ct mark NO reject with tcp reset
 *      F5 ct direction original ct mark PENDING queue   (still being judged)
 *      F6 per family and port 80/443: ct direction original ct state new
 *         tcp dport P daddr @allowN daddr != @allowN_net
 *         ct mark set PENDING queue       (DNS-learned, not listed: judged)
 *        (F0-F6 before 4: a flow stays queued while established, until the
 *        verdict marks its connection; 4 still passes the resets F3/F4 send,
 *        reply direction, ct mark NO)
 *      4 ct state established,related accept
 *      5 ct state invalid drop
 *      6 oif lo accept
 *      7 icmpv6 type {nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert}
 *        ip6 hoplimit 255 accept; icmpv6 type mld2-listener-report ip6 hoplimit 1
 *        accept   (IPv6 neighbour discovery stays on-link)
 *      Q  per family: udp dport 443 daddr @allowN daddr != @allowN_net
 *         goto dns_reject (QUIC to a DNS-learned address: record, refuse;
 *         clients fall back to TCP, where F6 judges the name)
 *      8 ip daddr @allow4, ip6 daddr @allow6, @allow4_net, @allow6_net accept
 *      9 jump record; meta l4proto tcp reject with tcp reset;
 *        reject with icmpx admin-prohibited
 *
 * Every message asks for an ACK and gets a label (firewall/batch.h).
 */
#ifndef FW_RULESET_H
#define FW_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/allowlist.h"
#include "firewall/batch.h"
#include "common/error.h"

#define FW_TABLE "codexfw"
#define FW_CHECK_TABLE "codexfw_check"
#define FW_QUEUE_NUM 197            /* per network namespace: the owner's own */

struct fw_upstream {
	int family;                  /* AF_INET / AF_INET6 */
	unsigned char addr[16];
	uint16_t port;               /* host order */
};

struct fw_ruleset_cfg {
	const char *table;           /* FW_TABLE, or FW_CHECK_TABLE for `check` */
	const struct allowlist *al;  /* its IP/CIDR entries fill allowN_net */
	uint32_t dns_uid;
	const struct fw_upstream *up;
	size_t n_up;
	const struct fw_upstream *listen; /* the filter's own address: open to every uid */
	uint32_t set_size;           /* size of allow4/allow6 */
	uint32_t blocked_size;       /* size of blocked4/blocked6 */
	uint64_t default_timeout_ms; /* allow4/allow6 default element timeout */
	bool delete_after;           /* append DELTABLE: validate everything, keep nothing */
	bool extra_dns;              /* also let EXTRA_DNS_UID send udp/tcp 53 anywhere */
	uint32_t extra_dns_uid;      /* (Docker's embedded resolver dials from the netns as root) */
	bool flow_check;             /* rules F0-F6 and Q (an opened address serves only its name) */
	uint16_t queue_num;          /* their NFQUEUE (FW_QUEUE_NUM) */
};

/* Append the whole table (reset idiom NEWTABLE, DELTABLE, NEWTABLE, then
 * sets, explicit elements, chains, rules).  Returns 0 or -1 with ERR. */
int ruleset_build(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err);

/* Append NEWTABLE + DELTABLE of TABLE: removes it whether it exists or not. */
int ruleset_delete_table(struct fw_batch *fb, const char *table, struct cs_err *err);

#endif
