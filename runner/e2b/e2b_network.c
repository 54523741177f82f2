/* `allow`/`deny` on a running E2B sandbox (e2b.h): the whole new list,
 * mapped as at plan time, sent with PUT /sandboxes/ID/network (it replaces
 * every egress rule: docs/E2B-PROTOCOL.md 1.4), read back, and recorded
 * only once E2B holds it. */
#include "runner/e2b/e2b.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "firewall/allowlist.h"
#include "runner/core/plan_egress_e2b.h"
#include "runner/e2b/e2b_api.h"
#include "runner/e2b/e2b_network.h"
#include "runner/e2b/e2b_state.h"

/* e2b_network.h */
int e2b_egress_next(const struct e2b_live *l, const struct strv *add, const struct strv *remove,
		    struct allowlist *al, struct cs_err *err)
{
	struct allowlist drop;
	int rc = -1;

	allowlist_init(&drop);
	for (size_t i = 0; remove && i < remove->n; i++)
		if (allowlist_add_text(&drop, remove->v[i], "deny", err) < 0)
			goto out;
	for (size_t i = 0; i < l->allow.n; i++) {
		struct allow_entry e;
		char mine[300], other[300];
		bool gone = false;

		/* Compared in canonical form: "Example.COM." is example.com. */
		if (allow_entry_parse(l->allow.v[i], "the sandbox's record", &e, err) < 0)
			goto out;
		allow_entry_format(&e, mine, sizeof mine);
		for (size_t k = 0; k < drop.n; k++)
			gone |= allow_entry_format(&drop.v[k], other, sizeof other) > 0 &&
				strcmp(mine, other) == 0;
		if (!gone && allowlist_add_text(al, l->allow.v[i], "the sandbox's record", err) < 0)
			goto out;
	}
	for (size_t i = 0; add && i < add->n; i++)
		if (allowlist_add_text(al, add->v[i], "allow", err) < 0)
			goto out;
	rc = 0;
out:
	allowlist_free(&drop);
	return rc;
}

/* What E2B answers for the sandbox must be exactly EG (as at create:
 * an API that does not hold the rules must not be believed). */
static int confirm(struct e2b_client *cl, const char *id, const struct e2b_egress *eg,
		   struct cs_err *err)
{
	cleanup_json cJSON *d = NULL;
	const cJSON *net, *allow, *deny, *it;
	size_t n = 0;
	bool ok = true, all_denied = false;

	if (e2b_info(cl, id, &d, err) < 0)
		return cs_wrap(err, "reading back the sandbox's egress rules");
	net = cJSON_GetObjectItemCaseSensitive(d, "network");
	allow = cJSON_GetObjectItemCaseSensitive(net, "allowOut");
	deny = cJSON_GetObjectItemCaseSensitive(net, "denyOut");
	cJSON_ArrayForEach(it, deny)
		all_denied |= cJSON_IsString(it) && strcmp(it->valuestring, "0.0.0.0/0") == 0;
	cJSON_ArrayForEach(it, allow) {
		bool ours = false;

		for (size_t i = 0; cJSON_IsString(it) && i < eg->allow_out.n; i++)
			ours |= strcmp(it->valuestring, eg->allow_out.v[i]) == 0;
		ok &= ours;
		n++;
	}
	if (ok && all_denied && n == eg->allow_out.n)
		return 0;
	cs_fail(err, 0, "E2B did not confirm the new egress rules of sandbox %s", id);
	return cs_hint(err, "check the sandbox with `codex-sandbox ps`; kill it if in doubt");
}

static int put_rules(const char *id, const struct e2b_egress *eg, struct cs_err *err)
{
	cleanup_json cJSON *body = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	struct e2b_cfg cfg = { 0 };
	struct e2b_client cl = { 0 };
	int rc = -1;

	strv_add_json(body, "allowOut", &eg->allow_out);
	strv_add_json(body, "denyOut", &eg->deny_out);
	text = cJSON_PrintUnformatted(body);
	if (!text)
		return cs_fail(err, ENOMEM, "out of memory");
	if (e2b_cfg_load(&cfg, err) == 0 && e2b_client_init(&cl, &cfg, err) == 0 &&
	    e2b_update_network(&cl, id, text, err) == 0 && confirm(&cl, id, eg, err) == 0)
		rc = 0;
	e2b_client_free(&cl);
	e2b_cfg_free(&cfg);
	return rc;
}

int e2b_egress_change(const char *id, const struct strv *add, const struct strv *remove,
		      struct cs_err *err)
{
	struct e2b_live l;
	struct allowlist al;
	struct e2b_egress eg = { 0 };
	cleanup_strv struct strv now = { 0 };
	cleanup_close int lock = -1;
	/* Read once before the lock (no lock file for an id without a record),
	 * again under it. */
	int r = e2b_live_load(id, &l, err), rc = -1;

	if (r == 1) {
		e2b_live_free(&l);
		lock = e2b_state_lock(id, true, err);
		r = lock < 0 ? -1 : e2b_live_load(id, &l, err);
	}
	if (r == 0) {
		char path[PATH_MAX];

		/* the record went while we waited: the lock file we made goes too */
		if (lock >= 0 && e2b_state_file(id, E2B_LOCK_SUFFIX, path, sizeof path, false) == 0)
			unlink(path);
		cs_fail(err, 0, "no E2B sandbox %s was started by codex-sandbox here", id);
		return cs_hint(err, "`codex-sandbox ps` lists the running ones");
	}
	if (r < 0)
		return -1;
	allowlist_init(&al);
	if (e2b_egress_next(&l, add, remove, &al, err) < 0)
		goto out;
	/* The plan's mapping: what E2B cannot hold is refused, as at start. */
	if (e2b_egress_map(&al, l.strict, &eg, err) < 0)
		goto out;
	for (size_t i = 0; i < al.n; i++) {
		char text[300];

		if (allow_entry_format(&al.v[i], text, sizeof text) < 0 || strv_push(&now, text) < 0) {
			cs_fail(err, ENOMEM, "out of memory");
			goto out;
		}
	}
	if (put_rules(id, &eg, err) < 0)
		goto out;
	strv_free(&l.allow);
	l.allow = now;
	memset(&now, 0, sizeof now);
	if (e2b_live_save(&l, err) < 0) {
		cs_wrap(err, "E2B holds the new rules, but they could not be recorded");
		goto out;
	}
	rc = 0;
out:
	e2b_egress_free(&eg);
	allowlist_free(&al);
	e2b_live_free(&l);
	return rc;
}
