/* The DNS filter's answer cache (firewall/dnscache.c), on its own: TTLs
 * honoured to the second (rounded so a copy never outlives the original),
 * capped, the shortest record ruling the entry, negative and short answers
 * never stored, keys exact, size and bytes bounded with the oldest evicted. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "dnspkt.h"
#include "firewall/dnscache.h"

static struct dns_answer A, OUT;
static bool ok_quiet_hot = true;

/* An answer: CHAIN_TTL > 0 adds one CNAME; N addresses 198.51.100.1.. with ADDR_TTL. */
static const struct dns_answer *answer(uint32_t chain_ttl, size_t n, uint32_t addr_ttl)
{
	memset(&A, 0, sizeof A);
	if (chain_ttl) {
		A.chain[0] = wname("target.cdn.test");
		A.chain_ttl[0] = chain_ttl;
		A.n_chain = 1;
	}
	for (size_t i = 0; i < n; i++) {
		A.addr[i].family = AF_INET;
		A.addr[i].addr[0] = 198;
		A.addr[i].addr[1] = 51;
		A.addr[i].addr[2] = 100;
		A.addr[i].addr[3] = (uint8_t)(i + 1);
		A.addr[i].ttl = addr_ttl;
	}
	A.n_addr = n;
	return &A;
}

static bool get(struct dnscache *c, const char *name, uint16_t qtype, int64_t now)
{
	struct dns_name n = wname(name);

	memset(&OUT, 0xaa, sizeof OUT);
	return dnscache_get(c, &n, qtype, now, &OUT);
}

static void put(struct dnscache *c, const char *name, uint16_t qtype, const struct dns_answer *a,
		uint32_t cap, int64_t now)
{
	struct dns_name n = wname(name);

	dnscache_put(c, &n, qtype, a, cap, now);
}

