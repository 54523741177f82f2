/* The first-bytes check as the parent wires it (firewall/parent_nfq.c) and
 * its (name, address) memory (firewall/namemap.c): queued packets in, the
 * verdicts the kernel would get out (a recorder stands in for the socket).
 * Shown: SYN and pure ACKs pass unmarked; the segment that completes an
 * allowed, learned name is repeated with the ok mark, one that completes
 * anything else with the no mark; earlier segments are remembered and
 * dropped; whatever the table does not know, cannot hold or has forgotten is
 * refused; a name counts for an address only if it resolved there when the
 * flow began. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "tap.h"
#include "flowhello.h"
#include "firewall/namemap.h"
#include "firewall/nfq.h"
#include "firewall/parent_nfq.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08

struct rec {
	uint32_t id, verdict, mark;
	bool set_mark;
	int n;
	int emits;
};

static struct rec last;

static int recorder(void *ctx, uint32_t id, uint32_t verdict, bool set_mark, uint32_t mark)
{
	(void)ctx;
	last.id = id;
	last.verdict = verdict;
	last.set_mark = set_mark;
	last.mark = mark;
	last.n++;
	return 0;
}

static bool no_emit(void *ctx)
{
	(void)ctx;
	last.emits++;
	return false;        /* counted, never printed: stdout is TAP */
}

static uint8_t pkt[20000];

/* An IPv4 TCP packet 10.0.0.2:SPORT -> DST:DPORT. */
static size_t tcp4(const char *dst, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
		   const void *data, size_t len)
{
	size_t tot = 40 + len;

	memset(pkt, 0, 40);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[6] = 0x40;
	pkt[9] = 6;
	inet_pton(AF_INET, "10.0.0.2", pkt + 12);
	inet_pton(AF_INET, dst, pkt + 16);
	pkt[20] = (uint8_t)(sport >> 8);
	pkt[21] = (uint8_t)sport;
	pkt[22] = (uint8_t)(dport >> 8);
	pkt[23] = (uint8_t)dport;
	pkt[24] = (uint8_t)(seq >> 24);
	pkt[25] = (uint8_t)(seq >> 16);
	pkt[26] = (uint8_t)(seq >> 8);
	pkt[27] = (uint8_t)seq;
	pkt[32] = 0x50;
	pkt[33] = flags;
	if (len)    /* data may be NULL (a bare SYN): memcpy must not see it */
		memcpy(pkt + 40, data, len);
	return tot;
}

/* An IPv6 TCP packet 2001:db8:1::2:SPORT -> DST:443. */
static size_t tcp6(const char *dst, uint16_t sport, uint8_t flags, uint32_t seq, const void *data,
		   size_t len)
{
	size_t plen = 20 + len;

	memset(pkt, 0, 60);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(plen >> 8);
	pkt[5] = (uint8_t)plen;
	pkt[6] = 6;
	pkt[7] = 64;
	inet_pton(AF_INET6, "2001:db8:1::2", pkt + 8);
	inet_pton(AF_INET6, dst, pkt + 24);
	pkt[40] = (uint8_t)(sport >> 8);
	pkt[41] = (uint8_t)sport;
	pkt[43] = 0xbb;
	pkt[42] = 0x01;
	pkt[44] = (uint8_t)(seq >> 24);
	pkt[45] = (uint8_t)(seq >> 16);
	pkt[46] = (uint8_t)(seq >> 8);
	pkt[47] = (uint8_t)seq;
	pkt[52] = 0x50;
	pkt[53] = flags;
	if (len)
		memcpy(pkt + 60, data, len);
	return 40 + plen;
}

static uint32_t next_id = 1;

static void feed(struct fw_nfq *n, size_t len, int64_t now)
{
	fw_nfq_packet(n, next_id++, pkt, len, false, now);
}

static bool said(uint32_t verdict, bool set_mark, uint32_t mark)
{
	return last.id == next_id - 1 && last.verdict == verdict && last.set_mark == set_mark &&
	       (!set_mark || last.mark == mark);
}

/* A TLS record holding a ClientHello for SNI (PAD bytes of padding). */
static size_t hello(uint8_t *out, const char *sni, size_t pad)
{
	static uint8_t hs[20000];
	struct hello_opts o = { .sni = sni, .pad = pad };
	size_t n = build_hello(hs, &o);

	return wrap_records(out, hs, n, 16384);
}

