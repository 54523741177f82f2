/* The E2B part of the planning phase that needs the rest of the plan
 * (plan_e2b_plan.h). */
#include "runner/core/plan_e2b_plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "runner/core/sandbox_plan.h"

int e2b_check_options(const struct sandbox_plan *p, struct strv *notes, struct cs_err *err)
{
	char line[PATH_MAX + 200];

	for (size_t i = 0; i < p->n_mounts; i++)
		if (p->mounts[i].read_only && p->mounts[i].why &&
		    strcmp(p->mounts[i].why, "--read-only") == 0) {
			cs_fail(err, 0, "--read-only %s is not available with --backend e2b: the remote "
				"sandbox cannot see host paths", p->mounts[i].source);
			return cs_hint(err, "drop --read-only (copy what Codex needs into the project), "
				       "or run locally with --backend docker");
		}
#define NOTE(...) do { snprintf(line, sizeof line, __VA_ARGS__); \
	if (strv_push(notes, line) < 0) return cs_fail(err, ENOMEM, "out of memory"); } while (0)
	if (p->network)
		NOTE("--network %s is ignored: it names a Docker network", p->network);
	if (p->dns)
		NOTE("--dns %s is ignored: E2B resolves names itself", p->dns);
	if (p->log_blocked)
		NOTE("--log-blocked %s is ignored: E2B does not report blocked connections",
		     p->log_blocked);
	for (size_t i = 0; i < p->publish.n; i++)
		NOTE("--publish %s: 127.0.0.1 forwards through E2B to the sandbox's port (its "
		     "ports are not public; the traffic token is added)", p->publish.v[i]);
	if (p->user_from && strcmp(p->user_from, "--user") == 0)
		NOTE("--user is ignored: the sandbox user is E2B's '%s'", E2B_USER);
#undef NOTE
	return 0;
}

int plan_e2b(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	struct plan_e2b *e = &p->e2b;

	if (plan_e2b_knobs(e, err) < 0 || e2b_cfg_load(&e->cfg, err) < 0)
		return -1;
	if (o->command == CMD_ATTACH)
		return 0;
	if (e2b_check_options(p, &e->notes, err) < 0 ||
	    e2b_egress_map(&p->allow, p->strict_egress, &e->eg, err) < 0)
		return -1;
	return 0;
}

