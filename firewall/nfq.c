#include "firewall/nfq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#define NFQ_BUF (NFQ_COPY_MAX + 4096)   /* payload plus the message's other attributes */
#define TCP_PROTO 6

/* The rules, in output-chain order (firewall/ruleset.h numbers them). */
static const char rule_text[] =
	"# after dns_only's gotos, before ct state established,related accept:\n"
	"meta mark & 0x00c50000 == 0x00c10000 ct mark set 0x00c10000 accept\n"
	"meta mark & 0x00c50000 == 0x00c40000 ct mark set 0x00c40000 jump record\n"
	"meta mark & 0x00c50000 == 0x00c40000 reject with tcp reset\n"
	"ct direction original ct mark 0x00c40000 meta l4proto tcp reject with tcp reset\n"
	"ct direction original ct mark 0x00c00000 queue num NUM\n"
	"tcp dport { 80, 443 } ct direction original ct state new "
	"ip daddr @allow4 ip daddr != @allow4_net ct mark set 0x00c00000 queue num NUM\n"
	"tcp dport { 80, 443 } ct direction original ct state new "
	"ip6 daddr @allow6 ip6 daddr != @allow6_net ct mark set 0x00c00000 queue num NUM\n";

const char *nfq_rule_text(void)
{
	return rule_text;
}

static struct nlmsghdr *put_hdr(void *buf, uint16_t type, uint16_t flags, uint16_t num, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_QUEUE << 8 | type);
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(num);
	return nlh;
}

size_t nfq_build_verdict(void *buf, size_t bufsz, uint16_t num, uint32_t seq, uint32_t id,
			 uint32_t verdict, bool set_mark, uint32_t mark)
{
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(verdict), .id = htonl(id) };
	struct nlmsghdr *nlh;

	if (bufsz < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)) + 2 * MNL_ATTR_HDRLEN +
			    MNL_ALIGN(sizeof vh) + MNL_ALIGN(4))
		return 0;
	nlh = put_hdr(buf, NFQNL_MSG_VERDICT, 0, num, seq);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof vh, &vh);
	if (set_mark)
		mnl_attr_put_u32(nlh, NFQA_MARK, htonl(mark));
	return nlh->nlmsg_len;
}

/* A config message carrying ATTR (and ATTR2 when LEN2 > 0), sent and
 * ACKed. */
static int config(struct nfq *q, uint16_t attr, const void *data, size_t len, uint16_t attr2,
		  const void *data2, size_t len2, const char *what, struct cs_err *err)
{
	/* zeroed: bookworm's libmnl 1.0.4 leaves an attribute's padding as it
	 * was (the 5-byte params), and the kernel is sent every byte */
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = put_hdr(buf, NFQNL_MSG_CONFIG, NLM_F_ACK, q->num, ++q->seq);
	ssize_t n;

	mnl_attr_put(nlh, attr, len, data);
	if (len2)
		mnl_attr_put(nlh, attr2, len2, data2);
	if (mnl_socket_sendto(q->sock, nlh, nlh->nlmsg_len) < 0)
		return cs_fail(err, errno, "NFQUEUE %u: sending %s", q->num, what);
	n = mnl_socket_recvfrom(q->sock, buf, sizeof buf);
	if (n < 0 || mnl_cb_run(buf, (size_t)n, q->seq, q->portid, NULL, NULL) < 0)
		return cs_fail(err, errno, "NFQUEUE %u: the kernel refused %s", q->num, what);
	return 0;
}

static int configure(struct nfq *q, uint32_t maxlen, struct cs_err *err)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_UNSPEC) };
	struct nfqnl_msg_config_params params = { .copy_range = htonl(NFQ_COPY_MAX),
						  .copy_mode = NFQNL_COPY_PACKET };
	uint32_t ml = htonl(maxlen), flags = htonl(NFQA_CFG_F_GSO),
		 mask = htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN);

	/* FAIL_OPEN is in the mask and not in the flags: explicitly off */
	if (config(q, NFQA_CFG_CMD, &cmd, sizeof cmd, 0, NULL, 0, "bind", err) < 0 ||
	    config(q, NFQA_CFG_PARAMS, &params, sizeof params, 0, NULL, 0, "copy mode", err) < 0 ||
	    config(q, NFQA_CFG_QUEUE_MAXLEN, &ml, sizeof ml, 0, NULL, 0, "queue length", err) < 0 ||
	    config(q, NFQA_CFG_FLAGS, &flags, sizeof flags, NFQA_CFG_MASK, &mask, sizeof mask, "flags",
		   err) < 0)
		return -1;
	return 0;
}

int nfq_open(struct nfq *q, uint16_t num, uint32_t maxlen, struct cs_err *err)
{
	memset(q, 0, sizeof *q);
	q->num = num;
	q->seq = (uint32_t)time(NULL);
	q->bufsz = NFQ_BUF;
	q->buf = malloc(q->bufsz);
	q->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->buf || !q->sock) {
		cs_fail(err, errno ? errno : ENOMEM, "NFQUEUE %u: opening a netfilter netlink socket", num);
		goto fail;
	}
	if (mnl_socket_bind(q->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		cs_fail(err, errno, "NFQUEUE %u: binding the netlink socket", num);
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->sock);
	{
		int one = 1;

		/* a full socket buffer drops packets (fail closed); no ENOBUFS noise */
		mnl_socket_setsockopt(q->sock, NETLINK_NO_ENOBUFS, &one, sizeof one);
	}
	if (configure(q, maxlen, err) < 0)
		goto fail;
	return 0;
fail:
	nfq_close(q);
	return -1;
}