/* SYN + ACK of a flow from SPORT to DST:DPORT with ISN. */
static void open_flow(struct fw_nfq *n, const char *dst, uint16_t sport, uint16_t dport, uint32_t isn,
		      int64_t now)
{
	feed(n, tcp4(dst, sport, dport, SYN, isn, NULL, 0), now);
	feed(n, tcp4(dst, sport, dport, ACK, isn + 1, NULL, 0), now);
}

static const uint8_t shared[4] = { 198, 51, 100, 10 }, other[4] = { 198, 51, 100, 11 };

static void test_flows(struct fw_nfq *n)
{
	static uint8_t h[20000];
	size_t hl;
	char req[] = "GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n";

	feed(n, tcp4("198.51.100.10", 40000, 443, SYN, 1000, NULL, 0), 0);
	ok(said(NF_ACCEPT, false, 0), "a SYN passes unmarked (nothing reaches the server)");
	feed(n, tcp4("198.51.100.10", 40000, 443, ACK, 1001, NULL, 0), 0);
	ok(said(NF_ACCEPT, false, 0), "the handshake's ACK passes unmarked");
	hl = hello(h, "allowed.test", 0);
	feed(n, tcp4("198.51.100.10", 40000, 443, ACK | PSH, 1001, h, hl), 5);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "ClientHello, SNI allowed.test, learned for the address: ok mark");
	ok(fw_nfq_refused(n) == 0 && last.emits == 0, "...nothing refused");
	/* segments queued before the verdict reached the kernel (curl -T: headers
	 * and body in separate writes; pipelining): the same verdict again */
	feed(n, tcp4("198.51.100.10", 40000, 443, ACK | PSH, 1001 + (uint32_t)hl, "body", 4), 6);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "a later segment of a flow judged ok: ok again (not reset)");
	feed(n, tcp4("198.51.100.10", 40000, 443, ACK | FIN, 1005 + (uint32_t)hl, NULL, 0), 6);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "...its FIN too");

	open_flow(n, "198.51.100.10", 40001, 443, 5000, 10);
	hl = hello(h, "ALLOWED.test.", 0);
	feed(n, tcp4("198.51.100.10", 40001, 443, ACK | PSH, 5001, h, hl), 10);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "SNI in another case with a trailing dot: the same name, ok");

	open_flow(n, "198.51.100.10", 40002, 443, 7000, 10);
	hl = hello(h, "other.test", 0);
	feed(n, tcp4("198.51.100.10", 40002, 443, ACK | PSH, 7001, h, hl), 10);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "SNI other.test (not allowed): no mark");
	ok(fw_nfq_refused(n) == 1 && last.emits == 1, "...counted, and an EVENT asked for");
	feed(n, tcp4("198.51.100.10", 40002, 443, ACK | PSH, 7001 + (uint32_t)hl, "more", 4), 11);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO) && fw_nfq_refused(n) == 1,
	   "a later segment of a refused flow: no again, counted once");
	feed(n, tcp4("198.51.100.10", 40002, 443, SYN, 8000, NULL, 0), 12);
	ok(said(NF_ACCEPT, false, 0), "the tuple used again (a new SYN): a new flow, pending");
	hl = hello(h, "allowed.test", 0);
	feed(n, tcp4("198.51.100.10", 40002, 443, ACK | PSH, 8001, h, hl), 12);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "...judged afresh: ok");

	open_flow(n, "198.51.100.10", 40003, 443, 9000, 10);
	hl = hello(h, "also.test", 0);
	feed(n, tcp4("198.51.100.10", 40003, 443, ACK | PSH, 9001, h, hl), 10);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "SNI also.test: allowed, but learned for another address: no");

	open_flow(n, "198.51.100.10", 40004, 443, 11000, 10);
	hl = hello(h, NULL, 0);
	feed(n, tcp4("198.51.100.10", 40004, 443, ACK | PSH, 11001, h, hl), 10);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "no SNI: no");

	/* a big hello in three segments: the first two are kept and dropped */
	open_flow(n, "198.51.100.10", 40005, 443, 0xfffffc00u, 20);   /* the sequence wraps */
	hl = hello(h, "allowed.test", 5000);
	feed(n, tcp4("198.51.100.10", 40005, 443, ACK, 0xfffffc01u, h, 1400), 20);
	ok(said(NF_DROP, false, 0), "segment 1 of 3: kept, dropped (the client sends it again)");
	feed(n, tcp4("198.51.100.10", 40005, 443, ACK, 0xfffffc01u + 1400, h + 1400, 1400), 20);
	ok(said(NF_DROP, false, 0), "segment 2 of 3 (the sequence number wrapped): dropped");
	feed(n, tcp4("198.51.100.10", 40005, 443, ACK, 0xfffffc01u, h, 1400), 21);
	ok(said(NF_DROP, false, 0), "segment 1 resent, the same bytes: dropped again, no verdict yet");
	feed(n, tcp4("198.51.100.10", 40005, 443, ACK | PSH, 0xfffffc01u + 2800, h + 2800, hl - 2800), 22);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "segment 3 completes the name: ok");

	open_flow(n, "198.51.100.10", 40006, 443, 100, 30);
	feed(n, tcp4("198.51.100.10", 40006, 443, ACK, 101 + 1400, h + 1400, 1400), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "a gap (bytes after a hole): no");

	open_flow(n, "198.51.100.10", 40007, 443, 100, 30);
	hl = hello(h, "other.test", 5000);
	feed(n, tcp4("198.51.100.10", 40007, 443, ACK, 101, h, 1400), 30);
	memcpy(h + 100, "x", 1);
	feed(n, tcp4("198.51.100.10", 40007, 443, ACK, 101, h, 1400), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "a resent segment whose bytes differ: no");

	open_flow(n, "198.51.100.10", 40008, 443, 100, 30);
	feed(n, tcp4("198.51.100.10", 40008, 443, ACK | FIN, 101, NULL, 0), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "FIN before any verdict: no");
	open_flow(n, "198.51.100.10", 40009, 443, 100, 30);
	hl = hello(h, "allowed.test", 3000);
	feed(n, tcp4("198.51.100.10", 40009, 443, ACK, 101, h, 1000), 30);
	feed(n, tcp4("198.51.100.10", 40009, 443, ACK | 0x04, 1101, NULL, 0), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "RST before the verdict: no");

	/* urgent data before the verdict: the server may read other bytes */
	{
		static uint8_t hu[2000];
		size_t hul = hello(hu, "allowed.test", 0);

		open_flow(n, "198.51.100.10", 40015, 443, 100, 30);
		feed(n, tcp4("198.51.100.10", 40015, 443, ACK | PSH | 0x20, 101, hu, hul), 30);
		ok(said(NF_REPEAT, true, NFQ_MARK_NO), "a hello with URG set (urgent data): no");
		feed(n, tcp4("198.51.100.10", 40016, 443, SYN | 0x20, 100, hu, hul), 30);
		ok(said(NF_REPEAT, true, NFQ_MARK_NO), "...on a SYN with data (TCP Fast Open) too");
	}

	/* more segments than FW_NFQ_SEGS without a name: refused */
	open_flow(n, "198.51.100.10", 40010, 443, 100, 30);
	for (uint32_t i = 0; i < FW_NFQ_SEGS; i++)
		feed(n, tcp4("198.51.100.10", 40010, 443, ACK, 101 + i * 10, h + i * 10, 10), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "%d segments and still no name: no", FW_NFQ_SEGS);

	/* two flows pending at once, interleaved: each keeps its own bytes */
	open_flow(n, "198.51.100.10", 40020, 443, 100, 30);
	open_flow(n, "198.51.100.10", 40021, 443, 500, 30);
	hl = hello(h, "other.test", 3000);
	feed(n, tcp4("198.51.100.10", 40020, 443, ACK, 101, h, 1000), 30);
	{
		static uint8_t h2[2000];
		size_t hl2 = hello(h2, "allowed.test", 0);

		feed(n, tcp4("198.51.100.10", 40021, 443, ACK | PSH, 501, h2, hl2), 30);
		ok(said(NF_REPEAT, true, NFQ_MARK_OK), "two flows pending: the second's hello allowed.test: ok");
	}
	feed(n, tcp4("198.51.100.10", 40020, 443, ACK | PSH, 1101, h + 1000, hl - 1000), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "...the first's, completed after it, other.test: no");

	/* HTTP on port 80 */
	open_flow(n, "198.51.100.10", 40011, 80, 100, 30);
	feed(n, tcp4("198.51.100.10", 40011, 80, ACK | PSH, 101, req, strlen(req)), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "HTTP Host allowed.test on port 80: ok");
	open_flow(n, "198.51.100.10", 40012, 80, 100, 30);
	memcpy(strstr(req, "allowed"), "xllowed", 7);
	feed(n, tcp4("198.51.100.10", 40012, 80, ACK | PSH, 101, req, strlen(req)), 30);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "HTTP Host xllowed.test: no");

	/* IPv6 */
	feed(n, tcp6("2001:db8:2::80", 40013, SYN, 300, NULL, 0), 40);
	ok(said(NF_ACCEPT, false, 0), "IPv6 SYN: passes");
	hl = hello(h, "allowed.test", 0);
	feed(n, tcp6("2001:db8:2::80", 40013, ACK | PSH, 301, h, hl), 40);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK), "IPv6 hello, learned for the IPv6 address: ok");

	/* what cannot be parsed is dropped */
	fw_nfq_packet(n, next_id++, pkt, 30, false, 40);
	ok(said(NF_DROP, false, 0), "a packet too short to be TCP: dropped");
	feed(n, tcp4("198.51.100.10", 40014, 443, SYN, 1, NULL, 0), 40);
	fw_nfq_packet(n, next_id++, pkt, 40, true, 40);
	ok(said(NF_DROP, false, 0), "a packet the kernel cut (truncated): dropped");
}

