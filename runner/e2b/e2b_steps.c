/* The E2B run as a table of steps (e2b_steps.h).
 *
 * Order: create (with the egress rules) -> confirm the egress rules E2B
 * holds -> root's files (allowlist, read-only auth.json) and layout -> the
 * user's files -> the init hook -> the command on a PTY (or pipes); then,
 * on every path, the sandbox's changes back and kill (or keep). */
#include "runner/e2b/e2b_steps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "runner/core/ops.h"
#include "runner/core/sig.h"
#include "runner/core/tty.h"
#include "runner/e2b/e2b_envd.h"
#include "runner/e2b/e2b_live.h"
#include "runner/e2b/e2b_publish_step.h"
#include "runner/e2b/e2b_session.h"
#include "runner/e2b/e2b_setup.h"

static int upload_user(struct job *j, struct cs_err *err)
{
	const struct sync_scan *scans[2] = { &j->project, &j->home };
	struct sync_fixups fx;
	char path[2][128];
	struct e2b_file f[2];
	size_t n = 0;
	int rc = -1;

	buf_init(&fx.exec, SYNC_LISTING_MAX);
	buf_init(&fx.links, SYNC_LISTING_MAX);
	fprintf(stderr, "codex-sandbox: uploading %zu files (%.1f MiB) to the sandbox%s\n",
		j->project.files.n + j->home.files.n,
		(double)(j->project.bytes + j->home.bytes) / (1 << 20),
		j->project.used_git ? " (.gitignore respected)" : "");
	if (j->project.links_out || j->project.special || j->project.unsafe)
		fprintf(stderr, "codex-sandbox: not uploaded: %zu symlinks pointing outside the "
			"project, %zu special files, %zu unsafe names (e.g. %s)\n",
			j->project.links_out, j->project.special, j->project.unsafe,
			j->project.first_skipped);
	if (sync_fixups_build(&j->project, &fx, err) < 0)
		goto out;
	if (fx.exec.len) {
		snprintf(path[n], sizeof path[n], "/tmp/codex-sandbox-%s/exec", j->run_id);
		f[n] = (struct e2b_file){ .remote = path[n], .fd = -1, .data = fx.exec.data,
					  .size = fx.exec.len };
		n++;
	}
	if (fx.links.len) {
		snprintf(path[n], sizeof path[n], "/tmp/codex-sandbox-%s/links", j->run_id);
		f[n] = (struct e2b_file){ .remote = path[n], .fd = -1, .data = fx.links.data,
					  .size = fx.links.len };
		n++;
	}
	/* One request for a small project: its files, the Codex home's, the fixups. */
	if (sync_upload(&j->cl, &j->sb, j->trees, scans, 2, f, n, err) < 0)
		goto out;
	if (!j->trees[0].manifest.n) {
		/* An empty project: its directory, made by (and for) the user. */
		cJSON *req = cJSON_CreateObject();
		char code[64];
		int r;

		cJSON_AddStringToObject(req, "path", j->p->sandbox_work_dir);
		r = e2b_rpc(&j->cl, &j->sb, "filesystem.Filesystem/MakeDir", E2B_USER, req, NULL,
			    code, sizeof code, err);
		cJSON_Delete(req);
		if (r < 0 && strcmp(code, "already_exists") != 0)
			goto out;
		cs_err_clear(err);
	}
	rc = 0;
out:
	buf_free(&fx.exec);
	buf_free(&fx.links);
	return rc;
}

/* The hook, or the command, attached to our terminal (or pipes).
 * Returns as e2b_session_run. */
