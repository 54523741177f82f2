/* The first-bytes judge (firewall/flowcheck.c, tlshello.c, httphost.c,
 * flowname.c): a flow to a DNS-learned address passes only when its
 * ClientHello's server_name or its HTTP Host names an allowed name that
 * resolved to that very address; reassembly across segments and records,
 * and everything the parsers refuse. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "flowhello.h"
#include "firewall/flowcheck.h"
#include "firewall/tlshello.h"

/* The DNS-learned map the daemon will plug in: (name, address) pairs. */
static const struct { const char *name; const char *addr; } learned[] = {
	{ "api.allowed.test", "203.0.113.10" },
	{ "www.allowed.test", "203.0.113.20" },
	{ "a.cdn.test", "203.0.113.30" },
	{ "api.allowed.test", "2001:db8::10" },
	{ "public.ech.test", "203.0.113.40" },
	{ "bad.ech.test", "203.0.113.40" },
};

static int lookups;

static bool has_addr(void *ctx, const char *name, int family, const unsigned char *addr)
{
	(void)ctx;
	lookups++;
	for (size_t i = 0; i < sizeof learned / sizeof learned[0]; i++) {
		unsigned char a[16];

		if (inet_pton(family, learned[i].addr, a) == 1 && strcmp(name, learned[i].name) == 0 &&
		    memcmp(a, addr, family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

static struct allowlist al;
static struct flow_judge judge = { &al, has_addr, NULL };
static struct flowcheck fc;
static uint8_t hs[20000], st[24000];

static void start(const char *addr, uint16_t port)
{
	unsigned char a[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	inet_pton(fam, addr, a);
	flowcheck_init(&fc, &judge, fam, a, port, 1000);
}

/* The whole stream in one segment. */
static enum flow_verdict one(const char *addr, uint16_t port, const void *s, size_t n)
{
	start(addr, port);
	return flowcheck_feed(&fc, 1001, s, n);
}

static size_t hello(const struct hello_opts *o)
{
	size_t n = build_hello(hs, o);

	return wrap_records(st, hs, n, 16384);
}

static enum flow_verdict tls(const char *addr, const struct hello_opts *o)
{
	return one(addr, 443, st, hello(o));
}

static bool refused(enum flow_reason why)
{
	if (fc.verdict == FLOW_REFUSE && fc.reason == why)
		return true;
	printf("#   verdict %d reason %s\n", fc.verdict, flow_reason_text(fc.reason));
	return false;
}

static void names(void)
{
	char out[FLOW_NAME_MAX + 1];
	char long_label[80], long_name[300];

	ok(flow_name_canon((const uint8_t *)"Api.Allowed.TEST.", 17, out) == 16 &&
	   strcmp(out, "api.allowed.test") == 0, "name: case folded, one trailing dot dropped");
	ok(flow_name_canon((const uint8_t *)"a..b", 4, out) < 0, "name: empty label refused");
	ok(flow_name_canon((const uint8_t *)"x.test..", 8, out) < 0, "name: two trailing dots refused");
	ok(flow_name_canon((const uint8_t *)"192.0.2.7", 9, out) < 0, "name: an IPv4 literal is not a name");
	ok(flow_name_canon((const uint8_t *)"a b.test", 8, out) < 0 &&
	   flow_name_canon((const uint8_t *)"a\0b.test", 8, out) < 0, "name: space and NUL refused");
	ok(flow_name_canon((const uint8_t *)"_srv.x-y.test", 13, out) == 13, "name: underscore and hyphen kept");
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, ".test", 6);
	ok(flow_name_canon((const uint8_t *)long_label, 69, out) < 0, "name: a 64-byte label refused");
	for (int i = 0; i < 254; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = 'b';
	ok(flow_name_canon((const uint8_t *)long_name, 254, out) < 0 &&
	   flow_name_canon((const uint8_t *)long_name + 1, 253, out) < 0 &&
	   flow_name_canon((const uint8_t *)long_name, 253, out) == 253, "name: 253 bytes fit, 254 do not");
	is_str(flow_reason_text(FLOW_R_NOT_LEARNED), "not-learned", "reason text");
	is_str(flow_reason_text((enum flow_reason)999), "unknown", "reason text of an unknown code");
}

static void tls_names(void)
{
	struct hello_opts o = { .sni = "api.allowed.test" };

	lookups = 0;
	ok(tls("203.0.113.10", &o) == FLOW_ALLOW && strcmp(fc.name, "api.allowed.test") == 0 && !fc.ech,
	   "tls: allowed name learned for this address: allowed");
	is_int(lookups, 1, "...after one lookup of the learned map");
	ok(tls("203.0.113.20", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_LEARNED),
	   "tls: allowed name, but this address was learned for another allowed name: refused");
	o.sni = "www.allowed.test";
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_LEARNED),
	   "tls: SNI of another allowed name on the first name's address: refused");
	o.sni = "evil.test";
	lookups = 0;
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_ALLOWED) && lookups == 0,
	   "tls: a name not on the allowlist is refused before any lookup");
	o.sni = "API.Allowed.Test.";
	ok(tls("203.0.113.10", &o) == FLOW_ALLOW && strcmp(fc.name, "api.allowed.test") == 0,
	   "tls: SNI in other case with trailing dot judged as the canonical name");
	o.sni = "a.cdn.test";
	ok(tls("203.0.113.30", &o) == FLOW_ALLOW, "tls: a wildcard entry's subdomain, learned: allowed");
	o.sni = "cdn.test";
	ok(tls("203.0.113.30", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_ALLOWED),
	   "tls: the wildcard's apex is not allowed");
	o.sni = "b.cdn.test";
	ok(tls("203.0.113.30", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_LEARNED),
	   "tls: another subdomain of the wildcard, never resolved to the address: refused");
	o.sni = "api.allowed.test";
	ok(tls("2001:db8::10", &o) == FLOW_ALLOW, "tls: IPv6 destination learned: allowed");
	ok(tls("2001:db8::20", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_LEARNED), "tls: IPv6 not learned: refused");
	o.sni = "203.0.113.10";
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_BAD_NAME), "tls: an IP literal as SNI: refused");
	o.sni = "api.allowed.test";
	judge.name_has_addr = NULL;
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_LEARNED),
	   "tls: without a learned map nothing is learned");
	judge.name_has_addr = has_addr;
}

