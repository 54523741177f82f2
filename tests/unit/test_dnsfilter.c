/* The DNS filter (firewall/dnsfilter.c) without root: dnsfilter_run in a
 * thread on loopback sockets, a fake upstream on a loopback UDP (and TCP)
 * port, and the test playing the privileged parent on the other end of the
 * SOCK_SEQPACKET pair.  The fake parent acks whatever it is asked (unless a
 * test says otherwise), so everything the child keeps out of FW_OP_ALLOW it
 * kept out itself: the guard, the allowlist, the limits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "dnspkt.h"
#include "firewall/dns.h"
#include "firewall/dnsfilter.h"
#include "firewall/dnsf_state.h"
#include "firewall/guard.h"
#include "firewall/privsep.h"

#define WAIT_MS 5000

static struct {
	struct allowlist al;
	struct guard g;
	struct fw_upstream up;
	struct dnsf_cfg cfg;
	int parent;                 /* our end of the pair */
	int upfd, uptcp;            /* the fake upstream */
	int client;                 /* UDP client, connected to the filter */
	struct sockaddr_in faddr;   /* the filter's address */
	pthread_t th;
	int rc;
} F;

/* What the fake parent saw while a reply was being produced. */
struct seen {
	struct fw_msg m[128];
	size_t n, n_allow, n_rebind, n_refused, n_upstream;
};

/* Ack status per FW_OP_ALLOW; default OK. */
static int (*ack_policy)(const struct fw_msg *m);

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *run_filter(void *arg)
{
	struct cs_err err = { 0 };

	(void)arg;
	F.rc = dnsfilter_run(&F.cfg, &err);
	return NULL;
}

static int bind_lo(int type, uint16_t port, struct sockaddr_in *out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	if (out)
		*out = sa;
	return fd;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* UDP and TCP on one loopback port (the kernel picks the UDP one; another
 * program may hold its TCP twin, then try again). */
static int bind_pair(int *udp, int *tcp, struct sockaddr_in *sa)
{
	for (int i = 0; i < 50; i++) {
		*udp = bind_lo(SOCK_DGRAM, 0, sa);
		*tcp = *udp >= 0 ? bind_lo(SOCK_STREAM, ntohs(sa->sin_port), NULL) : -1;
		if (*udp >= 0 && *tcp >= 0)
			return 0;
		if (*udp >= 0)
			close(*udp);
	}
	return -1;
}

static int setup(void)
{
	struct cs_err err = { 0 };
	struct sockaddr_in up;
	int sp[2], udp, tcp;

	allowlist_init(&F.al);
	if (allowlist_add_text(&F.al, "allowed.test *.wild.test 10.0.0.5 race.test", "test", &err) < 0)
		return -1;
	guard_init(&F.g);
	if (bind_pair(&F.upfd, &F.uptcp, &up) < 0 || bind_pair(&udp, &tcp, &F.faddr) < 0)
		return -1;
	nonblock(udp);
	nonblock(tcp);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	F.parent = sp[0];
	F.up.family = AF_INET;
	memcpy(F.up.addr, &up.sin_addr, 4);
	F.up.port = ntohs(up.sin_port);
	F.cfg = (struct dnsf_cfg){ .al = &F.al, .guard = &F.g, .up = &F.up, .n_up = 1, .udp_fd = udp,
		.tcp_fd = tcp, .priv_fd = sp[1], .ttl_cap = 3600, .max_addrs = 32,
		/* the forwarding path: the cache has its own tests (test_dnscache.c) */
		.cache_off = true, .sandbox_id = "0123abcd" };
	F.client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (connect(F.client, (struct sockaddr *)&F.faddr, sizeof F.faddr) < 0)
		return -1;
	return pthread_create(&F.th, NULL, run_filter, NULL) == 0 ? 0 : -1;
}

/* ---- the fake upstream ---------------------------------------------------- */

struct upq {
	uint8_t raw[2048];
	size_t len;
	struct dns_query q;
	struct sockaddr_storage from;
	socklen_t fromlen;
};

/* Wait for the next query at the upstream. */
static bool up_recv(struct upq *u)
{
	struct pollfd pfd = { F.upfd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, WAIT_MS) <= 0)
		return false;
	u->fromlen = sizeof u->from;
	n = recvfrom(F.upfd, u->raw, sizeof u->raw, 0, (struct sockaddr *)&u->from, &u->fromlen);
	if (n <= 0)
		return false;
	u->len = (size_t)n;
	return dns_parse_query(u->raw, u->len, &u->q) == 0;
}

/* Start an answer to U: header with its id, RCODE, AN answers, its question. */
static size_t up_answer_start(struct pkt *p, const struct upq *u, unsigned rcode, unsigned an)
{
	hdr(p, u->q.id, DNS_F_QR | DNS_F_RD | DNS_F_RA | rcode, 1, an, 0, 0);
	pbytes(p, u->q.qraw, u->q.qraw_len);
	return DNS_HDR;
}