static int run_proc(struct job *j, bool hook, int *status, struct cs_err *err)
{
	const struct sandbox_plan *p = j->p;
	struct strv argv = { 0 };
	struct e2b_proc proc = { .user = E2B_USER, .cwd = "/" };
	struct e2b_session_opts o = { .start = &proc, .keepalive = j->k->keepalive, .ttl = j->k->ttl };
	unsigned short rows = 24, cols = 80;
	int rc;

	if (e2b_wrapper_argv(&argv, hook ? "hook" : "cmd", p->sandbox_work_dir, j->run_id,
			     hook ? NULL : &p->command_argv) < 0) {
		strv_free(&argv);
		return cs_fail(err, ENOMEM, "out of memory");
	}
	proc.argv = (const char *const *)argv.v;
	if (hook) {
		proc.tag = E2B_HOOK_TAG;
		o.label = "the init hook";
	} else {
		proc.tag = E2B_PROC_TAG;
		proc.pty = p->tty;
		if (p->tty && tty_size(&rows, &cols) == 0) {
			proc.rows = rows;
			proc.cols = cols;
		}
		proc.stdin_open = p->attach_stdin;
		o.tty = p->tty;
		o.forward_stdin = p->attach_stdin;
		o.label = p->command == CMD_RUN ? "Codex" : "the command";
	}
	j->ran = true;
	if (!hook && p->tty && tty_raw(err) < 0) {
		strv_free(&argv);
		return -1;
	}
	rc = e2b_session_run(&j->cl, &j->sb, &o, status, err);
	tty_restore();
	strv_free(&argv);
	return rc;
}

void e2b_gate_input(struct job *j, struct e2b_gate_in *in)
{
	*in = (struct e2b_gate_in){ .p = j->p, .allow_out = &j->k->eg.allow_out, .cl = &j->cl,
				    .sb = &j->sb, .auth_rw = j->wb.active };
	if (j->p->auth_file)
		in->auth_src = j->wb.active ? j->wb.private_copy : j->p->auth_file;
}

bool e2b_tag_running(struct job *j, const char *tag)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL;
	const cJSON *it;
	struct cs_err e = { 0 };
	bool found = false;

	if (e2b_rpc(&j->cl, &j->sb, "process.Process/List", NULL, req, &resp, NULL, 0, &e) == 0)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(resp, "processes")) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "tag");

			found |= cJSON_IsString(t) && strcmp(t->valuestring, tag) == 0;
		}
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return found;
}


/* ---- the steps' run() ----------------------------------------------------- */

static int interrupted(struct job *j)
{
	j->interrupted = true;
	return -1;
}

static int step_create(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	cleanup_json cJSON *body = NULL;

	if (sig_terminating())
		return interrupted(j);
	body = e2b_create_body(p, &j->k->eg, j->run_id, j->k->ttl, false);
	if (e2b_create(&j->cl, body, &j->sb, err) < 0) {
		if (j->cl.create_ambiguous) {
			j->created = true;   /* maybe: kill_sandbox sweeps by run id */
			snprintf(j->sb.id, sizeof j->sb.id, "%s", "unknown");
		}
		return -1;
	}
	j->created = true;
	e2b_live_created(p, j->sb.id);
	fprintf(stderr, "codex-sandbox: E2B sandbox %s (template %s)\n", j->sb.id, p->template_id);
	return 0;
}

/* Three things must happen before the first process of the sandbox user,
 * and none needs the others: the check of the egress rules E2B holds, root's
 * part (auth.json, the Codex home's modes), the user's files.  The first two
 * (the steps confirm-egress, root-files, root-setup) run on threads of their
 * own (e2b_gate.c) while this thread uploads; the upload step joins them, so
 * nothing of the user's runs before the rules are confirmed.  (envd writes
 * uploads as root, so they do not need root's layout first; the layout
 * script fixes the owner and mode of whatever the uploads created.) */
static int step_confirm_egress(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;

	(void)p; (void)err;
	e2b_gate_input(j, &j->gate.in);
	e2b_gate_start(&j->gate);
	return 0;
}

/* Done by the thread step_confirm_egress started. */
static int step_on_root_thread(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	(void)p; (void)ctx; (void)err;
	return 0;
}

/* Once, plainly: what E2B enforces differently, what it ignores. */
static void say_differences(const struct job *j)
{
	char *notice = e2b_egress_notice(&j->k->eg);

	if (notice)
		fputs(notice, stderr);
	free(notice);
	for (size_t i = 0; i < j->k->notes.n; i++)
		fprintf(stderr, "codex-sandbox: on E2B, %s\n", j->k->notes.v[i]);
}

static int step_upload(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	struct cs_err up = { 0 };
	int rc;

	(void)p;
	rc = upload_user(j, &up);
	if (e2b_gate_join(&j->gate, err) < 0)
		return -1;   /* a refusal of the egress rules matters most */
	if (rc < 0) {
		*err = up;
		return -1;
	}
	say_differences(j);
	return sig_terminating() ? interrupted(j) : 0;
}