static void test_bounds(struct fw_nfq *n)
{
	static uint8_t h[2000];
	size_t hl = hello(h, "allowed.test", 0);
	int refused = 0;
	uint64_t before;

	/* time: a flow judged by whether its name resolved there when it began */
	open_flow(n, "198.51.100.11", 41000, 443, 100, 1000);
	feed(n, tcp4("198.51.100.11", 41000, 443, ACK | PSH, 101, h, hl), 1000);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "allowed.test never resolved to .11: no");
	fw_nfq_learn(n, "allowed.test", AF_INET, other, 2000, 1000);
	open_flow(n, "198.51.100.11", 41001, 443, 100, 1500);
	feed(n, tcp4("198.51.100.11", 41001, 443, ACK | PSH, 101, h, hl), 2500);
	ok(said(NF_REPEAT, true, NFQ_MARK_OK),
	   "the pair expired after the SYN but before the hello: ok (connections survive expiry)");
	open_flow(n, "198.51.100.11", 41002, 443, 100, 2500);
	feed(n, tcp4("198.51.100.11", 41002, 443, ACK | PSH, 101, h, hl), 2500);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "a flow begun after the pair expired: no");

	/* a full table refuses new flows; stale flows are forgotten */
	for (int i = 0; i < FW_NFQ_FLOWS; i++)
		feed(n, tcp4("198.51.100.10", (uint16_t)(42000 + i), 443, SYN, 100, NULL, 0), 3000);
	before = fw_nfq_refused(n);
	feed(n, tcp4("198.51.100.10", 43000, 443, SYN, 100, NULL, 0), 3000);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "flow %d while %d are pending: refused (fail closed)",
	   FW_NFQ_FLOWS + 1, FW_NFQ_FLOWS);
	ok(fw_nfq_refused(n) == before + 1, "...and recorded (table-full), never a silent reset");
	feed(n, tcp4("198.51.100.10", 43000, 443, SYN, 100, NULL, 0), 3000 + FW_NFQ_STALE_MS + 1001);
	ok(said(NF_ACCEPT, false, 0), "after %d ms the stale ones are forgotten: a new flow is taken",
	   FW_NFQ_STALE_MS);
	feed(n, tcp4("198.51.100.10", 42000, 443, ACK | PSH, 101, h, hl), 3000 + FW_NFQ_STALE_MS + 1001);
	ok(said(NF_REPEAT, true, NFQ_MARK_NO), "...and a forgotten flow's hello is refused");
	before = fw_nfq_refused(n);
	for (int i = 0; i < 3; i++) {
		feed(n, tcp4("198.51.100.10", (uint16_t)(44000 + i), 443, ACK, 100, NULL, 0), 20000);
		refused += said(NF_REPEAT, true, NFQ_MARK_NO);
	}
	ok(refused == 3 && fw_nfq_refused(n) == before + 3,
	   "packets of flows the table never saw: refused, and recorded (unknown-flow)");

	/* decided flows stay for their late segments, but give way to new ones */
	for (int i = 0; i < FW_NFQ_FLOWS; i++) {
		open_flow(n, "198.51.100.10", (uint16_t)(45000 + i), 443, 100, 40000);
		feed(n, tcp4("198.51.100.10", (uint16_t)(45000 + i), 443, ACK | PSH, 101, h, hl), 40000);
	}
	feed(n, tcp4("198.51.100.10", 46000, 443, SYN, 100, NULL, 0), 40001);
	ok(said(NF_ACCEPT, false, 0), "a table full of decided flows: a new flow still taken");
}