static void up_send(const struct upq *u, const struct pkt *p)
{
	sendto(F.upfd, p->b, p->n, 0, (const struct sockaddr *)&u->from, u->fromlen);
}

/* ---- the client and the fake parent ------------------------------------------ */

struct reply {
	uint8_t b[4096];
	size_t len;
	struct dns_answer a;
	int parsed;
};

/* Serve the parent's side until the client's reply arrives (or WAIT_MS). */
static bool await_reply(struct seen *s, struct reply *r, int cfd)
{
	int64_t end = now_ms() + WAIT_MS;

	memset(s, 0, sizeof *s);
	while (now_ms() < end) {
		struct pollfd pfd[2] = { { F.parent, POLLIN, 0 }, { cfd, POLLIN, 0 } };

		if (poll(pfd, 2, (int)(end - now_ms())) <= 0)
			break;
		if (pfd[0].revents & POLLIN) {
			struct fw_msg m;

			if (recv(F.parent, &m, sizeof m, 0) != (ssize_t)sizeof m)
				return false;
			if (s->n < 128)
				s->m[s->n++] = m;
			if (m.op == FW_OP_ALLOW) {
				struct fw_ack a = { m.seq, ack_policy ? ack_policy(&m) : FW_ACK_OK };

				s->n_allow++;
				send(F.parent, &a, sizeof a, 0);
			}
			s->n_rebind += m.op == FW_OP_REBIND;
			s->n_refused += m.op == FW_OP_REFUSED;
			s->n_upstream += m.op == FW_OP_UPSTREAM;
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			ssize_t n = recv(cfd, r->b, sizeof r->b, 0);

			if (n <= 0)
				return false;
			r->len = (size_t)n;
			return true;
		}
	}
	return false;
}

/* Parse a reply as an answer to NAME/QTYPE (for its addresses). */
static void parse_reply(struct reply *r, const char *name, uint16_t qtype)
{
	struct dns_name qn = wname(name);

	r->parsed = dns_parse_answer(r->b, r->len, &qn, qtype, &r->a);
}

static unsigned rcode_of(const struct reply *r)
{
	return r->len >= DNS_HDR ? r->b[3] & 0xf : 99;
}

static unsigned ancount(const struct reply *r)
{
	return r->len >= DNS_HDR ? rd16(r->b + 6) : 99;
}

static const char *addr_str(const struct dns_addr *d)
{
	static char s[4][64];
	static int k;

	k = (k + 1) % 4;
	inet_ntop(d->family, d->addr, s[k], sizeof s[k]);
	return s[k];
}

static bool reply_has(const struct reply *r, const char *ip)
{
	for (size_t i = 0; i < r->a.n_addr; i++)
		if (strcmp(addr_str(&r->a.addr[i]), ip) == 0)
			return true;
	return false;
}

static bool allowed_has(const struct seen *s, const char *ip)
{
	for (size_t i = 0; i < s->n; i++) {
		char t[64];

		if (s->m[i].op != FW_OP_ALLOW)
			continue;
		inet_ntop((int)s->m[i].family, s->m[i].addr, t, sizeof t);
		if (strcmp(t, ip) == 0)
			return true;
	}
	return false;
}

/* A note the child sends after its reply (FW_OP_REFUSED): wait for it. */
static bool await_note(struct seen *s, uint32_t op)
{
	int64_t end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		struct pollfd pfd = { F.parent, POLLIN, 0 };
		struct fw_msg m;

		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0 ||
		    recv(F.parent, &m, sizeof m, 0) != (ssize_t)sizeof m)
			return false;
		if (s->n < 128)
			s->m[s->n++] = m;
		if (m.op == op)
			return true;
	}
	return false;
}

static void client_send(const struct pkt *p)
{
	send(F.client, p->b, p->n, 0);
}

/* One A/AAAA lookup of NAME answered by the upstream with ADDRS (n of them,
 * type by family) and RCODE; fills S and R. */
static bool lookup(const char *name, uint16_t qtype, unsigned rcode, const char *const *addrs,
		   size_t n, struct seen *s, struct reply *r, struct upq *u)
{
	struct pkt p;

	pquery(&p, 0x4242, name, qtype, 1);
	client_send(&p);
	if (!up_recv(u))
		return false;
	up_answer_start(&p, u, rcode, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		if (strchr(addrs[i], ':'))
			rr_aaaa(&p, DNS_HDR, addrs[i], 300);
		else
			rr_a(&p, DNS_HDR, addrs[i], 300);
	}
	up_send(u, &p);
	if (!await_reply(s, r, F.client))
		return false;
	parse_reply(r, name, qtype);
	return true;
}