static bool has_hook(const struct sandbox_plan *p)
{
	return p->run_hook;
}

static int step_hook(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	int status = 0, r = run_proc(j, true, &status, err);

	if (r > 0)
		return interrupted(j);
	if (r < 0)
		return -1;
	if (status != 0) {
		cs_fail_status(err, status, 0, "the init hook %s/init.sh failed with status %d; "
			       "%s was not started", E2B_REMOTE_CODEX_HOME, status,
			       p->command == CMD_RUN ? "Codex" : "the command");
		return cs_hint(err, "the hook's output is above; fix %s (or remove it)", p->hook_host_path);
	}
	return 0;
}

static int step_command(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	int r = run_proc(j, false, &j->status, err);

	(void)p;
	if (r > 0)
		return interrupted(j);
	if (r < 0 && !sig_terminating() && e2b_tag_running(j, E2B_PROC_TAG))
		j->lost = true;   /* nothing is lost: leave it for attach */
	return r < 0 ? -1 : 0;
}

/* Run from finish() on every path, not walked by e2b_steps_run. */
int e2b_step_at_the_end(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	(void)p; (void)ctx; (void)err;
	return 0;
}

/* ---- the steps' describe() ---------------------------------------------------- */

const char *e2b_describe_id(const struct job *j)
{
	return j->p->command == CMD_ATTACH ? j->p->attach.id : "<sandboxID>";
}

static cJSON *request(cJSON *out, const char *method, const char *base, const char *path)
{
	char url[4096];

	snprintf(url, sizeof url, "%s%s", base, path);
	cJSON_AddStringToObject(out, "method", method);
	cJSON_AddStringToObject(out, "url", url);
	return cJSON_AddObjectToObject(out, "headers");
}

void e2b_describe_api(struct job *j, cJSON *out, const char *method, const char *path)
{
	cJSON_AddStringToObject(request(out, method, j->k->cfg.api_url, path), "X-API-KEY", "(hidden)");
}

/* envd's headers from the builder the run uses, for a sandbox whose id is
 * not known yet (attach: known) and whose token is hidden. */
cJSON *e2b_describe_envd(struct job *j, cJSON *out, const char *method, const char *path,
			   const char *user, const char *type, bool rpc)
{
	struct e2b_sandbox sb = { .token = (char *)"(hidden)" };
	cleanup_free char *envd = NULL;
	cleanup_slist struct curl_slist *h = NULL;
	cJSON *hj;

	snprintf(sb.id, sizeof sb.id, "%s", e2b_describe_id(j));
	envd = e2b_envd_url(&j->k->cfg, sb.id, NULL);
	h = e2b_envd_headers(&sb, user, type, rpc);
	hj = request(out, method, envd ? envd : "?", path);

	for (const struct curl_slist *it = h; it; it = it->next) {
		const char *colon = strchr(it->data, ':');
		char name[128];

		if (!colon || (size_t)(colon - it->data) >= sizeof name || !colon[1])
			continue;
		memcpy(name, it->data, (size_t)(colon - it->data));
		name[colon - it->data] = '\0';
		cJSON_AddStringToObject(hj, name, colon + 2);
	}
	return hj;
}

static int start_request(struct job *j, cJSON *out, const struct e2b_proc *proc)
{
	char ka[32];
	cJSON *h = e2b_describe_envd(j, out, "POST", "/process.Process/Start", proc->user,
				"application/connect+json", true);

	snprintf(ka, sizeof ka, "%d", j->k->keepalive);
	cJSON_AddStringToObject(h, "Keepalive-Ping-Interval", ka);
	cJSON_AddItemToObject(out, "body", e2b_start_request(proc));
	return 0;
}

static int describe_create(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct job *j = ctx;

	(void)err;
	e2b_describe_api(j, out, "POST", "/v2/sandboxes");
	cJSON_AddStringToObject(out, "fallback", "POST /sandboxes with \"secure\": true when the "
				"API has no /v2 routes");
	cJSON_AddItemToObject(out, "body", e2b_create_body(p, &j->k->eg, "<run-id>", j->k->ttl, true));
	return 0;
}

