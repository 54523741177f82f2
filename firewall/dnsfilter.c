#include "firewall/dnsfilter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "firewall/dns.h"
#include "firewall/privsep.h"

#define TCP_MSG_MAX (2 + DNS_TCP_MAX)
#define MAX_TRIES(n) ((n) < 2 ? 2 : (int)(n))

struct client {
	bool tcp;
	struct sockaddr_storage sa;  /* UDP: where to answer */
	socklen_t salen;
	int conn;                    /* TCP: index into conns */
	uint32_t gen;                /* TCP: the connection's generation */
};

struct pending {
	bool used;
	int fd;                      /* upstream socket */
	bool tcp;                    /* upstream over TCP (after a TC answer) */
	bool connected;
	uint8_t qbuf[DNS_UDP_MAX_EDNS]; /* the client's query: q points into it */
	struct dns_query q;
	struct client c;
	uint16_t up_id;
	size_t first_up;
	int tries;
	int64_t deadline;
	uint8_t out[2 + DNS_HDR + DNS_NAME_MAX + 4 + 11];
	size_t out_len, out_off;
	uint8_t *in;                 /* TCP answer, TCP_MSG_MAX */
	size_t in_len;
};

struct conn {
	int fd;
	uint32_t gen;
	uint8_t in[2 + DNS_UDP_MAX_EDNS];
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_off;
	bool busy;                   /* a query of this connection is in flight */
	int64_t deadline;
};

