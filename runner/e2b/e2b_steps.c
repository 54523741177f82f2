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
#include "runner/e2b/e2b_session.h"
#include "runner/e2b/e2b_setup.h"

/* E2B must hold exactly the rules we asked for: a self-hosted or older API
 * that ignores `network` would otherwise run open, silently. */
static int verify_egress(struct job *j, struct e2b_client *cl, struct cs_err *err)
{
	cJSON *d = NULL;
	const cJSON *net, *allow, *deny, *it;
	size_t n = 0;
	bool all_denied = false, ok = true;

	if (e2b_info(cl, j->sb.id, &d, err) < 0)
		return cs_wrap(err, "checking the sandbox's egress rules");
	net = cJSON_GetObjectItemCaseSensitive(d, "network");
	allow = cJSON_GetObjectItemCaseSensitive(net, "allowOut");
	deny = cJSON_GetObjectItemCaseSensitive(net, "denyOut");
	cJSON_ArrayForEach(it, deny)
		if (cJSON_IsString(it) && strcmp(it->valuestring, "0.0.0.0/0") == 0)
			all_denied = true;
	cJSON_ArrayForEach(it, allow) {
		bool ours = false;

		for (size_t i = 0; cJSON_IsString(it) && i < j->k->eg.allow_out.n; i++)
			ours |= strcmp(it->valuestring, j->k->eg.allow_out.v[i]) == 0;
		ok &= ours;
		n++;
	}
	ok &= cJSON_IsObject(net) && all_denied && n == j->k->eg.allow_out.n;
	cJSON_Delete(d);
	if (!ok) {
		cs_fail(err, 0, "E2B did not confirm the egress rules it was given (network.denyOut "
			"0.0.0.0/0 and the allowlist); refusing to run with open egress");
		return cs_hint(err, "this E2B API does not enforce network rules; use E2B's cloud "
			       "API or run locally (--backend docker)");
	}
	return 0;
}

/* As few processes as possible (each costs a fork before the first byte):
 * the Codex home root's 1777, root's auth.json 0444 (uploaded as root, so
 * already root's).  The project directory is the user's: the uploads, or
 * MakeDir for an empty project, create it. */
static const char root_script[] =
	"set -e\n"
	"cd -P .\n"
	"R=$PWD; [ \"$R\" = / ] && R=\n"
	"install -d -o 0 -g 0 -m 1777 \"$R" E2B_REMOTE_CODEX_HOME "\"\n"
	"a=\"$R" E2B_REMOTE_CODEX_HOME "/auth.json\"\n"
	"[ ! -e \"$a\" ] || chmod \"$1\" \"$a\"\n";

/* Root's part: the effective allowlist, auth.json (root-owned, 0444, in the
 * root-owned sticky Codex home: readable, not replaceable, by the user).
 * With --auth-writeback auth.json is the user's instead (0600), the private
 * copy writeback.c brings back at the end. */
int e2b_root_setup(struct job *j, struct e2b_client *cl, bool allowlist, struct cs_err *err)
{
	const struct sandbox_plan *p = j->p;
	bool rw = j->wb.active;
	const char *argv[] = { "/bin/sh", "-c", root_script, "codex-sandbox-setup",
			       rw ? "0600" : "0444", NULL };
	struct e2b_proc proc = { .user = "root", .argv = argv, .cwd = "/",
				 .label = "preparing the layout as root" };
	struct e2b_file f[2], ua;
	struct buf errout;
	size_t n = 0;
	int fd = -1, status = 0, rc = -1;

	if (allowlist)
		f[n++] = (struct e2b_file){ .remote = E2B_REMOTE_ALLOWED, .fd = -1,
					    .data = p->allow_text, .size = strlen(p->allow_text) };
	if (p->auth_file) {
		const char *src = rw ? j->wb.private_copy : p->auth_file;
		struct stat st;

		/* Non-blocking: a fifo there must not hang us; it is then
		 * refused as not a regular file. */
		fd = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > AUTH_MAX) {
			cs_fail(err, fd < 0 ? errno : EINVAL, "reading %s", src);
			goto out;
		}
		ua = (struct e2b_file){ .remote = E2B_REMOTE_CODEX_HOME "/auth.json", .fd = fd,
					.size = (uint64_t)st.st_size };
		if (!rw)
			f[n++] = ua;
		else if (e2b_upload(cl, &j->sb, E2B_USER, &ua, 1, false, err) < 0)
			goto out;
	}
	if (n && e2b_upload(cl, &j->sb, "root", f, n, false, err) < 0)
		goto out;
	buf_init(&errout, 1u << 16);
	if (e2b_run(cl, &j->sb, &proc, NULL, &errout, &status, err) == 0 && status != 0) {
		cs_fail(err, 0, "preparing the sandbox as root failed (status %d): %.300s", status,
			errout.data ? errout.data : "");
		cs_hint(err, "the template needs /bin/sh, GNU coreutils and a user '%s'", E2B_USER);
	}
	buf_free(&errout);
	rc = err->set ? -1 : 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

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
	fprintf(stderr, "codex-sandbox: E2B sandbox %s (template %s)\n", j->sb.id, p->template_id);
	return 0;
}

static void *root_main(void *v)
{
	struct job *j = v;
	struct e2b_root_thread *r = &j->root;

	r->rc = verify_egress(j, &r->cl, &r->err) < 0 || e2b_root_setup(j, &r->cl, true, &r->err) < 0
		? -1 : 0;
	return NULL;
}

/* Three things must happen before the first process of the sandbox user,
 * and none needs the others: the check of the egress rules E2B holds, root's
 * part (auth.json, the Codex home's modes), the user's files.  The first two
 * (the steps confirm-egress, root-files, root-setup) run in one extra thread
 * with curl handles of its own while this thread uploads; the upload step
 * joins it, so nothing of the user's runs before the rules are confirmed.
 * (envd writes uploads as root, so they do not need root's layout first;
 * the layout script fixes the owner and mode of whatever the uploads
 * created.) */
static int step_confirm_egress(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct job *j = ctx;
	struct e2b_root_thread *r = &j->root;

	(void)p; (void)err;
	r->cl = j->cl;
	r->cl.api = curl_easy_init();
	r->cl.envd = curl_easy_init();
	r->threaded = r->cl.api && r->cl.envd && pthread_create(&r->t, NULL, root_main, j) == 0;
	if (!r->threaded)
		root_main(j);
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
	struct e2b_root_thread *r = &j->root;
	int rc;

	(void)p;
	rc = upload_user(j, err);
	if (r->threaded)
		pthread_join(r->t, NULL);
	if (r->cl.api)
		curl_easy_cleanup(r->cl.api);
	if (r->cl.envd)
		curl_easy_cleanup(r->cl.envd);
	if (r->rc < 0) {
		cs_err_clear(err);
		*err = r->err;   /* a refusal of the egress rules matters most */
		return -1;
	}
	if (rc < 0)
		return -1;
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
	const char *argv[] = { "/bin/sh", "-c", root_script, "codex-sandbox-setup",
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

static const struct op e2b_ops[] = {
	{ "create-sandbox", "create the sandbox with the egress rules", NULL,
	  describe_create, step_create },
	{ "confirm-egress", "confirm that E2B holds the egress rules (refuse to run open); "
	  "with root's part on a second thread while the upload runs", NULL,
	  describe_confirm, step_confirm_egress },
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
