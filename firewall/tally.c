#include "firewall/tally.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

int tally_init(struct tally *t, size_t cap)
{
	memset(t, 0, sizeof *t);
	t->cap = cap;
	t->nslots = 16;
	while (t->nslots < cap * 2)
		t->nslots *= 2;
	t->v = calloc(cap ? cap : 1, sizeof *t->v);
	t->slot = calloc(t->nslots, sizeof *t->slot);
	if (!t->v || !t->slot) {
		tally_free(t);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void tally_free(struct tally *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof *t);
}

struct tally_ent *tally_hit(struct tally *t, const char *key, uint32_t qtype, bool *first)
{
	size_t klen = strnlen(key, sizeof t->v[0].key - 1);
	size_t i = fnv(key, klen, 14695981039346656037ull) & (t->nslots - 1);

	*first = false;
	for (;; i = (i + 1) & (t->nslots - 1)) {
		uint32_t s = t->slot[i];

		if (s == 0)
			break;
		if (strncmp(t->v[s - 1].key, key, klen) == 0 && t->v[s - 1].key[klen] == '\0') {
			t->v[s - 1].count++;
			return &t->v[s - 1];
		}
	}
	if (t->n >= t->cap) {
		t->overflow++;
		return NULL;
	}
	memcpy(t->v[t->n].key, key, klen);
	t->v[t->n].key[klen] = '\0';
	t->v[t->n].qtype = qtype;
	t->v[t->n].count = 1;
	t->slot[i] = (uint32_t)++t->n;
	*first = true;
	return &t->v[t->n - 1];
}

int addrmap_init(struct addrmap *m, size_t max_entries)
{
	memset(m, 0, sizeof *m);
	m->cap = 16;
	while (m->cap * 3 / 4 < max_entries)
		m->cap *= 2;
	m->v = calloc(m->cap, sizeof *m->v);
	if (!m->v) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void addrmap_free(struct addrmap *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}

static size_t home(const struct addrmap *m, int family, const uint8_t *addr)
{
	uint8_t f = (uint8_t)family;

	return fnv(addr, 16, fnv(&f, 1, 14695981039346656037ull)) & (m->cap - 1);
}

/* Rebuild without the entries that expired (linear probing has no cheap
 * delete). */
static void purge(struct addrmap *m, int64_t now_ms)
{
	struct addr_ent *old = m->v, *nv = calloc(m->cap, sizeof *nv);

	if (!nv)
		return;
	m->v = nv;
	m->n = 0;
	for (size_t i = 0; i < m->cap; i++) {
		if (!old[i].used || old[i].expires_ms < now_ms)
			continue;
		size_t j = home(m, old[i].family, old[i].addr);

		while (m->v[j].used)
			j = (j + 1) & (m->cap - 1);
		m->v[j] = old[i];
		m->n++;
	}
	free(old);
}

struct addr_ent *addrmap_get(struct addrmap *m, int family, const uint8_t *addr, bool create,
			     int64_t now_ms)
{
	size_t i;

	for (int round = 0; round < 2; round++) {
		for (i = home(m, family, addr); m->v[i].used; i = (i + 1) & (m->cap - 1))
			if (m->v[i].family == family && memcmp(m->v[i].addr, addr, 16) == 0)
				return &m->v[i];
		if (!create)
			return NULL;
		if (m->n < m->cap * 3 / 4)
			break;
		if (round == 1)
			return NULL;
		purge(m, now_ms);
	}
	if (m->n >= m->cap * 3 / 4)
		return NULL;
	m->v[i].used = 1;
	m->v[i].family = (uint8_t)family;
	memcpy(m->v[i].addr, addr, 16);
	m->v[i].expires_ms = 0;
	m->v[i].name = -1;
	m->n++;
	return &m->v[i];
}
