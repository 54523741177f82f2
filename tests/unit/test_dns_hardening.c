/* Each hardening check of the DNS codec (firewall/dns.c), proven by a pair of
 * packets built by the same function: the good one passes, the bad one
 * differs in exactly the field that check looks at and must be refused (or
 * ignored).  So a check that is removed, inverted or loosened shows up here
 * as one failing pair, and a pair cannot pass because the packet is broken
 * in some other way. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "dnspkt.h"
#include "firewall/dns.h"

static const struct dns_name *qn(void)
{
	static struct dns_name n;

	n = wname("www.example.com");
	return &n;
}

static const char *ip(const struct dns_addr *d)
{
	static char out[64];

	inet_ntop(d->family, d->addr, out, sizeof out);
	return out;
}

/* www.example.com CNAME (class CLS) evil.example.net; evil A 203.0.113.66 */
static void cname_class(struct pkt *p, unsigned cls)
{
	size_t q, t;

	hdr(p, 1, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 2, 0, 0);
	q = pquestion(p, "www.example.com", DNS_T_A);
	pptr(p, q);
	rrfix(p, DNS_T_CNAME, cls, 300, (unsigned)wlen("evil.example.net"));
	t = pname(p, "evil.example.net");
	rr_a(p, t, "203.0.113.66", 300);
}

/* www.example.com A (class CLS) 203.0.113.5 */
static void a_class(struct pkt *p, unsigned cls)
{
	size_t q;

	hdr(p, 1, DNS_F_QR, 1, 1, 0, 0);
	q = pquestion(p, "www.example.com", DNS_T_A);
	pptr(p, q);
	rrfix(p, DNS_T_A, cls, 300, 4);
	p32(p, 0xcb007105);
}

/* CNAME whose rdlength covers the target plus EXTRA bytes of junk */
static void cname_rdlen(struct pkt *p, unsigned extra)
{
	size_t q, t;

	hdr(p, 1, DNS_F_QR, 1, 2, 0, 0);
	q = pquestion(p, "www.example.com", DNS_T_A);
	pptr(p, q);
	rrfix(p, DNS_T_CNAME, DNS_C_IN, 300, (unsigned)(wlen("cdn.example.net") + extra));
	t = pname(p, "cdn.example.net");
	for (unsigned i = 0; i < extra; i++)
		p8(p, 0xc0);
	rr_a(p, t, "203.0.113.5", 300);
}

/* a chain of N CNAMEs from the question, then an A for its end */
static void chain(struct pkt *p, int n)
{
	size_t owner;

	hdr(p, 1, DNS_F_QR, 1, (unsigned)n + 1, 0, 0);
	owner = pquestion(p, "www.example.com", DNS_T_A);
	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof name, "c%d.example.net", i);
		owner = rr_cname(p, owner, name, 300);
	}
	rr_a(p, owner, "203.0.113.5", 300);
}

/* an answer with header FLAGS and one A */
static void flagged(struct pkt *p, unsigned flags)
{
	size_t q;

	hdr(p, 1, flags, 1, 1, 0, 0);
	q = pquestion(p, "www.example.com", DNS_T_A);
	rr_a(p, q, "203.0.113.5", 300);
}

/* a query with AR additional records (each an OPT) */
static void query_ar(struct pkt *p, unsigned ar)
{
	hdr(p, 9, DNS_F_RD, 1, 0, 0, ar);
	pquestion(p, "www.example.com", DNS_T_A);
	for (unsigned i = 0; i < ar; i++)
		popt(p, 1232);
}

