/* Allowlist parser/matcher and the rebinding guard, without root. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "firewall/allowlist.h"
#include "firewall/guard.h"

static const char *fmt1(const char *text)
{
	static char out[300];
	struct allowlist al;
	struct cs_err err = {0};

	allowlist_init(&al);
	out[0] = '\0';
	if (allowlist_add_text(&al, text, "test", &err) == 1)
		allow_entry_format(&al.v[0], out, sizeof out);
	else
		snprintf(out, sizeof out, "ERR");
	allowlist_free(&al);
	return out;
}

/* Returns the error message (static) or "" when TEXT is accepted. */
static const char *errof(const char *text)
{
	static char out[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];
	struct allowlist al;
	struct cs_err err = {0};

	allowlist_init(&al);
	out[0] = '\0';
	if (allowlist_add_text(&al, text, "OPENAI_ALLOWED_DOMAINS", &err) < 0)
		cs_err_format(&err, out, sizeof out);
	allowlist_free(&al);
	return out;
}

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void test_syntax(void)
{
	is_str(fmt1("API.Example.COM."), "api.example.com", "host lowercased, trailing dot dropped");
	is_str(fmt1("*.Example.org"), "*.example.org", "wildcard canonical");
	is_str(fmt1("192.0.2.7"), "192.0.2.7", "ipv4");
	is_str(fmt1("192.0.2.7/32"), "192.0.2.7", "/32 is the address");
	is_str(fmt1("10.0.0.0/8"), "10.0.0.0/8", "cidr4");
	is_str(fmt1("2001:DB8::1"), "2001:db8::1", "ipv6 canonical");
	is_str(fmt1("2001:db8::/32"), "2001:db8::/32", "cidr6");
	is_str(fmt1("my_host.example.com"), "my_host.example.com", "underscore accepted");
	is_str(fmt1("db"), "db", "single-label host (container name) accepted");
	is_str(fmt1("a1.example9"), "a1.example9", "digits in TLD ok when not all digits");

	ok(has(errof("foo..com"), "invalid allowlist entry 'foo..com' (from OPENAI_ALLOWED_DOMAINS): empty label"),
	   "empty label named: %s", errof("foo..com"));
	ok(has(errof("foo..com"), "fix:"), "error carries a hint");
	ok(has(errof("*.com"), "at least two labels"), "*.com refused");
	ok(has(errof("*"), "'*' must be a whole first label"), "* refused");
	ok(has(errof("*."), "'*' must be"), "*. refused");
	ok(has(errof("a.*.b.com"), "only allowed as the whole first label"), "a.*.b refused");
	ok(has(errof("*foo.com"), "'*' must be"), "*foo.com refused");
	ok(has(errof("**.foo.com"), "'*' must be"), "**.foo.com refused");
	ok(has(errof("0.0.0.0/0"), "prefix /0"), "0.0.0.0/0 refused");
	ok(has(errof("::/0"), "prefix /0"), "::/0 refused");
	ok(has(errof("10.1.2.3/8"), "did you mean 10.0.0.0/8?"), "host bits named with canonical form");
	ok(has(errof("2001:db8::1/32"), "did you mean 2001:db8::/32?"), "v6 host bits");
	ok(has(errof("10.0.0.0/33"), "bad prefix"), "prefix 33 refused");
	ok(has(errof("10.0.0.0/"), "bad prefix"), "empty prefix refused");
	ok(has(errof("10.0.0.0/x"), "bad prefix"), "non-numeric prefix refused");
	ok(has(errof("https://x.com"), "give the host name only"), "URL refused with hint");
	ok(has(errof("x.com:443"), "ports are not supported"), "port refused");
	ok(has(errof("x.com:443"), "give the host name only"), "port hint");
	ok(has(errof("192.0.2.1:80"), "ports are not supported"), "ip:port refused");
	ok(has(errof("x.com/path"), "give the host name only"), "path refused");
	ok(has(errof("[2001:db8::1]"), "brackets"), "brackets refused");
	ok(has(errof("1.2.3.4.5"), "not an IP address"), "5 octets refused");
	ok(has(errof("999.1.1.1"), "not an IP address"), "octet > 255 refused");
	ok(has(errof("example.123"), "all digits"), "numeric TLD refused");
	ok(has(errof("-a.com"), "starts or ends with '-'"), "leading hyphen");
	ok(has(errof("a-.com"), "starts or ends with '-'"), "trailing hyphen");
	ok(has(errof("a b"), "") && errof("a b")[0] == '\0', "space separates two hosts");
	ok(has(errof("ex!ample.com"), "only letters"), "bad char");
	ok(has(errof("::ffff:192.0.2.1"), "IPv4-mapped"), "mapped v6 refused");

	char lab[100], longname[420];
	memset(lab, 'a', 64);
	lab[64] = '\0';
	snprintf(longname, sizeof longname, "%s.com", lab);
	ok(has(errof(longname), "longer than 63"), "64-char label refused");
	lab[63] = '\0';
	snprintf(longname, sizeof longname, "%s.com", lab);
	ok(errof(longname)[0] == '\0', "63-char label ok");
	/* 4 x 63 + 3 dots = 255 > 253 */
	snprintf(longname, sizeof longname, "%s.%s.%s.%s", lab, lab, lab, lab);
	ok(has(errof(longname), "longer than 253"), "255-char name refused");
}

