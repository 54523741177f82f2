/* `attach` as a table of steps (e2b_attach.h), beside the run's
 * (e2b_steps.c) and walked the same way.
 *
 * Order: connect (the sandbox's timeout extended) -> check that
 * codex-sandbox started it (and for this project, when the plan could only
 * take the current directory) -> fresh credentials -> find the command by
 * its tag -> reattach to it; then, on every path once the sandbox is ours
 * again, its changes back and kill (or keep). */
#include "runner/e2b/e2b_attach.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "runner/core/ops.h"
#include "runner/core/sig.h"
#include "runner/core/tty.h"
#include "runner/e2b/e2b_envd.h"
#include "runner/e2b/e2b_publish_step.h"
#include "runner/e2b/e2b_session.h"
#include "runner/e2b/e2b_setup.h"

/* ---- the steps' run() ----------------------------------------------------- */

static int step_connect(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;

	return e2b_connect(&j->cl, p->attach.id, j->k->ttl, &j->sb, err);
}

/* The sandbox's metadata: whether its command runs on a PTY; refused when
 * codex-sandbox did not start it, or (when the plan could only take the
 * current directory for the project) when it was started for another. */
static int step_check(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	cleanup_json cJSON *d = NULL;
	const cJSON *md, *wd, *tty;

	if (e2b_info(&j->cl, j->sb.id, &d, err) < 0)
		return -1;
	md = cJSON_GetObjectItemCaseSensitive(d, "metadata");
	wd = cJSON_GetObjectItemCaseSensitive(md, "workdir");
	tty = cJSON_GetObjectItemCaseSensitive(md, "tty");
	if (!cJSON_IsString(wd) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(md, "tool"))) {
		cs_fail(err, 0, "E2B sandbox %s was not started by codex-sandbox", j->sb.id);
		return cs_hint(err, "attach takes the id printed by codex-sandbox --keep");
	}
	if (p->attach.workdir_guessed && strcmp(wd->valuestring, p->work_dir) != 0) {
		cs_fail(err, 0, "E2B sandbox %s was started for %.1024s, not for %s", j->sb.id,
			wd->valuestring, p->work_dir);
		return cs_hint(err, "attach from that project's directory, or name it with --work-dir");
	}
	j->remote_tty = cJSON_IsString(tty) && strcmp(tty->valuestring, "1") == 0;
	return 0;
}

/* --publish given at create: the ports of the local record bound on
 * 127.0.0.1 and forwarded again (with the traffic token) while attached. */
static int step_publish(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;

	(void)p;
	return e2b_publish_resume(&j->pub, j->k, &j->sb, err);
}

static int describe_publish(const struct sandbox_plan *p, void *ctx, cJSON *out,
			    struct cs_err *err)
{
	(void)p; (void)ctx; (void)err;
	cJSON_AddStringToObject(out, "ports", "those recorded at create (--publish), from this "
				"machine's record of the sandbox; none recorded: nothing");
	cJSON_AddStringToObject(out, "listen", "127.0.0.1:HOSTPORT, requests forwarded with the "
				"sandbox's traffic access token (hidden)");
	return 0;
}

static bool has_auth(const struct sandbox_plan *p)
{
	return p->auth_file != NULL;
}

/* Fresh credentials, as seed 000 does on reconnect (the layout script
 * with them).  A failure leaves the kept sandbox as it was. */
static int step_credentials(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	struct e2b_gate_in in;

	e2b_gate_input(j, &in);
	if (e2b_root_setup(&in, &j->cl, false, err) < 0)
		return -1;
	fprintf(stderr, "codex-sandbox: auth.json in the sandbox refreshed from %s\n", p->auth_file);
	return 0;
}

/* Done by step_credentials. */
static int step_done_before(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	(void)p; (void)ctx; (void)err;
	return 0;
}

static int step_find(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;

	(void)p; (void)err;
	j->created = true;   /* from here on, the end is ours: files back, then kill (or keep) */
	j->ran = true;
	j->ended = !e2b_tag_running(j, E2B_PROC_TAG);
	if (j->ended)
		fprintf(stderr, "codex-sandbox: nothing is running in sandbox %s any more; bringing "
			"its changes back\n", j->sb.id);
	return 0;
}

static int step_reattach(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	struct e2b_session_opts so = { .connect_tag = E2B_PROC_TAG, .redraw = true };
	int r;

	if (j->ended)
		return 0;
	fprintf(stderr, "codex-sandbox: attached to E2B sandbox %s (%s)\n", j->sb.id, p->work_dir);
	so.tty = j->remote_tty;
	so.forward_stdin = j->remote_tty ? p->tty : p->attach_stdin;
	so.keepalive = j->k->keepalive;
	so.ttl = j->k->ttl;
	so.label = "the command";
	if (j->remote_tty && p->tty && tty_raw(err) < 0)
		return -1;
	r = e2b_session_run(&j->cl, &j->sb, &so, &j->status, err);
	tty_restore();
	if (r > 0 || (r < 0 && sig_terminating())) {
		j->interrupted = true;
		return -1;
	}
	if (r < 0 && e2b_tag_running(j, E2B_PROC_TAG))
		j->lost = true;   /* nothing is lost: leave it for attach */
	return r < 0 ? -1 : 0;
}

/* ---- the steps' describe() ---------------------------------------------------- */

static int describe_connect(const struct sandbox_plan *p, void *ctx, cJSON *out,
			    struct cs_err *err)
{
	struct job *j = ctx;
	char path[128];