void nfq_close(struct nfq *q)
{
	if (q->sock)
		mnl_socket_close(q->sock);
	free(q->buf);
	q->sock = NULL;
	q->buf = NULL;
}

int nfq_fd(const struct nfq *q)
{
	return mnl_socket_get_fd(q->sock);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NFQA_MAX) < 0)
		return MNL_CB_OK;   /* newer kernels' attributes: not ours */
	tb[type] = a;
	return MNL_CB_OK;
}

int nfq_parse_packet(const struct nlmsghdr *nlh, struct nfq_pkt *p)
{
	const struct nlattr *tb[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;

	memset(p, 0, sizeof *p);
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
	    nlh->nlmsg_type != (NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET))
		return -1;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0)
		return -1;
	if (!tb[NFQA_PACKET_HDR] || mnl_attr_get_payload_len(tb[NFQA_PACKET_HDR]) < sizeof *ph ||
	    !tb[NFQA_PAYLOAD])
		return -1;
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->hw_proto = ntohs(ph->hw_protocol);
	p->hook = ph->hook;
	p->data = mnl_attr_get_payload(tb[NFQA_PAYLOAD]);
	p->len = mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]);
	if (tb[NFQA_MARK] && mnl_attr_get_payload_len(tb[NFQA_MARK]) == 4)
		p->mark = ntohl(mnl_attr_get_u32(tb[NFQA_MARK]));
	if (tb[NFQA_CAP_LEN] && mnl_attr_get_payload_len(tb[NFQA_CAP_LEN]) == 4)
		p->truncated = ntohl(mnl_attr_get_u32(tb[NFQA_CAP_LEN])) > p->len;
	return 0;
}

int nfq_read(struct nfq *q, nfq_pkt_cb cb, void *ctx, struct cs_err *err)
{
	ssize_t n = mnl_socket_recvfrom(q->sock, q->buf, q->bufsz);
	const struct nlmsghdr *nlh;
	int count = 0, left;

	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return cs_fail(err, errno, "NFQUEUE %u: receiving", q->num);
	}
	left = (int)n;
	for (nlh = (const struct nlmsghdr *)q->buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nfq_pkt p;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof *e && e->error)
				return cs_fail(err, -e->error, "NFQUEUE %u: the kernel refused a verdict",
					       q->num);
			continue;
		}
		if (nfq_parse_packet(nlh, &p) < 0)
			continue;
		if (cb(ctx, &p) < 0)
			return cs_fail(err, EPROTO, "NFQUEUE %u: packet %u not handled", q->num, p.id);
		count++;
	}
	return count;
}

int nfq_verdict(struct nfq *q, uint32_t id, uint32_t verdict, bool set_mark, uint32_t mark,
		struct cs_err *err)
{
	char buf[128];
	size_t n = nfq_build_verdict(buf, sizeof buf, q->num, ++q->seq, id, verdict, set_mark, mark);

	if (mnl_socket_sendto(q->sock, buf, n) < 0)
		return cs_fail(err, errno, "NFQUEUE %u: sending the verdict for packet %u", q->num, id);
	return 0;
}

static int parse_tcp(const uint8_t *seg, size_t len, struct nfq_tcp *t)
{
	size_t doff;

	if (len < 20)
		return -1;
	doff = (size_t)(seg[12] >> 4) * 4;
	if (doff < 20 || doff > len)
		return -1;
	t->sport = (uint16_t)(seg[0] << 8 | seg[1]);
	t->dport = (uint16_t)(seg[2] << 8 | seg[3]);
	t->seq = (uint32_t)seg[4] << 24 | (uint32_t)seg[5] << 16 | (uint32_t)seg[6] << 8 | seg[7];
	t->flags = seg[13];
	t->payload = seg + doff;
	t->len = len - doff;
	return 0;
}

int nfq_tcp_parse(const uint8_t *pkt, size_t len, struct nfq_tcp *t)
{
	memset(t, 0, sizeof *t);
	if (len >= 20 && pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 15) * 4, tot = (size_t)(pkt[2] << 8 | pkt[3]);

		/* MF set or a fragment offset: not a whole segment */
		if (ihl < 20 || tot < ihl || tot > len || (pkt[6] & 0x3f) || pkt[7] || pkt[9] != TCP_PROTO)
			return -1;
		t->family = AF_INET;
		memcpy(t->saddr, pkt + 12, 4);
		memcpy(t->daddr, pkt + 16, 4);
		return parse_tcp(pkt + ihl, tot - ihl, t);
	}
	if (len >= 40 && pkt[0] >> 4 == 6) {
		size_t plen = (size_t)(pkt[4] << 8 | pkt[5]);

		/* next header TCP directly; a jumbogram (length 0) is not one */
		if (pkt[6] != TCP_PROTO || plen == 0 || 40 + plen > len)
			return -1;
		t->family = AF_INET6;
		memcpy(t->saddr, pkt + 8, 16);
		memcpy(t->daddr, pkt + 24, 16);
		return parse_tcp(pkt + 40, plen, t);
	}
	return -1;
}
