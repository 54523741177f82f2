/* --publish as steps of the E2B run (e2b_publish_step.h). */
#include "runner/e2b/e2b_publish_step.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "runner/e2b/e2b_live.h"

bool e2b_publish_applies(const struct sandbox_plan *p)
{
	return p->publish.n > 0;
}

int e2b_describe_publish_bind(const struct sandbox_plan *p, void *ctx, cJSON *out,
			      struct cs_err *err)
{
	(void)ctx; (void)err;
	cJSON_AddItemToObject(out, "listen", e2b_publish_describe(&p->e2b.cfg, &p->publish));
	cJSON_AddStringToObject(out, "note", "127.0.0.1 only; a port in use stops the run here "
				"(exit 125), before the sandbox exists");
	return 0;
}

/* CODEX_SANDBOX_E2B_SHOW_URL=1: E2B's own URL of each port, for a client
 * that adds the header itself (the token is not printed). */
static void show_urls(const struct e2b_publish *pub, const struct plan_e2b *k,
		      const struct e2b_sandbox *sb)
{
	if (!k->show_url)
		return;
	for (size_t i = 0; i < pub->n; i++) {
		cleanup_free char *url = e2b_publish_url(&k->cfg, sb->id, sb->domain, pub->port[i]);

		fprintf(stderr, "codex-sandbox: E2B URL of port %d: %s (needs the header "
			"e2b-traffic-access-token%s)\n", pub->port[i], url ? url : "?",
			k->cfg.sandbox_url ? " and E2b-Sandbox-Id/-Port" : "");
	}
}

int e2b_publish_forward(struct e2b_publish *pub, const struct plan_e2b *k,
			const struct e2b_sandbox *sb, struct cs_err *err)
{
	if (e2b_publish_start(pub, &k->cfg, sb, err) < 0)
		return -1;
	show_urls(pub, k, sb);
	return 0;
}

int e2b_describe_publish_forward(const struct sandbox_plan *p, void *ctx, cJSON *out,
				 struct cs_err *err)
{
	(void)ctx; (void)err;
	cJSON_AddItemToObject(out, "forward", e2b_publish_describe(&p->e2b.cfg, &p->publish));
	cJSON_AddStringToObject(out, "note", "the sandbox is created with "
				"network.allowPublicTraffic false; its trafficAccessToken is added "
				"to each forwarded request (one request per connection)");
	return 0;
}

int e2b_publish_resume(struct e2b_publish *pub, const struct plan_e2b *k,
		       const struct e2b_sandbox *sb, struct cs_err *err)
{
	struct e2b_live l;
	int r = e2b_live_load(sb->id, &l, err);

	if (r <= 0)
		return r;
	r = 0;
	if (l.publish.n && (e2b_publish_bind(pub, &l.publish, err) < 0 ||
			    e2b_publish_forward(pub, k, sb, err) < 0))
		r = -1;
	e2b_live_free(&l);
	return r;
}