static void tls_shapes(void)
{
	struct hello_opts o = { .sni = NULL };

	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_NO_SNI), "tls: no server_name: refused");
	o.no_ext = true;
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_NO_SNI), "tls: no extensions at all: refused");
	o = (struct hello_opts){ .sni = "public.ech.test", .ech = true };
	ok(tls("203.0.113.40", &o) == FLOW_ALLOW && fc.ech && strcmp(fc.name, "public.ech.test") == 0,
	   "tls: ECH whose outer name is allowed and learned: allowed, ECH noted");
	o.sni = "bad.ech.test";
	ok(tls("203.0.113.40", &o) == FLOW_REFUSE && refused(FLOW_R_NOT_ALLOWED) && fc.ech,
	   "tls: ECH whose outer name is not allowed: refused");
	o = (struct hello_opts){ .ech = true };
	ok(tls("203.0.113.40", &o) == FLOW_REFUSE && refused(FLOW_R_NO_SNI), "tls: ECH without outer SNI: refused");
	o = (struct hello_opts){ .sni = "api.allowed.test", .dup_sni = true };
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_DUP_EXT), "tls: server_name twice: refused");
	o = (struct hello_opts){ .sni = "evil.test", .sni2 = "api.allowed.test" };
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "tls: two host_name entries in one list: refused");
	o = (struct hello_opts){ .sni = "api.allowed.test", .ext_len_delta = -1 };
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "tls: extensions shorter than the hello: refused");
	o.ext_len_delta = 1;
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "tls: extensions longer than the hello: refused");
	o.ext_len_delta = 0;
	hello(&o);
	st[5] = 2;   /* ServerHello */
	ok(one("203.0.113.10", 443, st, 60) == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "tls: a first handshake message other than ClientHello: refused early");
	o.trailing = 2;
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "tls: bytes after the extensions block: refused");
	o.trailing = 0;
	o.sni_list_delta = 1;
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "tls: server_name list length not its extension's: refused");
	o.sni_list_delta = 0;
	o.sid_extra = 1;
	ok(tls("203.0.113.10", &o) == FLOW_REFUSE && refused(FLOW_R_MALFORMED), "tls: session id over 32: refused");
	o.sid_extra = 0;
	hello(&o);
	st[0] = 23;
	ok(one("203.0.113.10", 443, st, 60) == FLOW_REFUSE && refused(FLOW_R_NOT_TLS),
	   "tls: an application-data record first: refused");
	hello(&o);
	st[1] = 4;
	ok(one("203.0.113.10", 443, st, 2) == FLOW_REFUSE && refused(FLOW_R_NOT_TLS),
	   "tls: record major version not 3: refused at the second byte");
	ok(one("203.0.113.10", 443, "GET / HTTP/1.1\r\n", 16) == FLOW_REFUSE && refused(FLOW_R_NOT_TLS),
	   "tls: plain HTTP to 443: refused at the first byte");
	memcpy(st, "\x16\x03\x01\x00\x00", 5);
	ok(one("203.0.113.10", 443, st, 5) == FLOW_REFUSE && refused(FLOW_R_MALFORMED), "tls: empty record: refused");
	memcpy(st, "\x16\x03\x01\x40\x01", 5);
	ok(one("203.0.113.10", 443, st, 5) == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "tls: record over 2^14: refused");
	memcpy(st, "\x16\x03\x01\x00\x04\x01\x00\x40\x00", 9);
	ok(one("203.0.113.10", 443, st, 9) == FLOW_REFUSE && refused(FLOW_R_TOO_BIG),
	   "tls: a ClientHello announcing 16 KiB of body: refused as soon as the header is seen");
	memcpy(st, "\x16\x03\x01\x00\x04\x01\x00\x3f\xfc", 9);
	ok(one("203.0.113.10", 443, st, 9) == FLOW_NEED_MORE, "tls: one announcing 16 KiB in all: waits");
}

