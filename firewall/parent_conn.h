/* Rejected connections as they happen: the parent reads the kernel's
 * blocked4/blocked6 sets (address . protocol . port, with a packet counter)
 * every PARENT_CONN_EVERY_MS and prints one EVENT conn line per new key, or
 * per key whose counter grew, with the packets since the last line for it
 * ("count").  Cheap: one netlink dump of sets holding only what was
 * refused; nothing is printed when nothing changed.  The same formatter
 * prints the SUMMARY conn lines at the end.  Keys beyond PARENT_CONN_KEYS
 * are only in the SUMMARY; lines the EVENT rate limit swallows are not
 * lost: the delta is carried to the next scan. */
#ifndef FW_PARENT_CONN_H
#define FW_PARENT_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "firewall/nl.h"
#include "firewall/tally.h"

#define PARENT_CONN_EVERY_MS 1000
#define PARENT_CONN_KEYS 4096

/* The parent's EVENT rate limit (true: one more line may be printed). */
typedef bool (*parent_conn_limit_fn)(void *ctx);

struct parent_conn {
	struct tally seen;       /* key -> packets already reported (count) */
	int64_t next_ms;         /* monotonic time of the next scan; 0: not started */
	bool off;                /* the dump failed once: the SUMMARY still reports */
	struct nl *nl;           /* the parent's: the sets are read with it */
	struct addrmap *amap;    /* the parent's: address -> the name that led there */
	const struct tally *names;
	parent_conn_limit_fn may_emit;
	void *limit_ctx;
};

/* PC reads through NL and names addresses from AMAP/NAMES (the parent's,
 * which outlive it).  0 or -1 (ENOMEM). */
int parent_conn_init(struct parent_conn *pc, struct nl *nl, struct addrmap *amap,
		     const struct tally *names, parent_conn_limit_fn may_emit, void *limit_ctx);
void parent_conn_fini(struct parent_conn *pc);
/* poll()'s timeout until the next scan, from NOW_MS. */
int parent_conn_timeout(const struct parent_conn *pc, int64_t now_ms);
/* Scan when it is due: dump the sets and print what changed. */
void parent_conn_tick(struct parent_conn *pc, int64_t now_ms);
/* One element of a dump (the scan's callback; the unit tests' door). */
void parent_conn_seen(void *pc, int family, const unsigned char *addr, uint8_t proto,
		      uint16_t port, uint64_t packets);
/* Print RECORD ("EVENT"/"SUMMARY") {"type":"conn",...,"count":COUNT[,"name":N]}
 * for one key, with the name that led to the address when one did. */
void parent_conn_emit(struct parent_conn *pc, const char *record, int family,
		      const unsigned char *addr, uint8_t proto, uint16_t port, uint64_t count);

#endif
