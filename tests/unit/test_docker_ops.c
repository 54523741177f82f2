/* The local backend's dry run is its step table described: the operations
 * in the order the run walks them, each request built by the run's own
 * builders (the bodies compared with ctr_sandbox_body / pod_create_body fed
 * the same placeholders), secrets hidden, nothing done.  That the run sends
 * exactly these requests in this order is checked against the engine
 * stand-in by tests/integration/15-engine-version.sh. */
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "runner/core/rundir.h"
#include "runner/docker/container.h"
#include "runner/docker/engine_user.h"
#include "runner/docker/pod.h"
#include "runner/docker/steps.h"

static const char *const want_ops[] = {
	"consent", "engine", "engine-user", "sweep", "image", "prepare-files", "auth",
	"firewall-create", "firewall-attach", "sandbox-create", "firewall-start",
	"sandbox-attach", "sandbox-start", "session", "wait",
	"remove-sandbox", "firewall-summary", "remove-firewall", "auth-writeback",
	"remove-auth-placeholder", "remove-run-dir",
};

/* METHOD PATH of every operation that sends a request, one a line. */
static const char *const want_requests =
	"GET /version\n"
	"GET /info\n"
	"GET /containers/json?all=1&filters=%7B%22label%22%3A%5B%22org.codex-sandbox.managed%3D1%22%5D%7D\n"
	"GET /images/codex-sandbox/json\n"
	"POST /containers/create?name=codex_w-<run-id>-fw\n"
	"POST /containers/<owner-id>/attach?stream=1&stdin=0&stdout=1&stderr=1\n"
	"POST /containers/create?name=codex_w-<run-id>\n"
	"POST /containers/<owner-id>/start\n"
	"POST /containers/<sandbox-id>/attach?stream=1&stdin=1&stdout=1&stderr=1"
	"&detachKeys=ctrl-%5D,ctrl-%5E,ctrl-%5D,ctrl-%5E\n"
	"POST /containers/<sandbox-id>/start\n"
	"POST /containers/<sandbox-id>/wait?condition=not-running\n"
	"DELETE /containers/<sandbox-id>?force=1&v=1\n"
	"POST /containers/<owner-id>/kill?signal=SIGTERM\n"
	"DELETE /containers/<owner-id>?force=1&v=1\n";

static cJSON *find_op(cJSON *ops, const char *name)
{
	cJSON *o;

	cJSON_ArrayForEach(o, ops) {
		cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "op");

		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return o;
	}
	return NULL;
}

static const char *str(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool same(cJSON *a, cJSON *b, const char *k)
{
	return cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a, k),
			     cJSON_GetObjectItemCaseSensitive(b, k), true);
}

