/* The DNS-learned (name, address) pairs, for the first-bytes judge
 * (firewall/flowcheck.h's name_has_addr): a name "has" an address when a
 * DNS answer to a question for exactly that name (the DNS child sends the
 * question name, firewall/privsep.h) listed it and the parent accepted it,
 * until that answer's element lifetime ends.  struct addrmap (tally.h)
 * keeps one name per address; a shared CDN address needs every pair.
 *
 * Bounded: at most MAX pairs (open addressing, filled to at most 3/4).
 * When full, expired pairs are dropped (a rebuild, done only once the
 * earliest expiry has passed); a pair that still does not fit is
 * not recorded, so its flows are refused (fail closed) and counted.
 * Names are kept canonical (lowercase, no trailing dot).  Pure, no I/O.
 */
#ifndef FW_NAMEMAP_H
#define FW_NAMEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/flowname.h"

struct name_pair {
	int64_t expires_ms;              /* monotonic ms; 0 = empty slot */
	uint8_t family;
	uint8_t addr[16];
	char name[FLOW_NAME_MAX + 1];
};

struct namemap {
	struct name_pair *v;
	size_t n, cap, max;              /* cap: a power of two >= max * 4 / 3 */
	uint64_t dropped;                /* pairs that did not fit */
	int64_t earliest_ms;             /* no stored pair expires before this: a
					  * full map is not swept (rebuilt) earlier */
};

/* Returns 0 or -1 (ENOMEM). */
int namemap_init(struct namemap *m, size_t max);
void namemap_free(struct namemap *m);

/* NAME's answer listed ADDR (4 or 16 bytes by FAMILY, network order): the
 * pair lives until EXPIRES_MS (a longer life it already had is kept).
 * Returns 0, or -1 when NAME is not a host name or the map is full. */
int namemap_put(struct namemap *m, const char *name, int family, const uint8_t *addr,
		int64_t expires_ms, int64_t now_ms);

/* True when the pair (NAME, ADDR) is recorded and alive at NOW_MS. */
bool namemap_has(const struct namemap *m, const char *name, int family, const uint8_t *addr,
		 int64_t now_ms);

#endif
