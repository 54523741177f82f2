/* The six sets of the egress table and their elements (libnftnl, no socket):
 *
 *   allow4 / allow6          ipv4_addr / ipv6_addr, flags timeout, size N
 *                            (DNS-fed, per-element timeouts)
 *   allow4_net / allow6_net  flags interval (explicit IP/CIDR entries)
 *   blocked4 / blocked6      daddr . l4proto . dport, flags dynamic, size M
 *                            (rejected attempts; each element has a counter)
 *
 * A set's id is also its NFTNL_SET_ID: rules created in the same batch find
 * it by that id before it has a handle.
 */
#ifndef FW_SETS_H
#define FW_SETS_H

#include <stddef.h>
#include <stdint.h>

#include "firewall/allowlist.h"
#include "firewall/batch.h"
#include "common/error.h"

/* Elements per NEWSETELEM message: the element list is a nested attribute
 * with a 16-bit length, so a message must stay under 64 KiB. */
#define FW_ELEMS_PER_MSG 512

enum { SET_ALLOW4 = 1, SET_ALLOW6, SET_ALLOW4_NET, SET_ALLOW6_NET, SET_BLOCKED4, SET_BLOCKED6 };

/* One DNS-fed element. */
struct fw_elem {
	unsigned char addr[16];
	uint64_t timeout_ms;
};

/* "allow4" ... "blocked6" for a SET_* id. */
const char *fw_set_name(int id);

/* Append NEWSET for all six sets of TABLE, in id order: ALLOW_SIZE caps
 * allow4/allow6 and DEFAULT_TIMEOUT_MS is their elements' default lifetime,
 * BLOCKED_SIZE caps blocked4/blocked6.  Returns 0 or -1 with ERR. */
int sets_put_all(struct fw_batch *fb, const char *table, uint32_t allow_size, uint32_t blocked_size,
		 uint64_t default_timeout_ms, struct cs_err *err);

/* Append the IP/CIDR entries of AL to allow4_net and allow6_net of TABLE as
 * intervals (sorted and merged: the kernel refuses overlaps).  AL may be
 * NULL.  Returns 0 or -1 with ERR. */
int sets_put_explicit(struct fw_batch *fb, const char *table, const struct allowlist *al,
		      struct cs_err *err);

/* Append NEWSETELEM messages adding N elements of FAMILY to SET (allow4 or
 * allow6) of TABLE, each with its own timeout.  Re-adding an element that
 * exists refreshes its timeout (kernel >= 6.12). */
int sets_add_elems(struct fw_batch *fb, const char *table, const char *set, int family,
		   const struct fw_elem *e, size_t n, struct cs_err *err);

#endif