static int describe_confirm(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	(void)p; (void)err;
	e2b_describe_api(ctx, out, "GET", "/sandboxes/<sandboxID>");
	return 0;
}

static int describe_root_files(const struct sandbox_plan *p, void *ctx, cJSON *out,
			       struct cs_err *err)
{
	cJSON *a;

	(void)err;
	e2b_describe_envd(ctx, out, "POST", "/files?username=root", NULL, NULL, false);
	a = cJSON_AddArrayToObject(out, "files");
	cJSON_AddItemToArray(a, cJSON_CreateString(E2B_REMOTE_ALLOWED));
	if (p->auth_file)
		cJSON_AddItemToArray(a, cJSON_CreateString(p->auth_writeback
			? E2B_REMOTE_CODEX_HOME "/auth.json (hidden; as the user, 0600: written back "
			  "to the host file at the end)"
			: E2B_REMOTE_CODEX_HOME "/auth.json (hidden; root:root 0444)"));
	return 0;
}

int e2b_describe_root_setup(const struct sandbox_plan *p, void *ctx, cJSON *out,
			       struct cs_err *err)
{
	const char *argv[] = { "/bin/sh", "-c", e2b_root_script, "codex-sandbox-setup",
			       p->auth_writeback ? "0600" : "0444", NULL };
	struct e2b_proc proc = { .user = "root", .argv = argv, .cwd = "/" };

	(void)err;
	return start_request(ctx, out, &proc);
}

static int describe_upload(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct job *j = ctx;
	cJSON *o;

	(void)err;
	e2b_describe_envd(j, out, "POST", "/files?username=" E2B_USER, NULL, NULL, false);
	cJSON_AddStringToObject(out, "body", "multipart, in batches of up to 256 files / 32 MiB");
	cJSON_AddStringToObject(out, "project", p->sandbox_work_dir);
	o = cJSON_AddObjectToObject(out, "scan");
	cJSON_AddNumberToObject(o, "files", (double)j->project.files.n);
	cJSON_AddNumberToObject(o, "bytes", (double)j->project.bytes);
	cJSON_AddBoolToObject(o, "gitignore", j->project.used_git);
	cJSON_AddNumberToObject(o, "skipped_symlinks_out", (double)j->project.links_out);
	cJSON_AddNumberToObject(o, "skipped_special", (double)j->project.special);
	cJSON_AddNumberToObject(o, "limit_bytes", (double)j->k->limit);
	return 0;
}

static int describe_proc(struct job *j, bool hook, cJSON *out, struct cs_err *err)
{
	const struct sandbox_plan *p = j->p;
	cleanup_strv struct strv argv = { 0 };
	struct e2b_proc proc = { .user = E2B_USER, .cwd = "/", .tag = hook ? E2B_HOOK_TAG : E2B_PROC_TAG };

	if (e2b_wrapper_argv(&argv, hook ? "hook" : "cmd", p->sandbox_work_dir, "<run-id>",
			     hook ? NULL : &p->command_argv) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	proc.argv = (const char *const *)argv.v;
	if (!hook) {
		proc.pty = p->tty;
		proc.rows = p->tty ? 24 : 0;   /* the terminal's size at the time */
		proc.cols = p->tty ? 80 : 0;
		proc.stdin_open = p->attach_stdin;
	}
	return start_request(j, out, &proc);
}

static int describe_hook(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	(void)p;
	return describe_proc(ctx, true, out, err);
}

static int describe_command(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct job *j = ctx;
	cJSON *during = cJSON_CreateArray(), *r;

	if (describe_proc(j, false, out, err) < 0) {
		cJSON_Delete(during);
		return -1;
	}
	cJSON_AddItemToObject(out, "during", during);
	r = cJSON_CreateObject();
	cJSON_AddItemToArray(during, r);
	cJSON_AddStringToObject(r, "why", "typed input, coalesced, at most one call in flight; "
				"Update on resize");
	e2b_describe_envd(j, r, "POST", "/process.Process/SendInput", E2B_USER, "application/json", true);
	r = cJSON_CreateObject();
	cJSON_AddItemToArray(during, r);
	cJSON_AddStringToObject(r, "why", "keep the sandbox alive while attached (every third of "
				"the timeout)");
	e2b_describe_api(j, r, "POST", "/sandboxes/<sandboxID>/timeout");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(r, "body"), "timeout", j->k->ttl);
	cJSON_AddStringToObject(out, "mode", p->tty ? "a PTY of the terminal's size (no "
				"Connect-Timeout-Ms)" : "pipes");
	return 0;
}

