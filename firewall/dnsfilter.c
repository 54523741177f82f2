#include "firewall/dnsfilter.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firewall/dns.h"
#include "firewall/dnscache.h"
#include "firewall/dnsf_control.h"
#include "firewall/dnsf_parent.h"
#include "firewall/dnsf_reply.h"
#include "firewall/dnsf_state.h"
#include "firewall/dnsf_upstream.h"
#include "firewall/privsep.h"

/* ---- queries ------------------------------------------------------------ */

/* Too large to hold: FORMERR from the header alone (if it is a query). */
static void too_large(struct dnsf_state *st, const struct dnsf_client *cl, const uint8_t *msg,
		      size_t len)
{
	struct dns_query q;

	if (len < DNS_HDR)
		return;
	memset(&q, 0, sizeof q);
	q.id = (uint16_t)(msg[0] << 8 | msg[1]);
	q.flags = (uint16_t)(msg[2] << 8 | msg[3]);
	if (!(q.flags & DNS_F_QR))
		dnsf_reply_formerr(st, cl, &q);
}

/* Hand an allowed A/AAAA query to the upstream side; SERVFAIL at once when
 * DNSF_MAX_PENDING are already in flight. */
static void forward(struct dnsf_state *st, const struct dnsf_client *cl, const struct dns_query *q,
		    const uint8_t *msg, size_t len)
{
	struct dnsf_pending *p = NULL;

	for (size_t i = 0; i < DNSF_MAX_PENDING && !p; i++)
		if (!st->p[i].used)
			p = &st->p[i];
	if (!p) {
		dnsf_reply(st, cl, q, DNS_R_SERVFAIL, NULL);
		return;
	}
	memset(p, 0, sizeof *p);
	p->used = true;
	p->fd = p->sock = -1;
	memcpy(p->qbuf, msg, len);
	dns_parse_query(p->qbuf, len, &p->q);   /* re-point into our copy */
	p->c = *cl;
	p->first_up = st->next_up++ % st->cfg->n_up;
	dnsf_attempt(st, p);
}

static void handle_query(struct dnsf_state *st, const struct dnsf_client *cl, const uint8_t *msg,
			 size_t len)
{
	struct dns_query q;
	int r;

	if (len > sizeof st->p[0].qbuf) {
		too_large(st, cl, msg, len);
		return;
	}
	r = dns_parse_query(msg, len, &q);
	if (r == DNS_E_SHORT || r == DNS_E_MISMATCH)
		return;                 /* nothing sensible to answer */
	if (r < 0) {
		dnsf_reply_formerr(st, cl, &q);
		return;
	}
	if (DNS_OPCODE(q.flags) != 0) {
		dnsf_reply(st, cl, &q, DNS_R_NOTIMP, NULL);
		return;
	}
	if (q.qclass != DNS_C_IN) {
		dnsf_reply(st, cl, &q, DNS_R_REFUSED, NULL);
		return;
	}
	if (!q.text[0] || !allowlist_match_name(st->cfg->al, q.text)) {
		/* never forwarded: the name itself could carry data out */
		dnsf_reply_blocked(st, cl, &q);
		dnsf_note(st, FW_OP_REFUSED, &q, NULL, 0);
		return;
	}
	if (q.qtype != DNS_T_A && q.qtype != DNS_T_AAAA) {
		/* NODATA: HTTPS/SVCB hints, MX/SRV targets... would name
		 * addresses that were never inserted */
		dnsf_reply(st, cl, &q, DNS_R_NOERROR, NULL);
		return;
	}
	/* asked only now, for an allowed name: the cache holds nothing else */
	if (dnscache_get(&st->cache, &q.qname, q.qtype, dnsf_now_ms(), &st->ans)) {
		dnsf_reply(st, cl, &q, DNS_R_NOERROR, &st->ans);
		return;
	}
	forward(st, cl, &q, msg, len);
}

