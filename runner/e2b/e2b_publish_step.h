/* --publish in the E2B run's step table (e2b_steps.c) and in attach. */
#ifndef CS_E2B_PUBLISH_STEP_H
#define CS_E2B_PUBLISH_STEP_H

#include <stdbool.h>

#include "runner/core/sandbox_plan.h"
#include "runner/e2b/e2b_publish.h"

bool e2b_publish_applies(const struct sandbox_plan *p);
/* The describe() of the two steps: before create, the host ports bound (in
 * use: exit 125, nothing exists); after create, the forwarder. */
int e2b_describe_publish_bind(const struct sandbox_plan *p, void *ctx, cJSON *out,
			      struct cs_err *err);
int e2b_describe_publish_forward(const struct sandbox_plan *p, void *ctx, cJSON *out,
				 struct cs_err *err);
/* The forwarder for SB started (K: the settings, whether to show E2B's URL). */
int e2b_publish_forward(struct e2b_publish *pub, const struct plan_e2b *k,
			const struct e2b_sandbox *sb, struct cs_err *err);
/* attach: the ports of SB's record bound and forwarded again. */
int e2b_publish_resume(struct e2b_publish *pub, const struct plan_e2b *k,
		       const struct e2b_sandbox *sb, struct cs_err *err);

#endif