static void test_namemap(void)
{
	struct namemap m;
	const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	char name[32];
	int put = 0;

	ok(namemap_init(&m, 4) == 0, "namemap of 4 pairs");
	ok(namemap_put(&m, "Cdn.Example.", AF_INET, shared, 100, 0) == 0, "a pair put (any case, trailing dot)");
	ok(namemap_has(&m, "cdn.example", AF_INET, shared, 99), "found in canonical form");
	ok(!namemap_has(&m, "cdn.example", AF_INET, shared, 100), "gone at its expiry");
	ok(!namemap_has(&m, "cdn.example", AF_INET, other, 50), "not for another address");
	ok(!namemap_has(&m, "cdn.example", AF_INET6, a6, 50), "not for another family");
	namemap_put(&m, "cdn.example", AF_INET, shared, 50, 0);
	ok(namemap_has(&m, "cdn.example", AF_INET, shared, 99), "a shorter answer never shortens a pair");
	ok(namemap_put(&m, "a.example", AF_INET6, a6, 100, 0) == 0 &&
	   namemap_has(&m, "a.example", AF_INET6, a6, 1), "IPv6 pairs");
	ok(namemap_put(&m, "10.0.0.1", AF_INET, shared, 100, 0) < 0 &&
	   namemap_put(&m, "bad..name", AF_INET, shared, 100, 0) < 0, "not host names: refused");
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "n%d.example", i);
		put += namemap_put(&m, name, AF_INET, shared, 200, 0) == 0;
	}
	ok(put == 2 && m.dropped == 2, "full: pairs that do not fit are dropped and counted");
	{
		const struct name_pair *table = m.v;

		ok(namemap_put(&m, "x.example", AF_INET, shared, 300, 99) < 0 && m.v == table &&
		   m.dropped == 3, "full, nothing expired yet: dropped without rebuilding the table");
	}
	ok(namemap_put(&m, "late.example", AF_INET, shared, 500, 150) == 0 &&
	   namemap_has(&m, "late.example", AF_INET, shared, 160), "expired pairs make room when full");
	ok(namemap_has(&m, "n0.example", AF_INET, shared, 160), "...the live ones stay");
	namemap_free(&m);
	{
		uint8_t ad[4] = { 192, 0, 2, 0 };
		int wrong = 0;

		namemap_init(&m, 4);
		for (int i = 1; i <= 4; i++) {
			ad[3] = (uint8_t)i;
			namemap_put(&m, "n.example", AF_INET, ad, 100, 0);
		}
		for (int i = 5; i < 60; i++) {
			ad[3] = (uint8_t)i;
			wrong += namemap_has(&m, "n.example", AF_INET, ad, 1);
		}
		ok(wrong == 0, "a full map: the name's other addresses are not its (%d wrong)", wrong);
		namemap_free(&m);
	}
}

