/* The E2B part of the plan, resolved in the planning phase like everything
 * else: the tuning knobs from the environment.  The E2B backend only
 * executes what is here. */
#ifndef CS_PLAN_E2B_H
#define CS_PLAN_E2B_H

#include <stdint.h>

#include "common/error.h"
#include "runner/core/cli.h"

struct sandbox_plan;

#define PLAN_E2B_DEFAULT_LIMIT (512ull << 20)   /* CODEX_SANDBOX_E2B_SYNC_LIMIT */

struct plan_e2b {
	int ttl;           /* CODEX_SANDBOX_E2B_TIMEOUT: the sandbox's timeout, kept extended */
	int keepalive;     /* CODEX_SANDBOX_E2B_KEEPALIVE: Keepalive-Ping-Interval */
	uint64_t limit;    /* CODEX_SANDBOX_E2B_SYNC_LIMIT: bytes each way */
	int keep_ttl;      /* timeout of a sandbox left running */
	int sync_secs;     /* CODEX_SANDBOX_E2B_SYNC_TIMEOUT: the whole sync back */
};

/* Fill P->e2b from O and the environment (cs_getenv).  0, or -1 with ERR
 * naming the variable and the fix. */
int plan_e2b(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err);
void plan_e2b_free(struct plan_e2b *e);
/* The knobs alone (attach, which has no project to plan). */
int plan_e2b_knobs(struct plan_e2b *k, struct cs_err *err);

/* "2G", "512M", "100K", "12345": bytes, or -1 when not a size. */
long long plan_parse_size(const char *s);

#endif
