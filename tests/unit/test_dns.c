/* DNS codec with hand-built packets: compression, CNAME chains, wrong-owner
 * records, truncation, pointer loops, reply building round trips. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "firewall/dns.h"

struct pkt {
	uint8_t b[4096];
	size_t n;
};

static void p8(struct pkt *p, unsigned v) { p->b[p->n++] = (uint8_t)v; }
static void p16(struct pkt *p, unsigned v) { p8(p, v >> 8); p8(p, v & 0xff); }
static void p32(struct pkt *p, uint32_t v) { p16(p, v >> 16); p16(p, v & 0xffff); }

/* "a.b.c" as labels + root; returns the offset where it starts. */
static size_t pname(struct pkt *p, const char *s)
{
	size_t at = p->n;

	while (*s) {
		size_t l = strcspn(s, ".");

		p8(p, (unsigned)l);
		memcpy(p->b + p->n, s, l);
		p->n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	p8(p, 0);
	return at;
}

static void pptr(struct pkt *p, size_t off) { p16(p, 0xc000 | (unsigned)off); }

static void hdr(struct pkt *p, unsigned id, unsigned flags, unsigned qd, unsigned an,
		unsigned ns, unsigned ar)
{
	p->n = 0;
	p16(p, id); p16(p, flags); p16(p, qd); p16(p, an); p16(p, ns); p16(p, ar);
}

static void rrfix(struct pkt *p, unsigned type, uint32_t ttl, unsigned rdlen)
{
	p16(p, type); p16(p, 1); p32(p, ttl); p16(p, rdlen);
}

static void rr_a(struct pkt *p, size_t owner, const char *ip, uint32_t ttl)
{
	pptr(p, owner);
	rrfix(p, DNS_T_A, ttl, 4);
	inet_pton(AF_INET, ip, p->b + p->n);
	p->n += 4;
}

static struct dns_name wname(const char *s)
{
	struct pkt p = { .n = 0 };
	struct dns_name n;
	size_t off = 0;

	pname(&p, s);
	memcpy(n.wire, p.b, p.n);
	n.len = p.n;
	(void)off;
	return n;
}

static const char *ip(const struct dns_addr *d)
{
	static char out[64];

	inet_ntop(d->family, d->addr, out, sizeof out);
	return out;
}

static void test_query(void)
{
	struct pkt p;
	struct dns_query q;

	hdr(&p, 0x1234, DNS_F_RD, 1, 0, 0, 1);
	pname(&p, "Api.Example.COM");
	p16(&p, DNS_T_A); p16(&p, 1);
	p8(&p, 0); p16(&p, DNS_T_OPT); p16(&p, 4096); p32(&p, 0); p16(&p, 0);
	is_int(dns_parse_query(p.b, p.n, &q), 0, "query parses");
	is_int(q.id, 0x1234, "id");
	is_str(q.text, "api.example.com", "text lowercased");
	is_int(q.qtype, DNS_T_A, "qtype");
	ok(q.edns && q.udp_size == 4096, "edns size");
	is_int(q.qraw_len, 17 + 4, "raw question length");
	ok(memcmp(q.qraw + 1, "Api", 3) == 0, "raw keeps case");

	for (size_t cut = 0; cut < p.n; cut++)
		ok(dns_parse_query(p.b, cut, &q) < 0 || cut >= 12 + 21, "truncated query at %zu rejected", cut);

	hdr(&p, 1, DNS_F_QR, 1, 0, 0, 0);
	pname(&p, "x.com"); p16(&p, 1); p16(&p, 1);
	is_int(dns_parse_query(p.b, p.n, &q), DNS_E_MISMATCH, "responses are not queries");

	hdr(&p, 1, 0, 2, 0, 0, 0);
	pname(&p, "x.com"); p16(&p, 1); p16(&p, 1);
	is_int(dns_parse_query(p.b, p.n, &q), DNS_E_FORMAT, "two questions refused");
	is_int(q.id, 1, "id still known for FORMERR");

	hdr(&p, 1, 0, 1, 0, 0, 0);
	pptr(&p, 2); p16(&p, 1); p16(&p, 1);
	ok(dns_parse_query(p.b, p.n, &q) < 0, "pointer into header refused");

	hdr(&p, 1, 0, 1, 0, 0, 0);
	pptr(&p, 12); p16(&p, 1); p16(&p, 1);
	ok(dns_parse_query(p.b, p.n, &q) < 0, "self pointer refused");

	hdr(&p, 1, 0, 1, 0, 0, 0);
	pname(&p, "we.ird"); p16(&p, 1); p16(&p, 1);
	p.b[13] = '.';          /* label "w.e" holds a dot */
	is_int(dns_parse_query(p.b, p.n, &q), 0, "odd label parses");
	is_str(q.text, "", "but has no host-name text");
	char pr[64];
	dns_name_print(&q.qname, pr, sizeof pr);
	is_str(pr, "\\046e.ird", "printable form escapes");

	/* a 64-octet label type (0x40) is refused */
	hdr(&p, 1, 0, 1, 0, 0, 0);
	p8(&p, 0x41); p8(&p, 'a'); p8(&p, 0); p16(&p, 1); p16(&p, 1);
	ok(dns_parse_query(p.b, p.n, &q) < 0, "extended label type refused");

	/* name longer than 255 octets */
	hdr(&p, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		p8(&p, 60);
		memset(p.b + p.n, 'a', 60);
		p.n += 60;
	}
	p8(&p, 0); p16(&p, 1); p16(&p, 1);
	ok(dns_parse_query(p.b, p.n, &q) < 0, "name > 255 octets refused");
}

static void test_answer(void)
{
	struct pkt p;
	struct dns_answer a;
	struct dns_name qn = wname("www.example.com");
	size_t qoff, c1, c2;

	/* www.example.com CNAME cdn.example.net; cdn CNAME edge.cdn.example.net;
	 * edge A 203.0.113.5, 203.0.113.6; plus junk: an A for www (wrong owner
	 * once the chain moved on), an A for evil.com, an AAAA for edge. */
	hdr(&p, 7, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 7, 0, 0);
	qoff = pname(&p, "WWW.example.com");
	p16(&p, DNS_T_A); p16(&p, 1);
	rr_a(&p, qoff, "192.0.2.66", 300);                  /* owner www: not the chain end */
	pptr(&p, qoff); rrfix(&p, DNS_T_CNAME, 600, 17);
	c1 = pname(&p, "cdn.example.net");
	size_t evil = p.n;
	pname(&p, "evil.com"); rrfix(&p, DNS_T_A, 5, 4); p32(&p, 0x0a000001);
	pptr(&p, c1); rrfix(&p, DNS_T_CNAME, 120, 7);
	p8(&p, 4); memcpy(p.b + p.n, "edge", 4); p.n += 4; pptr(&p, c1);
	c2 = p.n - 7;
	rr_a(&p, c2, "203.0.113.5", 60);
	rr_a(&p, c2, "203.0.113.6", 90);
	pptr(&p, c2); rrfix(&p, DNS_T_AAAA, 60, 16);
	memset(p.b + p.n, 0x20, 16); p.n += 16;
	(void)evil;

	is_int(dns_parse_answer(p.b, p.n, &qn, DNS_T_A, &a), 0, "answer parses");
	is_int(a.n_chain, 2, "two CNAME links");
	char t[256];
	dns_name_text(&a.chain[1], t, sizeof t);
	is_str(t, "edge.cdn.example.net", "chain end via compressed target");
	is_int(a.n_addr, 2, "only the chain end's A records");
	is_str(ip(&a.addr[0]), "203.0.113.5", "first address");
	is_str(ip(&a.addr[1]), "203.0.113.6", "second address");
	is_int(a.min_ttl, 60, "min TTL over chain and addresses");

	struct dns_answer a6;
	is_int(dns_parse_answer(p.b, p.n, &qn, DNS_T_AAAA, &a6), DNS_E_MISMATCH,
	       "question type must match");

	/* every truncation of the packet is handled */
	int okcount = 0;
	for (size_t cut = 0; cut < p.n; cut++)
		if (dns_parse_answer(p.b, cut, &qn, DNS_T_A, &a) < 0)
			okcount++;
	is_int(okcount, (int)p.n, "every truncated answer rejected");

	/* wrong question name */
	struct dns_name other = wname("www.example.org");
	is_int(dns_parse_answer(p.b, p.n, &other, DNS_T_A, &a), DNS_E_MISMATCH, "question name must match");

	/* CNAME loop: a -> b -> a */
	struct dns_name an = wname("a.com");
	hdr(&p, 1, DNS_F_QR, 1, 2, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	pptr(&p, qoff); rrfix(&p, DNS_T_CNAME, 10, 7); c1 = pname(&p, "b.com");
	pptr(&p, c1); rrfix(&p, DNS_T_CNAME, 10, 2); pptr(&p, qoff);
	is_int(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a), DNS_E_FORMAT, "CNAME loop refused");

	/* pointer loop inside an RR name: pointer to itself */
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	pptr(&p, p.n); rrfix(&p, DNS_T_A, 1, 4); p32(&p, 1);
	ok(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a) < 0, "self-pointer refused");
	/* forward pointer */
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	pptr(&p, p.n + 2); p8(&p, 0); rrfix(&p, DNS_T_A, 1, 4); p32(&p, 1);
	ok(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a) < 0, "forward pointer refused");
	/* two pointers bouncing: name at X = label + ptr to Y; Y = ptr to X */
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	size_t x = p.n;
	p8(&p, 1); p8(&p, 'q'); pptr(&p, x + 4); pptr(&p, x);
	rrfix(&p, DNS_T_A, 1, 4); p32(&p, 1);
	ok(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a) < 0, "bouncing pointers refused");

	/* A with rdlen 5 */
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	pptr(&p, qoff); rrfix(&p, DNS_T_A, 1, 5); p32(&p, 1); p8(&p, 1);
	is_int(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a), DNS_E_FORMAT, "bad A rdlen refused");

	/* TTL with the high bit set counts as 0; NXDOMAIN rcode is reported */
	hdr(&p, 1, DNS_F_QR | DNS_R_NXDOMAIN, 1, 1, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	rr_a(&p, qoff, "198.51.100.1", 0x80000001u);
	is_int(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a), 0, "parses");
	is_int(a.rcode, DNS_R_NXDOMAIN, "rcode");
	is_int(a.min_ttl, 0, "negative TTL is 0");

	/* more than DNS_MAX_ADDRS addresses: extra ones counted as dropped */
	hdr(&p, 1, DNS_F_QR, 1, DNS_MAX_ADDRS + 3, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	for (int i = 0; i < DNS_MAX_ADDRS + 3; i++)
		rr_a(&p, qoff, "198.51.100.1", 30);
	is_int(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a), 0, "many addresses parse");
	is_int(a.n_addr, DNS_MAX_ADDRS, "capped");
	is_int(a.dropped, 3, "rest dropped");

	/* TC answer cut in the middle: no error, caller retries over TCP */
	hdr(&p, 1, DNS_F_QR | DNS_F_TC, 1, 3, 0, 0);
	qoff = pname(&p, "a.com"); p16(&p, 1); p16(&p, 1);
	rr_a(&p, qoff, "198.51.100.1", 30);
	is_int(dns_parse_answer(p.b, p.n, &an, DNS_T_A, &a), 0, "truncated TC answer accepted");
	ok(a.truncated, "TC reported");
}

