#include "firewall/dns.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int dns_read_name(const uint8_t *msg, size_t len, size_t *off, struct dns_name *out)
{
	size_t pos = *off, seg = *off, end = 0, olen = 0;
	int jumps = 0;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return DNS_E_SHORT;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return DNS_E_SHORT;
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (!end)
				end = pos + 2;
			/* Strictly before every segment read so far: each jump
			 * lands lower, so the walk must terminate. */
			if (target < DNS_HDR || target >= seg || ++jumps > DNS_MAX_JUMPS)
				return DNS_E_NAME;
			pos = seg = target;
			continue;
		}
		if (c & 0xc0)
			return DNS_E_NAME;      /* 0x40/0x80: obsolete label types */
		if (olen + 1u + c > DNS_NAME_MAX)
			return DNS_E_NAME;
		if (c == 0) {
			out->wire[olen++] = 0;
			if (!end)
				end = pos + 1;
			break;
		}
		if (pos + 1 + c > len)
			return DNS_E_SHORT;
		out->wire[olen++] = c;
		for (size_t i = 0; i < c; i++)
			out->wire[olen++] = lower(msg[pos + 1 + i]);
		pos += 1u + c;
	}
	out->len = olen;
	*off = end;
	return 0;
}

static bool name_eq(const struct dns_name *a, const struct dns_name *b)
{
	return a->len == b->len && memcmp(a->wire, b->wire, a->len) == 0;
}

