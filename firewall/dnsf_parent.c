#include "firewall/dnsf_parent.h"

#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall/dnsf_control.h"
#include "firewall/privsep.h"

void dnsf_note(struct dnsf_state *st, uint32_t op, const struct dns_query *q, const struct dns_addr *a,
	       uint32_t why)
{
	struct fw_msg m;

	memset(&m, 0, sizeof m);
	m.op = op;
	m.seq = st->seq++;
	m.qtype = q->qtype;
	if (q->text[0])
		memcpy(m.name, q->text, strlen(q->text) + 1);
	else
		dns_name_print(&q->qname, m.name, sizeof m.name);
	if (a) {
		m.family = (uint32_t)a->family;
		m.ttl = a->ttl;
		memcpy(m.addr, a->addr, sizeof m.addr);
	} else {
		m.ttl = why;
	}
	/* notes are best effort: never block the resolver on them */
	(void)send(st->cfg->priv_fd, &m, sizeof m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

size_t dnsf_insert_all(struct dnsf_state *st, const struct dns_query *q, struct dns_addr *a, size_t n,
		       size_t *failed)
{
	uint32_t first = st->seq;
	bool ok[DNS_MAX_ADDRS] = { false };
	size_t sent = 0, got = 0, kept = 0;

	*failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct fw_msg m;

		memset(&m, 0, sizeof m);
		m.op = FW_OP_ALLOW;
		m.seq = st->seq++;
		m.family = (uint32_t)a[i].family;
		m.ttl = a[i].ttl;
		m.qtype = q->qtype;
		memcpy(m.addr, a[i].addr, sizeof m.addr);
		memcpy(m.name, q->text, strlen(q->text) + 1);
		if (send(st->cfg->priv_fd, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m)
			break;
		sent++;
	}
	while (got < sent) {
		struct pollfd pfd = { .fd = st->cfg->priv_fd, .events = POLLIN };
		union {
			struct fw_ack ack;
			struct fw_msg m;
		} u;
		struct fw_ack ack;
		ssize_t r;

		if (poll(&pfd, 1, DNSF_ACK_MS) <= 0)
			break;
		r = recv(st->cfg->priv_fd, &u, sizeof u, MSG_TRUNC);
		if (r == (ssize_t)sizeof u.m) {
			dnsf_control_apply(st, &u.m);   /* a list change between the acks */
			continue;
		}
		if (r != (ssize_t)sizeof ack)
			break;
		ack = u.ack;
		if (ack.seq - first < sent) {
			ok[ack.seq - first] = ack.status == FW_ACK_OK;
			got++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (i < sent && ok[i])
			a[kept++] = a[i];
		else
			(*failed)++;
	}
	return kept;
}