int main(void)
{
	plan(24);
	struct sandbox_plan p;
	struct plan_mount mounts[3] = {
		{ .source = "/w", .target = "/app/w", .why = "project" },
		{ .source = "/w/.codex/.environment", .target = "/codex_home", .why = "home" },
		{ .source = "/h/.codex/auth.json", .target = "/codex_home/auth.json", .read_only = true,
		  .why = "auth" },
	};
	char *cmdv[] = { "codex", "exec", NULL };
	char *envv[] = { "HOME=/home/codex", "OPENAI_API_KEY=sk-unit-secret", NULL };
	char *secret[] = { "OPENAI_API_KEY", NULL };
	struct runner_identity id = { .run_id = "<run-id>", .boot_id = "<boot-id>", .pidns = "<pidns>" };
	struct cs_err err = { 0 };
	cJSON *ops, *o, *body, *want, *hc;
	char *text, requests[4096] = "";
	size_t i = 0, len = 0;

	memset(&p, 0, sizeof p);
	p.command = CMD_EXEC;
	p.image = "codex-sandbox";
	p.image_is_default = true;
	p.uid = 1000;
	p.gid = 1001;
	p.work_dir = "/w";
	p.sandbox_work_dir = "/app/w";
	p.attach_stdin = true;
	p.mounts = mounts;
	p.n_mounts = 3;
	p.command_argv = (struct strv){ cmdv, 2 };
	p.env = (struct strv){ envv, 2 };
	p.env_secret = (struct strv){ secret, 1 };
	p.auth_file = "/h/.codex/auth.json";
	p.auth_writeback = true;
	p.name_base = "codex_w";
	p.dns_min_ttl = -1;
	allowlist_init(&p.allow);
	allowlist_add_defaults(&p.allow);

	ops = steps_describe(&p, &err);
	ok(ops != NULL, "the steps describe themselves without an engine (%s)", err.msg);
	if (!ops)
		return tap_done();

	/* The order the run walks: steps, then the teardown. */
	cJSON_ArrayForEach(o, ops) {
		if (i < sizeof want_ops / sizeof want_ops[0] && strcmp(str(o, "op"), want_ops[i]) != 0)
			break;
		i++;
	}
	is_int((int)i, (int)(sizeof want_ops / sizeof want_ops[0]), "every step and teardown step, in the run's order");
	ok(!cJSON_GetObjectItem(find_op(ops, "wait"), "cleanup") &&
	   cJSON_IsTrue(cJSON_GetObjectItem(find_op(ops, "remove-sandbox"), "cleanup")),
	   "the teardown is marked as such");
	cJSON_ArrayForEach(o, ops) {
		if (str(o, "method"))
			len += (size_t)snprintf(requests + len, sizeof requests - len, "%s %s\n",
						str(o, "method"), str(o, "path"));
	}
	is_str(requests, want_requests, "the requests: methods and paths, ids as placeholders");

	/* The sandbox's body: ctr_sandbox_body with the run dir, the owner and
	 * the ids as placeholders, the writeback copy mounted writable. */
	o = find_op(ops, "sandbox-create");
	body = cJSON_GetObjectItemCaseSensitive(o, "body");
	{
		struct rundir rd = { .dir = "<run-dir>" };
		char pw[64], gr[64], st[64], al[64], rs[64], au[64];
		struct sandbox_ids ids = { .uid = 1000, .gid = 1001 };
		struct ctr_paths cp = { .passwd = pw, .group = gr, .status_dir = st, .etc_dir = al,
					.resolv_conf = rs, .auth_override = au, .auth_override_rw = true,
					.ids = &ids };

		rundir_path(&rd, "passwd", pw, sizeof pw);
		rundir_path(&rd, "group", gr, sizeof gr);
		rundir_path(&rd, "status", st, sizeof st);
		rundir_path(&rd, RUNDIR_ETC, al, sizeof al);
		rundir_path(&rd, "resolv.conf", rs, sizeof rs);
		rundir_path(&rd, "auth.json", au, sizeof au);
		want = ctr_sandbox_body(&p, &id, &cp, "container:<owner-id>");
	}
	hc = cJSON_GetObjectItemCaseSensitive(body, "HostConfig");
	ok(same(body, want, "HostConfig"), "HostConfig is ctr_sandbox_body's (mounts, caps, network)");
	ok(same(body, want, "Entrypoint") && same(body, want, "Cmd") && same(body, want, "User") &&
	   same(body, want, "WorkingDir") && same(body, want, "Image"),
	   "Entrypoint, Cmd, User, WorkingDir, Image are ctr_sandbox_body's");
	is_str(str(hc, "NetworkMode"), "container:<owner-id>", "joins the owner's namespace (placeholder)");
	text = cJSON_PrintUnformatted(body);
	ok(text && strstr(text, "\"Source\":\"<run-dir>/passwd\""), "run dir files as <run-dir>/...");
	ok(text && strstr(text, "\"Source\":\"<run-dir>/auth.json\",\"Target\":\"/codex_home/auth.json\","
			  "\"ReadOnly\":false"), "--auth-writeback: the private copy, writable");
	ok(text && strstr(text, "OPENAI_API_KEY=(hidden)"), "a secret's name is shown...");
	ok(text && strstr(text, "CODEX_SANDBOX_MOUNT_PINS=<"), "the mount pins the run adds, as a placeholder");
	is_str(str(cJSON_GetObjectItem(body, "Labels"), LABEL_PREFIX "runner-pid"), "<runner-pid>",
	       "the runner's identity labels are placeholders");
	free(text);
	cJSON_Delete(want);

	/* The owner's body: pod_create_body's. */
	o = find_op(ops, "firewall-create");
	want = pod_create_body(&p, &id, &err);
	body = cJSON_GetObjectItemCaseSensitive(o, "body");
	ok(want && same(body, want, "HostConfig") && same(body, want, "Cmd") && same(body, want, "User"),
	   "the owner's HostConfig, Cmd, User are pod_create_body's");
	ok(str(body, "Image") && strcmp(str(body, "Image"), "codex-sandbox") == 0 &&
	   cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "HostConfig"), "ReadonlyRootfs")),
	   "the owner: the plan's image, read-only root (ctr_base_body)");
	cJSON_Delete(want);

	/* What is not a request says what it does. */
	o = find_op(ops, "auth");
	is_str(str(o, "private_copy"), "<run-dir>/auth.json", "auth: the private copy in the run dir");
	o = find_op(ops, "sweep");
	ok(cJSON_GetArraySize(cJSON_GetObjectItem(o, "also")) == 1, "sweep: the removal of orphans, when there are some");
	o = find_op(ops, "image");
	ok(cJSON_GetArraySize(cJSON_GetObjectItem(o, "also")) == 1, "the default image: built when missing or stale");
	ok(str(find_op(ops, "engine-user"), "assumes") != NULL, "what is assumed without the engine is said");
	o = find_op(ops, "remove-sandbox");
	is_str(str(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "also"), 0), "path"),
	       "/containers/<sandbox-id>/stop?t=3", "remove: stopped first after a failure");
	text = cJSON_PrintUnformatted(ops);
	ok(text && !strstr(text, "sk-unit-secret"), "... and its value nowhere");
	free(text);
	cJSON_Delete(ops);

	/* Without auth.json, no auth steps; a chosen image is not built. */
	p.auth_file = NULL;
	p.auth_writeback = false;
	p.image_is_default = false;
	p.tty = true;
	ops = steps_describe(&p, &err);
	ok(ops && !find_op(ops, "auth") && !find_op(ops, "auth-writeback") &&
	   !find_op(ops, "remove-auth-placeholder"), "no auth.json: no auth steps");
	ok(ops && !cJSON_GetObjectItem(find_op(ops, "image"), "also") &&
	   str(find_op(ops, "image"), "when_missing"), "a chosen image: refused when missing, never built");
	ok(ops && cJSON_GetArraySize(cJSON_GetObjectItem(find_op(ops, "sandbox-start"), "also")) == 1,
	   "a terminal: the resize after start on old engines");
	ok(ops && strstr(str(find_op(ops, "sandbox-attach"), "path"), "stdin=1"), "stdin attached");
	cJSON_Delete(ops);
	allowlist_free(&p.allow);
	return tap_done();
}
