/* The privileged parent (firewall/parent.c) without root: a SOCK_SEQPACKET
 * pair plays the DNS child, a recorder stands in for the netlink insert.
 * The parent must re-check every FW_OP_ALLOW itself - the name against the
 * allowlist, the address against the rebinding guard, the message's shape -
 * because the child parses hostile packets and may be compromised: a bad
 * message is refused (acked, never inserted), whatever the child says. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "firewall/config.h"
#include "firewall/parent.h"
#include "firewall/guard.h"
#include "firewall/privsep.h"
#include "firewall/sets.h"

struct rec {
	struct fw_elem e4[256], e6[256];
	size_t n4, n6;
	int calls;
	bool fail;
};

static int rec_insert(void *ctx, const struct fw_elem *e4, size_t n4, const struct fw_elem *e6,
		      size_t n6, struct cs_err *err)
{
	struct rec *r = ctx;

	r->calls++;
	if (r->fail)
		return cs_fail(err, ENOSPC, "kernel refused adding elements to allow4: No space left");
	for (size_t i = 0; i < n4 && r->n4 < 256; i++)
		r->e4[r->n4++] = e4[i];
	for (size_t i = 0; i < n6 && r->n6 < 256; i++)
		r->e6[r->n6++] = e6[i];
	return 0;
}

static int child_fd;            /* the test's end: it plays the DNS child */
static struct fw_parent *pp;
static struct rec rec;
static uint32_t seq;

static struct fw_msg msg(uint32_t op, const char *name, int family, const char *ip, uint32_t ttl)
{
	struct fw_msg m;

	memset(&m, 0, sizeof m);
	m.op = op;
	m.seq = seq++;
	m.family = (uint32_t)family;
	m.ttl = ttl;
	m.qtype = family == AF_INET6 ? 28 : 1;
	if (ip)
		inet_pton(family, ip, m.addr);
	snprintf(m.name, sizeof m.name, "%s", name);
	return m;
}

static void put(const struct fw_msg *m)
{
	if (send(child_fd, m, sizeof *m, 0) != (ssize_t)sizeof *m)
		printf("# send failed: %s\n", strerror(errno));
}

/* Run the parent over what is queued; capture its stdout (EVENT lines)
 * into OUT.  Returns fw_parent_handle's result. */