static int refuse_first_v4(const struct fw_msg *m)
{
	return m->addr[3] == 1 ? FW_ACK_GUARDED : FW_ACK_OK;
}

/* The parent's side of a deny that crosses an answer: the list change
 * reaches the child before the ack of its insert. */
static void tell_child(uint32_t op, const char *name)
{
	struct fw_msg c = { .op = op };

	snprintf(c.name, sizeof c.name, "%s", name);
	send(F.parent, &c, sizeof c, 0);
}

static int deny_before_ack(const struct fw_msg *m)
{
	tell_child(FW_OP_CTL_DENY, m->name);
	return FW_ACK_OK;
}

/* The same, the parent having seen the deny first: it refuses the insert. */
static int deny_and_refuse(const struct fw_msg *m)
{
	tell_child(FW_OP_CTL_DENY, m->name);
	return FW_ACK_INVALID;
}

static int fail_all(const struct fw_msg *m)
{
	(void)m;
	return FW_ACK_FAILED;
}

/* A TCP client query: returns the reply length, 0 on EOF, -1 on error. */
static int tcp_exchange(const uint8_t *msg, size_t len, size_t claimed, uint8_t *out, size_t outsz,
			struct seen *s)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = -1;
	uint8_t buf[4096];
	struct reply r;

	if (fd < 0 || connect(fd, (struct sockaddr *)&F.faddr, sizeof F.faddr) < 0)
		goto out;
	buf[0] = (uint8_t)(claimed >> 8);
	buf[1] = (uint8_t)claimed;
	memcpy(buf + 2, msg, len);
	if (send(fd, buf, len + 2, MSG_NOSIGNAL) != (ssize_t)(len + 2))
		goto out;
	if (!await_reply(s, &r, fd)) {
		/* EOF shows up as a readable socket with nothing to read */
		ret = 0;
		goto out;
	}
	if (r.len < 2 || r.len - 2 > outsz)
		goto out;
	memcpy(out, r.b + 2, r.len - 2);
	ret = (int)(r.len - 2);
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Claim CLAIMED bytes, send LEN: 0 when the filter closes the connection
 * without answering, 1 when it answers, -1 when it just waits. */
