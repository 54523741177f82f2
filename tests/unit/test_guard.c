/* The rebinding guard at the edges: every range at its first and last
 * address inside and the first address outside on each side; embedded IPv4
 * forms; the host's addresses (--guard-host); gateways from the route files. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "firewall/config.h"
#include "firewall/guard.h"

/* Every guarded range, as the guard must see it. */
static const char *const ranges[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "168.63.129.16/32",
	"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
	"::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/32",
	"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	NULL
};

static const char *why(const struct guard *g, int fam, const unsigned char *a)
{
	return guard_check(g, fam, a);
}

static const char *why_s(const struct guard *g, const char *ip)
{
	unsigned char a[16] = { 0 };
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fam, ip, a) != 1)
		return "unparsable test address";
	return guard_check(g, fam, a);
}

/* A +/- 1 with carry; returns false when it wraps (no neighbour there). */
static bool step(unsigned char *a, int len, int dir)
{
	for (int i = len - 1; i >= 0; i--) {
		unsigned char old = a[i];

		a[i] = (unsigned char)(a[i] + dir);
		if ((dir > 0 && old != 0xff) || (dir < 0 && old != 0))
			return true;
	}
	return false;
}

static void edges(const struct guard *g, const char *cidr)
{
	char ip[64], txt[INET6_ADDRSTRLEN];
	unsigned char first[16] = { 0 }, last[16], out[16];
	int fam = strchr(cidr, ':') ? AF_INET6 : AF_INET, len = fam == AF_INET ? 4 : 16, prefix;
	const char *w_first, *w;

	snprintf(ip, sizeof ip, "%s", cidr);
	prefix = atoi(strchr(ip, '/') + 1);
	*strchr(ip, '/') = '\0';
	inet_pton(fam, ip, first);
	memcpy(last, first, 16);
	for (int b = prefix; b < len * 8; b++)
		last[b / 8] |= (unsigned char)(0x80 >> (b % 8));

	w_first = why(g, fam, first);
	ok(w_first != NULL, "%s: first address %s guarded (%s)", cidr, ip, w_first ? w_first : "NOT");
	w = why(g, fam, last);
	inet_ntop(fam, last, txt, sizeof txt);
	ok(w && w_first && strcmp(w, w_first) == 0, "%s: last address %s guarded, same reason (%s)",
	   cidr, txt, w ? w : "NOT");
	memcpy(out, first, 16);
	if (step(out, len, -1)) {
		w = why(g, fam, out);
		inet_ntop(fam, out, txt, sizeof txt);
		ok(!w || !w_first || strcmp(w, w_first) != 0, "%s: %s just below is outside (%s)", cidr, txt,
		   w ? w : "not guarded");
	}
	memcpy(out, last, 16);
	if (step(out, len, +1)) {
		w = why(g, fam, out);
		inet_ntop(fam, out, txt, sizeof txt);
		ok(!w || !w_first || strcmp(w, w_first) != 0, "%s: %s just above is outside (%s)", cidr, txt,
		   w ? w : "not guarded");
	}
}

