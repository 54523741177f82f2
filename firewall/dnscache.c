#include "firewall/dnscache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Packed entry: the key's name, then the chain, then the addresses.
 *   [qlen][qname wire]
 *   [n_chain] { [len][name wire][ttl:4] } * n_chain
 *   [n_addr]  { [alen 4|16][addr][ttl:4] } * n_addr
 * TTLs are stored already capped. */

static uint32_t hash_key(const struct dns_name *n, uint16_t qtype)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n->len; i++)
		h = (h ^ n->wire[i]) * 16777619u;
	h = (h ^ (qtype >> 8)) * 16777619u;
	return (h ^ (qtype & 0xff)) * 16777619u;
}

int dnscache_init(struct dnscache *c, size_t slots, size_t max_bytes)
{
	memset(c, 0, sizeof *c);
	c->n_buckets = 1;
	while (c->n_buckets < slots * 2)
		c->n_buckets <<= 1;
	c->slot = calloc(slots ? slots : 1, sizeof *c->slot);
	c->bucket = malloc(c->n_buckets * sizeof *c->bucket);
	if (!c->slot || !c->bucket) {
		dnscache_free(c);
		return -1;
	}
	for (size_t i = 0; i < c->n_buckets; i++)
		c->bucket[i] = -1;
	c->n_slots = slots;
	c->max_bytes = max_bytes;
	return 0;
}

static void drop(struct dnscache *c, size_t i)
{
	struct dnscache_ent *e = &c->slot[i];
	int32_t *link = &c->bucket[e->hash & (c->n_buckets - 1)];

	if (!e->data)
		return;
	while (*link >= 0 && *link != (int32_t)i)
		link = &c->slot[*link].next;
	if (*link == (int32_t)i)
		*link = e->next;
	c->bytes -= e->size;
	c->used--;
	free(e->data);
	memset(e, 0, sizeof *e);
}

void dnscache_free(struct dnscache *c)
{
	for (size_t i = 0; c->slot && i < c->n_slots; i++)
		free(c->slot[i].data);
	free(c->slot);
	free(c->bucket);
	memset(c, 0, sizeof *c);
}

static int32_t find(const struct dnscache *c, const struct dns_name *qname, uint16_t qtype,
		    uint32_t h)
{
	for (int32_t i = c->bucket[h & (c->n_buckets - 1)]; i >= 0; i = c->slot[i].next) {
		const struct dnscache_ent *e = &c->slot[i];

		if (e->hash == h && e->qtype == qtype && e->data[0] == qname->len &&
		    memcmp(e->data + 1, qname->wire, qname->len) == 0)
			return i;
	}
	return -1;
}

