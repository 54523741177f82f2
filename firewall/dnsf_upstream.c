#include "firewall/dnsf_upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firewall/dnsf_parent.h"
#include "firewall/dnsf_reply.h"
#include "firewall/privsep.h"

#define MAX_TRIES(n) ((n) < 2 ? 2 : (int)(n))

static socklen_t up_sockaddr(const struct fw_upstream *u, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (u->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(u->port);
		memcpy(&s->sin_addr, u->addr, 4);
		return sizeof *s;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(u->port);
	memcpy(&s6->sin6_addr, u->addr, 16);
	return sizeof *s6;
}

/* ---- the shared sockets ----------------------------------------------- */

static void upsock_close_if_done(struct dnsf_upsock *s)
{
	if (s->fd >= 0 && s->retired && s->inflight == 0) {
		close(s->fd);
		s->fd = -1;
	}
}

/* P stops waiting on its shared socket. */
static void upsock_leave(struct dnsf_state *st, struct dnsf_pending *p)
{
	struct dnsf_upsock *s;

	if (p->sock < 0)
		return;
	s = &st->us[p->sock];
	p->sock = -1;
	if (s->inflight)
		s->inflight--;
	upsock_close_if_done(s);
}

static int upsock_open(struct dnsf_state *st, int slot, size_t up)
{
	const struct fw_upstream *u = &st->cfg->up[up];
	struct sockaddr_storage ss;
	socklen_t sl = up_sockaddr(u, &ss);
	int fd = socket(u->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* the kernel picks a random free port at connect */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		close(fd);
		return -1;
	}
	st->us[slot] = (struct dnsf_upsock){ .fd = fd, .up = up };
	return slot;
}

/* The socket for the next query to upstream UP: the current one while it
 * has uses left, else a fresh one (the old one retires once its queries are
 * answered).  When every slot is still draining, the current one serves on.
 * Returns the slot or -1. */
static int upsock_for(struct dnsf_state *st, size_t up)
{
	int cur = -1, free_slot = -1;

	for (int i = 0; i < DNSF_UPSOCKS; i++) {
		const struct dnsf_upsock *s = &st->us[i];

		if (s->fd < 0) {
			if (free_slot < 0)
				free_slot = i;
		} else if (s->up == up && !s->retired) {
			cur = i;
		}
	}
	if (cur >= 0 && st->us[cur].uses < DNSF_UPSOCK_USES)
		return cur;
	if (free_slot < 0)
		return cur;
	if (cur >= 0) {
		st->us[cur].retired = true;
		upsock_close_if_done(&st->us[cur]);
	}
	return upsock_open(st, free_slot, up);
}

static bool id_taken(const struct dnsf_state *st, int sock, uint16_t id)
{
	for (int i = 0; i < DNSF_MAX_PENDING; i++)
		if (st->p[i].used && st->p[i].sock == sock && st->p[i].up_id == id)
			return true;
	return false;
}

/* ---- one query's life ----------------------------------------------------- */

void dnsf_release(struct dnsf_state *st, struct dnsf_pending *p)
{
	struct dnsf_conn *c = p->c.tcp ? &st->c[p->c.conn] : NULL;

	/* a TCP client whose answer could not be built must not stay parked */
	if (c && c->fd >= 0 && c->gen == p->c.gen && !c->out) {
		c->busy = false;
		c->deadline = dnsf_now_ms() + DNSF_TCP_IDLE_MS;
	}
	upsock_leave(st, p);
	if (p->fd >= 0)
		close(p->fd);
	free(p->in);
	p->in = NULL;
	p->fd = -1;
	p->used = false;
}

static void fail(struct dnsf_state *st, struct dnsf_pending *p, int rcode, uint32_t why)
{
	if (rcode == DNS_R_SERVFAIL)
		dnsf_note(st, FW_OP_UPSTREAM, &p->q, NULL, why);
	dnsf_reply(st, &p->c, &p->q, rcode, NULL);
	dnsf_release(st, p);
}

/* Forget P's previous try: its socket, its TCP buffer. */
static void reset_try(struct dnsf_state *st, struct dnsf_pending *p)
{
	upsock_leave(st, p);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->in);
	p->in = NULL;
	p->in_len = 0;
	p->tcp = false;
}