	(void)err;
	snprintf(path, sizeof path, "/v2/sandboxes/%s/connect", p->attach.id);
	e2b_describe_api(j, out, "POST", path);
	cJSON_AddStringToObject(out, "fallback", "POST /sandboxes/ID/connect when the API has no "
				"/v2 routes");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(out, "body"), "timeout", j->k->ttl);
	return 0;
}

static int describe_check(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	char path[128];

	(void)err;
	snprintf(path, sizeof path, "/sandboxes/%s", p->attach.id);
	e2b_describe_api(ctx, out, "GET", path);
	cJSON_AddStringToObject(out, "expect", p->attach.workdir_guessed
				? "metadata.tool, and metadata.workdir equal to work_dir"
				: "metadata.tool and metadata.workdir");
	return 0;
}

static int describe_credentials(const struct sandbox_plan *p, void *ctx, cJSON *out,
				struct cs_err *err)
{
	cJSON *a;

	(void)err;
	if (p->auth_writeback) {
		e2b_describe_envd(ctx, out, "POST", "/files?username=" E2B_USER, NULL, NULL, false);
		a = cJSON_AddArrayToObject(out, "files");
		cJSON_AddItemToArray(a, cJSON_CreateString(E2B_REMOTE_CODEX_HOME "/auth.json "
			"(hidden; as the user, 0600: written back to the host file at the end)"));
		return 0;
	}
	e2b_describe_envd(ctx, out, "POST", "/files?username=root", NULL, NULL, false);
	a = cJSON_AddArrayToObject(out, "files");
	cJSON_AddItemToArray(a, cJSON_CreateString(E2B_REMOTE_CODEX_HOME "/auth.json (hidden; "
						   "root:root 0444)"));
	return 0;
}

static int describe_find(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	(void)p; (void)err;
	e2b_describe_envd(ctx, out, "POST", "/process.Process/List", NULL, "application/json", true);
	cJSON_AddStringToObject(out, "expect", "a process tagged " E2B_PROC_TAG);
	return 0;
}

static int describe_reattach(const struct sandbox_plan *p, void *ctx, cJSON *out,
			     struct cs_err *err)
{
	struct job *j = ctx;
	cJSON *during = cJSON_CreateArray(), *r;
	char ka[32], path[128];

	(void)err;
	snprintf(ka, sizeof ka, "%d", j->k->keepalive);
	cJSON_AddStringToObject(e2b_describe_envd(j, out, "POST", "/process.Process/Connect", NULL,
						  "application/connect+json", true),
				"Keepalive-Ping-Interval", ka);
	cJSON_AddItemToObject(out, "body", e2b_connect_request(0, E2B_PROC_TAG));
	cJSON_AddStringToObject(out, "when", "the command still runs");
	cJSON_AddItemToObject(out, "during", during);
	r = cJSON_CreateObject();
	cJSON_AddItemToArray(during, r);
	cJSON_AddStringToObject(r, "why", "on a PTY: the size nudged (one column off, then back) "
				"so the program redraws; then on each resize");
	e2b_describe_envd(j, r, "POST", "/process.Process/Update", NULL, "application/json", true);
	r = cJSON_CreateObject();
	cJSON_AddItemToArray(during, r);
	cJSON_AddStringToObject(r, "why", "typed input, coalesced, at most one call in flight");
	e2b_describe_envd(j, r, "POST", "/process.Process/SendInput", NULL, "application/json", true);
	r = cJSON_CreateObject();
	cJSON_AddItemToArray(during, r);
	cJSON_AddStringToObject(r, "why", "keep the sandbox alive while attached (every third of "
				"the timeout)");
	snprintf(path, sizeof path, "/sandboxes/%s/timeout", p->attach.id);
	e2b_describe_api(j, r, "POST", path);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(r, "body"), "timeout", j->k->ttl);
	return 0;
}

static const struct op attach_ops[] = {
	{ "connect", "connect to the kept sandbox (its timeout extended)", NULL,
	  describe_connect, step_connect },
	{ "check-sandbox", "refuse a sandbox codex-sandbox did not start; learn whether its "
	  "command runs on a PTY", NULL, describe_check, step_check },
	{ "publish-forward", "forward the published ports again (as at create)", NULL,
	  describe_publish, step_publish },
	{ "root-files", "fresh credentials (contents not shown): auth.json", has_auth,
	  describe_credentials, step_credentials },
	{ "root-setup", "the layout as root again (the Codex home 1777, auth.json's mode)", has_auth,
	  e2b_describe_root_setup, step_done_before },
	{ "find-command", "find the command by its tag (ended: only its files come back)", NULL,
	  describe_find, step_find },
	{ "reattach", "the command, attached to the terminal again (or pipes)", NULL,
	  describe_reattach, step_reattach },
	{ "sync-back", "bring each changed or new file back (also after a failure or a signal)",
	  NULL, e2b_describe_sync, e2b_step_at_the_end },
	{ "end", "kill the sandbox (also on SIGINT/SIGTERM/SIGHUP), or keep it with --keep", NULL,
	  e2b_describe_end, e2b_step_at_the_end },
};

/* The last two are the job's cleanup, done by finish() on every path. */
#define N_WALKED (ARRAY_SIZE(attach_ops) - 2)

int e2b_attach_steps_run(struct job *j, struct cs_err *err)
{
	return ops_run(attach_ops, N_WALKED, j->p, j, NULL, err);
}

cJSON *e2b_attach_steps_describe(struct job *j, struct cs_err *err)
{
	return ops_describe(attach_ops, ARRAY_SIZE(attach_ops), j->p, j, err);
}
