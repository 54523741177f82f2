/* The end of every local run, walked once after the steps whatever
 * happened (runner/core/ops.h table): the sandbox stopped and removed, the
 * firewall's summary collected and its owner removed, auth.json written
 * back, Docker's placeholder and the run dir removed.  Each step undoes
 * only what run_ctx says was done, and never fails the walk. */
#include "runner/docker/teardown.h"

#include <stdio.h>
#include <unistd.h>

#include "runner/core/prepare.h"
#include "runner/core/rundir.h"
#include "runner/core/writeback.h"
#include "runner/docker/container.h"
#include "runner/docker/ctr_ops.h"
#include "runner/docker/describe.h"
#include "runner/docker/docker_bg.h"
#include "runner/docker/pod.h"
#include "runner/docker/run_ctx.h"

static int rm_sandbox_bg(struct docker *d, void *arg, struct cs_err *err)
{
	struct run_ctx *c = arg;

	(void)err;
	ctr_remove(d, c->sandbox_id, c->started && c->rc < 0);
	return 0;
}

/* On a connection of its own while the firewall prints its summary
 * (docker_bg.h); remove-firewall joins it before the owner goes. */
static int rm_sandbox_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	struct cs_err e = { 0 };

	(void)p; (void)err;
	/* a creation still in flight (a step between failed) ends first:
	 * what it created is removed like the rest */
	docker_bg_join(&c->sb_create, &e);
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	buf_free(&c->early);
	if (!c->sandbox_id[0])
		return 0;
	if (docker_bg_start(&c->sb_remove, &c->d, rm_sandbox_bg, c, true, &e) < 0)
		ctr_remove(&c->d, c->sandbox_id, c->started && c->rc < 0);
	return 0;
}

static int rm_sandbox_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			       struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)p; (void)err;
	ctr_path(path, sizeof path, c->sandbox_id, CTR_REMOVE);
	describe_request(out, "DELETE", path);
	ctr_path(path, sizeof path, c->sandbox_id, CTR_STOP);
	describe_also(out, "POST", path, "before it, when the run failed or was interrupted "
		      "after the start");
	cJSON_AddStringToObject(out, "when", "on a second connection while the firewall prints "
				"its summary; remove-firewall waits for it");
	return 0;
}

static int fw_summary_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	(void)p; (void)err;
	pod_ask_summary(&c->pod, &c->d);
	return 0;
}

static int fw_summary_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			       struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)p; (void)err;
	ctr_path(path, sizeof path, c->pod.owner_id, CTR_KILL_TERM);
	describe_request(out, "POST", path);
	cJSON_AddStringToObject(out, "when", "the firewall is running: it prints its SUMMARY "
				"lines and exits");
	return 0;
}

static int rm_fw_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	struct cs_err e = { 0 };

	(void)err;
	docker_bg_join(&c->sb_remove, &e);  /* the sandbox goes before its network's owner */
	pod_finish(&c->pod, &c->d, p);
	return 0;
}

static int rm_fw_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)err;
	ctr_path(path, sizeof path, c->pod.owner_id, CTR_REMOVE);
	describe_request(out, "DELETE", path);
	cJSON_AddStringToObject(out, "prints", "what was blocked, on stderr");
	if (p->log_blocked)
		cJSON_AddStringToObject(out, "writes", p->log_blocked);
	return 0;
}

static bool writes_back(const struct sandbox_plan *p)
{
	return p->auth_writeback;
}

static int writeback_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	struct cs_err e2 = { 0 };

	(void)p;
	if (!c->wb.active)
		return 0;
	if (writeback_finish(&c->wb, &e2) < 0 && !err->set) {
		*err = e2;
		c->rc = -1;
	} else if (e2.set) {
		cs_err_print(&e2, "codex-sandbox");
	}
	return 0;
}

static bool has_auth(const struct sandbox_plan *p)
{
	return p->auth_file != NULL;
}

static int placeholder_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	(void)err;
	if (!c->placeholder_existed)
		prepare_remove_auth_placeholder(p);
	return 0;
}

static int rundir_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	(void)p; (void)err;
	rundir_remove(&c->rd);
	return 0;
}

const struct op teardown_ops[] = {
	{ "remove-sandbox", "stop and remove the sandbox", NULL, rm_sandbox_describe, rm_sandbox_run },
	{ "firewall-summary", "ask the firewall what it blocked", NULL, fw_summary_describe,
	  fw_summary_run },
	{ "remove-firewall", "remove the network owner; report what was blocked",
	  NULL, rm_fw_describe, rm_fw_run },
	{ "auth-writeback", "write a changed auth.json back (same file only)", writes_back, NULL,
	  writeback_run },
	{ "remove-auth-placeholder", "the empty auth.json Docker created for the mount, if any",
	  has_auth, NULL, placeholder_run },
	{ "remove-run-dir", "the run dir and everything in it", NULL, NULL, rundir_run },
};
const size_t teardown_n_ops = sizeof teardown_ops / sizeof teardown_ops[0];
