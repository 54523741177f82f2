/* The live egress table: what firewall/ruleset.h and firewall/sets.h build,
 * sent over the netlink socket of firewall/nl.h as one batch (one
 * transaction) each time. */
#ifndef FW_TABLE_H
#define FW_TABLE_H

#include <stddef.h>

#include "firewall/nl.h"
#include "firewall/ruleset.h"
#include "firewall/sets.h"
#include "common/error.h"

/* Load the whole table RC describes (replacing one of the same name).
 * Returns 0 or -1 with ERR (wrapped, with a hint for the usual causes). */
int fw_table_load(struct nl *nl, const struct fw_ruleset_cfg *rc, struct cs_err *err);

/* Best effort: remove TABLE, so a start that failed leaves no
 * half-configured table. */
void fw_table_delete(struct nl *nl, const char *table);

/* The parent's insert (firewall/parent.h's fw_insert_fn, CTX a struct nl):
 * E4 into allow4, E6 into allow6 of FW_TABLE, in one batch. */
int fw_table_insert(void *ctx, const struct fw_elem *e4, size_t n4, const struct fw_elem *e6,
		    size_t n6, struct cs_err *err);

/* A hint for ERR from opening the socket or loading the table: missing
 * privilege, a kernel without the features, or else `codex-firewall check`. */
void fw_table_hint(struct cs_err *err);

#endif
