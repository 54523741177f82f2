#include "firewall/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "common/util.h"

#define RECV_BUF (64 * 1024)
#define ACK_WAIT_MS 2000

int nl_open(struct nl *nl, struct cs_err *err)
{
	int one = 1, rcv = 1 << 20;

	struct mnl_socket *sock cleanup_mnl_socket = mnl_socket_open(NETLINK_NETFILTER);

	memset(nl, 0, sizeof *nl);
	if (!sock)
		return cs_fail(err, errno, "opening a netfilter netlink socket");
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return cs_fail(err, errno, "binding the netfilter netlink socket");
	/* ACKs carry only the header (not our whole message back), plus the
	 * kernel's text when it has one. */
	mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof one);
	mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof one);
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
		setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	nl->portid = mnl_socket_get_portid(sock);
	nl->seq = (uint32_t)time(NULL);
	nl->sock = steal_pointer(&sock);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof *e;
	const char *msg = NULL;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	if (mnl_nlmsg_get_payload_len(nlh) <= off)
		return NULL;
	{
		const struct nlattr *attr;

		mnl_attr_for_each_payload((const void *)((const char *)e + off), mnl_nlmsg_get_payload_len(nlh) - off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				msg = mnl_attr_get_str(attr);
		}
	}
	return msg;
}

int nl_send_batch(struct nl *nl, struct fw_batch *fb, struct cs_err *err)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	int fd = mnl_socket_get_fd(nl->sock), niov = nftnl_batch_iovec_len(fb->b);
	struct iovec *iov cleanup_free = calloc(niov > 0 ? (size_t)niov : 1, sizeof *iov);
	struct msghdr mh = { .msg_name = &snl, .msg_namelen = sizeof snl };
	size_t acks = 0;
	uint32_t bad_seq = 0;
	int bad_errno = 0;
	char *buf cleanup_free = NULL, bad_ext[256] = "";

	if (!iov || !(buf = malloc(RECV_BUF)))
		return cs_fail(err, ENOMEM, "sending the nftables batch");
	nftnl_batch_iovec(fb->b, iov, (uint32_t)niov);
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)niov;
	if (fb->bytes > 200 * 1024) {
		int sz = (int)fb->bytes * 2;

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	}
	nl->seq = fb->seq;
	if (sendmsg(fd, &mh, 0) < 0)
		return cs_fail(err, errno, "sending the nftables batch (%zu bytes) to the kernel", fb->bytes);
	/* The kernel processes the batch inside sendmsg and queues one
	 * NLMSG_ERROR (0 = ACK) per message; collect exactly that many. */
	while (acks < fb->n_msgs) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int pr = poll(&pfd, 1, bad_errno ? 0 : ACK_WAIT_MS);

		if (pr == 0)
			break;
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			return cs_fail(err, errno, "waiting for nftables ACKs");
		}
		n = recv(fd, buf, RECV_BUF, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cs_fail(err, errno, "reading nftables ACKs (%zu of %zu received)", acks,
				       fb->n_msgs);
		}
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, (int)n);
		     nlh = mnl_nlmsg_next(nlh, (int *)&n)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *e))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			acks++;
			if (e->error && (!bad_errno || nlh->nlmsg_seq < bad_seq)) {
				const char *x = extack_msg(nlh);

				bad_errno = -e->error;
				bad_seq = nlh->nlmsg_seq;
				snprintf(bad_ext, sizeof bad_ext, "%s", x ? x : "");
			}
		}
	}
	if (bad_errno) {
		char tmp[64];

		cs_fail(err, bad_errno, "kernel refused %s%s%s",
			fw_batch_label(fb, bad_seq, tmp, sizeof tmp), bad_ext[0] ? " (" : "",
			bad_ext[0] ? bad_ext : "");
		if (bad_ext[0])
			strncat(err->msg, ")", sizeof err->msg - strlen(err->msg) - 1);
		return -1;
	}
	if (acks < fb->n_msgs)
		return cs_fail(err, ETIMEDOUT, "kernel acknowledged %zu of %zu nftables messages", acks,
			       fb->n_msgs);
	return 0;
}

/* ---- dumps --------------------------------------------------------- */

struct dump_ctx {
	const char *set;
	int family;
	nl_blocked_cb blocked;
	nl_elem_cb elem;
	void *ctx;
	bool failed;
};

static int counter_cb(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && strcmp(name, "counter") == 0)
		*(uint64_t *)data = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	return 0;
}

static int elem_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nftnl_set *s cleanup_nftnl_set = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it cleanup_nftnl_set_elems_iter = NULL;
	struct nftnl_set_elem *el;
	int alen = d->family == AF_INET ? 4 : 16;

	if (!s || nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		d->failed = true;
		return MNL_CB_ERROR;
	}
	it = nftnl_set_elems_iter_create(s);
	for (el = it ? nftnl_set_elems_iter_next(it) : NULL; el; el = nftnl_set_elems_iter_next(it)) {
		uint32_t klen = 0;
		const unsigned char *key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);

		if (!key)
			continue;
		if (d->blocked) {
			uint64_t pk = 0;
			uint16_t port;

			if (klen != (uint32_t)alen + 8)
				continue;
			nftnl_set_elem_expr_foreach(el, counter_cb, &pk);
			memcpy(&port, key + alen + 4, 2);
			d->blocked(d->ctx, d->family, key, key[alen], ntohs(port), pk);
		} else if (klen == (uint32_t)alen) {
			uint64_t exp = 0;

			if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_EXPIRATION))
				exp = nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_EXPIRATION);
			d->elem(d->ctx, d->family, key, exp);
		}
	}
	return MNL_CB_OK;
}

static int dump_set(struct nl *nl, const char *table, struct dump_ctx *d, struct cs_err *err)
{
	char *buf cleanup_free = malloc(RECV_BUF);
	struct nftnl_set *s cleanup_nftnl_set = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = nl->seq++;
	int r;

	if (!buf || !s)
		return cs_fail(err, ENOMEM, "dumping set %s", d->set);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, seq);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->set);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return cs_fail(err, errno, "dumping set %s", d->set);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, RECV_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cs_fail(err, errno, "dumping set %s", d->set);
		}
		r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, elem_msg_cb, d);
		if (r < 0)
			return cs_fail(err, d->failed ? EPROTO : errno, "dumping set %s", d->set);
		if (r == MNL_CB_STOP)
			return 0;
	}
}

int nl_dump_blocked(struct nl *nl, const char *table, nl_blocked_cb cb, void *ctx,
		    struct cs_err *err)
{
	struct dump_ctx d4 = { "blocked4", AF_INET, cb, NULL, ctx, false };
	struct dump_ctx d6 = { "blocked6", AF_INET6, cb, NULL, ctx, false };

	if (dump_set(nl, table, &d4, err) < 0 || dump_set(nl, table, &d6, err) < 0)
		return -1;
	return 0;
}

int nl_dump_allow(struct nl *nl, const char *table, const char *set, nl_elem_cb cb, void *ctx,
		  struct cs_err *err)
{
	struct dump_ctx d = { set, strchr(set, '6') ? AF_INET6 : AF_INET, NULL, cb, ctx, false };

	return dump_set(nl, table, &d, err);
}