void dnsf_attempt(struct dnsf_state *st, struct dnsf_pending *p)
{
	const struct dnsf_cfg *cfg = st->cfg;

	while (p->tries < MAX_TRIES(cfg->n_up)) {
		size_t up = (p->first_up + (size_t)p->tries) % cfg->n_up;
		int n, s;

		p->tries++;
		reset_try(st, p);
		if ((s = upsock_for(st, up)) < 0)
			continue;
		do
			p->up_id = dnsf_rand16(st);
		while (id_taken(st, s, p->up_id));
		n = dns_build_query(p->out + 2, sizeof p->out - 2, p->up_id, &p->q);
		if (n < 0)
			break;
		p->out[0] = (uint8_t)(n >> 8);
		p->out[1] = (uint8_t)n;
		p->out_len = (size_t)n + 2;
		st->us[s].uses++;
		if (send(st->us[s].fd, p->out + 2, (size_t)n, 0) != n) {
			/* a dead upstream (ECONNREFUSED): nobody else should use it */
			st->us[s].retired = true;
			upsock_close_if_done(&st->us[s]);
			continue;
		}
		p->sock = s;
		st->us[s].inflight++;
		p->deadline = dnsf_now_ms() + DNSF_TRY_MS;
		return;
	}
	fail(st, p, DNS_R_SERVFAIL, DNSF_WHY_NO_ANSWER);
}

static void switch_tcp(struct dnsf_state *st, struct dnsf_pending *p)
{
	const struct fw_upstream *u = &st->cfg->up[(p->first_up + (size_t)p->tries - 1) % st->cfg->n_up];
	struct sockaddr_storage ss;
	socklen_t sl = up_sockaddr(u, &ss);

	upsock_leave(st, p);
	p->tcp = true;
	p->connected = false;
	p->out_off = 0;
	p->in_len = 0;
	p->fd = socket(u->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || !(p->in = malloc(DNSF_TCP_MSG_MAX)) ||
	    (connect(p->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)) {
		dnsf_attempt(st, p);
		return;
	}
	p->deadline = dnsf_now_ms() + DNSF_TRY_MS;
}

/* An upstream that will not do AAAA at all (REFUSED, NOTIMP: a policy or an
 * old server, the same answer every time) while A works.  SERVFAIL is not
 * included: it is transient and means "ask again", for A and AAAA alike. */
static bool aaaa_refused(const struct dns_query *q, const struct dns_answer *a)
{
	return q->qtype == DNS_T_AAAA && (a->rcode == DNS_R_REFUSED || a->rcode == DNS_R_NOTIMP);
}

/* The rebinding guard, checked here to shape the answer and again by the
 * parent before it inserts anything.  Keeps the unguarded addresses. */
static size_t drop_guarded(struct dnsf_state *st, struct dnsf_pending *p, struct dns_answer *a, size_t n)
{
	const struct dnsf_cfg *cfg = st->cfg;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (guard_check(cfg->guard, a->addr[i].family, a->addr[i].addr) &&
		    !allowlist_match_addr(cfg->al, a->addr[i].family, a->addr[i].addr)) {
			dnsf_note(st, FW_OP_REBIND, &p->q, &a->addr[i], 0);
			continue;
		}
		a->addr[m++] = a->addr[i];
	}
	return m;
}

static void finish(struct dnsf_state *st, struct dnsf_pending *p, struct dns_answer *a)
{
	const struct dnsf_cfg *cfg = st->cfg;
	size_t n = a->n_addr < cfg->max_addrs ? a->n_addr : cfg->max_addrs, m;
	size_t failed = 0, had = a->n_addr;
	int64_t asked;

	if (a->rcode == DNS_R_NXDOMAIN) {
		dnsf_reply(st, &p->c, &p->q, DNS_R_NXDOMAIN, NULL);
		goto done;
	}
	if (aaaa_refused(&p->q, a)) {
		/* NODATA: musl fails the whole getaddrinfo when either of
		 * its A/AAAA answers carries an error rcode */
		dnsf_reply(st, &p->c, &p->q, DNS_R_NOERROR, NULL);
		goto done;
	}
	if (a->rcode != DNS_R_NOERROR) {
		fail(st, p, DNS_R_SERVFAIL, DNSF_WHY_RCODE + (uint32_t)a->rcode);
		return;
	}
	m = drop_guarded(st, p, a, n);
	/* before the parent's clock starts the elements' lifetimes */
	asked = dnsf_now_ms();
	a->n_addr = dnsf_insert_all(st, &p->q, a->addr, m, &failed);
	/* a deny can arrive while the acks are awaited (dnsf_insert_all
	 * applies list changes as they come): the parent then refused or
	 * closed what it was asked for, so nothing is released or cached for
	 * a name the list no longer allows (before the SERVFAIL below: the
	 * parent's refusals are the deny's, not the upstream's fault) */
	if (!allowlist_match_name(cfg->al, p->q.text)) {
		dnsf_reply_blocked(st, &p->c, &p->q);
		dnsf_note(st, FW_OP_REFUSED, &p->q, NULL, 0);
		goto done;
	}
	if (had && a->n_addr == 0 && failed) {
		fail(st, p, DNS_R_SERVFAIL, DNSF_WHY_INSERT);
		return;
	}
	/* all guarded: NODATA (NOERROR, the chain, no address) */
	dnsf_reply(st, &p->c, &p->q, DNS_R_NOERROR, a);
	/* exactly what was released: every address in it is in the sets */
	dnscache_put(&st->cache, &p->q.qname, p->q.qtype, a, cfg->ttl_cap, asked);
done:
	dnsf_release(st, p);
}

