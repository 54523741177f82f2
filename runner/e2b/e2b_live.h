/* The record of a sandbox this user's runner created and that may still
 * run: what `ps` lists, what `allow`/`deny` change.  Kept on the host beside
 * the upload manifest (e2b_state.h: codex-sandbox/e2b/ID.live.json, 0600),
 * written at create, rewritten after each egress change E2B accepted,
 * removed when the sandbox is killed.  It holds no secret. */
#ifndef CS_E2B_LIVE_H
#define CS_E2B_LIVE_H

#include <stdbool.h>

#include "common/error.h"
#include "common/strv.h"

#define E2B_LIVE_MAX (4u << 20)   /* the file; the allowlist bounds it */

struct e2b_live {
	char id[64];
	char work_dir[4096];
	char started[40];       /* RFC 3339, UTC */
	bool strict;            /* --strict-egress: the mapping refuses weaker rules */
	struct strv allow;      /* the allowlist in force, canonical entries */
	struct strv publish;    /* --publish, "PORT:HOSTPORT" */
};

void e2b_live_free(struct e2b_live *l);
int e2b_live_save(const struct e2b_live *l, struct cs_err *err);
/* 1 when found, 0 when there is no record, -1 (ERR) when it is not exactly
 * what e2b_live_save writes (or not a regular file of bounded size). */
int e2b_live_load(const char *id, struct e2b_live *l, struct cs_err *err);
/* The parser alone. */
int e2b_live_parse(const char *data, size_t len, const char *id, struct e2b_live *l,
		   struct cs_err *err);
/* The ids that have a record, sorted.  0, or -1 (no state directory is 0
 * ids, not an error). */
int e2b_live_ids(struct strv *ids);
/* Record P's newly created sandbox ID (a failure is a warning: the run
 * goes on, `ps` misses it). */
struct sandbox_plan;
void e2b_live_created(const struct sandbox_plan *p, const char *id);
/* The current time as RFC 3339 (UTC, seconds). */
void e2b_live_now(char *out, size_t outsz);

#endif