/* A large (post-quantum sized) hello: every two-segment split, one-byte
 * segments, many records, retransmissions, gaps. */
static void tls_segments(void)
{
	struct hello_opts o = { .sni = "api.allowed.test", .pq = 1184, .pad = 3000 };
	size_t n = hello(&o), bad = 0;
	enum flow_verdict v = FLOW_NEED_MORE;

	ok(n > 4000, "a post-quantum sized hello: %zu bytes", n);
	for (size_t cut = 1; cut < n; cut++) {
		start("203.0.113.10", 443);
		if (flowcheck_feed(&fc, 1001, st, cut) != FLOW_NEED_MORE ||
		    flowcheck_feed(&fc, 1001 + (uint32_t)cut, st + cut, n - cut) != FLOW_ALLOW)
			bad++;
	}
	is_int(bad, 0, "split in two at each of the %zu byte boundaries: waits, then allowed", n - 1);
	start("203.0.113.10", 443);
	bad = 0;
	for (size_t i = 0; i < n; i++) {
		v = flowcheck_feed(&fc, 1001 + (uint32_t)i, st + i, 1);
		if (v != (i + 1 < n ? FLOW_NEED_MORE : FLOW_ALLOW))
			bad++;
	}
	is_int(bad, 0, "one byte per segment: allowed exactly at the last byte");
	n = wrap_records(st, hs, build_hello(hs, &o), 100);
	ok(one("203.0.113.10", 443, st, n) == FLOW_ALLOW, "the hello spread over 100-byte records: allowed");
	start("203.0.113.10", 443);
	flowcheck_feed(&fc, 1001, st, 1400);
	v = flowcheck_feed(&fc, 1001, st, 1400);
	ok(v == FLOW_NEED_MORE, "an identical retransmission: still waiting");
	v = flowcheck_feed(&fc, 1001 + 1000, st + 1000, n - 1000);
	ok(v == FLOW_ALLOW, "a segment overlapping with identical bytes completes it");
	start("203.0.113.10", 443);
	flowcheck_feed(&fc, 1001, st, 1400);
	st[700] ^= 1;
	v = flowcheck_feed(&fc, 1001 + 600, st + 600, 1000);
	st[700] ^= 1;
	ok(v == FLOW_REFUSE && refused(FLOW_R_SEQUENCE), "a resent byte that differs: refused");
	start("203.0.113.10", 443);
	v = flowcheck_feed(&fc, 1001 + 1400, st + 1400, n - 1400);
	ok(v == FLOW_REFUSE && refused(FLOW_R_SEQUENCE), "the second segment first (a gap): refused");
	start("203.0.113.10", 443);
	v = flowcheck_feed(&fc, 1000, st, 100);
	ok(v == FLOW_REFUSE && refused(FLOW_R_SEQUENCE), "a byte before ISN+1: refused");
	ok(flowcheck_feed(&fc, 1001, st, n) == FLOW_REFUSE, "a refusal sticks");
	start("203.0.113.10", 443);
	flowcheck_init(&fc, &judge, AF_INET, (const unsigned char *)"\xcb\x00\x71\x0a", 443, 0xffffff00u);
	v = flowcheck_feed(&fc, 0xffffff01u, st, 1000);
	v = flowcheck_feed(&fc, 0xffffff01u + 1000, st + 1000, n - 1000);
	ok(v == FLOW_ALLOW, "sequence numbers wrapping past 2^32 inside the hello");
	ok(flowcheck_feed(&fc, 0, (const uint8_t *)"x", 1) == FLOW_ALLOW && flowcheck_feed(&fc, 5, NULL, 0) == FLOW_ALLOW,
	   "an allow sticks");
	o.pad = 16000;
	n = wrap_records(st, hs, build_hello(hs, &o), 16384);
	ok(one("203.0.113.10", 443, st, n) == FLOW_REFUSE && refused(FLOW_R_TOO_BIG), "a hello over 16 KiB: refused");
	o.pad = 0;   /* the handshake fits in 16 KiB, with its record headers it does not */
	o.pad = 16384 - 10 - build_hello(hs, &o) - 4;
	n = wrap_records(st, hs, build_hello(hs, &o), 1000);
	start("203.0.113.10", 443);
	for (size_t i = 0, k; i < n && fc.verdict == FLOW_NEED_MORE; i += k) {
		k = n - i < 1448 ? n - i : 1448;
		flowcheck_feed(&fc, 1001 + (uint32_t)i, st + i, k);
	}
	ok(n > FLOW_BYTES_MAX && refused(FLOW_R_TOO_BIG), "more than 16 KiB of stream before the name: refused");
}