static uint32_t capped(uint32_t ttl, uint32_t cap)
{
	return ttl < cap ? ttl : cap;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Pack A into a new buffer; *MIN_TTL gets the shortest capped TTL. */
static uint8_t *pack(const struct dns_name *qname, const struct dns_answer *a, uint32_t ttl_cap,
		     size_t *size, uint32_t *min_ttl)
{
	size_t n = 1 + qname->len + 1 + 1, o = 0;
	uint8_t *b;

	for (size_t i = 0; i < a->n_chain; i++)
		n += 1 + a->chain[i].len + 4;
	for (size_t i = 0; i < a->n_addr; i++)
		n += 1 + (a->addr[i].family == AF_INET ? 4 : 16) + 4;
	if (!(b = malloc(n)))
		return NULL;
	*min_ttl = ttl_cap;
	b[o++] = (uint8_t)qname->len;
	memcpy(b + o, qname->wire, qname->len);
	o += qname->len;
	b[o++] = (uint8_t)a->n_chain;
	for (size_t i = 0; i < a->n_chain; i++) {
		uint32_t t = capped(a->chain_ttl[i], ttl_cap);

		b[o++] = (uint8_t)a->chain[i].len;
		memcpy(b + o, a->chain[i].wire, a->chain[i].len);
		o += a->chain[i].len;
		put32(b + o, t);
		o += 4;
		*min_ttl = capped(*min_ttl, t);
	}
	b[o++] = (uint8_t)a->n_addr;
	for (size_t i = 0; i < a->n_addr; i++) {
		uint8_t alen = a->addr[i].family == AF_INET ? 4 : 16;
		uint32_t t = capped(a->addr[i].ttl, ttl_cap);

		b[o++] = alen;
		memcpy(b + o, a->addr[i].addr, alen);
		o += alen;
		put32(b + o, t);
		o += 4;
		*min_ttl = capped(*min_ttl, t);
	}
	*size = o;
	return b;
}

/* The slot the next insert takes (CLOCK): the hand skips, once, an entry
 * hit since it last passed, so a name asked often outlives a flood of names
 * asked once. */
static size_t victim(struct dnscache *c)
{
	for (size_t k = 0; k < c->n_slots; k++) {
		struct dnscache_ent *e = &c->slot[c->clock];

		if (!e->data || !e->referenced)
			break;
		e->referenced = false;
		c->clock = (c->clock + 1) % c->n_slots;
	}
	return c->clock;
}

static void evict(struct dnscache *c, size_t i)
{
	c->evicted += c->slot[i].data != NULL;
	drop(c, i);
	c->clock = (i + 1) % c->n_slots;
}

void dnscache_put(struct dnscache *c, const struct dns_name *qname, uint16_t qtype,
		  const struct dns_answer *a, uint32_t ttl_cap, int64_t now_ms)
{
	uint32_t h = hash_key(qname, qtype), min_ttl;
	struct dnscache_ent *e;
	size_t size, i;
	int32_t old;
	uint8_t *b;

	if (!c->n_slots || a->n_addr == 0 || a->n_addr > 255 || a->n_chain > 255)
		return;
	if (!(b = pack(qname, a, ttl_cap, &size, &min_ttl)))
		return;
	/* TTL 1 would be stale before anyone asked again */
	if (min_ttl < 2 || size > c->max_bytes) {
		free(b);
		return;
	}
	if ((old = find(c, qname, qtype, h)) >= 0)
		drop(c, (size_t)old);
	for (size_t k = 0; c->bytes + size > c->max_bytes && k < 2 * c->n_slots; k++)
		evict(c, victim(c));
	i = victim(c);
	evict(c, i);
	e = &c->slot[i];
	e->data = b;
	e->size = size;
	e->hash = h;
	e->qtype = qtype;
	e->min_ttl = min_ttl;
	e->stored_ms = now_ms;
	e->next = c->bucket[h & (c->n_buckets - 1)];
	c->bucket[h & (c->n_buckets - 1)] = (int32_t)i;
	c->bytes += size;
	c->used++;
}

/* Unpack E into OUT with every TTL lowered by AGE seconds. */
static void unpack(const struct dnscache_ent *e, uint32_t age, struct dns_answer *out)
{
	const uint8_t *b = e->data;
	size_t o = 1 + b[0];

	out->rcode = 0;
	out->truncated = false;
	out->dropped = 0;
	out->n_chain = b[o++];
	for (size_t i = 0; i < out->n_chain; i++) {
		out->chain[i].len = b[o++];
		memcpy(out->chain[i].wire, b + o, out->chain[i].len);
		o += out->chain[i].len;
		out->chain_ttl[i] = get32(b + o) - age;
		o += 4;
	}
	out->n_addr = b[o++];
	for (size_t i = 0; i < out->n_addr; i++) {
		struct dns_addr *d = &out->addr[i];
		uint8_t alen = b[o++];

		d->family = alen == 4 ? AF_INET : AF_INET6;
		memset(d->addr, 0, sizeof d->addr);
		memcpy(d->addr, b + o, alen);
		o += alen;
		d->ttl = get32(b + o) - age;
		o += 4;
	}
	out->min_ttl = e->min_ttl - age;
}

bool dnscache_get(struct dnscache *c, const struct dns_name *qname, uint16_t qtype, int64_t now_ms,
		  struct dns_answer *out)
{
	int32_t i;
	int64_t age;

	if (!c->n_slots || (i = find(c, qname, qtype, hash_key(qname, qtype))) < 0) {
		c->misses++;
		return false;
	}
	/* whole seconds, rounded up: a copy never outlives the original */
	age = (now_ms - c->slot[i].stored_ms + 999) / 1000;
	if (age < 0 || age >= (int64_t)c->slot[i].min_ttl) {
		drop(c, (size_t)i);
		c->misses++;
		return false;
	}
	unpack(&c->slot[i], (uint32_t)age, out);
	c->slot[i].referenced = true;
	c->hits++;
	return true;
}