/* question and answer of type T with 16 bytes of rdata owned by the name */
static void typed16(struct pkt *p, unsigned t)
{
	static const uint8_t rd[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	size_t q;

	hdr(p, 1, DNS_F_QR, 1, 1, 0, 0);
	q = pquestion(p, "www.example.com", t);
	pptr(p, q);
	rrfix(p, t, DNS_C_IN, 300, 16);
	pbytes(p, rd, sizeof rd);
}

/* one A whose owner is a pointer to "www.example.com": back to the question
 * (FORWARD false) or ahead to a copy of the name after the record */
static void owner_ptr(struct pkt *p, bool forward)
{
	size_t q;

	hdr(p, 1, DNS_F_QR, 1, 1, 0, 0);
	q = pquestion(p, "www.example.com", DNS_T_A);
	pptr(p, forward ? p->n + 2 + 10 + 4 : q);
	rrfix(p, DNS_T_A, DNS_C_IN, 300, 4);
	p32(p, 0xcb007105);
	pname(p, "www.example.com");    /* trailing bytes: ignored, but pointable */
}

int main(void)
{
	struct pkt p;
	struct dns_answer a;
	struct dns_query q;
	char t[256];

	plan(48);

	/* 1. CNAME class: only IN may extend the chain */
	cname_class(&p, DNS_C_IN);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), 0, "CNAME class IN: parses");
	ok(a.n_chain == 1 && a.n_addr == 1, "CNAME class IN: followed to the target's A");
	cname_class(&p, 3 /* CH */);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), 0, "CNAME class CH: parses");
	ok(a.n_chain == 0 && a.n_addr == 0, "CNAME class CH: not followed, no address (%zu, %zu)",
	   a.n_chain, a.n_addr);

	/* 2. A class: only IN becomes an address */
	a_class(&p, DNS_C_IN);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a) == 0 && a.n_addr == 1, "A class IN: one address");
	a_class(&p, 4 /* HS */);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a) == 0 && a.n_addr == 0,
	   "A class HS: no address (%zu)", a.n_addr);

	/* 3. CNAME rdlength must be exactly the target name */
	cname_rdlen(&p, 0);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a) == 0 && a.n_chain == 1 && a.n_addr == 1,
	   "CNAME rdlength = name: followed");
	cname_rdlen(&p, 2);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), DNS_E_FORMAT,
	       "CNAME rdlength with trailing bytes: FORMERR");

	/* 4. chain limit: DNS_MAX_CHAIN links, not one more */
	chain(&p, DNS_MAX_CHAIN);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), 0, "chain of %d: parses", DNS_MAX_CHAIN);
	ok(a.n_chain == DNS_MAX_CHAIN && a.n_addr == 1, "chain of %d: followed to the end", DNS_MAX_CHAIN);
	dns_name_text(&a.chain[DNS_MAX_CHAIN - 1], t, sizeof t);
	is_str(t, "c15.example.net", "chain end");
	chain(&p, DNS_MAX_CHAIN + 1);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), DNS_E_FORMAT,
	       "chain of %d: refused", DNS_MAX_CHAIN + 1);

	/* 5. opcode: only a standard query's answer */
	flagged(&p, DNS_F_QR);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a) == 0 && a.n_addr == 1, "opcode 0: accepted");
	flagged(&p, DNS_F_QR | 2u << 11);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), DNS_E_MISMATCH, "opcode STATUS: refused");
	flagged(&p, DNS_F_QR | 5u << 11);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), DNS_E_MISMATCH, "opcode UPDATE: refused");

	/* 6. QR: a message without it is a query, not an answer */
	flagged(&p, DNS_F_RD);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), DNS_E_MISMATCH, "answer without QR: refused");

	/* 7. at most 8 additional records in a query */
	query_ar(&p, 8);
	is_int(dns_parse_query(p.b, p.n, &q), 0, "query with 8 additional records: parses");
	ok(q.edns, "...EDNS seen");
	query_ar(&p, 9);
	is_int(dns_parse_query(p.b, p.n, &q), DNS_E_FORMAT, "query with 9 additional records: FORMERR");

	/* 8. TTL cap on the CNAME RRs of a rebuilt reply, as on addresses */
	{
		struct dns_answer in, back;
		uint8_t out[1024];
		int n;

		pquery(&p, 0x77, "www.example.com", DNS_T_A, 1);
		is_int(dns_parse_query(p.b, p.n, &q), 0, "query for the rebuilt reply");
		memset(&in, 0, sizeof in);
		in.n_chain = 2;
		in.chain[0] = wname("cdn.example.net");
		in.chain_ttl[0] = 100000;
		in.chain[1] = wname("edge.example.net");
		in.chain_ttl[1] = 30;
		in.n_addr = 1;
		in.addr[0].family = AF_INET;
		inet_pton(AF_INET, "203.0.113.5", in.addr[0].addr);
		in.addr[0].ttl = 200000;
		n = dns_build_reply(out, sizeof out, &q, DNS_R_NOERROR, &in, 3600);
		ok(n > 0, "reply with a long-TTL chain built");
		is_int(dns_parse_answer(out, (size_t)n, &q.qname, DNS_T_A, &back), 0, "it parses back");
		is_int(back.chain_ttl[0], 3600, "CNAME TTL 100000 capped at 3600");
		is_int(back.chain_ttl[1], 30, "CNAME TTL below the cap kept");
		is_int(back.addr[0].ttl, 3600, "address TTL capped too");
	}

	/* 9. only A/AAAA ever become addresses */
	typed16(&p, DNS_T_AAAA);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_AAAA, &a) == 0 && a.n_addr == 1,
	   "AAAA with 16 bytes: an address");
	is_str(a.n_addr ? ip(&a.addr[0]) : "", "2001:db8::1", "...the right one");
	typed16(&p, DNS_T_TXT);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_TXT, &a) == 0 && a.n_addr == 0,
	   "TXT with 16 bytes asked as TXT: no address (%zu)", a.n_addr);
	typed16(&p, DNS_T_HTTPS);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_HTTPS, &a) == 0 && a.n_addr == 0,
	   "HTTPS with 16 bytes asked as HTTPS: no address (%zu)", a.n_addr);
	{
		/* a 4-byte SRV-shaped record asked as its own type: never an A */
		size_t qq;

		hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
		qq = pquestion(&p, "www.example.com", DNS_T_MX);
		pptr(&p, qq);
		rrfix(&p, DNS_T_MX, DNS_C_IN, 300, 4);
		p32(&p, 0x0a000001);
		is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_MX, &a), 0, "MX with 4 bytes parses");
		is_int(a.n_addr, 0, "...and is no address");
	}

	/* 10. a truncated OPT in a query */
	pquery(&p, 5, "www.example.com", DNS_T_A, 1);
	is_int(dns_parse_query(p.b, p.n, &q), 0, "query with a whole OPT: parses");
	ok(q.edns, "...EDNS");
	is_int(dns_parse_query(p.b, p.n - 1, &q), DNS_E_FORMAT, "OPT missing its last byte: FORMERR");
	is_int(dns_parse_query(p.b, p.n - 3, &q), DNS_E_FORMAT, "OPT missing its rdlength: FORMERR");
	p.b[p.n - 1] = 4;       /* rdlength 4, no rdata follows */
	is_int(dns_parse_query(p.b, p.n, &q), DNS_E_FORMAT, "OPT whose rdata is missing: FORMERR");
	p.b[p.n - 1] = 0;
	is_int(dns_parse_query(p.b, p.n, &q), 0, "rdlength 0 again: parses (the same bytes were the cause)");

	/* 11. a rebuilt reply carries the very addresses it was given */
	{
		struct dns_answer in, back;
		uint8_t out[1024];
		const char *v4[] = { "203.0.113.5", "198.51.100.77" };
		const char *v6[] = { "2001:db8::5", "2001:db8:1:2:3:4:5:6" };
		int n;

		pquery(&p, 0x78, "www.example.com", DNS_T_A, 0);
		dns_parse_query(p.b, p.n, &q);
		memset(&in, 0, sizeof in);
		in.n_addr = 2;
		for (int i = 0; i < 2; i++) {
			in.addr[i].family = AF_INET;
			inet_pton(AF_INET, v4[i], in.addr[i].addr);
			in.addr[i].ttl = 60;
		}
		n = dns_build_reply(out, sizeof out, &q, DNS_R_NOERROR, &in, 3600);
		ok(n > 0 && dns_parse_answer(out, (size_t)n, &q.qname, DNS_T_A, &back) == 0,
		   "A reply built and parsed");
		is_int(back.n_addr, 2, "two A");
		is_str(ip(&back.addr[0]), v4[0], "first A kept");
		is_str(ip(&back.addr[1]), v4[1], "second A kept");

		pquery(&p, 0x79, "www.example.com", DNS_T_AAAA, 0);
		dns_parse_query(p.b, p.n, &q);
		for (int i = 0; i < 2; i++) {
			in.addr[i].family = AF_INET6;
			inet_pton(AF_INET6, v6[i], in.addr[i].addr);
		}
		n = dns_build_reply(out, sizeof out, &q, DNS_R_NOERROR, &in, 3600);
		ok(n > 0 && dns_parse_answer(out, (size_t)n, &q.qname, DNS_T_AAAA, &back) == 0,
		   "AAAA reply built and parsed");
		is_int(back.n_addr, 2, "two AAAA");
		is_str(ip(&back.addr[0]), v6[0], "first AAAA kept");
		is_str(ip(&back.addr[1]), v6[1], "second AAAA kept");
	}

	/* 12. A/AAAA rdlength must match the type */
	typed16(&p, DNS_T_AAAA);
	p.b[p.n - 17] = 15;     /* rdlength 15: the last byte becomes junk after the RR */
	p.n--;
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_AAAA, &a), DNS_E_FORMAT, "AAAA rdlength 15: FORMERR");

	/* 13. compression pointers only point backwards */
	owner_ptr(&p, false);
	ok(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a) == 0 && a.n_addr == 1,
	   "owner pointer back to the question: an address");
	owner_ptr(&p, true);
	is_int(dns_parse_answer(p.b, p.n, qn(), DNS_T_A, &a), DNS_E_NAME,
	       "owner pointer forward to the same name: refused");
	return tap_done();
}