static enum flow_verdict http(const char *req)
{
	return one("203.0.113.10", 80, req, strlen(req));
}

static void http_cases(void)
{
	char big[9000];
	size_t n;

	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\r\nAccept: */*\r\n\r\n") == FLOW_ALLOW &&
	   strcmp(fc.name, "api.allowed.test") == 0, "http: Host of a learned allowed name: allowed");
	ok(http("GET /x HTTP/1.0\r\nhOsT:\tAPI.allowed.test.:8080 \r\n\r\n") == FLOW_ALLOW &&
	   strcmp(fc.name, "api.allowed.test") == 0, "http: field name in any case, port and trailing dot stripped");
	ok(http("GET / HTTP/1.1\r\nHost: www.allowed.test\r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_NOT_LEARNED),
	   "http: another allowed name on this address: refused");
	ok(http("GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_NOT_ALLOWED),
	   "http: a name not allowed: refused");
	ok(http("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_NO_HOST),
	   "http: no Host: refused");
	ok(http("GET / HTTP/1.1\r\nX-Host: evil.test\r\nHost: api.allowed.test\r\n\r\n") == FLOW_ALLOW,
	   "http: a field that merely ends in Host is another field");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\r\nHost: api.allowed.test\r\n\r\n") == FLOW_REFUSE &&
	   refused(FLOW_R_DUP_HOST), "http: Host twice (even the same): refused");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\r\nhost: evil.test\r\n\r\n") == FLOW_REFUSE &&
	   refused(FLOW_R_DUP_HOST), "http: a second Host in other case: refused");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\r\n evil.test\r\n\r\n") == FLOW_REFUSE &&
	   refused(FLOW_R_FOLDED), "http: a folded continuation line: refused");
	ok(http("GET http://evil.test/ HTTP/1.1\r\nHost: api.allowed.test\r\n\r\n") == FLOW_REFUSE &&
	   refused(FLOW_R_TARGET), "http: absolute-form target: refused");
	ok(http("CONNECT evil.test:443 HTTP/1.1\r\nHost: api.allowed.test\r\n\r\n") == FLOW_REFUSE &&
	   refused(FLOW_R_TARGET), "http: CONNECT authority form: refused");
	ok(http("OPTIONS * HTTP/1.1\r\nHost: api.allowed.test\r\n\r\n") == FLOW_ALLOW, "http: asterisk form: allowed");
	ok(http("GET / HTTP/1.1\nHost: api.allowed.test\n\n") == FLOW_REFUSE && refused(FLOW_R_NOT_HTTP),
	   "http: bare LF in the request line: refused");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\n\r\n") == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "http: bare LF in a field: refused");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\rXX: y\r\n\r\n") == FLOW_REFUSE &&
	   refused(FLOW_R_MALFORMED), "http: bare CR in a field: refused");
	ok(http("GET / HTTP/1.1\r\nHost : api.allowed.test\r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_MALFORMED),
	   "http: whitespace before the colon: refused");
	ok(http("GET / HTTP/1.1\r\nHost: 203.0.113.10\r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_BAD_NAME),
	   "http: an IPv4 literal Host: refused");
	ok(http("GET / HTTP/1.1\r\nHost: [2001:db8::10]:80\r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_BAD_NAME),
	   "http: an IPv6 literal Host: refused");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test:\r\n\r\n") == FLOW_REFUSE &&
	   http("GET / HTTP/1.1\r\nHost: api.allowed.test:123456\r\n\r\n") == FLOW_REFUSE &&
	   http("GET / HTTP/1.1\r\nHost: api.allowed.test:8x\r\n\r\n") == FLOW_REFUSE &&
	   http("GET / HTTP/1.1\r\nHost:  \r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_BAD_NAME),
	   "http: empty port, 6-digit port, non-digit port, empty value: refused");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\r\nX: a\x01z\r\n\r\n") == FLOW_REFUSE &&
	   refused(FLOW_R_MALFORMED), "http: a control byte in a value: refused");
	ok(http("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == FLOW_REFUSE && refused(FLOW_R_NOT_HTTP),
	   "http: the HTTP/2 preface: refused");
	ok(http("\x16\x03\x01") == FLOW_REFUSE && refused(FLOW_R_NOT_HTTP), "http: TLS to port 80: refused at once");
	ok(http("get / HTTP/1.1\r\n") == FLOW_REFUSE && http("GETXXXXXXXXXXXXXXXXXXXXX") == FLOW_REFUSE &&
	   refused(FLOW_R_NOT_HTTP), "http: lowercase or over-long method: refused before the line ends");
	ok(http("GET / HTTP/1.1\r\nHost: api.allowed.test\r\n") == FLOW_NEED_MORE,
	   "http: waits for the empty line that ends the header");
	n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: api.allowed.test\r\nX: ");
	memset(big + n, 'a', sizeof big - n - 1);
	big[sizeof big - 1] = '\0';
	ok(http(big) == FLOW_REFUSE && refused(FLOW_R_TOO_BIG), "http: a header over 8 KiB: refused");
	n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 101; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "X: %d\r\n", i);
	snprintf(big + n, sizeof big - n, "Host: api.allowed.test\r\n\r\n");
	ok(http(big) == FLOW_REFUSE && refused(FLOW_R_TOO_BIG), "http: more than 100 fields: refused");
	{
		const char *req = "GET / HTTP/1.1\r\nUser-Agent: t\r\nHost: api.allowed.test\r\n\r\n";
		size_t len = strlen(req), bad = 0;

		for (size_t cut = 1; cut < len; cut++) {
			start("203.0.113.10", 80);
			if (flowcheck_feed(&fc, 1001, (const uint8_t *)req, cut) != FLOW_NEED_MORE ||
			    flowcheck_feed(&fc, 1001 + (uint32_t)cut, (const uint8_t *)req + cut, len - cut) !=
				    FLOW_ALLOW)
				bad++;
		}
		is_int(bad, 0, "http: split at every byte: waits, then allowed");
	}
}

int main(void)
{
	unsigned char a[4] = { 203, 0, 113, 10 };
	struct cs_err err;

	plan(85);
	allowlist_init(&al);
	allowlist_add_text(&al, "api.allowed.test www.allowed.test *.cdn.test public.ech.test", "test", &err);
	names();
	tls_names();
	tls_shapes();
	tls_segments();
	http_cases();
	ok(flowcheck_init(&fc, &judge, AF_INET, a, 22, 1) < 0 && refused(FLOW_R_PORT) &&
	   flowcheck_feed(&fc, 2, (const uint8_t *)"x", 1) == FLOW_REFUSE, "port 22: refused at init");
	allowlist_free(&al);
	return tap_done();
}