struct state {
	const struct dnsf_cfg *cfg;
	struct pending p[DNSF_MAX_PENDING];
	struct conn c[DNSF_MAX_TCP];
	uint32_t seq, gen;
	size_t next_up;
	struct dns_answer ans;
	uint8_t buf[TCP_MSG_MAX];
	uint8_t rnd[64];
	size_t rnd_left;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t rand16(struct state *st)
{
	uint16_t v;

	if (st->rnd_left < 2) {
		if (getrandom(st->rnd, sizeof st->rnd, 0) != (ssize_t)sizeof st->rnd) {
			/* never observed; fall back to something unpredictable enough */
			uint64_t t = (uint64_t)now_ms() * 2654435761u;

			memcpy(st->rnd, &t, sizeof t);
		}
		st->rnd_left = sizeof st->rnd;
	}
	memcpy(&v, st->rnd + sizeof st->rnd - st->rnd_left, 2);
	st->rnd_left -= 2;
	return v;
}

/* ---- talking to the parent ----------------------------------------- */

/* FW_OP_UPSTREAM reasons, carried in fw_msg.ttl */
enum { WHY_NO_ANSWER = 0, WHY_MALFORMED = 1, WHY_INSERT = 2, WHY_RCODE = 16 };

static void note(struct state *st, uint32_t op, const struct dns_query *q, const struct dns_addr *a,
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

/* Ask the parent to insert each address; keep the ones it acked as
 * inserted.  Returns the number kept, sets *FAILED to the ones refused. */
static size_t insert_all(struct state *st, const struct dns_query *q, struct dns_addr *a, size_t n,
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
		struct fw_ack ack;
		ssize_t r;

		if (poll(&pfd, 1, DNSF_ACK_MS) <= 0)
			break;
		r = recv(st->cfg->priv_fd, &ack, sizeof ack, 0);
		if (r != (ssize_t)sizeof ack)
			break;
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

/* ---- answering clients ----------------------------------------------- */

static void conn_close(struct state *st, int i)
{
	struct conn *c = &st->c[i];

	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

static void conn_flush(struct state *st, int i)
{
	struct conn *c = &st->c[i];

	while (c->out && c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close(st, i);
			return;
		}
		c->out_off += (size_t)w;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->busy = false;
	c->deadline = now_ms() + DNSF_TCP_IDLE_MS;
}

static void send_reply(struct state *st, const struct client *cl, const uint8_t *msg, size_t len)
{
	struct conn *c;

	if (!cl->tcp) {
		(void)sendto(st->cfg->udp_fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)&cl->sa,
			     cl->salen);
		return;
	}
	c = &st->c[cl->conn];
	if (c->fd < 0 || c->gen != cl->gen || c->out)
		return;                 /* the client went away meanwhile */
	if (!(c->out = malloc(len + 2))) {
		conn_close(st, cl->conn);
		return;
	}
	c->out[0] = (uint8_t)(len >> 8);
	c->out[1] = (uint8_t)len;
	memcpy(c->out + 2, msg, len);
	c->out_len = len + 2;
	c->out_off = 0;
	conn_flush(st, cl->conn);
}

static size_t reply_max(const struct client *cl, const struct dns_query *q)
{
	if (cl->tcp)
		return DNS_TCP_MAX;
	if (!q->edns)
		return DNS_UDP_MAX_PLAIN;
	return q->udp_size < DNS_UDP_MAX_EDNS ? q->udp_size : DNS_UDP_MAX_EDNS;
}

static void reply(struct state *st, const struct client *cl, const struct dns_query *q, int rcode,
		  const struct dns_answer *a)
{
	uint8_t out[DNS_TCP_MAX];
	int n = dns_build_reply(out, reply_max(cl, q), q, rcode, a, st->cfg->ttl_cap);

	if (n > 0)
		send_reply(st, cl, out, (size_t)n);
}

static void reply_formerr(struct state *st, const struct client *cl, const struct dns_query *q)
{
	uint8_t h[DNS_HDR] = { 0 };
	uint16_t f = (uint16_t)(DNS_F_QR | (q->flags & (0x7800 | DNS_F_RD)) | DNS_R_FORMERR);

	h[0] = (uint8_t)(q->id >> 8);
	h[1] = (uint8_t)q->id;
	h[2] = (uint8_t)(f >> 8);
	h[3] = (uint8_t)f;
	send_reply(st, cl, h, sizeof h);
}

/* ---- upstream --------------------------------------------------------- */

static void release(struct state *st, struct pending *p)
{
	struct conn *c = p->c.tcp ? &st->c[p->c.conn] : NULL;

	/* a TCP client whose answer could not be built must not stay parked */
	if (c && c->fd >= 0 && c->gen == p->c.gen && !c->out) {
		c->busy = false;
		c->deadline = now_ms() + DNSF_TCP_IDLE_MS;
	}
	if (p->fd >= 0)
		close(p->fd);
	free(p->in);
	p->in = NULL;
	p->fd = -1;
	p->used = false;
}

static void fail(struct state *st, struct pending *p, int rcode, uint32_t why)
{
	if (rcode == DNS_R_SERVFAIL)
		note(st, FW_OP_UPSTREAM, &p->q, NULL, why);
	reply(st, &p->c, &p->q, rcode, NULL);
	release(st, p);
}

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

/* (Re)send the query to the next upstream over UDP. */
static void attempt(struct state *st, struct pending *p)
{
	const struct dnsf_cfg *cfg = st->cfg;

	while (p->tries < MAX_TRIES(cfg->n_up)) {
		const struct fw_upstream *u = &cfg->up[(p->first_up + (size_t)p->tries) % cfg->n_up];
		struct sockaddr_storage ss;
		socklen_t sl = up_sockaddr(u, &ss);
		int n;

		p->tries++;
		if (p->fd >= 0)
			close(p->fd);
		free(p->in);
		p->in = NULL;
		p->in_len = 0;
		p->tcp = false;
		p->up_id = rand16(st);
		n = dns_build_query(p->out + 2, sizeof p->out - 2, p->up_id, &p->q);
		if (n < 0)
			break;
		p->out[0] = (uint8_t)(n >> 8);
		p->out[1] = (uint8_t)n;
		p->out_len = (size_t)n + 2;
		p->fd = socket(u->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (p->fd < 0)
			continue;
		/* connected: the kernel drops datagrams from anyone else and
		 * reports ICMP errors (dead upstream) as ECONNREFUSED */
		if (connect(p->fd, (struct sockaddr *)&ss, sl) < 0 ||
		    send(p->fd, p->out + 2, (size_t)n, 0) != n)
			continue;
		p->deadline = now_ms() + DNSF_TRY_MS;
		return;
	}
	fail(st, p, DNS_R_SERVFAIL, WHY_NO_ANSWER);
}

static void switch_tcp(struct state *st, struct pending *p)
{
	const struct fw_upstream *u = &st->cfg->up[(p->first_up + (size_t)p->tries - 1) % st->cfg->n_up];
	struct sockaddr_storage ss;
	socklen_t sl = up_sockaddr(u, &ss);

	close(p->fd);
	p->tcp = true;
	p->connected = false;
	p->out_off = 0;
	p->in_len = 0;
	p->fd = socket(u->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || !(p->in = malloc(TCP_MSG_MAX)) ||
	    (connect(p->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)) {
		attempt(st, p);
		return;
	}
	p->deadline = now_ms() + DNSF_TRY_MS;
}

/* An upstream that will not do AAAA at all (REFUSED, NOTIMP: a policy or an
 * old server, the same answer every time) while A works.  SERVFAIL is not
 * included: it is transient and means "ask again", for A and AAAA alike. */
static bool aaaa_refused(const struct dns_query *q, const struct dns_answer *a)
{
	return q->qtype == DNS_T_AAAA && (a->rcode == DNS_R_REFUSED || a->rcode == DNS_R_NOTIMP);
}

static void finish(struct state *st, struct pending *p, struct dns_answer *a)
{
	const struct dnsf_cfg *cfg = st->cfg;
	size_t n = a->n_addr < cfg->max_addrs ? a->n_addr : cfg->max_addrs, m = 0, guarded = 0;
	size_t failed = 0, had = a->n_addr;

	if (a->rcode == DNS_R_NXDOMAIN) {
		reply(st, &p->c, &p->q, DNS_R_NXDOMAIN, NULL);
		goto done;
	}
	if (aaaa_refused(&p->q, a)) {
		/* NODATA: musl fails the whole getaddrinfo when either of
		 * its A/AAAA answers carries an error rcode */
		reply(st, &p->c, &p->q, DNS_R_NOERROR, NULL);
		goto done;
	}
	if (a->rcode != DNS_R_NOERROR) {
		fail(st, p, DNS_R_SERVFAIL, WHY_RCODE + (uint32_t)a->rcode);
		return;
	}
	/* The rebinding guard, checked here to shape the answer and again by
	 * the parent before it inserts anything. */
	for (size_t i = 0; i < n; i++) {
		if (guard_check(cfg->guard, a->addr[i].family, a->addr[i].addr) &&
		    !allowlist_match_addr(cfg->al, a->addr[i].family, a->addr[i].addr)) {
			note(st, FW_OP_REBIND, &p->q, &a->addr[i], 0);
			guarded++;
			continue;
		}
		a->addr[m++] = a->addr[i];
	}
	a->n_addr = insert_all(st, &p->q, a->addr, m, &failed);
	if (had && a->n_addr == 0 && failed) {
		fail(st, p, DNS_R_SERVFAIL, WHY_INSERT);
		return;
	}
	/* all guarded: NODATA (NOERROR, the chain, no address) */
	reply(st, &p->c, &p->q, DNS_R_NOERROR, a);
done:
	release(st, p);
}

static void got_answer(struct state *st, struct pending *p, const uint8_t *msg, size_t len)
{
	int r;

	if (len < 2 || (uint16_t)(msg[0] << 8 | msg[1]) != p->up_id)
		return;                 /* not ours: keep waiting */
	r = dns_parse_answer(msg, len, &p->q.qname, p->q.qtype, &st->ans);
	if (r == DNS_E_MISMATCH)
		return;
	if (r < 0) {
		fail(st, p, DNS_R_SERVFAIL, WHY_MALFORMED);
		return;
	}
	if (st->ans.truncated && !p->tcp) {
		switch_tcp(st, p);
		return;
	}
	finish(st, p, &st->ans);
}

static void upstream_io(struct state *st, struct pending *p, short revents)
{
	ssize_t n;

	if (!p->tcp) {
		n = recv(p->fd, st->buf, sizeof st->buf, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				attempt(st, p);    /* ECONNREFUSED: dead upstream */
			return;
		}
		got_answer(st, p, st->buf, (size_t)n);
		return;
	}
	if (!p->connected && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		int e = 0;
		socklen_t el = sizeof e;

		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
			attempt(st, p);
			return;
		}
		p->connected = true;
	}
	if (p->connected && p->out_off < p->out_len) {
		n = send(p->fd, p->out + p->out_off, p->out_len - p->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				attempt(st, p);
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
				attempt(st, p);
			return;
		}
		p->in_len += (size_t)n;
		if (p->in_len >= 2 && p->in_len == 2 + (size_t)(p->in[0] << 8 | p->in[1]))
			got_answer(st, p, p->in + 2, p->in_len - 2);
	}
}

/* ---- queries ------------------------------------------------------------ */

static void handle_query(struct state *st, const struct client *cl, const uint8_t *msg, size_t len)
{
	const struct dnsf_cfg *cfg = st->cfg;
	struct dns_query q;
	struct pending *p = NULL;
	int r;

	if (len > sizeof p->qbuf) {
		if (len >= DNS_HDR) {
			memset(&q, 0, sizeof q);
			q.id = (uint16_t)(msg[0] << 8 | msg[1]);
			q.flags = (uint16_t)(msg[2] << 8 | msg[3]);
			if (!(q.flags & DNS_F_QR))
				reply_formerr(st, cl, &q);
		}
		return;
	}
	r = dns_parse_query(msg, len, &q);
	if (r == DNS_E_SHORT || r == DNS_E_MISMATCH)
		return;                 /* nothing sensible to answer */
	if (r < 0) {
		reply_formerr(st, cl, &q);
		return;
	}
	if (DNS_OPCODE(q.flags) != 0) {
		reply(st, cl, &q, DNS_R_NOTIMP, NULL);
		return;
	}
	if (q.qclass != DNS_C_IN) {
		reply(st, cl, &q, DNS_R_REFUSED, NULL);
		return;
	}
	if (!q.text[0] || !allowlist_match_name(cfg->al, q.text)) {
		/* never forwarded: the name itself could carry data out */
		reply(st, cl, &q, DNS_R_NXDOMAIN, NULL);
		note(st, FW_OP_REFUSED, &q, NULL, 0);
		return;
	}
	if (q.qtype != DNS_T_A && q.qtype != DNS_T_AAAA) {
		/* NODATA: HTTPS/SVCB hints, MX/SRV targets... would name
		 * addresses that were never inserted */
		reply(st, cl, &q, DNS_R_NOERROR, NULL);
		return;
	}
	for (size_t i = 0; i < DNSF_MAX_PENDING && !p; i++)
		if (!st->p[i].used)
			p = &st->p[i];
	if (!p) {
		reply(st, cl, &q, DNS_R_SERVFAIL, NULL);
		return;
	}
	memset(p, 0, sizeof *p);
	p->used = true;
	p->fd = -1;
	memcpy(p->qbuf, msg, len);
	dns_parse_query(p->qbuf, len, &p->q);   /* re-point into our copy */
	p->c = *cl;
	p->first_up = st->next_up++ % cfg->n_up;
	attempt(st, p);
}

static void udp_input(struct state *st)
{
	for (int i = 0; i < 64; i++) {
		struct client cl = { .tcp = false, .salen = sizeof cl.sa };
		ssize_t n = recvfrom(st->cfg->udp_fd, st->buf, sizeof st->buf, MSG_DONTWAIT,
				     (struct sockaddr *)&cl.sa, &cl.salen);

		if (n < 0)
			return;
		handle_query(st, &cl, st->buf, (size_t)n);
	}
}

static void tcp_accept(struct state *st)
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
		st->c[slot].deadline = now_ms() + DNSF_TCP_IDLE_MS;
	}
}

static void tcp_input(struct state *st, int i)
{
	struct conn *c = &st->c[i];
	size_t need = c->in_len < 2 ? 2 : 2 + (size_t)(c->in[0] << 8 | c->in[1]);
	ssize_t n;

	if (need > sizeof c->in) {
		conn_close(st, i);      /* no legitimate query is that large */
		return;
	}
	n = recv(c->fd, c->in + c->in_len, need - c->in_len, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(st, i);
		return;
	}
	c->in_len += (size_t)n;
	if (c->in_len >= 2 && c->in_len == 2 + (size_t)(c->in[0] << 8 | c->in[1])) {
		struct client cl = { .tcp = true, .conn = i, .gen = c->gen };
		size_t len = c->in_len - 2;

		c->busy = true;
		c->in_len = 0;
		handle_query(st, &cl, c->in + 2, len);
		/* answered at once (refused name) or pending upstream */
		if (c->fd >= 0 && !c->out) {
			bool pending = false;

			for (size_t k = 0; k < DNSF_MAX_PENDING; k++)
				if (st->p[k].used && st->p[k].c.tcp && st->p[k].c.conn == i)
					pending = true;
			c->busy = pending;
		}
	}
}

/* ---- the loop ------------------------------------------------------------- */

enum { SLOT_UDP, SLOT_LISTEN, SLOT_PRIV, SLOT_CONN, SLOT_PEND };

int dnsfilter_run(const struct dnsf_cfg *cfg, struct cs_err *err)
{
	struct state *st = calloc(1, sizeof *st);
	struct pollfd pfd[3 + DNSF_MAX_TCP + DNSF_MAX_PENDING];
	int kind[3 + DNSF_MAX_TCP + DNSF_MAX_PENDING], idx[3 + DNSF_MAX_TCP + DNSF_MAX_PENDING];
	int ret = 0;

	if (!st)
		return cs_fail(err, ENOMEM, "DNS filter state");
	st->cfg = cfg;
	for (int i = 0; i < DNSF_MAX_TCP; i++)
		st->c[i].fd = -1;
	for (int i = 0; i < DNSF_MAX_PENDING; i++)
		st->p[i].fd = -1;

	for (;;) {
		int64_t now = now_ms(), next = now + 1000;
		nfds_t n = 0;
		int free_conn = 0, pr;

		for (int i = 0; i < DNSF_MAX_PENDING; i++) {
			struct pending *p = &st->p[i];

			if (p->used && p->deadline <= now)
				attempt(st, p);   /* timed out: next upstream, or SERVFAIL */
		}
		for (int i = 0; i < DNSF_MAX_TCP; i++)
			if (st->c[i].fd >= 0 && !st->c[i].busy && st->c[i].deadline <= now)
				conn_close(st, i);

		pfd[n] = (struct pollfd){ cfg->udp_fd, POLLIN, 0 };
		kind[n++] = SLOT_UDP;
		pfd[n] = (struct pollfd){ cfg->priv_fd, POLLIN, 0 };
		kind[n++] = SLOT_PRIV;
		for (int i = 0; i < DNSF_MAX_TCP; i++) {
			struct conn *c = &st->c[i];

			if (c->fd < 0) {
				free_conn++;
				continue;
			}
			if (c->out)
				pfd[n] = (struct pollfd){ c->fd, POLLOUT, 0 };
			else if (!c->busy)
				pfd[n] = (struct pollfd){ c->fd, POLLIN, 0 };
			else
				continue;
			if (c->deadline < next && !c->busy)
				next = c->deadline;
			kind[n] = SLOT_CONN;
			idx[n++] = i;
		}
		if (free_conn) {
			pfd[n] = (struct pollfd){ cfg->tcp_fd, POLLIN, 0 };
			kind[n++] = SLOT_LISTEN;
		}
		for (int i = 0; i < DNSF_MAX_PENDING; i++) {
			struct pending *p = &st->p[i];

			if (!p->used)
				continue;
			pfd[n] = (struct pollfd){ p->fd,
				(short)(p->tcp && (!p->connected || p->out_off < p->out_len) ? POLLOUT : POLLIN), 0 };
			if (p->deadline < next)
				next = p->deadline;
			kind[n] = SLOT_PEND;
			idx[n++] = i;
		}
		pr = poll(pfd, n, (int)(next > now ? next - now : 0));
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			ret = cs_fail(err, errno, "DNS filter: poll");
			break;
		}
		for (nfds_t i = 0; i < n && pr > 0; i++) {
			short rv = pfd[i].revents;

			if (!rv)
				continue;
			switch (kind[i]) {
			case SLOT_UDP:
				udp_input(st);
				break;
			case SLOT_LISTEN:
				tcp_accept(st);
				break;
			case SLOT_PRIV: {
				struct fw_ack junk;

				/* the parent only speaks when asked; EOF = it died */
				if (recv(cfg->priv_fd, &junk, sizeof junk, MSG_DONTWAIT) == 0 ||
				    (rv & (POLLHUP | POLLERR)))
					goto out;
				break;
			}
			case SLOT_CONN:
				if (st->c[idx[i]].fd != pfd[i].fd)
					break;
				if (st->c[idx[i]].out)
					conn_flush(st, idx[i]);
				else if (rv & (POLLIN | POLLHUP | POLLERR))
					tcp_input(st, idx[i]);
				break;
			case SLOT_PEND:
				if (st->p[idx[i]].used && st->p[idx[i]].fd == pfd[i].fd)
					upstream_io(st, &st->p[idx[i]], rv);
				break;
			}
		}
	}
out:
	for (int i = 0; i < DNSF_MAX_PENDING; i++)
		if (st->p[i].used)
			release(st, &st->p[i]);
	for (int i = 0; i < DNSF_MAX_TCP; i++)
		if (st->c[i].fd >= 0)
			conn_close(st, i);
	free(st);
	return ret;
}