int main(void)
{
	struct dnscache c;
	const int64_t t0 = 1000000;

	plan(38);
	ok(dnscache_init(&c, 8, 1 << 16) == 0, "a cache of 8 entries");

	/* what was put comes back, exactly */
	put(&c, "www.example.test", DNS_T_A, answer(300, 2, 600), 86400, t0);
	ok(get(&c, "www.example.test", DNS_T_A, t0), "stored answer found");
	ok(OUT.rcode == 0 && OUT.n_chain == 1 && OUT.n_addr == 2, "...NOERROR, the chain and both addresses");
	ok(OUT.chain[0].len == wname("target.cdn.test").len &&
	   memcmp(OUT.chain[0].wire, wname("target.cdn.test").wire, OUT.chain[0].len) == 0, "...the CNAME target");
	ok(OUT.addr[0].family == AF_INET && OUT.addr[1].addr[3] == 2 && OUT.addr[1].addr[0] == 198,
	   "...the addresses");
	ok(OUT.chain_ttl[0] == 300 && OUT.addr[0].ttl == 600, "...the TTLs, unchanged at once");
	{
		/* the filter's key: the question's name as parsed (lowercased) */
		struct pkt p;
		struct dns_query q;

		pquery(&p, 1, "WWW.Example.TEST", DNS_T_A, 0);
		ok(dns_parse_query(p.b, p.n, &q) == 0 && dnscache_get(&c, &q.qname, DNS_T_A, t0, &OUT),
		   "a question in another case finds it");
	}

	/* keys are exact */
	ok(!get(&c, "www.example.test", DNS_T_AAAA, t0), "another type: nothing");
	ok(!get(&c, "example.test", DNS_T_A, t0), "the parent domain: nothing");
	ok(!get(&c, "x.www.example.test", DNS_T_A, t0), "a subdomain: nothing");

	/* TTLs go down with time, rounded so a copy never outlives the original */
	ok(get(&c, "www.example.test", DNS_T_A, t0 + 1), "1 ms later: found");
	ok(OUT.chain_ttl[0] == 299 && OUT.addr[0].ttl == 599, "...every TTL down by a whole second (%u, %u)",
	   OUT.chain_ttl[0], OUT.addr[0].ttl);
	ok(get(&c, "www.example.test", DNS_T_A, t0 + 10000) && OUT.addr[0].ttl == 590 && OUT.chain_ttl[0] == 290,
	   "10 s later: TTLs 290/590");
	/* the shortest record (the CNAME, 300 s) rules the entry */
	ok(get(&c, "www.example.test", DNS_T_A, t0 + 299000) && OUT.chain_ttl[0] == 1, "at 299 s: 1 s left");
	ok(!get(&c, "www.example.test", DNS_T_A, t0 + 299001), "at 299.001 s: expired (the CNAME's TTL)");
	is_int(c.used, 0, "...and dropped");

	/* TTLs are capped: the parent keeps the element min(TTL, cap) + grace */
	put(&c, "long.test", DNS_T_A, answer(0, 1, 700000), 3600, t0);
	ok(get(&c, "long.test", DNS_T_A, t0) && OUT.addr[0].ttl == 3600, "a 700000 s TTL is served as the cap (3600)");
	ok(!get(&c, "long.test", DNS_T_A, t0 + 3600000), "...and expires with it");

	/* never stored */
	put(&c, "nodata.test", DNS_T_A, answer(300, 0, 0), 3600, t0);
	ok(!get(&c, "nodata.test", DNS_T_A, t0), "NODATA (no address): not stored");
	put(&c, "zero.test", DNS_T_A, answer(0, 1, 0), 3600, t0);
	ok(!get(&c, "zero.test", DNS_T_A, t0), "TTL 0: not stored");
	put(&c, "one.test", DNS_T_A, answer(0, 2, 1), 3600, t0);
	ok(!get(&c, "one.test", DNS_T_A, t0), "TTL 1: not stored");
	put(&c, "shortcname.test", DNS_T_A, answer(1, 1, 300), 3600, t0);
	ok(!get(&c, "shortcname.test", DNS_T_A, t0), "a chain with TTL 1: not stored");
	put(&c, "two.test", DNS_T_A, answer(0, 1, 2), 3600, t0);
	ok(get(&c, "two.test", DNS_T_A, t0 + 1000) && OUT.addr[0].ttl == 1, "TTL 2: stored, 1 s left after 1 s");
	ok(!get(&c, "two.test", DNS_T_A, t0 + 1001), "...gone after 1.001 s");

	/* a newer answer replaces the older one */
	put(&c, "www.example.test", DNS_T_A, answer(0, 1, 60), 3600, t0);
	put(&c, "www.example.test", DNS_T_A, answer(0, 3, 120), 3600, t0 + 5000);
	ok(get(&c, "www.example.test", DNS_T_A, t0 + 5000) && OUT.n_addr == 3 && OUT.addr[0].ttl == 120,
	   "a newer answer replaces the older");
	is_int(c.used, 1, "...one entry for it");

	/* bounded by entries: the oldest insert goes first */
	for (int i = 0; i < 20; i++) {
		char n[32];

		snprintf(n, sizeof n, "n%d.test", i);
		put(&c, n, DNS_T_A, answer(0, 1, 300), 3600, t0);
	}
	ok(c.used <= 8, "20 more names: %zu entries kept (at most 8)", c.used);
	ok(get(&c, "n19.test", DNS_T_A, t0) && get(&c, "n12.test", DNS_T_A, t0), "the 8 newest are there");
	ok(!get(&c, "n11.test", DNS_T_A, t0) && !get(&c, "n0.test", DNS_T_A, t0), "the older ones were evicted");
	/* a name asked between the inserts survives them (second chance) */
	put(&c, "hot.test", DNS_T_A, answer(0, 1, 300), 3600, t0);
	for (int i = 0; i < 40; i++) {
		char n[32];

		snprintf(n, sizeof n, "m%d.test", i);
		ok_quiet_hot &= get(&c, "hot.test", DNS_T_A, t0);
		put(&c, n, DNS_T_A, answer(0, 1, 300), 3600, t0);
	}
	ok(ok_quiet_hot && get(&c, "hot.test", DNS_T_A, t0) && c.used <= 8,
	   "a name asked between 40 inserts of others stays (second chance), still 8 entries at most");
	ok(!get(&c, "m0.test", DNS_T_A, t0), "...the others come and go");
	dnscache_free(&c);

	/* bounded by bytes */
	ok(dnscache_init(&c, 1000, 2000) == 0, "a cache of 1000 entries but 2000 bytes");
	for (int i = 0; i < 100; i++) {
		char n[32];

		snprintf(n, sizeof n, "b%d.test", i);
		put(&c, n, DNS_T_A, answer(0, 10, 300), 3600, t0);
		if (c.bytes > 2000)
			break;
	}
	ok(c.bytes <= 2000 && c.used < 100, "100 answers of 10 addresses: %zu bytes in %zu entries", c.bytes, c.used);
	ok(get(&c, "b99.test", DNS_T_A, t0) && OUT.n_addr == 10, "the newest is whole");
	ok(!get(&c, "b0.test", DNS_T_A, t0), "the oldest was evicted");
	put(&c, "huge.test", DNS_T_A, answer(0, 64, 300), 3600, t0);
	ok(get(&c, "huge.test", DNS_T_A, t0) || c.bytes <= 2000, "an answer larger than the budget never breaks it");
	dnscache_free(&c);

	/* no slots: a cache that holds nothing (the filter's tests of its
	 * forwarding path) */
	ok(dnscache_init(&c, 0, 1 << 16) == 0, "a cache of 0 entries");
	put(&c, "www.example.test", DNS_T_A, answer(0, 1, 300), 3600, t0);
	ok(!get(&c, "www.example.test", DNS_T_A, t0), "...holds nothing");
	dnscache_free(&c);
	return tap_done();
}
