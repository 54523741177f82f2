/* --dry-run with --backend e2b: the plan, plus what E2B would be asked, in
 * order (method, URL, body), with every secret shown as "(hidden)".  No
 * request is made; the local checks (egress mapping, refused options, the
 * upload's size) are done, and a refusal is reported as it would be. */
#include "runner/e2b/e2b.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/e2b/e2b_envd.h"
#include "runner/e2b/e2b_int.h"
#include "common/util.h"

static cJSON *request(cJSON *list, const char *method, const char *base, const char *path,
		      const char *why)
{
	cJSON *r = cJSON_CreateObject();
	char url[4096];

	snprintf(url, sizeof url, "%s%s", base, path);
	cJSON_AddStringToObject(r, "method", method);
	cJSON_AddStringToObject(r, "url", url);
	cJSON_AddStringToObject(r, "why", why);
	cJSON_AddItemToArray(list, r);
	return r;
}

static void headers(cJSON *r, bool envd, const char *user)
{
	cJSON *h = cJSON_AddObjectToObject(r, "headers");

	if (!envd) {
		cJSON_AddStringToObject(h, "X-API-KEY", "(hidden)");
		return;
	}
	cJSON_AddStringToObject(h, "E2b-Sandbox-Id", "<sandboxID>");
	cJSON_AddStringToObject(h, "E2b-Sandbox-Port", "49983");
	cJSON_AddStringToObject(h, "X-Access-Token", "(hidden)");
	if (user) {
		char b[64];

		snprintf(b, sizeof b, "Basic (user %s)", user);
		cJSON_AddStringToObject(h, "Authorization", b);
	}
}

static void start_req(cJSON *list, const char *envd, const char *why, const struct e2b_proc *p,
		      int keepalive)
{
	cJSON *r = request(list, "POST", envd, "/process.Process/Start", why);
	char ka[32];

	headers(r, true, p->user);
	snprintf(ka, sizeof ka, "%d", keepalive);
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(r, "headers"),
				"Keepalive-Ping-Interval", ka);
	cJSON_AddItemToObject(r, "body", e2b_start_request(p));
}

