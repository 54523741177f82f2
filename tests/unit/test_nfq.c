/* The pure parts of the NFQUEUE plumbing (firewall/nfq.c): packet messages
 * parsed as the kernel sends them, verdicts built as the kernel reads them,
 * the TCP segment found in IPv4/IPv6 packets (and what is refused), and the
 * rule shape that must never fail open. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "tap.h"
#include "firewall/nfq.h"

static uint8_t ip4[60], ip6[80];

static struct nlmsghdr *packet_msg(char *buf, bool with_payload, uint32_t caplen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(77), .hw_protocol = htons(0x0800), .hook = 3 };

	nlh->nlmsg_type = NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->res_id = htons(5);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof ph, &ph);
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x1234));
	mnl_attr_put_u32(nlh, 200, 1);   /* an attribute from a newer kernel */
	if (with_payload)
		mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof ip4, ip4);
	if (caplen)
		mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(caplen));
	return nlh;
}

static void build_ip4(void)
{
	memset(ip4, 0, sizeof ip4);
	ip4[0] = 0x45;
	ip4[3] = sizeof ip4;
	ip4[6] = 0x40;   /* DF */
	ip4[9] = 6;
	memcpy(ip4 + 12, "\x0a\x00\x00\x02\xcb\x00\x71\x0a", 8);
	ip4[20] = 0xc0; ip4[21] = 0x01;          /* sport 49153 */
	ip4[22] = 0x01; ip4[23] = 0xbb;          /* dport 443 */
	memcpy(ip4 + 24, "\x11\x22\x33\x44", 4);
	ip4[32] = 0x50;
	ip4[33] = 0x18;                          /* PSH ACK */
	memcpy(ip4 + 40, "\x16\x03\x01", 3);
}

static void build_ip6(void)
{
	memset(ip6, 0, sizeof ip6);
	ip6[0] = 0x60;
	ip6[5] = 40;
	ip6[6] = 6;
	ip6[24] = 0x20; ip6[25] = 0x01; ip6[39] = 0x10;
	ip6[42] = 0; ip6[43] = 80;
	ip6[52] = 0x60;                         /* 24-byte header: an option */
	ip6[53] = 0x02;                         /* SYN */
	memcpy(ip6 + 64, "GET / HTT", 9);
}

