/* The sandbox's network: the allowlist (defaults, OPENAI_ALLOWED_DOMAINS,
 * --allow), the DNS filter's upstream resolvers, the Docker network,
 * published ports and --log-blocked. */
#ifndef CS_PLAN_NETWORK_H
#define CS_PLAN_NETWORK_H

#include "common/error.h"
#include "common/strv.h"
#include "runner/core/cli.h"
#include "runner/core/sandbox_plan.h"

int plan_network(const struct cs_opts *o, const struct plan_env *env,
		 struct sandbox_plan *p, struct cs_err *err);

/* Nameserver addresses of a resolv.conf (at most 3 in OUT), loopback and
 * scoped or link-local ones skipped (they mean nothing from a container).
 * Pure; returns how many were added, -1 out of memory. */
int resolv_conf_nameservers(const char *text, struct strv *out);

#endif