static void udp_input(struct dnsf_state *st)
{
	for (int i = 0; i < 64; i++) {
		struct dnsf_client cl = { .tcp = false, .salen = sizeof cl.sa };
		ssize_t n = recvfrom(st->cfg->udp_fd, st->buf, sizeof st->buf, MSG_DONTWAIT,
				     (struct sockaddr *)&cl.sa, &cl.salen);

		if (n < 0)
			return;
		handle_query(st, &cl, st->buf, (size_t)n);
	}
}

static void tcp_accept(struct dnsf_state *st)
{
	for (;;) {
		int fd = accept4(st->cfg->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot = -1;

		if (fd < 0)
			return;
		for (int i = 0; i < DNSF_MAX_TCP && slot < 0; i++)
			if (st->c[i].fd < 0)
				slot = i;
		if (slot < 0) {
			close(fd);      /* bounded: the client retries */
			continue;
		}
		st->c[slot].fd = fd;
		st->c[slot].gen = ++st->gen;
		st->c[slot].deadline = dnsf_now_ms() + DNSF_TCP_IDLE_MS;
	}
}

static bool conn_pending(const struct dnsf_state *st, int i)
{
	for (size_t k = 0; k < DNSF_MAX_PENDING; k++)
		if (st->p[k].used && st->p[k].c.tcp && st->p[k].c.conn == i)
			return true;
	return false;
}

static void tcp_input(struct dnsf_state *st, int i)
{
	struct dnsf_conn *c = &st->c[i];
	size_t need = c->in_len < 2 ? 2 : 2 + (size_t)(c->in[0] << 8 | c->in[1]);
	ssize_t n;

	if (need > sizeof c->in) {
		dnsf_conn_close(st, i);      /* no legitimate query is that large */
		return;
	}
	n = recv(c->fd, c->in + c->in_len, need - c->in_len, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			dnsf_conn_close(st, i);
		return;
	}
	c->in_len += (size_t)n;
	if (c->in_len >= 2 && c->in_len == 2 + (size_t)(c->in[0] << 8 | c->in[1])) {
		struct dnsf_client cl = { .tcp = true, .conn = i, .gen = c->gen };
		size_t len = c->in_len - 2;

		c->busy = true;
		c->in_len = 0;
		handle_query(st, &cl, c->in + 2, len);
		/* answered at once (refused name, cache) or pending upstream */
		if (c->fd >= 0 && !c->out)
			c->busy = conn_pending(st, i);
	}
}

/* ---- the loop ------------------------------------------------------------- */

enum { SLOT_UDP, SLOT_LISTEN, SLOT_PRIV, SLOT_CONN, SLOT_PEND, SLOT_UPSOCK };
#define MAX_POLL (3 + DNSF_MAX_TCP + DNSF_MAX_PENDING + DNSF_UPSOCKS)

struct pollset {
	struct pollfd pfd[MAX_POLL];
	int kind[MAX_POLL], idx[MAX_POLL];
	nfds_t n;
	int64_t next;                /* the earliest deadline */
};

static void add(struct pollset *ps, int fd, short events, int kind, int idx)
{
	ps->pfd[ps->n] = (struct pollfd){ fd, events, 0 };
	ps->kind[ps->n] = kind;
	ps->idx[ps->n++] = idx;
}

/* Expire what is due: a query's try (next upstream, or SERVFAIL), an idle
 * client connection. */
static void timeouts(struct dnsf_state *st, int64_t now)
{
	for (int i = 0; i < DNSF_MAX_PENDING; i++)
		if (st->p[i].used && st->p[i].deadline <= now)
			dnsf_attempt(st, &st->p[i]);
	for (int i = 0; i < DNSF_MAX_TCP; i++)
		if (st->c[i].fd >= 0 && !st->c[i].busy && st->c[i].deadline <= now)
			dnsf_conn_close(st, i);
}

static void collect(struct dnsf_state *st, struct pollset *ps, int64_t now)
{
	int free_conn = 0;

	ps->n = 0;
	ps->next = now + 1000;
	add(ps, st->cfg->udp_fd, POLLIN, SLOT_UDP, 0);
	add(ps, st->cfg->priv_fd, POLLIN, SLOT_PRIV, 0);
	for (int i = 0; i < DNSF_MAX_TCP; i++) {
		struct dnsf_conn *c = &st->c[i];

		if (c->fd < 0)
			free_conn++;
		else if (c->out)
			add(ps, c->fd, POLLOUT, SLOT_CONN, i);
		else if (!c->busy)
			add(ps, c->fd, POLLIN, SLOT_CONN, i);
		if (c->fd >= 0 && !c->busy && c->deadline < ps->next)
			ps->next = c->deadline;
	}
	if (free_conn)
		add(ps, st->cfg->tcp_fd, POLLIN, SLOT_LISTEN, 0);
	for (int i = 0; i < DNSF_UPSOCKS; i++)
		if (st->us[i].fd >= 0)
			add(ps, st->us[i].fd, POLLIN, SLOT_UPSOCK, i);
	for (int i = 0; i < DNSF_MAX_PENDING; i++) {
		struct dnsf_pending *p = &st->p[i];

		if (!p->used)
			continue;
		if (p->tcp && p->fd >= 0)
			add(ps, p->fd, (short)(!p->connected || p->out_off < p->out_len ? POLLOUT : POLLIN),
			    SLOT_PEND, i);
		if (p->deadline < ps->next)
			ps->next = p->deadline;
	}
}

/* Serve one ready descriptor; false when the parent has gone. */
static bool dispatch(struct dnsf_state *st, const struct pollset *ps, nfds_t i)
{
	short rv = ps->pfd[i].revents;
	int k = ps->idx[i];

	switch (ps->kind[i]) {
	case SLOT_UDP:
		udp_input(st);
		break;
	case SLOT_LISTEN:
		tcp_accept(st);
		break;
	case SLOT_PRIV:
		/* list changes from the parent (and only from it); EOF = it died */
		if (dnsf_parent_input(st) == 0 || (rv & (POLLHUP | POLLERR)))
			return false;
		break;
	case SLOT_CONN:
		if (st->c[k].fd != ps->pfd[i].fd)
			break;
		if (st->c[k].out)
			dnsf_conn_flush(st, k);
		else if (rv & (POLLIN | POLLHUP | POLLERR))
			tcp_input(st, k);
		break;
	case SLOT_UPSOCK:
		if (st->us[k].fd == ps->pfd[i].fd)
			dnsf_upsock_input(st, k);
		break;
	case SLOT_PEND:
		if (st->p[k].used && st->p[k].tcp && st->p[k].fd == ps->pfd[i].fd)
			dnsf_upstream_tcp_io(st, &st->p[k], rv);
		break;
	}
	return true;
}

int dnsfilter_run(const struct dnsf_cfg *cfg, struct cs_err *err)
{
	struct dnsf_state *st = dnsf_state_new(cfg);
	struct pollset *ps = calloc(1, sizeof *ps);
	int ret = 0;

	if (!st || !ps) {
		ret = cs_fail(err, ENOMEM, "DNS filter state");
		goto out;
	}
	for (;;) {
		int64_t now = dnsf_now_ms();
		int pr;

		timeouts(st, now);
		collect(st, ps, now);
		pr = poll(ps->pfd, ps->n, (int)(ps->next > now ? ps->next - now : 0));
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			ret = cs_fail(err, errno, "DNS filter: poll");
			break;
		}
		for (nfds_t i = 0; i < ps->n && pr > 0; i++)
			if (ps->pfd[i].revents && !dispatch(st, ps, i))
				goto out;
	}
out:
	dnsf_state_free(st);
	free(ps);
	return ret;
}