static int handle(char *out, size_t outsz)
{
	int pfd[2], saved, r;
	ssize_t n;

	fflush(stdout);
	if (pipe(pfd) < 0)
		return -2;
	saved = dup(1);
	dup2(pfd[1], 1);
	r = fw_parent_handle(pp);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(pfd[1]);
	n = read(pfd[0], out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	return r;
}

/* The acks waiting for the child; returns how many (up to MAX). */
static size_t acks(struct fw_ack *a, size_t max)
{
	size_t n = 0;

	while (n < max && recv(child_fd, &a[n], sizeof a[n], MSG_DONTWAIT) == (ssize_t)sizeof a[n])
		n++;
	return n;
}

/* One ALLOW through the parent: the ack status, or -1 when none came. */
static int allow1(const char *name, int family, const char *ip, uint32_t ttl, char *ev, size_t evsz)
{
	struct fw_msg m = msg(FW_OP_ALLOW, name, family, ip, ttl);
	struct fw_ack a[4];
	size_t n;

	put(&m);
	handle(ev, evsz);
	n = acks(a, 4);
	if (n != 1 || a[0].seq != m.seq)
		return -1;
	return a[0].status;
}

static const char *ip4(const struct fw_elem *e)
{
	static char s[64];

	inet_ntop(AF_INET, e->addr, s, sizeof s);
	return s;
}

int main(void)
{
	struct fw_config cfg;
	struct cs_err err = { 0 };
	char ev[8192];
	int sp[2], st;

	plan(56);
	fw_config_defaults(&cfg);
	if (allowlist_add_text(&cfg.al, "allowed.test *.wild.test 10.0.0.5 192.168.7.0/24 fd00:7::/64",
			       "test", &err) < 0)
		printf("# %s\n", err.msg);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		return 1;
	child_fd = sp[1];
	pp = fw_parent_new(&cfg, sp[0], rec_insert, &rec);
	ok(pp != NULL, "parent created");
	if (!pp)
		return tap_done();
	unsigned char gw[4] = { 203, 0, 113, 1 };
	guard_add_gateway(fw_parent_guard(pp), AF_INET, gw);

	/* good messages are inserted, with the TTL clamped and the grace added */
	st = allow1("allowed.test", AF_INET, "203.0.113.10", 300, ev, sizeof ev);
	is_int(st, FW_ACK_OK, "allowed name, public IPv4: acked OK");
	ok(rec.calls == 1 && rec.n4 == 1, "...inserted once (%d calls, %zu)", rec.calls, rec.n4);
	is_str(ip4(&rec.e4[0]), "203.0.113.10", "...the address the child named");
	is_int(rec.e4[0].timeout_ms, (300 + 60) * 1000, "...timeout = TTL + grace");
	st = allow1("ALLOWED.test.", AF_INET6, "2001:db8::10", 5, ev, sizeof ev);
	is_int(st, FW_ACK_OK, "same name in capitals with the root dot, IPv6: OK");
	ok(rec.n6 == 1 && rec.e6[0].addr[15] == 0x10, "...inserted into the IPv6 set");
	is_int(rec.e6[0].timeout_ms, (60 + 60) * 1000, "...a 5 s TTL is raised to the 60 s floor");
	st = allow1("a.b.wild.test", AF_INET, "203.0.113.11", 10000000, ev, sizeof ev);
	is_int(st, FW_ACK_OK, "wildcard subdomain: OK");
	is_int(rec.e4[rec.n4 - 1].timeout_ms, (86400ull + 60) * 1000, "...a huge TTL is capped at a day");

	/* the name is re-checked against the allowlist */
	rec.calls = 0;
	st = allow1("evil.test", AF_INET, "203.0.113.12", 300, ev, sizeof ev);
	is_int(st, FW_ACK_INVALID, "name not on the allowlist: INVALID");
	st = allow1("wild.test", AF_INET, "203.0.113.12", 300, ev, sizeof ev);
	is_int(st, FW_ACK_INVALID, "wildcard apex: INVALID");
	st = allow1("allowed.test.evil.test", AF_INET, "203.0.113.12", 300, ev, sizeof ev);
	is_int(st, FW_ACK_INVALID, "allowed name as a prefix of another: INVALID");
	st = allow1("", AF_INET, "203.0.113.12", 300, ev, sizeof ev);
	is_int(st, FW_ACK_INVALID, "empty name: INVALID");
	{
		struct fw_msg m = msg(FW_OP_ALLOW, "allowed.test", AF_INET, "203.0.113.12", 300);
		struct fw_ack a[2];

		memset(m.name, 'a', sizeof m.name);     /* no NUL anywhere */
		put(&m);
		handle(ev, sizeof ev);
		ok(acks(a, 2) == 1 && a[0].status == FW_ACK_INVALID, "name without a NUL: INVALID");
		m = msg(FW_OP_ALLOW, "allowed.test", AF_INET, "203.0.113.12", 300);
		memcpy(m.name, "allowed.test\0junk", 17);
		put(&m);
		handle(ev, sizeof ev);
		ok(acks(a, 2) == 1 && a[0].status == FW_ACK_OK, "bytes after the NUL do not matter: OK");
		m = msg(FW_OP_ALLOW, "allowed.test\n", AF_INET, "203.0.113.12", 300);
		put(&m);
		handle(ev, sizeof ev);
		ok(acks(a, 2) == 1 && a[0].status == FW_ACK_INVALID, "name with a control byte: INVALID");
	}
	is_int(rec.calls, 1, "only the one good message of these was inserted");

	/* the message's shape */
	rec.calls = 0;
	st = allow1("allowed.test", 99, "203.0.113.12", 300, ev, sizeof ev);
	is_int(st, FW_ACK_INVALID, "unknown family: INVALID");
	{
		struct fw_msg m = msg(FW_OP_ALLOW, "allowed.test", AF_INET, "203.0.113.13", 300);
		struct fw_ack a[2];

		m.addr[9] = 1;          /* junk after the 4 bytes of an IPv4 address */
		put(&m);
		handle(ev, sizeof ev);
		ok(acks(a, 2) == 1 && a[0].status == FW_ACK_INVALID, "IPv4 with junk in bytes 4-15: INVALID");
		m.addr[9] = 0;
		m.addr[15] = 1;
		put(&m);
		handle(ev, sizeof ev);
		ok(acks(a, 2) == 1 && a[0].status == FW_ACK_INVALID, "...in byte 15 too: INVALID");
	}
	is_int(rec.calls, 0, "nothing inserted");

	/* the address is re-checked against the guard */
	st = allow1("allowed.test", AF_INET, "10.1.2.3", 300, ev, sizeof ev);
	is_int(st, FW_ACK_GUARDED, "private IPv4 for an allowed name: GUARDED");
	ok(strstr(ev, "EVENT {\"type\":\"dns-rebind\",\"name\":\"allowed.test\",\"addr\":\"10.1.2.3\"") != NULL,
	   "...reported as a rebind EVENT");
	is_int(allow1("allowed.test", AF_INET, "127.0.0.1", 300, ev, sizeof ev), FW_ACK_GUARDED,
	       "loopback: GUARDED");
	is_int(allow1("allowed.test", AF_INET, "169.254.169.254", 300, ev, sizeof ev), FW_ACK_GUARDED,
	       "cloud metadata: GUARDED");
	is_int(allow1("allowed.test", AF_INET, "203.0.113.1", 300, ev, sizeof ev), FW_ACK_GUARDED,
	       "the namespace's gateway: GUARDED");
	ok(strstr(ev, "\"reason\":\"gateway") != NULL, "...with reason gateway");
	is_int(allow1("allowed.test", AF_INET6, "fd00::1", 300, ev, sizeof ev), FW_ACK_GUARDED,
	       "unique-local IPv6: GUARDED");
	is_int(allow1("allowed.test", AF_INET6, "::ffff:10.0.0.1", 300, ev, sizeof ev), FW_ACK_GUARDED,
	       "IPv4-mapped IPv6: GUARDED");
	is_int(allow1("allowed.test", AF_INET6, "64:ff9b::a00:1", 300, ev, sizeof ev), FW_ACK_GUARDED,
	       "NAT64 of a private IPv4: GUARDED");
	is_int(rec.calls, 0, "no guarded address was inserted");
	/* an explicit IP/CIDR entry already opens it: acked, nothing to insert */
	is_int(allow1("allowed.test", AF_INET, "10.0.0.5", 300, ev, sizeof ev), FW_ACK_OK,
	       "private IPv4 listed explicitly: OK");
	is_int(allow1("allowed.test", AF_INET, "192.168.7.9", 300, ev, sizeof ev), FW_ACK_OK,
	       "inside an explicit CIDR: OK");
	is_int(allow1("allowed.test", AF_INET6, "fd00:7::9", 300, ev, sizeof ev), FW_ACK_OK,
	       "inside an explicit IPv6 CIDR: OK");
	is_int(rec.calls, 0, "...and not inserted (allow4_net/allow6_net hold them)");
	is_int(allow1("allowed.test", AF_INET, "192.168.8.9", 300, ev, sizeof ev), FW_ACK_GUARDED,
	       "just outside that CIDR: GUARDED");
	is_int(allow1("evil.test", AF_INET, "10.0.0.5", 300, ev, sizeof ev), FW_ACK_INVALID,
	       "an explicit address does not make a refused name acceptable");

	/* insert failure: every element of the burst is acked FAILED */
	rec.fail = true;
	st = allow1("allowed.test", AF_INET, "203.0.113.20", 300, ev, sizeof ev);
	is_int(st, FW_ACK_FAILED, "kernel refuses the insert: FAILED");
	ok(strstr(ev, "EVENT {\"type\":\"insert-failed\"") != NULL, "...reported as an EVENT");
	rec.fail = false;

	/* an element is never shortened: a shorter TTL is not re-inserted,
	 * a longer one is */
	rec.calls = 0;
	allow1("allowed.test", AF_INET, "203.0.113.21", 3000, ev, sizeof ev);
	is_int(rec.calls, 1, "first answer inserted");
	is_int(allow1("allowed.test", AF_INET, "203.0.113.21", 100, ev, sizeof ev), FW_ACK_OK,
	       "shorter TTL for the same address: OK");
	is_int(rec.calls, 1, "...without shortening the element");
	allow1("allowed.test", AF_INET, "203.0.113.21", 9000, ev, sizeof ev);
	is_int(rec.calls, 2, "longer TTL: refreshed");

	/* notes are reported, never acked; a note never inserts */
	{
		struct fw_msg m = msg(FW_OP_REFUSED, "exfil.test", AF_INET, NULL, 0);
		struct fw_ack a[2];

		rec.calls = 0;
		put(&m);
		handle(ev, sizeof ev);
		ok(strstr(ev, "EVENT {\"type\":\"dns-refused\",\"name\":\"exfil.test\",\"qtype\":\"A\"}") != NULL,
		   "refused name: EVENT");
		is_int(acks(a, 2), 0, "...not acked");
		m.seq = seq++;
		put(&m);
		handle(ev, sizeof ev);
		is_str(ev, "", "second refusal of the same name: no second EVENT");
		m = msg(FW_OP_REFUSED, "x", AF_INET, NULL, 0);
		memset(m.name, 'b', sizeof m.name);     /* no NUL: dropped unread */
		put(&m);
		handle(ev, sizeof ev);
		is_str(ev, "", "a note whose name has no NUL: no EVENT");
		m = msg(FW_OP_REBIND, "allowed.test", AF_INET, "203.0.113.30", 0);
		put(&m);
		handle(ev, sizeof ev);
		ok(acks(a, 2) == 0 && rec.calls == 0, "a REBIND note inserts nothing and gets no ack");
	}

	/* sizes: a message of another size is dropped (no ack), the next good
	 * one in the same burst is still handled */
	{
		struct fw_msg m = msg(FW_OP_ALLOW, "allowed.test", AF_INET, "203.0.113.40", 300);
		struct fw_ack a[4];
		char big[sizeof m + 8];

		memset(big, 0, sizeof big);
		memcpy(big, &m, sizeof m);
		rec.calls = 0;
		send(child_fd, &m, sizeof m - 1, 0);
		send(child_fd, big, sizeof big, 0);
		m.seq = seq++;
		put(&m);
		handle(ev, sizeof ev);
		is_int(acks(a, 4), 1, "short and long messages dropped, one ack for the good one");
		is_int(a[0].seq, m.seq, "...for the good one's seq");
		ok(rec.calls == 1 && rec.n4 && memcmp(rec.e4[rec.n4 - 1].addr, m.addr, 4) == 0,
		   "...which was inserted");
	}
	/* a burst is bounded: 64 per call, the rest on the next */
	{
		struct fw_ack a[80];
		size_t n1, n2;

		for (int i = 0; i < 70; i++) {
			char ipb[32];
			struct fw_msg m;

			snprintf(ipb, sizeof ipb, "198.51.100.%d", i + 1);
			m = msg(FW_OP_ALLOW, "allowed.test", AF_INET, ipb, 300);
			put(&m);
		}
		rec.calls = 0;
		handle(ev, sizeof ev);
		n1 = acks(a, 80);
		handle(ev, sizeof ev);
		n2 = acks(a + n1, 80 - n1);
		ok(n1 == 64 && n2 == 6, "70 messages: 64 handled, then 6 (%zu, %zu)", n1, n2);
		ok(rec.calls == 2, "...in one insert per burst (%d)", rec.calls);
		ok(a[0].seq + 69 == a[69].seq, "acks in order");
	}

	/* the child going away is reported */
	close(child_fd);
	is_int(handle(ev, sizeof ev), -1, "child closed its end: -1");
	fw_parent_free(pp);
	allowlist_free(&cfg.al);
	close(sp[0]);
	return tap_done();
}
