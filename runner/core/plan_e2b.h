/* The E2B part of the plan, resolved in the planning phase like everything
 * else, once: the tuning knobs, the client's settings (the secret API key
 * among them: never printed), the options E2B refuses or ignores, and the
 * egress allowlist mapped onto E2B's network rules.  The E2B backend only
 * executes what is here. */
#ifndef CS_PLAN_E2B_H
#define CS_PLAN_E2B_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/strv.h"
#include "runner/core/cli.h"
#include "runner/core/plan_egress_e2b.h"

#define PLAN_E2B_DEFAULT_LIMIT (512ull << 20)   /* CODEX_SANDBOX_E2B_SYNC_LIMIT */
#define E2B_DEFAULT_DOMAIN "e2b.app"
#define E2B_USER "user"              /* the sandbox user of E2B templates */

/* Settings, resolved as the official SDK resolves them (ConnectionConfig,
 * SDK 2.51): option -> environment -> default. */
struct e2b_cfg {
	char *api_key;       /* E2B_API_KEY; NULL when unset.  Secret. */
	char *domain;        /* E2B_DOMAIN, default e2b.app */
	char *api_url;       /* E2B_API_URL, else debug ? http://localhost:3000 : https://api.<domain> */
	char *sandbox_url;   /* E2B_SANDBOX_URL, else debug ? http://localhost:49983 : NULL (per sandbox) */
	bool debug;          /* E2B_DEBUG=true (case-insensitive) */
};

struct plan_e2b {
	int ttl;           /* CODEX_SANDBOX_E2B_TIMEOUT: the sandbox's timeout, kept extended */
	int keepalive;     /* CODEX_SANDBOX_E2B_KEEPALIVE: Keepalive-Ping-Interval */
	uint64_t limit;    /* CODEX_SANDBOX_E2B_SYNC_LIMIT: bytes each way */
	int keep_ttl;      /* timeout of a sandbox left running */
	int sync_secs;     /* CODEX_SANDBOX_E2B_SYNC_TIMEOUT: the whole sync back */
	bool show_url;     /* CODEX_SANDBOX_E2B_SHOW_URL=1: print E2B's URL of published ports */
	struct e2b_cfg cfg;
	struct e2b_egress eg;  /* the allowlist as E2B's network rules (not for attach) */
	struct strv notes;     /* options E2B ignores, said once before the run */
};

void plan_e2b_free(struct plan_e2b *e);
/* The knobs alone. */
int plan_e2b_knobs(struct plan_e2b *k, struct cs_err *err);
/* The client's settings alone (doctor, which has no plan). */
int e2b_cfg_load(struct e2b_cfg *c, struct cs_err *err);
void e2b_cfg_free(struct e2b_cfg *c);
/* The plan JSON's "e2b" part: settings (the key "(hidden)"), knobs, the
 * egress mapping, the notes. */
cJSON *plan_e2b_json(const struct plan_e2b *e);

/* "2G", "512M", "100K", "12345": bytes, or -1 when not a size. */
long long plan_parse_size(const char *s);

#endif