static int tcp_oversize(const uint8_t *msg, size_t len, size_t claimed)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = -1;
	struct pollfd pfd = { fd, POLLIN, 0 };
	uint8_t buf[2048];

	if (fd < 0 || connect(fd, (struct sockaddr *)&F.faddr, sizeof F.faddr) < 0)
		goto out;
	buf[0] = (uint8_t)(claimed >> 8);
	buf[1] = (uint8_t)claimed;
	memcpy(buf + 2, msg, len);
	send(fd, buf, len + 2, MSG_NOSIGNAL);
	if (poll(&pfd, 1, WAIT_MS) == 1)
		ret = recv(fd, buf, sizeof buf, 0) > 0 ? 1 : 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int main(void)
{
	static struct seen s;
	static struct reply r;
	static struct upq u;
	struct pkt p;

	plan(112);
	if (setup() < 0) {
		printf("# setup failed: %s\n", strerror(errno));
		return 1;
	}

	/* 1. an allowed name: forwarded fresh, every address acked before the reply */
	{
		const char *a[] = { "198.51.100.1", "198.51.100.2" };

		ok(lookup("allowed.test", DNS_T_A, 0, a, 2, &s, &r, &u), "allowed name answered");
		is_str(u.q.text, "allowed.test", "upstream asked for the name");
		ok(u.q.id != 0x4242, "upstream query has a fresh id");
		ok(u.q.edns && u.q.udp_size == DNS_UDP_MAX_EDNS, "upstream query advertises EDNS %d",
		   DNS_UDP_MAX_EDNS);
		is_int(rd16(r.b), 0x4242, "client's id echoed");
		is_int(rcode_of(&r), DNS_R_NOERROR, "NOERROR");
		is_int(s.n_allow, 2, "two FW_OP_ALLOW to the parent");
		ok(allowed_has(&s, "198.51.100.1") && allowed_has(&s, "198.51.100.2"), "...for both addresses");
		is_str(s.m[0].name, "allowed.test", "...naming the question");
		is_int(s.m[0].ttl, 300, "...with the answer's TTL");
		is_int(s.m[0].qtype, DNS_T_A, "...and its type");
		ok(r.parsed == 0 && r.a.n_addr == 2, "reply holds both addresses");
		ok(reply_has(&r, "198.51.100.1") && reply_has(&r, "198.51.100.2"), "...the same ones");
	}

	/* 2. every answer address goes through the guard in the child */
	{
		const char *a[] = { "10.9.9.9", "198.51.100.3", "127.0.0.1", "169.254.169.254", "10.0.0.5",
				    "100.64.0.1" };

		ok(lookup("allowed.test", DNS_T_A, 0, a, 6, &s, &r, &u), "answer mixing guarded addresses");
		is_int(s.n_allow, 2, "only two addresses sent to the parent");
		ok(allowed_has(&s, "198.51.100.3"), "...the public one");
		ok(allowed_has(&s, "10.0.0.5"), "...and the private one listed explicitly");
		ok(!allowed_has(&s, "10.9.9.9") && !allowed_has(&s, "127.0.0.1") &&
		   !allowed_has(&s, "169.254.169.254") && !allowed_has(&s, "100.64.0.1"),
		   "no guarded address asked for");
		is_int(s.n_rebind, 4, "four FW_OP_REBIND notes");
		ok(r.parsed == 0 && r.a.n_addr == 2, "reply holds exactly the two (%zu)", r.a.n_addr);
		ok(!reply_has(&r, "10.9.9.9") && !reply_has(&r, "127.0.0.1"), "...no guarded one");
	}
	{
		const char *a[] = { "fd00::1", "2001:db8::7", "::ffff:192.168.1.1", "fe80::1" };

		ok(lookup("x.wild.test", DNS_T_AAAA, 0, a, 4, &s, &r, &u), "IPv6 answer mixing guarded addresses");
		ok(s.n_allow == 1 && allowed_has(&s, "2001:db8::7"), "only the global IPv6 to the parent");
		is_int(s.n_rebind, 3, "three notes");
		ok(r.parsed == 0 && r.a.n_addr == 1 && reply_has(&r, "2001:db8::7"), "reply holds the global one");
	}
	{
		const char *a[] = { "192.168.0.1", "10.1.1.1" };

		ok(lookup("allowed.test", DNS_T_A, 0, a, 2, &s, &r, &u), "only guarded addresses");
		is_int(s.n_allow, 0, "nothing sent to the parent");
		ok(rcode_of(&r) == DNS_R_NOERROR && ancount(&r) == 0, "NODATA (NOERROR, no answer)");
	}
	{
		/* the gateway of the namespace */
		unsigned char gw[4] = { 198, 51, 100, 254 };
		const char *a[] = { "198.51.100.254", "198.51.100.9" };

		guard_add_gateway(&F.g, AF_INET, gw);
		ok(lookup("allowed.test", DNS_T_A, 0, a, 2, &s, &r, &u), "answer naming the gateway");
		ok(s.n_allow == 1 && allowed_has(&s, "198.51.100.9") && s.n_rebind == 1,
		   "the gateway is guarded, the other address goes through");
	}

	/* 3. the parent's verdict shapes the reply */
	{
		const char *a[] = { "198.51.100.1", "198.51.100.4" };

		ack_policy = refuse_first_v4;
		ok(lookup("allowed.test", DNS_T_A, 0, a, 2, &s, &r, &u), "parent refuses one address");
		ok(r.parsed == 0 && r.a.n_addr == 1 && reply_has(&r, "198.51.100.4"),
		   "only the inserted address is released");
		ack_policy = fail_all;
		ok(lookup("allowed.test", DNS_T_A, 0, a, 2, &s, &r, &u), "parent fails every insert");
		is_int(rcode_of(&r), DNS_R_SERVFAIL, "SERVFAIL, no address released");
		ok(s.n_upstream == 1 && s.m[s.n - 1].ttl == 2, "reported as insert failed");
		ack_policy = NULL;
	}
	/* a deny between the question and the acks: nothing released, and
	 * (the same early exit) nothing cached */
	{
		const char *a[] = { "198.51.100.21" };

		ack_policy = deny_before_ack;
		ok(lookup("race.test", DNS_T_A, 0, a, 1, &s, &r, &u), "a deny crosses the answer of race.test");
		ok(rcode_of(&r) == DNS_R_NXDOMAIN && r.a.n_addr == 0,
		   "...NXDOMAIN: no address released for a name no longer allowed (rcode %u)", rcode_of(&r));
		ack_policy = NULL;
		tell_child(FW_OP_CTL_ALLOW, "race.test");
		usleep(100 * 1000);
		ok(lookup("race.test", DNS_T_A, 0, a, 1, &s, &r, &u) && r.a.n_addr == 1,
		   "...allowed again: answered (the path that refused it also skips the cache put)");
		ack_policy = deny_and_refuse;
		ok(lookup("race.test", DNS_T_A, 0, a, 1, &s, &r, &u) && rcode_of(&r) == DNS_R_NXDOMAIN &&
		   s.n_upstream == 0, "the parent refused the insert after the deny: NXDOMAIN, not an "
		   "upstream failure (rcode %u)", rcode_of(&r));
		ok(s.n_refused == 1 || await_note(&s, FW_OP_REFUSED), "...recorded as refused");
		ack_policy = NULL;
	}

	/* 4. refused names never reach the upstream; the next allowed one does,
	 * and is the first thing the upstream sees */
	{
		const char *names[] = { "secret.exfil.test", "wild.test", "allowed.test.evil.test",
					"xallowed.test" };

		for (size_t i = 0; i < 4; i++) {
			pquery(&p, 0x100 + (unsigned)i, names[i], DNS_T_A, 0);
			client_send(&p);
			ok(await_reply(&s, &r, F.client), "%s answered", names[i]);
			ok(rcode_of(&r) == DNS_R_NXDOMAIN && rd16(r.b) == 0x100 + i, "...NXDOMAIN, id echoed");
			ok((s.n_refused == 1 || await_note(&s, FW_OP_REFUSED)) && s.n == 1 &&
			   s.m[0].op == FW_OP_REFUSED && strcmp(s.m[0].name, names[i]) == 0,
			   "...reported to the parent, nothing else asked");
		}
		/* with EDNS: the NXDOMAIN says why (RFC 8914 Blocked) and how to open it */
		pquery(&p, 0x150, "blocked.test", DNS_T_A, 1);
		client_send(&p);
		ok(await_reply(&s, &r, F.client) && rcode_of(&r) == DNS_R_NXDOMAIN && rd16(r.b + 10) == 1,
		   "an EDNS query for a refused name: NXDOMAIN with an OPT");
		{
			const uint8_t *t = memmem(r.b, r.len, "codex-sandbox: ", 15);

			ok(t && t - r.b >= 6 && rd16(t - 6) == 15 && rd16(t - 2) == 15 &&
			   memmem(r.b, r.len, "codex-sandbox allow 0123abcd blocked.test", 41),
			   "...carrying an Extended DNS Error (option 15, INFO-CODE 15) with the allow command");
		}
		(void)(s.n_refused == 1 || await_note(&s, FW_OP_REFUSED));
		pquery(&p, 0x200, "ALLOWED.test", DNS_T_TXT, 0);
		client_send(&p);
		ok(await_reply(&s, &r, F.client) && rcode_of(&r) == 0 && ancount(&r) == 0,
		   "other types of an allowed name: NODATA at once");
		pquery(&p, 0x201, "allowed.test", DNS_T_A, 0);
		client_send(&p);
		ok(up_recv(&u), "an allowed query reaches the upstream");
		is_str(u.q.text, "allowed.test", "...and it is the first the upstream sees");
		ok(memcmp(u.q.qraw + 1, "allowed", 7) == 0, "...with the client's case");
		up_answer_start(&p, &u, DNS_R_NXDOMAIN, 0);
		up_send(&u, &p);
		ok(await_reply(&s, &r, F.client) && rcode_of(&r) == DNS_R_NXDOMAIN, "upstream NXDOMAIN passed on");
	}

	/* 5. AAAA refused by the upstream: NODATA; SERVFAIL and A stay failures */
	{
		ok(lookup("allowed.test", DNS_T_AAAA, DNS_R_REFUSED, NULL, 0, &s, &r, &u), "AAAA REFUSED upstream");
		is_int(rcode_of(&r), DNS_R_NOERROR, "...NOERROR to the client");
		is_int(ancount(&r), 0, "...no answer (NODATA)");
		is_int(rd16(r.b + 4), 1, "...the question");
		ok(r.parsed == 0, "...the same question");
		ok(lookup("allowed.test", DNS_T_AAAA, DNS_R_NOTIMP, NULL, 0, &s, &r, &u) &&
		   rcode_of(&r) == 0 && ancount(&r) == 0, "AAAA NOTIMP upstream: NODATA");
		ok(lookup("allowed.test", DNS_T_AAAA, DNS_R_SERVFAIL, NULL, 0, &s, &r, &u) &&
		   rcode_of(&r) == DNS_R_SERVFAIL, "AAAA SERVFAIL upstream: SERVFAIL (transient)");
		ok(lookup("allowed.test", DNS_T_A, DNS_R_REFUSED, NULL, 0, &s, &r, &u) &&
		   rcode_of(&r) == DNS_R_SERVFAIL, "A REFUSED upstream: SERVFAIL");
		ok(s.n_upstream == 1 && s.m[0].ttl == 16 + DNS_R_REFUSED, "...reported with its rcode");
	}

	/* 6. limits */
	{
		/* addresses per answer: max_addrs */
		static char ips[40][32];
		const char *a[40];

		for (int i = 0; i < 40; i++) {
			snprintf(ips[i], sizeof ips[i], "203.0.113.%d", i + 1);
			a[i] = ips[i];
		}
		ok(lookup("allowed.test", DNS_T_A, 0, a, 40, &s, &r, &u), "answer with 40 addresses");
		is_int(s.n_allow, 32, "32 sent to the parent (max_addrs)");
		is_int(r.a.n_addr, 32, "32 in the reply");
		ok(r.len > DNS_UDP_MAX_PLAIN && !(r.b[2] & 0x02), "...to an EDNS client: %zu bytes, no TC", r.len);

		/* the same to a client without EDNS: 512 bytes at most, TC */
		pquery(&p, 0x4343, "allowed.test", DNS_T_A, 0);
		client_send(&p);
		ok(up_recv(&u), "plain (no EDNS) query forwarded");
		up_answer_start(&p, &u, 0, 40);
		for (int i = 0; i < 40; i++)
			rr_a(&p, DNS_HDR, a[i], 300);
		up_send(&u, &p);
		ok(await_reply(&s, &r, F.client), "answered");
		ok(r.len <= DNS_UDP_MAX_PLAIN && (r.b[2] & 0x02), "...in %zu <= 512 bytes with TC set", r.len);
	}
	{
		/* client query size: 1232 bytes is served, 1233 gets FORMERR */
		struct pkt big;

		for (int extra = 0; extra < 2; extra++) {
			hdr(&big, 0x300 + (unsigned)extra, DNS_F_RD, 1, 0, 0, 1);
			pquestion(&big, "allowed.test", DNS_T_A);
			size_t pad = 1232 + (size_t)extra - big.n - 11 - 4;

			p8(&big, 0);
			rrfix(&big, DNS_T_OPT, 1232, 0, (unsigned)(pad + 4));
			p16(&big, 65001);       /* a local-use option */
			p16(&big, (unsigned)pad);
			for (size_t i = 0; i < pad; i++)
				p8(&big, 0);
			client_send(&big);
			if (!extra) {
				ok(big.n == 1232 && up_recv(&u), "a 1232-byte query is forwarded");
				ok(u.len < 100, "...as a fresh query without the client's padding (%zu)", u.len);
				up_answer_start(&p, &u, 0, 0);
				up_send(&u, &p);
				ok(await_reply(&s, &r, F.client) && rcode_of(&r) == 0, "...and answered");
			} else {
				ok(big.n == 1233 && await_reply(&s, &r, F.client), "a 1233-byte query is answered");
				ok(rcode_of(&r) == DNS_R_FORMERR && rd16(r.b) == 0x301, "...with FORMERR");
			}
		}
		/* nine additional records: FORMERR */
		hdr(&p, 0x310, DNS_F_RD, 1, 0, 0, 9);
		pquestion(&p, "allowed.test", DNS_T_A);
		for (int i = 0; i < 9; i++)
			popt(&p, 1232);
		client_send(&p);
		ok(await_reply(&s, &r, F.client) && rcode_of(&r) == DNS_R_FORMERR, "9 additional records: FORMERR");
		/* wrong class: REFUSED, not forwarded; other opcode: NOTIMP */
		hdr(&p, 0x311, DNS_F_RD, 1, 0, 0, 0);
		pname(&p, "allowed.test");
		p16(&p, DNS_T_A);
		p16(&p, 3);
		client_send(&p);
		ok(await_reply(&s, &r, F.client) && rcode_of(&r) == DNS_R_REFUSED, "class CH: REFUSED");
		hdr(&p, 0x312, DNS_F_RD | 2u << 11, 1, 0, 0, 0);
		pquestion(&p, "allowed.test", DNS_T_A);
		client_send(&p);
		ok(await_reply(&s, &r, F.client) && rcode_of(&r) == DNS_R_NOTIMP, "opcode STATUS: NOTIMP");
	}
	{
		/* TCP: a normal query is served; a length prefix beyond 1232
		 * closes the connection without an answer */
		uint8_t out[4096];
		int n;

		pquery(&p, 0x400, "blocked.test", DNS_T_A, 0);
		n = tcp_exchange(p.b, p.n, p.n, out, sizeof out, &s);
		ok(n >= DNS_HDR && rd16(out) == 0x400 && (out[3] & 0xf) == DNS_R_NXDOMAIN,
		   "TCP query answered (%d)", n);
		is_int(tcp_oversize(p.b, p.n, 1233), 0, "TCP length prefix 1233: closed at once, no answer");

		/* an allowed name over TCP: inserted before the answer, framed */
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		uint8_t fr[2 + 64];

		pquery(&p, 0x401, "allowed.test", DNS_T_A, 0);
		fr[0] = 0;
		fr[1] = (uint8_t)p.n;
		memcpy(fr + 2, p.b, p.n);
		ok(fd >= 0 && connect(fd, (struct sockaddr *)&F.faddr, sizeof F.faddr) == 0 &&
		   send(fd, fr, p.n + 2, MSG_NOSIGNAL) == (ssize_t)(p.n + 2) && up_recv(&u),
		   "TCP query for an allowed name forwarded");
		up_answer_start(&p, &u, 0, 2);
		rr_a(&p, DNS_HDR, "198.51.100.77", 60);
		rr_a(&p, DNS_HDR, "10.7.7.7", 60);
		up_send(&u, &p);
		ok(await_reply(&s, &r, fd) && r.len > 2 && rd16(r.b) == r.len - 2, "framed TCP answer");
		static struct reply unframed;

		unframed.len = r.len > 2 ? r.len - 2 : 0;
		memcpy(unframed.b, r.b + 2, unframed.len);
		parse_reply(&unframed, "allowed.test", DNS_T_A);
		ok(s.n_allow == 1 && s.n_rebind == 1 && unframed.a.n_addr == 1 &&
		   reply_has(&unframed, "198.51.100.77"), "...holding the inserted address only");
		if (fd >= 0)
			close(fd);
	}
	{
		/* truncated UDP answer: retried over TCP, the full answer used */
		int c;
		uint8_t lb[2], qb[2048];
		struct upq tq;
		size_t qlen;

		pquery(&p, 0x500, "allowed.test", DNS_T_A, 1);
		client_send(&p);
		ok(up_recv(&u), "query for the TC test");
		hdr(&p, u.q.id, DNS_F_QR | DNS_F_TC, 1, 0, 0, 0);
		pbytes(&p, u.q.qraw, u.q.qraw_len);
		up_send(&u, &p);
		struct pollfd pfd = { F.uptcp, POLLIN, 0 };
		c = poll(&pfd, 1, WAIT_MS) > 0 ? accept(F.uptcp, NULL, NULL) : -1;
		ok(c >= 0, "TC answer: the filter connects over TCP");
		qlen = 0;
		if (c >= 0 && recv(c, lb, 2, MSG_WAITALL) == 2) {
			qlen = (size_t)(lb[0] << 8 | lb[1]);
			if (qlen > sizeof qb || recv(c, qb, qlen, MSG_WAITALL) != (ssize_t)qlen)
				qlen = 0;
		}
		memcpy(tq.raw, qb, qlen);
		tq.len = qlen;
		ok(qlen && dns_parse_query(tq.raw, tq.len, &tq.q) == 0 && strcmp(tq.q.text, "allowed.test") == 0,
		   "...and asks again there");
		up_answer_start(&p, &tq, 0, 1);
		rr_a(&p, DNS_HDR, "198.51.100.55", 60);
		lb[0] = (uint8_t)(p.n >> 8);
		lb[1] = (uint8_t)p.n;
		if (c >= 0) {
			send(c, lb, 2, MSG_NOSIGNAL);
			send(c, p.b, p.n, MSG_NOSIGNAL);
		}
		ok(await_reply(&s, &r, F.client), "TCP answer relayed");
		parse_reply(&r, "allowed.test", DNS_T_A);
		ok(s.n_allow == 1 && r.a.n_addr == 1 && reply_has(&r, "198.51.100.55"), "...its address inserted and released");
		if (c >= 0)
			close(c);
	}
	{
		/* an answer with another id is ignored; the right one is used */
		pquery(&p, 0x600, "allowed.test", DNS_T_A, 0);
		client_send(&p);
		ok(up_recv(&u), "query for the spoof test");
		hdr(&p, (unsigned)(u.q.id ^ 0x5555), DNS_F_QR, 1, 1, 0, 0);
		pbytes(&p, u.q.qraw, u.q.qraw_len);
		rr_a(&p, DNS_HDR, "198.51.100.66", 60);
		up_send(&u, &p);
		up_answer_start(&p, &u, 0, 1);
		rr_a(&p, DNS_HDR, "198.51.100.67", 60);
		up_send(&u, &p);
		ok(await_reply(&s, &r, F.client), "answered");
		parse_reply(&r, "allowed.test", DNS_T_A);
		ok(r.a.n_addr == 1 && reply_has(&r, "198.51.100.67") && !allowed_has(&s, "198.51.100.66"),
		   "only the answer with the query's id counts");
	}

	/* shared upstream sockets: two clients' queries in flight at once on
	 * one socket, answered in reverse order, each client gets its own */
	{
		int c2 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		static struct upq u1, u2;
		struct sockaddr_in *f1 = (struct sockaddr_in *)&u1.from, *f2 = (struct sockaddr_in *)&u2.from;

		ok(c2 >= 0 && connect(c2, (struct sockaddr *)&F.faddr, sizeof F.faddr) == 0, "a second client");
		pquery(&p, 0x700, "one.wild.test", DNS_T_A, 0);
		client_send(&p);
		ok(up_recv(&u1), "first client's query upstream");
		pquery(&p, 0x701, "two.wild.test", DNS_T_A, 0);
		send(c2, p.b, p.n, 0);
		ok(up_recv(&u2), "second client's query upstream");
		ok(f1->sin_port == f2->sin_port, "...from the same socket (one upstream socket, not one per query)");
		ok(u1.q.id != u2.q.id, "...under different ids");
		/* the first query's id with the second's question: dropped */
		up_answer_start(&p, &u2, 0, 1);
		p.b[0] = (uint8_t)(u1.q.id >> 8);
		p.b[1] = (uint8_t)u1.q.id;
		rr_a(&p, DNS_HDR, "198.51.100.90", 60);
		up_send(&u2, &p);
		/* an id nobody used: dropped */
		up_answer_start(&p, &u2, 0, 1);
		p.b[0] = (uint8_t)((u1.q.id ^ u2.q.id ^ 0x0101) >> 8);
		p.b[1] = (uint8_t)(u1.q.id ^ u2.q.id ^ 0x0101);
		rr_a(&p, DNS_HDR, "198.51.100.91", 60);
		up_send(&u2, &p);
		up_answer_start(&p, &u2, 0, 1);
		rr_a(&p, DNS_HDR, "198.51.100.92", 60);
		up_send(&u2, &p);
		ok(await_reply(&s, &r, c2), "second client answered first");
		parse_reply(&r, "two.wild.test", DNS_T_A);
		ok(rd16(r.b) == 0x701 && r.a.n_addr == 1 && reply_has(&r, "198.51.100.92"),
		   "...with its own answer only");
		ok(!allowed_has(&s, "198.51.100.90") && !allowed_has(&s, "198.51.100.91"),
		   "the spoofed answers (wrong question, unknown id) inserted nothing");
		up_answer_start(&p, &u1, 0, 1);
		rr_a(&p, DNS_HDR, "198.51.100.93", 60);
		up_send(&u1, &p);
		ok(await_reply(&s, &r, F.client), "first client answered");
		parse_reply(&r, "one.wild.test", DNS_T_A);
		ok(rd16(r.b) == 0x700 && r.a.n_addr == 1 && reply_has(&r, "198.51.100.93"),
		   "...with its own answer");
		if (c2 >= 0)
			close(c2);
	}
	{
		/* the shared socket is replaced after DNSF_UPSOCK_USES queries:
		 * the source port keeps changing */
		uint16_t ports[8];
		size_t n_ports = 0;
		int answered = 0;

		for (int i = 0; i < 3 * DNSF_UPSOCK_USES; i++) {
			struct sockaddr_in *f = (struct sockaddr_in *)&u.from;
			bool seen_port = false;

			pquery(&p, 0x800 + (unsigned)i, "allowed.test", DNS_T_A, 0);
			client_send(&p);
			if (!up_recv(&u))
				break;
			for (size_t k = 0; k < n_ports; k++)
				seen_port |= ports[k] == f->sin_port;
			if (!seen_port && n_ports < 8)
				ports[n_ports++] = f->sin_port;
			up_answer_start(&p, &u, DNS_R_NXDOMAIN, 0);
			up_send(&u, &p);
			answered += await_reply(&s, &r, F.client) && rcode_of(&r) == DNS_R_NXDOMAIN;
		}
		is_int(answered, 3 * DNSF_UPSOCK_USES, "%d queries answered", 3 * DNSF_UPSOCK_USES);
		ok(n_ports >= 3, "...from %zu source ports (a fresh socket every %d queries)", n_ports,
		   DNSF_UPSOCK_USES);
	}

	/* queries in flight: DNSF_MAX_PENDING forwarded, the next one gets
	 * SERVFAIL at once (last: the upstream never answers these) */
	{
		int fwd = 0;

		for (int i = 0; i < DNSF_MAX_PENDING; i++) {
			pquery(&p, 0x1000 + (unsigned)i, "allowed.test", DNS_T_A, 0);
			client_send(&p);
		}
		for (int i = 0; i < DNSF_MAX_PENDING && up_recv(&u); i++)
			fwd++;
		is_int(fwd, DNSF_MAX_PENDING, "%d queries in flight upstream", DNSF_MAX_PENDING);
		pquery(&p, 0x2000, "allowed.test", DNS_T_A, 0);
		client_send(&p);
		ok(await_reply(&s, &r, F.client), "one more is answered at once");
		ok(rd16(r.b) == 0x2000 && rcode_of(&r) == DNS_R_SERVFAIL, "...with SERVFAIL (id %#x rcode %u)",
		   rd16(r.b), rcode_of(&r));
	}

	/* the parent going away ends the filter */
	close(F.parent);
	pthread_join(F.th, NULL);
	is_int(F.rc, 0, "filter returns 0 when the parent closes the channel");
	return tap_done();
}