int main(void)
{
	char buf[1024];
	struct nfq_pkt p;
	struct nfq_tcp t;
	struct nlmsghdr *nlh;
	size_t n;

	plan(23);
	build_ip4();
	build_ip6();
	nlh = packet_msg(buf, true, 0);
	ok(nfq_parse_packet(nlh, &p) == 0 && p.id == 77 && p.hw_proto == 0x0800 && p.hook == 3 &&
	   p.mark == 0x1234 && p.len == sizeof ip4 && memcmp(p.data, ip4, sizeof ip4) == 0 && !p.truncated,
	   "packet message: id, protocol, hook, mark and payload");
	nlh = packet_msg(buf, true, 1500);
	ok(nfq_parse_packet(nlh, &p) == 0 && p.truncated, "a capture length over the payload: truncated");
	nlh = packet_msg(buf, false, 0);
	ok(nfq_parse_packet(nlh, &p) < 0, "no payload: not a packet we can judge");
	nlh = packet_msg(buf, true, 0);
	nlh->nlmsg_type = NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_CONFIG;
	ok(nfq_parse_packet(nlh, &p) < 0, "another message type: refused");
	nlh->nlmsg_type = NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET;
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	ok(nfq_parse_packet(nlh, &p) < 0, "a message shorter than its family header: refused");

	n = nfq_build_verdict(buf, sizeof buf, 5, 9, 77, NF_REPEAT, true, NFQ_MARK_OK);
	nlh = (struct nlmsghdr *)buf;
	ok(n == nlh->nlmsg_len && nlh->nlmsg_type == (NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_VERDICT) &&
	   nlh->nlmsg_seq == 9 && (nlh->nlmsg_flags & NLM_F_REQUEST) && !(nlh->nlmsg_flags & NLM_F_ACK),
	   "verdict: header (request, not acked)");
	{
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *a, *vh = NULL, *mark = NULL;

		mnl_attr_for_each(a, nlh, sizeof *g) {
			if (mnl_attr_get_type(a) == NFQA_VERDICT_HDR)
				vh = a;
			if (mnl_attr_get_type(a) == NFQA_MARK)
				mark = a;
		}
		ok(ntohs(g->res_id) == 5 && g->version == NFNETLINK_V0, "verdict: queue number");
		ok(vh && ntohl(((const struct nfqnl_msg_verdict_hdr *)mnl_attr_get_payload(vh))->id) == 77 &&
		   ntohl(((const struct nfqnl_msg_verdict_hdr *)mnl_attr_get_payload(vh))->verdict) == NF_REPEAT,
		   "verdict: packet id and verdict, network order");
		ok(mark && ntohl(mnl_attr_get_u32(mark)) == NFQ_MARK_OK, "verdict: the mark, network order");
	}
	n = nfq_build_verdict(buf, sizeof buf, 5, 10, 78, NF_DROP, false, 0);
	{
		const struct nlattr *a;
		int marks = 0;

		mnl_attr_for_each(a, (struct nlmsghdr *)buf, sizeof(struct nfgenmsg))
			marks += mnl_attr_get_type(a) == NFQA_MARK;
		ok(n > 0 && marks == 0, "a verdict without a mark carries none");
	}
	ok(nfq_build_verdict(buf, 39, 5, 1, 1, NF_DROP, true, 1) == 0 &&
	   nfq_build_verdict(buf, 40, 5, 1, 1, NF_DROP, true, 1) == 40, "a buffer one byte too small: nothing built; exactly big enough: built");
	ok((NFQ_MARK_OK & NFQ_MARK_MASK) == NFQ_MARK_OK && (NFQ_MARK_NO & NFQ_MARK_MASK) == NFQ_MARK_NO &&
	   NFQ_MARK_OK != NFQ_MARK_NO, "the marks are distinct values under the mask");

	ok(nfq_tcp_parse(ip4, sizeof ip4, &t) == 0 && t.family == AF_INET && t.sport == 49153 &&
	   t.dport == 443 && t.seq == 0x11223344 && t.flags == 0x18 && t.len == 20 &&
	   memcmp(t.payload, "\x16\x03\x01", 3) == 0 && memcmp(t.daddr, "\xcb\x00\x71\x0a", 4) == 0,
	   "IPv4: ports, sequence, flags, payload, destination");
	ok(nfq_tcp_parse(ip4, 50, &t) < 0, "IPv4: total length beyond the bytes captured: refused");
	ip4[6] = 0x20;
	ok(nfq_tcp_parse(ip4, sizeof ip4, &t) < 0, "IPv4: more-fragments: refused");
	ip4[6] = 0x40;
	ip4[7] = 1;
	ok(nfq_tcp_parse(ip4, sizeof ip4, &t) < 0, "IPv4: a fragment offset: refused");
	ip4[7] = 0;
	ip4[9] = 17;
	ok(nfq_tcp_parse(ip4, sizeof ip4, &t) < 0, "IPv4: UDP is not a TCP segment");
	ip4[9] = 6;
	ip4[32] = 0xf0;
	ok(nfq_tcp_parse(ip4, sizeof ip4, &t) < 0, "TCP data offset beyond the segment: refused");
	ip4[32] = 0x40;
	ok(nfq_tcp_parse(ip4, sizeof ip4, &t) < 0, "TCP data offset under 20: refused");
	ok(nfq_tcp_parse(ip6, sizeof ip6, &t) == 0 && t.family == AF_INET6 && t.dport == 80 &&
	   t.flags == 0x02 && t.len == 16 && memcmp(t.payload, "GET / HTT", 9) == 0 && t.daddr[15] == 0x10,
	   "IPv6: TCP with options: port, flags, payload after the options");
	ip6[6] = 0;
	ok(nfq_tcp_parse(ip6, sizeof ip6, &t) < 0, "IPv6: an extension header: refused");
	ok(strstr(nfq_rule_text(), "queue num NUM") && !strstr(nfq_rule_text(), "bypass") &&
	   !strstr(nfq_rule_text(), "fanout"), "the rule shape queues without bypass (fail closed)");
	ok(strstr(nfq_rule_text(), "ct direction original ct mark 0x00c40000 meta l4proto tcp reject"),
	   "a refused flow's later packets are reset in the original direction only (the RST itself passes)");
	return tap_done();
}
