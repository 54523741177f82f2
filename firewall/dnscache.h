/* The DNS filter's answer cache: answers already released to a client,
 * served again without asking the upstream or the parent.
 *
 * What may be stored is narrow on purpose:
 *   - only what the filter itself released for an allowed name (the caller
 *     puts after the allowlist check, the guard and the parent's acks), so a
 *     hit names only addresses that are in the allow sets;
 *   - only positive answers (at least one address); NXDOMAIN, NODATA, an
 *     answer whose every address was guarded or refused, SERVFAIL: never
 *     (they carry no TTL we could trust without the authority section);
 *   - each record's TTL capped at TTL_CAP (the element lifetime the parent
 *     grants is at least min(TTL, TTL_CAP) + grace), and an entry is served
 *     only while every record has at least one whole second left; the TTLs
 *     handed out are what is left, rounded down, so no copy of a cached
 *     answer outlives the upstream's.
 * Bounded: at most SLOTS entries and MAX_BYTES bytes of answers; evicted in
 * insertion order, except that an entry hit since the last round gets a
 * second chance (CLOCK); expired entries are dropped when met.
 */
#ifndef FW_DNSCACHE_H
#define FW_DNSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/dns.h"

#define DNSCACHE_SLOTS 2048
#define DNSCACHE_BYTES (1u << 20)

struct dnscache_ent {
	uint8_t *data;              /* the packed answer; NULL: the slot is free */
	size_t size;
	int32_t next;               /* next slot in the same bucket, -1 at the end */
	uint32_t hash;
	uint16_t qtype;
	uint32_t min_ttl;           /* seconds, over every record, capped */
	int64_t stored_ms;          /* CLOCK_MONOTONIC */
	bool referenced;            /* hit since the eviction hand last passed */
};

struct dnscache {
	struct dnscache_ent *slot;
	size_t n_slots;
	int32_t *bucket;            /* first slot of each hash chain, -1 if none */
	size_t n_buckets;           /* a power of two */
	size_t clock;               /* the eviction hand */
	size_t used, bytes, max_bytes;
	uint64_t hits, misses, evicted;
};

/* SLOTS entries at most, MAX_BYTES of packed answers.  Returns 0 or -1
 * (ENOMEM).  A cache of 0 slots is valid and never holds anything. */
int dnscache_init(struct dnscache *c, size_t slots, size_t max_bytes);
void dnscache_free(struct dnscache *c);

/* Remember A, the answer released for QNAME/QTYPE at NOW_MS, replacing an
 * older one.  Does nothing for an answer without addresses or whose
 * shortest TTL (capped at TTL_CAP) is below 2 s. */
void dnscache_put(struct dnscache *c, const struct dns_name *qname, uint16_t qtype,
		  const struct dns_answer *a, uint32_t ttl_cap, int64_t now_ms);

/* The answer for QNAME/QTYPE with its TTLs reduced by the time since it was
 * stored (whole seconds, rounded up), into OUT (chain and addresses only;
 * NOERROR).  False when there is none or it has expired (then it is
 * dropped). */
bool dnscache_get(struct dnscache *c, const struct dns_name *qname, uint16_t qtype, int64_t now_ms,
		  struct dns_answer *out);

#endif
