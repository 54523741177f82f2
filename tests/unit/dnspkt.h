/* Hand-built DNS packets for the unit tests (test_dns_hardening.c,
 * test_dnsfilter.c): a byte buffer with big-endian writers, names as labels,
 * compression pointers and the fixed RR part, so each test states exactly
 * the bytes it sends. */
#ifndef DNSPKT_H
#define DNSPKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "firewall/dns.h"

struct pkt {
	uint8_t b[8192];
	size_t n;
};

static inline void p8(struct pkt *p, unsigned v)
{
	if (p->n < sizeof p->b)
		p->b[p->n++] = (uint8_t)v;
}
static inline void p16(struct pkt *p, unsigned v) { p8(p, v >> 8); p8(p, v & 0xff); }
static inline void p32(struct pkt *p, uint32_t v) { p16(p, v >> 16); p16(p, v & 0xffff); }
static inline void pbytes(struct pkt *p, const void *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p8(p, ((const uint8_t *)v)[i]);
}

/* "a.b.c" as labels + the root label; returns where it starts. */
static inline size_t pname(struct pkt *p, const char *s)
{
	size_t at = p->n;

	while (*s) {
		size_t l = strcspn(s, ".");

		p8(p, (unsigned)l);
		pbytes(p, s, l);
		s += l;
		if (*s == '.')
			s++;
	}
	p8(p, 0);
	return at;
}

/* Wire length of "a.b.c" (labels + root). */
static inline size_t wlen(const char *s)
{
	return strlen(s) + 2;
}

static inline void pptr(struct pkt *p, size_t off) { p16(p, 0xc000 | (unsigned)off); }

static inline void hdr(struct pkt *p, unsigned id, unsigned flags, unsigned qd, unsigned an,
		       unsigned ns, unsigned ar)
{
	p->n = 0;
	p16(p, id); p16(p, flags); p16(p, qd); p16(p, an); p16(p, ns); p16(p, ar);
}

/* type, class, ttl, rdlength */
static inline void rrfix(struct pkt *p, unsigned type, unsigned cls, uint32_t ttl, unsigned rdlen)
{
	p16(p, type); p16(p, cls); p32(p, ttl); p16(p, rdlen);
}

/* Question at offset 12 (returned), type QTYPE, class IN. */
static inline size_t pquestion(struct pkt *p, const char *name, unsigned qtype)
{
	size_t at = pname(p, name);

	p16(p, qtype);
	p16(p, DNS_C_IN);
	return at;
}

/* An OPT RR advertising SIZE, no options. */
static inline void popt(struct pkt *p, unsigned size)
{
	p8(p, 0);
	rrfix(p, DNS_T_OPT, size, 0, 0);
}

/* A / AAAA owned by the name at OWNER (a pointer), class IN. */
static inline void rr_a(struct pkt *p, size_t owner, const char *ip, uint32_t ttl)
{
	pptr(p, owner);
	rrfix(p, DNS_T_A, DNS_C_IN, ttl, 4);
	if (p->n + 4 <= sizeof p->b)
		inet_pton(AF_INET, ip, p->b + p->n);
	p->n += 4;
}

static inline void rr_aaaa(struct pkt *p, size_t owner, const char *ip, uint32_t ttl)
{
	pptr(p, owner);
	rrfix(p, DNS_T_AAAA, DNS_C_IN, ttl, 16);
	if (p->n + 16 <= sizeof p->b)
		inet_pton(AF_INET6, ip, p->b + p->n);
	p->n += 16;
}

/* OWNER CNAME TARGET (target written uncompressed); returns where the
 * target name starts, for the next link's owner pointer. */
static inline size_t rr_cname(struct pkt *p, size_t owner, const char *target, uint32_t ttl)
{
	pptr(p, owner);
	rrfix(p, DNS_T_CNAME, DNS_C_IN, ttl, (unsigned)wlen(target));
	return pname(p, target);
}

/* A client query: id, RD, one question, optional OPT. */
static inline void pquery(struct pkt *p, unsigned id, const char *name, unsigned qtype, int edns)
{
	hdr(p, id, DNS_F_RD, 1, 0, 0, edns ? 1 : 0);
	pquestion(p, name, qtype);
	if (edns)
		popt(p, 1232);
}

static inline struct dns_name wname(const char *s)
{
	struct pkt p = { .n = 0 };
	struct dns_name n;

	pname(&p, s);
	memcpy(n.wire, p.b, p.n);
	n.len = p.n;
	return n;
}

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

#endif