static void got_answer(struct dnsf_state *st, struct dnsf_pending *p, const uint8_t *msg, size_t len)
{
	int r;

	if (len < 2 || (uint16_t)(msg[0] << 8 | msg[1]) != p->up_id)
		return;                 /* not ours: keep waiting */
	r = dns_parse_answer(msg, len, &p->q.qname, p->q.qtype, &st->ans);
	if (r == DNS_E_MISMATCH)
		return;
	if (r < 0) {
		fail(st, p, DNS_R_SERVFAIL, DNSF_WHY_MALFORMED);
		return;
	}
	if (st->ans.truncated && !p->tcp) {
		switch_tcp(st, p);
		return;
	}
	finish(st, p, &st->ans);
}

/* The query waiting on socket S under upstream id ID, or NULL. */
static struct dnsf_pending *waiting(struct dnsf_state *st, int s, uint16_t id)
{
	for (int i = 0; i < DNSF_MAX_PENDING; i++)
		if (st->p[i].used && st->p[i].sock == s && st->p[i].up_id == id)
			return &st->p[i];
	return NULL;
}

void dnsf_upsock_input(struct dnsf_state *st, int s)
{
	for (int k = 0; k < 64 && st->us[s].fd >= 0; k++) {
		ssize_t n = recv(st->us[s].fd, st->buf, sizeof st->buf, MSG_DONTWAIT);
		struct dnsf_pending *p;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ECONNREFUSED: a dead upstream; its queries try the next */
			st->us[s].retired = true;
			for (int i = 0; i < DNSF_MAX_PENDING; i++)
				if (st->p[i].used && st->p[i].sock == s)
					dnsf_attempt(st, &st->p[i]);
			upsock_close_if_done(&st->us[s]);
			return;
		}
		if (n < 2 || !(p = waiting(st, s, (uint16_t)(st->buf[0] << 8 | st->buf[1]))))
			continue;       /* nobody asked: dropped */
		got_answer(st, p, st->buf, (size_t)n);
	}
}

static void tcp_connected(struct dnsf_state *st, struct dnsf_pending *p)
{
	int e = 0;
	socklen_t el = sizeof e;

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
		dnsf_attempt(st, p);
		return;
	}
	p->connected = true;
}

void dnsf_upstream_tcp_io(struct dnsf_state *st, struct dnsf_pending *p, short revents)
{
	ssize_t n;

	if (!p->connected && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		tcp_connected(st, p);
		if (!p->used || !p->tcp)
			return;
	}
	if (p->connected && p->out_off < p->out_len) {
		n = send(p->fd, p->out + p->out_off, p->out_len - p->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				dnsf_attempt(st, p);
			return;
		}
		p->out_off += (size_t)n;
		return;
	}
	if (p->connected && (revents & (POLLIN | POLLHUP | POLLERR))) {
		size_t need = p->in_len < 2 ? 2 : 2 + (size_t)(p->in[0] << 8 | p->in[1]);

		n = recv(p->fd, p->in + p->in_len, need - p->in_len, 0);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				dnsf_attempt(st, p);
			return;
		}
		p->in_len += (size_t)n;
		if (p->in_len >= 2 && p->in_len == 2 + (size_t)(p->in[0] << 8 | p->in[1]))
			got_answer(st, p, p->in + 2, p->in_len - 2);
	}
}
