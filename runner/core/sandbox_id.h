/* Which running sandbox an id given on the command line names (`allow`,
 * `deny`, `blocked`): a whole id or a unique prefix, as docker takes them;
 * local run ids and E2B's together, one id space (runner/cmd_ps.c). */
#ifndef CS_SANDBOX_ID_H
#define CS_SANDBOX_ID_H

#include "common/error.h"
#include "common/strv.h"

#define SANDBOX_ID_MAX 64

/* Is ID shaped like an id (1-64 of [A-Za-z0-9_-])?  0, or -1 with ERR
 * (exit 125). */
int sandbox_id_check(const char *id, struct cs_err *err);

/* The one of IDS that equals PREFIX or starts with it, into *OUT.
 * Returns 1 found, 0 none, -1 with ERR when several match (exit 125, the
 * candidates named). */
int sandbox_id_match(const char *prefix, const struct strv *ids, const char **out,
		     struct cs_err *err);

#endif
