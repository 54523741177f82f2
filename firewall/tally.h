/* Bounded bookkeeping for the privileged parent (pure, no I/O):
 *  - struct tally: name -> count (refused names, rebind drops, upstream
 *    failures), at most CAP distinct keys, the rest only counted;
 *  - struct addrmap: (family, address) -> expiry and the name that led to it,
 *    so a rejected connection can be reported with "the name that led there"
 *    and a shorter TTL never cuts an element another name still needs.
 */
#ifndef FW_TALLY_H
#define FW_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tally_ent {
	char key[300];
	uint32_t qtype;
	uint64_t count;
};

struct tally {
	struct tally_ent *v;
	uint32_t *slot;     /* open addressing: index + 1, 0 = empty */
	size_t n, cap, nslots;
	uint64_t overflow;  /* hits on keys that did not fit */
};

/* Returns 0 or -1 (ENOMEM). */
int tally_init(struct tally *t, size_t cap);
void tally_free(struct tally *t);
/* Count one hit on KEY; returns the entry (count already incremented), or
 * NULL when the table is full (t->overflow incremented).  *FIRST tells whether
 * this was the key's first hit. */
struct tally_ent *tally_hit(struct tally *t, const char *key, uint32_t qtype, bool *first);

struct addr_ent {
	uint8_t used, family;
	uint8_t addr[16];
	int64_t expires_ms;   /* monotonic ms; the kernel element lives at least this long */
	int32_t name;         /* index into the names tally, -1 unknown */
};

struct addrmap {
	struct addr_ent *v;
	size_t n, cap;        /* cap is a power of two, filled to at most 3/4 */
};

int addrmap_init(struct addrmap *m, size_t max_entries);
void addrmap_free(struct addrmap *m);
/* Find or create the entry for ADDR.  When the map is full, entries that
 * expired before NOW_MS are dropped first; returns NULL if still full. */
struct addr_ent *addrmap_get(struct addrmap *m, int family, const uint8_t *addr, bool create,
			     int64_t now_ms);

#endif