static void test_ranges(void)
{
	struct guard g;

	guard_init(&g);
	for (int i = 0; ranges[i]; i++)
		edges(&g, ranges[i]);
	/* neighbours that are nobody's: exactly nothing */
	ok(!why_s(&g, "172.32.0.0") && !why_s(&g, "100.128.0.0") && !why_s(&g, "168.63.129.17") &&
	   !why_s(&g, "2001:1::") && !why_s(&g, "::1:0:0") && !why_s(&g, "::fffe:ffff:ffff") &&
	   !why_s(&g, "fe00::") && !why_s(&g, "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	   "addresses next to the ranges are open");
	ok(!why_s(&g, "192.0.2.1") && !why_s(&g, "198.51.100.1") && !why_s(&g, "203.0.113.1") &&
	   !why_s(&g, "2001:db8::1"), "documentation ranges stay open (the tests' internet)");
	ok(why_s(&g, "100.100.100.200") != NULL, "Alibaba metadata (inside CGNAT) guarded");
	ok(why_s(&g, "fd00:ec2::254") != NULL, "AWS IPv6 metadata (unique local) guarded");
	ok(why_s(&g, "2001:0:4136:e378:8000:63bf:3fff:fdd2") != NULL, "a real-looking Teredo address guarded");
	is_str(why_s(&g, "::ffff:0:a00:1"), "IPv4-translated (::ffff:0:0:0/96)", "IPv4-translated form named");
}

static void test_embedded(void)
{
	struct guard g;

	guard_init(&g);
	ok(why_s(&g, "64:ff9b::a00:1") != NULL, "NAT64 of 10.0.0.1 guarded");
	ok(why_s(&g, "64:ff9b::a8f:8110") != NULL, "NAT64 of 168.63.129.16 guarded");
	ok(!why_s(&g, "64:ff9b::808:808"), "NAT64 of 8.8.8.8 open");
	ok(why_s(&g, "2002:a9fe:a9fe::1") != NULL, "6to4 of 169.254.169.254 guarded");
	ok(!why_s(&g, "2002:808:808::1"), "6to4 of 8.8.8.8 open");
}

static void test_hosts(void)
{
	struct guard g;
	struct fw_config cfg;
	struct cs_err err = { 0 };
	unsigned char a[16] = { 0 };
	int r = 0;

	guard_init(&g);
	inet_pton(AF_INET, "203.0.113.77", a);
	is_int(guard_add_host(&g, AF_INET, a), 1, "host address added");
	is_int(guard_add_host(&g, AF_INET, a), 0, "the same again: not added twice");
	inet_pton(AF_INET6, "2001:db8:9::5", a);
	is_int(guard_add_host(&g, AF_INET6, a), 1, "host IPv6 address added");
	is_str(why_s(&g, "203.0.113.77"), "an address of the host", "host IPv4 address refused");
	ok(!why_s(&g, "203.0.113.76") && !why_s(&g, "203.0.113.78"), "its neighbours open");
	is_str(why_s(&g, "2001:db8:9::5"), "an address of the host", "host IPv6 address refused");
	ok(!why_s(&g, "2001:db8:9::4") && !why_s(&g, "2001:db8:9::6"), "its IPv6 neighbours open");
	ok(why_s(&g, "64:ff9b::cb00:714d") != NULL, "NAT64 form of the host's address refused");
	ok(why_s(&g, "2002:cb00:714d::1") != NULL, "6to4 form of the host's address refused");
	ok(why_s(&g, "::ffff:203.0.113.77") != NULL, "v4-mapped form refused");

	for (int i = 0; i < GUARD_MAX_HOST + 1; i++) {
		unsigned char b[4] = { 198, 51, (unsigned char)(i >> 8), (unsigned char)i };

		r = guard_add_host(&g, AF_INET, b);
		if (r < 0)
			break;
	}
	is_int(r, -1, "more than GUARD_MAX_HOST addresses: refused, not dropped silently");
	ok(why_s(&g, "198.51.0.254") != NULL && !why_s(&g, "198.51.0.255"),
	   "the ones held are refused, the refused one was not half-added");

	fw_config_defaults(&cfg);
	is_int(fw_parse_guard_host("2001:db8:7::1", &cfg, &err), 0, "--guard-host IPv6");
	is_int(fw_parse_guard_host("198.51.100.99", &cfg, &err), 0, "--guard-host IPv4");
	ok(why_s(&cfg.guard, "198.51.100.99") && why_s(&cfg.guard, "2001:db8:7::1") &&
	   !why_s(&cfg.guard, "198.51.100.98"), "they land in the configuration's guard");
	ok(fw_parse_guard_host("198.51.100.0/24", &cfg, &err) < 0 &&
	   strstr(err.msg, "invalid --guard-host"), "a CIDR is not an address: %s", err.msg);
	{
		char ip[32];
		int rr = 0;
		struct cs_err e2 = { 0 };

		for (int i = 0; i <= GUARD_MAX_HOST && rr == 0; i++) {
			snprintf(ip, sizeof ip, "203.0.%d.%d", 100 + i / 256, i % 256);
			rr = fw_parse_guard_host(ip, &cfg, &e2);
		}
		ok(rr < 0 && strstr(e2.msg, "more than"), "too many --guard-host: refused (%s)", e2.msg);
	}
	allowlist_free(&cfg.al);
}

static void test_gateways(void)
{
	struct guard g;
	/* two gateway routes, and one with a gateway field but no RTF_GATEWAY */
	const char *route4 =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		"eth1\t0000000A\t0164A8C0\t0003\t0\t0\t0\t000000FF\t0\t0\t0\n"
		"eth2\t00000000\t0563A8C0\t0001\t0\t0\t0\t00000000\t0\t0\t0\n";
	const char *route6 =
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000100000000000000000001 00000400 00000001 00000000 00000003 eth0\n"
		"20010db8000500000000000000000000 30 00000000000000000000000000000000 00 20010db8000100000000000000000009 00000400 00000001 00000000 00000003 eth0\n"
		"20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n"
		"20010db8000600000000000000000000 30 00000000000000000000000000000000 00 00aa0000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n";

	guard_init(&g);
	is_int(guard_parse_route4(&g, route4), 2, "two IPv4 gateways (the flagless one ignored)");
	ok(why_s(&g, "192.0.2.1") && why_s(&g, "192.168.100.1"), "both gateways refused");
	ok(!why_s(&g, "192.0.2.2") && !why_s(&g, "198.51.100.1"), "next to them: open");
	is_int(guard_parse_route6(&g, route6), 3, "three IPv6 next hops");
	ok(why_s(&g, "2001:db8:1::1") && why_s(&g, "2001:db8:1::9") && why_s(&g, "aa::1") &&
	   !why_s(&g, "2001:db8:1::2"), "IPv6 next hops refused (one starting with a zero byte), a neighbour open");
	/* duplicates take no room: the same gateway over and over, then another */
	guard_init(&g);
	for (int i = 0; i < GUARD_MAX_GW + 4; i++)
		guard_add_gateway(&g, AF_INET, (const unsigned char *)"\xcb\x00\x71\x01");
	guard_add_gateway(&g, AF_INET, (const unsigned char *)"\xcb\x00\x71\x02");
	ok(why_s(&g, "203.0.113.1") && why_s(&g, "203.0.113.2") && g.n4 == 2,
	   "a gateway seen many times is held once; the next one still fits");
	is_int(guard_parse_route4(&g, "garbage"), -1, "not a route file");
}

int main(void)
{
	plan(123);
	test_ranges();
	test_embedded();
	test_hosts();
	test_gateways();
	return tap_done();
}