/* The DNS child's fw_nfq_close (firewall/child.c): the queue's socket is
 * gone from the process, not just forgotten.  In a private network
 * namespace (root); skipped (passes) where that is not possible. */
static void test_close(const struct allowlist *al)
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		struct cs_err err = { 0 };
		struct fw_nfq *n = fw_nfq_new(al, 16);
		int fd;

		if (!n || unshare(CLONE_NEWNET) < 0 || fw_nfq_open(n, 4242, &err) < 0)
			_exit(77);
		fd = fw_nfq_fd(n);
		fw_nfq_close(n);
		fw_nfq_close(NULL);
		_exit(fd >= 0 && fcntl(fd, F_GETFD) < 0 && errno == EBADF && fw_nfq_fd(n) == -1 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		ok(1, "# SKIP no NFQUEUE in a private network namespace here");
	else
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "fw_nfq_close closes the queue's socket (the DNS child holds none)");
}

static bool yes_emit(void *ctx)
{
	(void)ctx;
	last.emits++;
	return true;
}

/* A refusal retried in a loop asks for its EVENT line once (the class's
 * budget stays for refusals that name something new); one the rate limit
 * held back asks again on its next hit. */
static void test_emit_once(const struct allowlist *al)
{
	static uint8_t h[2000];
	size_t hl = hello(h, "other.test", 0);
	struct fw_nfq *n = fw_nfq_new(al, 1024);
	int out = dup(1), null = open("/dev/null", O_WRONLY);

	fw_nfq_set_verdict(n, recorder, NULL);
	fw_nfq_set_emit(n, yes_emit, NULL);
	fflush(stdout);
	dup2(null, 1);                  /* the EVENT lines themselves are not TAP */
	last.emits = 0;
	for (int i = 0; i < 3; i++) {
		open_flow(n, "198.51.100.10", (uint16_t)(47000 + i), 443, 100, 50000);
		feed(n, tcp4("198.51.100.10", (uint16_t)(47000 + i), 443, ACK | PSH, 101, h, hl), 50000);
	}
	fflush(stdout);
	dup2(out, 1);
	ok(fw_nfq_refused(n) == 3 && last.emits == 1,
	   "the same refusal 3 times: counted 3 times, its EVENT asked for once (%d)", last.emits);
	fw_nfq_set_emit(n, no_emit, NULL);
	last.emits = 0;
	for (int i = 0; i < 2; i++) {
		open_flow(n, "198.51.100.10", (uint16_t)(47100 + i), 443, 100, 50000);
		feed(n, tcp4("198.51.100.10", (uint16_t)(47100 + i), 443, ACK | PSH, 101, h, hl), 50000);
	}
	ok(last.emits == 0, "...already reported: not asked again");
	hl = hello(h, "third.test", 0);
	for (int i = 0; i < 2; i++) {
		open_flow(n, "198.51.100.10", (uint16_t)(47200 + i), 443, 100, 50000);
		feed(n, tcp4("198.51.100.10", (uint16_t)(47200 + i), 443, ACK | PSH, 101, h, hl), 50000);
	}
	ok(last.emits == 2, "...a new one held back by the limit asks again on its next hit (%d)", last.emits);
	close(null);
	close(out);
	fw_nfq_free(n);
}