static void test_build(void)
{
	struct pkt p;
	struct dns_query q;
	struct dns_answer a, back;
	uint8_t out[2048];
	int n;

	hdr(&p, 0xbeef, DNS_F_RD, 1, 0, 0, 1);
	pname(&p, "WWW.Example.com"); p16(&p, DNS_T_A); p16(&p, 1);
	p8(&p, 0); p16(&p, DNS_T_OPT); p16(&p, 1232); p32(&p, 0); p16(&p, 0);
	is_int(dns_parse_query(p.b, p.n, &q), 0, "query");

	memset(&a, 0, sizeof a);
	a.n_chain = 1;
	a.chain[0] = wname("edge.cdn.net");
	a.chain_ttl[0] = 500;
	a.n_addr = 2;
	a.addr[0].family = AF_INET;
	inet_pton(AF_INET, "203.0.113.5", a.addr[0].addr);
	a.addr[0].ttl = 100000;
	a.addr[1] = a.addr[0];
	a.addr[1].addr[3] = 6;
	n = dns_build_reply(out, sizeof out, &q, DNS_R_NOERROR, &a, 3600);
	ok(n > 0, "reply built (%d bytes)", n);
	is_int(out[0] << 8 | out[1], 0xbeef, "id echoed");
	ok(out[2] & 0x80, "QR set");
	ok(out[2] & 0x01, "RD copied");
	ok(memcmp(out + 13, "WWW", 3) == 0, "question case kept");
	is_int(dns_parse_answer(out, (size_t)n, &q.qname, DNS_T_A, &back), 0, "reply parses as an answer");
	is_int(back.n_chain, 1, "chain survives");
	is_int(back.n_addr, 2, "addresses survive");
	is_int(back.addr[0].ttl, 3600, "TTL capped");
	is_int(back.min_ttl, 500, "min ttl");

	/* too small: TC set, still a valid message */
	n = dns_build_reply(out, 12 + q.qraw_len + 11 + 20, &q, DNS_R_NOERROR, &a, 3600);
	ok(n > 0 && (out[2] & 0x02), "TC when it does not fit");
	is_int(dns_parse_answer(out, (size_t)n, &q.qname, DNS_T_A, &back), 0, "truncated reply parses");

	n = dns_build_reply(out, sizeof out, &q, DNS_R_NXDOMAIN, NULL, 0);
	is_int(out[3] & 0xf, DNS_R_NXDOMAIN, "NXDOMAIN rcode");
	is_int(out[6] << 8 | out[7], 0, "no answers");
	is_int(out[10] << 8 | out[11], 1, "OPT echoed for EDNS clients");
	is_int(n, 12 + (int)q.qraw_len + 11, "NXDOMAIN size");

	n = dns_build_query(out, sizeof out, 0x4242, &q);
	struct dns_query q2;
	is_int(dns_parse_query(out, (size_t)n, &q2), 0, "upstream query parses");
	is_int(q2.id, 0x4242, "new id");
	ok(q2.edns && q2.udp_size == DNS_UDP_MAX_EDNS, "our EDNS size");
	is_str(q2.text, "www.example.com", "same name");
	is_int(dns_build_query(out, 10, 1, &q), DNS_E_SPACE, "no space");

	char tn[16];
	is_str(dns_type_name(65, tn, sizeof tn), "HTTPS", "type name");
	is_str(dns_type_name(99, tn, sizeof tn), "TYPE99", "unknown type name");
}

int main(void)
{
	plan(108);
	test_query();
	test_answer();
	test_build();
	return tap_done();
}