int e2b_describe_sync(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct job *j = ctx;
	cJSON *more = cJSON_CreateObject();

	(void)p; (void)err;
	cJSON_AddStringToObject(out, "listing", "find, sha256sum: the sandbox's files with their "
				"hashes");
	e2b_describe_envd(j, out, "POST", "/process.Process/Start", E2B_USER, "application/connect+json",
		     true);
	cJSON_AddItemToObject(out, "then", more);
	e2b_describe_envd(j, more, "GET", "/files?path=<changed file>&username=" E2B_USER, NULL, NULL,
		     false);
	cJSON_AddNumberToObject(out, "deadline_s", j->k->sync_secs);
	cJSON_AddNumberToObject(out, "limit_bytes", (double)j->k->limit);
	return 0;
}

int e2b_describe_end(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct job *j = ctx;
	char path[128];

	(void)err;
	if (p->keep) {
		snprintf(path, sizeof path, "/sandboxes/%s/timeout", e2b_describe_id(j));
		e2b_describe_api(j, out, "POST", path);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(out, "body"), "timeout", j->k->keep_ttl);
		cJSON_AddStringToObject(out, "note", "--keep: the sandbox is left running for attach");
		return 0;
	}
	snprintf(path, sizeof path, "/sandboxes/%s", e2b_describe_id(j));
	e2b_describe_api(j, out, "DELETE", path);
	return 0;
}

static int step_publish_bind(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	return e2b_publish_bind(&((struct job *)ctx)->pub, &p->publish, err);
}

static int step_publish_forward(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;

	(void)p;
	return e2b_publish_forward(&j->pub, j->k, &j->sb, err);
}

static const struct op e2b_ops[] = {
	{ "publish-ports", "--publish: listen on 127.0.0.1 before anything is created",
	  e2b_publish_applies, e2b_describe_publish_bind, step_publish_bind },
	{ "create-sandbox", "create the sandbox with the egress rules", NULL,
	  describe_create, step_create },
	{ "confirm-egress", "confirm that E2B holds the egress rules (refuse to run open); "
	  "with root's part, each on a thread of its own while the upload runs", NULL,
	  describe_confirm, step_confirm_egress },
	{ "publish-forward", "--publish: forward each host port to the sandbox's port with its "
	  "traffic access token", e2b_publish_applies, e2b_describe_publish_forward,
	  step_publish_forward },
	{ "root-files", "root's files (contents not shown): the allowlist, auth.json", NULL,
	  describe_root_files, step_on_root_thread },
	{ "root-setup", "prepare the layout as root (the Codex home 1777, auth.json's mode)", NULL,
	  e2b_describe_root_setup, step_on_root_thread },
	{ "upload", "the project and the Codex home, as the sandbox user", NULL,
	  describe_upload, step_upload },
	{ "init-hook", "the init hook, as the sandbox user", has_hook,
	  describe_hook, step_hook },
	{ "command", "the command, attached to the terminal (or pipes)", NULL,
	  describe_command, step_command },
	{ "sync-back", "bring each changed or new file back (also after a failure or a signal)",
	  NULL, e2b_describe_sync, e2b_step_at_the_end },
	{ "end", "kill the sandbox (also on SIGINT/SIGTERM/SIGHUP), or keep it with --keep", NULL,
	  e2b_describe_end, e2b_step_at_the_end },
};

/* The last two are the job's cleanup, done by finish() on every path. */
#define N_WALKED (ARRAY_SIZE(e2b_ops) - 2)

int e2b_steps_run(struct job *j, struct cs_err *err)
{
	return ops_run(e2b_ops, N_WALKED, j->p, j, NULL, err);
}

cJSON *e2b_steps_describe(struct job *j, struct cs_err *err)
{
	return ops_describe(e2b_ops, ARRAY_SIZE(e2b_ops), j->p, j, err);
}
