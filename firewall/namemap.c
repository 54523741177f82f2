#include "firewall/namemap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static size_t alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* FNV-1a over the canonical name and the address */
static uint64_t hash(const char *name, int family, const uint8_t *addr)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	h = (h ^ (uint8_t)family) * 1099511628211ull;
	for (size_t i = 0; i < alen(family); i++)
		h = (h ^ addr[i]) * 1099511628211ull;
	return h;
}

int namemap_init(struct namemap *m, size_t max)
{
	memset(m, 0, sizeof *m);
	m->max = max ? max : 1;
	m->earliest_ms = INT64_MAX;
	m->cap = 4;
	while (m->cap < m->max * 4 / 3 + 1)
		m->cap *= 2;
	m->v = calloc(m->cap, sizeof *m->v);
	return m->v ? 0 : -1;
}

void namemap_free(struct namemap *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}

static bool same(const struct name_pair *p, const char *name, int family, const uint8_t *addr)
{
	return p->family == family && memcmp(p->addr, addr, alen(family)) == 0 &&
	       strcmp(p->name, name) == 0;
}

/* The slot holding (NAME, ADDR), or the empty slot where it would go. */
static struct name_pair *slot(const struct namemap *m, const char *name, int family,
			      const uint8_t *addr)
{
	size_t i = (size_t)hash(name, family, addr) & (m->cap - 1);

	while (m->v[i].expires_ms && !same(&m->v[i], name, family, addr))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

/* Drop every pair expired at NOW_MS (rebuilds the table: open addressing
 * has no cheap delete). */
static void sweep(struct namemap *m, int64_t now_ms)
{
	struct name_pair *old = m->v, *p;
	size_t oldcap = m->cap;

	m->v = calloc(m->cap, sizeof *m->v);
	if (!m->v) {
		m->v = old;
		return;
	}
	m->n = 0;
	m->earliest_ms = INT64_MAX;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].expires_ms || old[i].expires_ms <= now_ms)
			continue;
		p = slot(m, old[i].name, old[i].family, old[i].addr);
		*p = old[i];
		m->n++;
		if (p->expires_ms < m->earliest_ms)
			m->earliest_ms = p->expires_ms;
	}
	free(old);
}

int namemap_put(struct namemap *m, const char *name, int family, const uint8_t *addr,
		int64_t expires_ms, int64_t now_ms)
{
	char canon[FLOW_NAME_MAX + 1];
	uint8_t a[16] = { 0 };
	struct name_pair *p;

	if ((family != AF_INET && family != AF_INET6) || expires_ms <= 0 ||
	    flow_name_canon((const uint8_t *)name, strlen(name), canon) < 0)
		return -1;
	memcpy(a, addr, alen(family));
	p = slot(m, canon, family, a);
	if (p->expires_ms) {
		if (expires_ms > p->expires_ms)
			p->expires_ms = expires_ms;
		return 0;
	}
	if (m->n == m->max) {
		if (now_ms >= m->earliest_ms)   /* else nothing has expired */
			sweep(m, now_ms);
		if (m->n >= m->max) {
			m->dropped++;
			return -1;
		}
		p = slot(m, canon, family, a);
	}
	p->expires_ms = expires_ms;
	if (expires_ms < m->earliest_ms)
		m->earliest_ms = expires_ms;
	p->family = (uint8_t)family;
	memcpy(p->addr, a, 16);
	memcpy(p->name, canon, sizeof canon);
	m->n++;
	return 0;
}

bool namemap_has(const struct namemap *m, const char *name, int family, const uint8_t *addr,
		 int64_t now_ms)
{
	uint8_t a[16] = { 0 };
	const struct name_pair *p;

	if ((family != AF_INET && family != AF_INET6) || strlen(name) > FLOW_NAME_MAX)
		return false;
	memcpy(a, addr, alen(family));
	p = slot(m, name, family, a);
	return p->expires_ms > now_ms;
}
