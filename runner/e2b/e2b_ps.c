/* The face's view of running E2B sandboxes (e2b.h): `ps`, the id check,
 * and `allow`/`deny` on a running sandbox.  What this user started is in
 * the live records (e2b_live.h); E2B says which of them still exist. */
#include "runner/e2b/e2b.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "runner/core/plan_egress_e2b.h"
#include "runner/e2b/e2b_api.h"
#include "runner/e2b/e2b_ps.h"

/* A client from the environment, as attach makes one. */
static int client_open(struct e2b_cfg *cfg, struct e2b_client *cl, struct cs_err *err)
{
	if (e2b_cfg_load(cfg, err) < 0 || e2b_client_init(cl, cfg, err) < 0)
		return -1;
	return 0;
}

static bool in(const struct strv *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return true;
	return false;
}

cJSON *e2b_ps_object(const struct e2b_live *l)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", l->id);
	cJSON_AddStringToObject(o, "backend", "e2b");
	cJSON_AddStringToObject(o, "work_dir", l->work_dir);
	cJSON_AddStringToObject(o, "started", l->started);
	/* E2B does not report what its firewall refused. */
	cJSON_AddNullToObject(o, "blocked");
	strv_add_json(o, "allow", &l->allow);
	strv_add_json(o, "publish", &l->publish);
	return o;
}

int e2b_ps(cJSON *array, struct cs_err *err)
{
	cleanup_strv struct strv ids = { 0 }, alive = { 0 };
	struct e2b_cfg cfg = { 0 };
	struct e2b_client cl = { 0 };
	int rc = -1;

	if (e2b_live_ids(&ids) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (ids.n == 0)
		return 0;   /* nothing of ours: E2B is not asked (no key needed) */
	if (client_open(&cfg, &cl, err) < 0 ||
	    e2b_list_by_metadata(&cl, "tool", "codex-sandbox", E2B_LIST_PAGES_MAX, &alive, err) < 0) {
		cs_wrap(err, "listing this user's E2B sandboxes");
		goto out;
	}
	for (size_t i = 0; i < ids.n; i++) {
		struct e2b_live l;
		struct cs_err e = { 0 };

		if (!in(&alive, ids.v[i]))
			continue;   /* killed or expired: not listed */
		if (e2b_live_load(ids.v[i], &l, &e) != 1) {
			if (e.set)
				cs_err_print(&e, "codex-sandbox: warning");
			continue;
		}
		cJSON_AddItemToArray(array, e2b_ps_object(&l));
		e2b_live_free(&l);
	}
	rc = 0;
out:
	e2b_client_free(&cl);
	e2b_cfg_free(&cfg);
	return rc;
}

int e2b_sandbox_ids(struct strv *out)
{
	cleanup_strv struct strv ids = { 0 };

	if (e2b_live_ids(&ids) < 0)
		return -1;
	for (size_t i = 0; i < ids.n; i++)
		if (e2b_has_sandbox(ids.v[i]) && strv_push(out, ids.v[i]) < 0)
			return -1;
	return 0;
}

int e2b_has_sandbox(const char *id)
{
	struct e2b_live l;
	struct cs_err e = { 0 };
	int r = e2b_live_load(id, &l, &e);

	if (r == 1)
		e2b_live_free(&l);
	return r == 1;
}