static void test_split_dedup(void)
{
	struct allowlist al;
	struct cs_err err = {0};
	char out[300];

	allowlist_init(&al);
	is_int(allowlist_add_text(&al, " github.com,\t*.example.org\n\n192.0.2.0/24 ,, github.com ", "x", &err),
	       3, "split on space/comma/tab/newline, dedup");
	is_int(allowlist_add_text(&al, "GitHub.com.", "x", &err), 0, "dedup after canonicalisation");
	is_int(allowlist_add_text(&al, "", "x", &err), 0, "empty text");
	is_int(allowlist_add_text(&al, NULL, "x", &err), 0, "NULL text");
	is_int(al.n, 3, "three entries");
	ok(allowlist_add_defaults(&al) == 0, "defaults added");
	is_int(al.n, 6, "three defaults");
	allow_entry_format(&al.v[3], out, sizeof out);
	is_str(out, "api.openai.com", "first default");
	ok(allowlist_match_name(&al, "auth.openai.com"), "auth.openai.com is a default");
	ok(allowlist_match_name(&al, "chatgpt.com"), "chatgpt.com is a default");
	ok(!allowlist_match_name(&al, "ab.chatgpt.com"), "telemetry host not a default");
	is_int(allowlist_add_text(&al, "ok.com bad..com", "--allow", &err), -1, "bad entry fails");
	ok(has(err.msg, "'bad..com' (from --allow)"), "names the entry and source: %s", err.msg);
	allowlist_free(&al);
}

static void test_match(void)
{
	struct allowlist al;
	struct cs_err err = {0};
	unsigned char a[16] = {0};

	allowlist_init(&al);
	allowlist_add_text(&al, "github.com *.example.org 192.0.2.7 10.0.0.0/8 2001:db8:1::/48", "t", &err);
	ok(allowlist_match_name(&al, "github.com"), "exact");
	ok(allowlist_match_name(&al, "GitHub.COM."), "case and trailing dot");
	ok(!allowlist_match_name(&al, "api.github.com"), "exact does not cover subdomains");
	ok(!allowlist_match_name(&al, "xgithub.com"), "no suffix match for exact");
	ok(allowlist_match_name(&al, "a.example.org"), "wildcard one level");
	ok(allowlist_match_name(&al, "a.b.c.example.org"), "wildcard any depth");
	ok(!allowlist_match_name(&al, "example.org"), "wildcard not the apex");
	ok(!allowlist_match_name(&al, "badexample.org"), "wildcard needs the dot");
	ok(!allowlist_match_name(&al, ".example.org"), "empty first label");
	ok(!allowlist_match_name(&al, "a..example.org"), "empty middle label");
	ok(!allowlist_match_name(&al, "a b.example.org"), "space in label");
	ok(!allowlist_match_name(&al, ""), "empty name");
	ok(!allowlist_match_name(&al, NULL), "NULL name");
	ok(!allowlist_match_name(&al, "example.org.evil.com"), "prefix trick");
	inet_pton(AF_INET, "192.0.2.7", a);
	ok(allowlist_match_addr(&al, AF_INET, a), "explicit ip");
	inet_pton(AF_INET, "192.0.2.8", a);
	ok(!allowlist_match_addr(&al, AF_INET, a), "neighbour ip");
	inet_pton(AF_INET, "10.200.3.4", a);
	ok(allowlist_match_addr(&al, AF_INET, a), "inside cidr");
	inet_pton(AF_INET6, "2001:db8:1:ffff::1", a);
	ok(allowlist_match_addr(&al, AF_INET6, a), "inside cidr6");
	inet_pton(AF_INET6, "2001:db8:2::1", a);
	ok(!allowlist_match_addr(&al, AF_INET6, a), "outside cidr6");
	memset(a, 0, sizeof a);
	memcpy(a, (unsigned char[]){10, 0, 0, 1}, 4);
	ok(!allowlist_match_addr(&al, AF_INET6, a), "family respected");
	allowlist_free(&al);
}

static bool guarded(const struct guard *g, const char *ip)
{
	unsigned char a[16] = {0};
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

	inet_pton(fam, ip, a);
	return guard_check(g, fam, a) != NULL;
}

static void test_guard(void)
{
	struct guard g;
	const char *route4 =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	const char *route6 =
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000100000000000000000001 00000400 00000001 00000000 00000003 eth0\n"
		"20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n";

	guard_init(&g);
	is_int(guard_parse_route4(&g, route4), 1, "one v4 gateway");
	is_int(guard_parse_route6(&g, route6), 1, "one v6 gateway");
	is_int(guard_parse_route4(&g, "garbage"), -1, "not a route file");
	ok(guarded(&g, "192.0.2.1"), "gateway guarded");
	ok(!guarded(&g, "192.0.2.2"), "doc range not guarded");
	ok(guarded(&g, "2001:db8:1::1"), "v6 gateway guarded");
	ok(!guarded(&g, "2001:db8:1::2"), "v6 doc range not guarded");
	const char *bad[] = { "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1",
		"127.0.0.11", "0.0.0.0", "169.254.169.254", "100.64.0.1", "100.127.255.255", "224.0.0.1",
		"239.1.1.1", "255.255.255.255", "240.0.0.1", "::1", "::", "fc00::1", "fd12::1", "fe80::1",
		"ff02::1", "::ffff:8.8.8.8", "64:ff9b::a00:1", "2002:a00:1::", "::10.0.0.1", NULL };
	for (int i = 0; bad[i]; i++)
		ok(guarded(&g, bad[i]), "guarded: %s", bad[i]);
	const char *good[] = { "8.8.8.8", "172.32.0.1", "100.128.0.1", "198.51.100.5", "203.0.113.9",
		"2001:db8::5", "2606:4700::1", "64:ff9b::808:808", "1.1.1.1", NULL };
	for (int i = 0; good[i]; i++)
		ok(!guarded(&g, good[i]), "not guarded: %s", good[i]);
}

int main(void)
{
	plan(115);
	test_syntax();
	test_split_dedup();
	test_match();
	test_guard();
	return tap_done();
}