int e2b_dry_run(const struct sandbox_plan *p, const char *plan_json, struct cs_err *err)
{
	const struct plan_e2b *k = &p->e2b;
	struct sync_scan scan = { 0 };
	struct strv excludes = { 0 }, argv = { 0 };
	struct cs_err refusal = { 0 }, e = { 0 };
	cJSON *root = cJSON_Parse(plan_json ? plan_json : "{}"), *x, *reqs, *r, *a, *body;
	char *envd = NULL, *out = NULL;
	const char *api;
	struct e2b_proc proc = { .user = E2B_USER, .cwd = "/" };
	int rc;

	if (!root)
		return cs_fail(err, ENOMEM, "out of memory");
	api = k->cfg.api_url;
	envd = e2b_envd_url(&k->cfg, "<sandboxID>", NULL);
	x = plan_e2b_json(k);
	cJSON_AddItemToObject(root, "e2b", x);
	cJSON_AddStringToObject(x, "envd_url", envd ? envd : "?");
	r = cJSON_AddObjectToObject(x, "layout");
	cJSON_AddStringToObject(r, "project", p->sandbox_work_dir);
	cJSON_AddStringToObject(r, "codex_home", E2B_REMOTE_CODEX_HOME " (root:root 1777)");
	if (p->auth_file)
		cJSON_AddStringToObject(r, "auth_json", p->auth_writeback
					? E2B_REMOTE_CODEX_HOME "/auth.json (user 0600; --auth-writeback: "
					  "written back to the host file at the end)"
					: E2B_REMOTE_CODEX_HOME "/auth.json (root:root 0444)");
	cJSON_AddStringToObject(r, "allowlist", E2B_REMOTE_ALLOWED);
	cJSON_AddStringToObject(r, "user", E2B_USER);

	r = cJSON_AddObjectToObject(x, "upload");
	cJSON_AddNumberToObject(r, "limit_bytes", (double)k->limit);
	if (e2b_project_excludes(p, &excludes) == 0 &&
	    sync_scan(p->work_dir, true, &excludes, k->limit, p->uid, p->gid, &scan, &e) == 0) {
		cJSON_AddNumberToObject(r, "files", (double)scan.files.n);
		cJSON_AddNumberToObject(r, "bytes", (double)scan.bytes);
		cJSON_AddBoolToObject(r, "gitignore", scan.used_git);
		cJSON_AddNumberToObject(r, "skipped_symlinks_out", (double)scan.links_out);
		cJSON_AddNumberToObject(r, "skipped_special", (double)scan.special);
	} else {
		char line[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];

		cs_err_format(&e, line, sizeof line);
		cJSON_AddStringToObject(r, "refused", line);
		if (!refusal.set)
			refusal = e;
	}

	reqs = cJSON_AddArrayToObject(x, "requests");
	body = e2b_create_body(p, &k->eg, "<run-id>", k->ttl, true);
	r = request(reqs, "POST", api, "/v2/sandboxes",
		    "create the sandbox (POST /sandboxes with \"secure\": true when the API has no /v2)");
	headers(r, false, NULL);
	cJSON_AddItemToObject(r, "body", body);
	headers(request(reqs, "GET", api, "/sandboxes/<sandboxID>",
			"confirm that E2B holds the egress rules (refuse to run open)"), false, NULL);
	r = request(reqs, "POST", envd, "/files?username=root",
		    "root's files (contents not shown): the allowlist, auth.json");
	headers(r, true, NULL);
	a = cJSON_AddArrayToObject(r, "files");
	cJSON_AddItemToArray(a, cJSON_CreateString(E2B_REMOTE_ALLOWED));
	if (p->auth_file)
		cJSON_AddItemToArray(a, cJSON_CreateString(E2B_REMOTE_CODEX_HOME "/auth.json (hidden)"));
	{
		const char *rargv[] = { "/bin/sh", "-c", "(root setup: project dir for the user, "
					"/codex_home root 1777, auth.json root 0444)", NULL };
		struct e2b_proc rp = { .user = "root", .argv = rargv, .cwd = "/" };

		start_req(reqs, envd, "prepare the layout as root", &rp, k->keepalive);
	}
	r = request(reqs, "POST", envd, "/files?username=user",
		    "the project and the Codex home (multipart, in batches of up to 256 files / 32 MiB)");
	headers(r, true, NULL);
	cJSON_AddNumberToObject(r, "files", (double)scan.files.n);
	if (p->run_hook) {
		if (e2b_wrapper_argv(&argv, "hook", p->sandbox_work_dir, "<run-id>", NULL) == 0) {
			proc.argv = (const char *const *)argv.v;
			proc.tag = E2B_HOOK_TAG;
			start_req(reqs, envd, "the init hook, as the sandbox user", &proc, k->keepalive);
		}
		strv_free(&argv);
	}
	if (e2b_wrapper_argv(&argv, "cmd", p->sandbox_work_dir, "<run-id>", &p->command_argv) == 0) {
		proc.argv = (const char *const *)argv.v;
		proc.tag = E2B_PROC_TAG;
		proc.pty = p->tty;
		proc.rows = 24;
		proc.cols = 80;
		proc.stdin_open = p->attach_stdin;
		start_req(reqs, envd, p->tty ? "the command on a PTY of the terminal's size (no "
			  "Connect-Timeout-Ms)" : "the command with pipes", &proc, k->keepalive);
	}
	strv_free(&argv);
	r = request(reqs, "POST", envd, "/process.Process/SendInput",
		    "typed input, coalesced, at most one call in flight; Update on resize");
	headers(r, true, NULL);
	r = request(reqs, "POST", api, "/sandboxes/<sandboxID>/timeout",
		    "keep the sandbox alive while attached (every third of the timeout)");
	headers(r, false, NULL);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(r, "body"), "timeout", k->ttl);
	headers(request(reqs, "POST", envd, "/process.Process/Start",
			"list the sandbox's files with sha256 (find, sha256sum)"), true, E2B_USER);
	headers(request(reqs, "GET", envd, "/files?path=<changed file>&username=user",
			"bring each changed or new file back"), true, NULL);
	headers(request(reqs, "DELETE", api, "/sandboxes/<sandboxID>",
			p->keep ? "not sent: --keep leaves the sandbox running"
				: "kill the sandbox at the end (also on SIGINT/SIGTERM/SIGHUP)"), false, NULL);

	out = cJSON_Print(root);
	rc = out && printf("%s\n", out) >= 0 ? 0 : -1;
	free(out);
	free(envd);
	cJSON_Delete(root);
	sync_scan_free(&scan);
	strv_free(&excludes);
	if (refusal.set) {
		*err = refusal;
		return -1;
	}
	return rc;
}