int dns_name_text(const struct dns_name *n, char *out, size_t outsz)
{
	size_t o = 0, i = 0;

	if (outsz < 2)
		return -1;
	if (n->len == 0)
		return -1;
	if (n->wire[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (i < n->len && n->wire[i]) {
		size_t l = n->wire[i++];

		if (i + l > n->len)
			return -1;
		if (o && o + 1 < outsz)
			out[o++] = '.';
		for (size_t k = 0; k < l; k++, i++) {
			uint8_t c = n->wire[i];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return -1;
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return (int)o;
}

void dns_name_print(const struct dns_name *n, char *out, size_t outsz)
{
	size_t o = 0, i = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (n->len == 0 || n->wire[0] == 0) {
		snprintf(out, outsz, ".");
		return;
	}
	while (i < n->len && n->wire[i]) {
		size_t l = n->wire[i++];

		if (o && o + 1 < outsz)
			out[o++] = '.';
		for (size_t k = 0; k < l && i < n->len; k++, i++) {
			uint8_t c = n->wire[i];

			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\' && c != '"') {
				if (o + 1 >= outsz)
					goto done;
				out[o++] = (char)c;
			} else {
				if (o + 5 >= outsz)
					goto done;
				o += (size_t)snprintf(out + o, outsz - o, "\\%03u", c);
			}
		}
	}
done:
	out[o < outsz ? o : outsz - 1] = '\0';
}

/* Skip one RR at *OFF (name, fixed part, rdata); fills the fixed fields. */
static int read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_name *owner,
		   uint16_t *type, uint16_t *class, uint32_t *ttl, size_t *rdoff, uint16_t *rdlen)
{
	int r = dns_read_name(msg, len, off, owner);

	if (r < 0)
		return r;
	if (*off + 10 > len)
		return DNS_E_SHORT;
	*type = get16(msg + *off);
	*class = get16(msg + *off + 2);
	*ttl = get32(msg + *off + 4);
	if (*ttl & 0x80000000u)     /* RFC 2181 §8: treat as zero */
		*ttl = 0;
	*rdlen = get16(msg + *off + 8);
	*rdoff = *off + 10;
	if (*rdoff + *rdlen > len)
		return DNS_E_SHORT;
	*off = *rdoff + *rdlen;
	return 0;
}

int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
	size_t off = DNS_HDR;
	uint16_t qd, an, ns, ar;
	int r;

	memset(q, 0, sizeof *q);
	q->udp_size = DNS_UDP_MAX_PLAIN;
	if (len < DNS_HDR)
		return DNS_E_SHORT;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	if (q->flags & DNS_F_QR)
		return DNS_E_MISMATCH;      /* a response: never answer it */
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	ar = get16(msg + 10);
	if (qd != 1 || an || ns || ar > 8)
		return DNS_E_FORMAT;
	if ((r = dns_read_name(msg, len, &off, &q->qname)) < 0)
		return r == DNS_E_SHORT ? DNS_E_FORMAT : r;
	if (off + 4 > len)
		return DNS_E_FORMAT;
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	off += 4;
	q->qraw = msg + DNS_HDR;
	q->qraw_len = off - DNS_HDR;
	for (uint16_t i = 0; i < ar; i++) {
		struct dns_name owner;
		uint16_t type, class, rdlen;
		uint32_t ttl;
		size_t rdoff;

		if (read_rr(msg, len, &off, &owner, &type, &class, &ttl, &rdoff, &rdlen) < 0)
			return DNS_E_FORMAT;
		if (type == DNS_T_OPT) {
			q->edns = true;
			q->udp_size = class < DNS_UDP_MAX_PLAIN ? DNS_UDP_MAX_PLAIN : class;
		}
	}
	if (dns_name_text(&q->qname, q->text, sizeof q->text) < 0)
		q->text[0] = '\0';
	return 0;
}

/* Pass 3 of dns_parse_answer: the A/AAAA records of type QTYPE owned by
 * CUR (the end of the chain) among the answer RRs at RR_OFF. */
static int collect_addrs(const uint8_t *msg, size_t len, const size_t *rr_off, size_t n_rr,
			 const struct dns_name *cur, uint16_t qtype, bool have_ttl, struct dns_answer *a)
{
	struct dns_name name;

	for (size_t i = 0; i < n_rr; i++) {
		uint16_t type, class, rdlen;
		uint32_t ttl;
		size_t rdoff, o = rr_off[i];
		struct dns_addr *d;

		if (read_rr(msg, len, &o, &name, &type, &class, &ttl, &rdoff, &rdlen) < 0)
			return DNS_E_FORMAT;
		if (class != DNS_C_IN || type != qtype || !name_eq(&name, cur))
			continue;
		if (type != DNS_T_A && type != DNS_T_AAAA)
			continue;
		if (rdlen != (type == DNS_T_A ? 4 : 16))
			return DNS_E_FORMAT;
		if (a->n_addr >= DNS_MAX_ADDRS) {
			a->dropped++;
			continue;
		}
		d = &a->addr[a->n_addr++];
		d->family = type == DNS_T_A ? AF_INET : AF_INET6;
		memset(d->addr, 0, sizeof d->addr);
		memcpy(d->addr, msg + rdoff, rdlen);
		d->ttl = ttl;
		if (!have_ttl || ttl < a->min_ttl)
			a->min_ttl = ttl;
		have_ttl = true;
	}
	return 0;
}

int dns_parse_answer(const uint8_t *msg, size_t len, const struct dns_name *qname,
		     uint16_t qtype, struct dns_answer *a)
{
	size_t off = DNS_HDR, rr_off[DNS_MAX_RRS], n_rr = 0;
	struct dns_name name;
	const struct dns_name *cur = qname;
	uint16_t an;
	bool have_ttl = false;
	int r;

	memset(a, 0, sizeof *a);
	if (len < DNS_HDR)
		return DNS_E_SHORT;
	a->id = get16(msg);
	a->flags = get16(msg + 2);
	a->rcode = DNS_RCODE(a->flags);
	a->truncated = (a->flags & DNS_F_TC) != 0;
	if (!(a->flags & DNS_F_QR) || DNS_OPCODE(a->flags) != 0 || get16(msg + 4) != 1)
		return DNS_E_MISMATCH;
	an = get16(msg + 6);
	if ((r = dns_read_name(msg, len, &off, &name)) < 0)
		return r;
	if (off + 4 > len)
		return DNS_E_SHORT;
	if (!name_eq(&name, qname) || get16(msg + off) != qtype || get16(msg + off + 2) != DNS_C_IN)
		return DNS_E_MISMATCH;
	off += 4;

	/* Pass 1: validate every answer RR's bounds and remember where it is. */
	for (uint16_t i = 0; i < an; i++) {
		uint16_t type, class, rdlen;
		uint32_t ttl;
		size_t rdoff, start = off;

		if ((r = read_rr(msg, len, &off, &name, &type, &class, &ttl, &rdoff, &rdlen)) < 0)
			return a->truncated ? 0 : r;   /* TC: the caller retries over TCP */
		if (n_rr < DNS_MAX_RRS)
			rr_off[n_rr++] = start;
	}

	/* Pass 2: follow the chain.  Only an RR owned by the current end of
	 * the chain may extend it (Cilium's rule); everything else is noise or
	 * an attempt to smuggle addresses for names nobody asked about. */
	for (;;) {
		bool moved = false;

		for (size_t i = 0; i < n_rr && !moved; i++) {
			uint16_t type, class, rdlen;
			uint32_t ttl;
			size_t rdoff, o = rr_off[i];
			struct dns_name target;

			if (read_rr(msg, len, &o, &name, &type, &class, &ttl, &rdoff, &rdlen) < 0)
				return DNS_E_FORMAT;
			if (type != DNS_T_CNAME || class != DNS_C_IN || !name_eq(&name, cur))
				continue;
			o = rdoff;
			if ((r = dns_read_name(msg, len, &o, &target)) < 0 || o != rdoff + rdlen)
				return r < 0 ? r : DNS_E_FORMAT;
			if (name_eq(&target, qname))
				return DNS_E_FORMAT;            /* loop */
			for (size_t k = 0; k < a->n_chain; k++)
				if (name_eq(&target, &a->chain[k]))
					return DNS_E_FORMAT;    /* loop */
			if (a->n_chain >= DNS_MAX_CHAIN)
				return DNS_E_FORMAT;
			a->chain[a->n_chain] = target;
			a->chain_ttl[a->n_chain] = ttl;
			if (!have_ttl || ttl < a->min_ttl)
				a->min_ttl = ttl;
			have_ttl = true;
			cur = &a->chain[a->n_chain++];
			moved = true;
		}
		if (!moved)
			break;
	}

	/* Pass 3: the addresses of the last name, of the asked type only. */
	return collect_addrs(msg, len, rr_off, n_rr, cur, qtype, have_ttl, a);
}

static int put_name(uint8_t *out, size_t maxlen, size_t *o, const struct dns_name *n)
{
	if (*o + n->len > maxlen)
		return -1;
	memcpy(out + *o, n->wire, n->len);
	*o += n->len;
	return 0;
}

/* Fixed RR part after the owner: type, class IN, ttl, rdlen. */
static int put_rr_fixed(uint8_t *out, size_t maxlen, size_t *o, uint16_t type, uint32_t ttl,
			uint16_t rdlen)
{
	if (*o + 10 > maxlen)
		return -1;
	put16(out + *o, type);
	put16(out + *o + 2, DNS_C_IN);
	put32(out + *o + 4, ttl);
	put16(out + *o + 8, rdlen);
	*o += 10;
	return 0;
}

static void put_ptr(uint8_t *p, size_t target)
{
	put16(p, (uint16_t)(0xc000 | target));
}

static uint32_t cap(uint32_t ttl, uint32_t ttl_cap)
{
	return ttl < ttl_cap ? ttl : ttl_cap;
}

int dns_build_reply(uint8_t *out, size_t maxlen, const struct dns_query *q, int rcode,
		    const struct dns_answer *a, uint32_t ttl_cap)
{
	size_t o = DNS_HDR, owner = DNS_HDR, room = maxlen;
	uint16_t flags, an = 0;
	bool tc = false;

	if (q->edns) {
		if (room < 11)
			return DNS_E_SPACE;
		room -= 11;   /* keep space for our OPT */
	}
	if (DNS_HDR + q->qraw_len > room || q->qraw_len > DNS_NAME_MAX + 4)
		return DNS_E_SPACE;
	memcpy(out + o, q->qraw, q->qraw_len);
	o += q->qraw_len;

	/* Owners are compression pointers: to the question for the first RR,
	 * then to the previous CNAME's target.  The whole reply stays far below
	 * 16 KiB (DNS_MAX_CHAIN names + DNS_MAX_ADDRS), so pointers fit. */
	for (size_t i = 0; a && i < a->n_chain; i++) {
		size_t need = 2 + 10 + a->chain[i].len;

		if (o + need > room) {
			tc = true;
			break;
		}
		put_ptr(out + o, owner);
		o += 2;
		put_rr_fixed(out, room, &o, DNS_T_CNAME, cap(a->chain_ttl[i], ttl_cap),
			     (uint16_t)a->chain[i].len);
		owner = o;
		put_name(out, room, &o, &a->chain[i]);
		an++;
	}
	for (size_t i = 0; a && i < a->n_addr && !tc; i++) {
		const struct dns_addr *d = &a->addr[i];
		uint16_t alen = d->family == AF_INET ? 4 : 16;

		if (o + 2 + 10 + alen > room) {
			tc = true;
			break;
		}
		put_ptr(out + o, owner);
		o += 2;
		put_rr_fixed(out, room, &o, d->family == AF_INET ? DNS_T_A : DNS_T_AAAA,
			     cap(d->ttl, ttl_cap), alen);
		memcpy(out + o, d->addr, alen);
		o += alen;
		an++;
	}
	if (q->edns) {
		out[o] = 0;
		put16(out + o + 1, DNS_T_OPT);
		put16(out + o + 3, DNS_UDP_MAX_EDNS);
		put32(out + o + 5, 0);
		put16(out + o + 9, 0);
		o += 11;
	}
	flags = (uint16_t)(DNS_F_QR | (q->flags & (0x7800 | DNS_F_RD)) | DNS_F_RA | (rcode & 0xf));
	if (tc)
		flags |= DNS_F_TC;
	put16(out, q->id);
	put16(out + 2, flags);
	put16(out + 4, 1);
	put16(out + 6, an);
	put16(out + 8, 0);
	put16(out + 10, q->edns ? 1 : 0);
	return (int)o;
}

int dns_build_query(uint8_t *out, size_t maxlen, uint16_t id, const struct dns_query *q)
{
	size_t need = DNS_HDR + q->qraw_len + 11;

	if (need > maxlen)
		return DNS_E_SPACE;
	put16(out, id);
	put16(out + 2, DNS_F_RD);
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 1);
	memcpy(out + DNS_HDR, q->qraw, q->qraw_len);
	out[DNS_HDR + q->qraw_len] = 0;
	put16(out + DNS_HDR + q->qraw_len + 1, DNS_T_OPT);
	put16(out + DNS_HDR + q->qraw_len + 3, DNS_UDP_MAX_EDNS);
	put32(out + DNS_HDR + q->qraw_len + 5, 0);
	put16(out + DNS_HDR + q->qraw_len + 9, 0);
	return (int)need;
}

const char *dns_type_name(uint16_t t, char *out, size_t outsz)
{
	static const struct { uint16_t t; const char *n; } names[] = {
		{DNS_T_A, "A"}, {DNS_T_NS, "NS"}, {DNS_T_CNAME, "CNAME"}, {DNS_T_SOA, "SOA"},
		{DNS_T_PTR, "PTR"}, {DNS_T_MX, "MX"}, {DNS_T_TXT, "TXT"}, {DNS_T_AAAA, "AAAA"},
		{DNS_T_SRV, "SRV"}, {DNS_T_SVCB, "SVCB"}, {DNS_T_HTTPS, "HTTPS"}, {DNS_T_ANY, "ANY"},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].t == t) {
			snprintf(out, outsz, "%s", names[i].n);
			return out;
		}
	snprintf(out, outsz, "TYPE%u", t);
	return out;
}