int main(void)
{
	struct allowlist al;
	struct cs_err err = { 0 };
	struct fw_nfq *n;
	const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x80 };

	plan(62);
	allowlist_init(&al);
	allowlist_add_text(&al, "allowed.test also.test", "t", &err);
	n = fw_nfq_new(&al, 1024);
	ok(n != NULL, "a check");
	fw_nfq_set_verdict(n, recorder, NULL);
	fw_nfq_set_emit(n, no_emit, NULL);
	ok(fw_nfq_fd(n) == -1 && fw_nfq_fd(NULL) == -1, "no queue bound: no fd (poll ignores -1)");
	fw_nfq_learn(n, "allowed.test", AF_INET, shared, 1000000, 0);
	fw_nfq_learn(n, "also.test", AF_INET, other, 1000000, 0);
	fw_nfq_learn(n, "allowed.test", AF_INET6, v6, 1000000, 0);
	fw_nfq_learn(NULL, "allowed.test", AF_INET6, v6, 1000000, 0);
	test_flows(n);
	fw_nfq_free(n);
	n = fw_nfq_new(&al, 1024);
	fw_nfq_set_verdict(n, recorder, NULL);
	fw_nfq_set_emit(n, no_emit, NULL);
	test_bounds(n);
	fw_nfq_free(n);
	test_emit_once(&al);
	test_namemap();
	test_close(&al);
	allowlist_free(&al);
	return tap_done();
}
