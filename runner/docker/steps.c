/* The local backend's work as one table of steps (runner/core/ops.h).  The
 * run walks it calling run(); --dry-run walks the same table calling
 * describe(), which prints the request each step sends, its path and body
 * built by the same builders from the same context, a context of
 * placeholders there ("<owner-id>", "<sandbox-id>", "<run-dir>/...").
 *
 * Order (docker run's, docs/DOCKER-NFT-NOTES.md 1.4): create -> attach
 * (hijacked, before start, so no output is lost) -> start -> resize -> pump
 * -> wait -> report -> remove.  The teardown table (teardown.c) is walked
 * once after the steps whatever happened, so everything created is removed
 * on every exit path; a runner killed with SIGKILL leaves labelled containers that the
 * next run sweeps (sweep.c). */
#include "runner/docker/steps.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "runner/core/ops.h"
#include "runner/core/prepare.h"
#include "runner/core/rundir.h"
#include "runner/core/sig.h"
#include "runner/core/tty.h"
#include "runner/core/writeback.h"
#include "runner/docker/build.h"
#include "runner/docker/container.h"
#include "runner/docker/ctr_ops.h"
#include "runner/docker/describe.h"
#include "runner/docker/docker_bg.h"
#include "runner/docker/engine_user.h"
#include "runner/docker/hijack.h"
#include "runner/docker/mounts.h"
#include "runner/docker/pod.h"
#include "runner/docker/session.h"
#include "runner/docker/run_ctx.h"
#include "runner/docker/sweep.h"
#include "runner/docker/teardown.h"

/* A terminating signal between steps: stop, the run reports it. */
static int check_signal(struct run_ctx *c, struct cs_err *err)
{
	if (!sig_terminating())
		return 0;
	c->interrupted = true;
	return cs_fail(err, EINTR, "interrupted");
}

static int drain_firewall(void *vctx)
{
	struct run_ctx *c = vctx;

	return pod_drain(&c->pod);
}

static void resize_path(const struct run_ctx *c, unsigned rows, unsigned cols, char *out,
			size_t outsz)
{
	char tail[64];

	snprintf(tail, sizeof tail, "/resize?h=%u&w=%u", rows, cols);
	ctr_path(out, outsz, c->sandbox_id, tail);
}

static void resize(void *vctx)
{
	struct run_ctx *c = vctx;
	unsigned short rows, cols;
	char path[200];
	struct cs_err e = { 0 };

	if (tty_size(&rows, &cols) < 0)
		return;
	resize_path(c, rows, cols, path, sizeof path);
	docker_call(&c->d, "POST", path, NULL, NULL, &e);
}

/* Right after start, on engines before API 1.42 (no ConsoleSize): the
 * engine may answer 409 until the process runs; the init waits for it. */
static void initial_resize(struct run_ctx *c)
{
	unsigned short rows, cols;
	char path[200];
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	if (tty_size(&rows, &cols) < 0)
		return;
	resize_path(c, rows, cols, path, sizeof path);
	for (int i = 0; i < 10; i++) {
		struct cs_err e = { 0 };
		long st = docker_call(&c->d, "POST", path, NULL, NULL, &e);

		if (st == 200 || st < 0)
			return;
		nanosleep(&ts, NULL);
		ts.tv_nsec *= 2;
	}
}

/* The sandbox's create body, for the run and the dry run alike (there C's
 * run dir, owner and ids are placeholders). */
static cJSON *sandbox_body(struct run_ctx *c, const struct sandbox_plan *p)
{
	char passwd[PATH_MAX + 32], group[PATH_MAX + 32], status[PATH_MAX + 32];
	char etc[PATH_MAX + 32], resolv[PATH_MAX + 32], netmode[128];
	struct ctr_paths cp = { .passwd = passwd, .group = group, .status_dir = status,
				.etc_dir = etc, .resolv_conf = resolv, .ids = &c->ids };

	rundir_path(&c->rd, "passwd", passwd, sizeof passwd);
	rundir_path(&c->rd, "group", group, sizeof group);
	rundir_path(&c->rd, "status", status, sizeof status);
	rundir_path(&c->rd, RUNDIR_ETC, etc, sizeof etc);
	rundir_path(&c->rd, "resolv.conf", resolv, sizeof resolv);
	if (p->tty && apiv_at_least(c->d.api, APIV_CONSOLE_SIZE)) {
		unsigned short rows, cols;

		if (tty_size(&rows, &cols) == 0 && rows && cols) {
			cp.console_rows = rows;
			cp.console_cols = cols;
			c->console_sized = true;
		}
	}
	if (c->wb.active) {
		cp.auth_override = c->wb.private_copy;
		cp.auth_override_rw = true;
	} else if (c->auth_copy[0]) {
		cp.auth_override = c->auth_copy;
	}
	snprintf(netmode, sizeof netmode, "container:%s", c->pod.owner_id);
	return ctr_sandbox_body(p, &c->id, &cp, netmode);
}

static void sandbox_name(const struct run_ctx *c, const struct sandbox_plan *p, char *out,
			 size_t outsz)
{
	snprintf(out, outsz, "%s-%.8s", p->name_base, c->id.run_id);
}

/* The init reports failures before exec through the status file. */
static int report_status(struct run_ctx *c, const struct sandbox_plan *p, int code,
			 struct cs_err *err)
{
	char stage[32] = "", msg[1100] = "";
	int status = code, errnum = 0;

	if (!rundir_read_status(&c->rd, &status, stage, sizeof stage, msg, sizeof msg, &errnum))
		return code;
	if (strcmp(stage, "hook") == 0) {
		cs_fail_status(err, code, errnum, "%s; %s was not started", msg,
			       p->command == CMD_RUN ? "Codex" : "the command");
		cs_hint(err, "the hook's output is above; fix %s (or remove it)", p->hook_host_path);
		return -1;
	}
	cs_fail_status(err, code, errnum, "%s", msg);
	if (strcmp(stage, "exec") == 0)
		cs_hint(err, "check the command name; the sandbox image's PATH is searched");
	return -1;
}

/* ---- the steps ---------------------------------------------------------- */

static int consent_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	(void)ctx;
	return prepare_consent(p, err);
}

static int engine_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	if (runner_identity_init(&c->id) < 0)
		return cs_fail(err, errno, "getrandom");
	if (p->run_id[0])       /* the plan's: Codex's instructions name it */
		snprintf(c->id.run_id, sizeof c->id.run_id, "%s", p->run_id);
	return docker_open(&c->d, err);
}

static int engine_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			   struct cs_err *err)
{
	(void)p; (void)ctx; (void)err;
	describe_request(out, "GET", "/version");
	cJSON_AddStringToObject(out, "note", "unversioned; every later path gets the negotiated "
				"/vX.Y prefix (DOCKER_API_VERSION pins it)");
	return 0;
}

static int user_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	struct engine_facts f;

	if (engine_facts_read(&c->d, &f, err) < 0)
		return -1;
	return engine_user_decide(&f, p->uid, p->gid, p->user_from ? p->user_from : "the plan",
				  p->upstream_docker_dns, &c->ids, err);
}

static int user_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	(void)p; (void)ctx; (void)err;
	describe_request(out, "GET", "/info");
	cJSON_AddStringToObject(out, "decides", "who the sandbox is inside: the plan's uid:gid on a "
				"rootful engine, 0:0 on the rootless engine of that uid; refused otherwise");
	cJSON_AddStringToObject(out, "assumes", "a rootful engine: the bodies below carry the "
				"plan's uid:gid");
	return 0;
}

static int sweep_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	(void)p; (void)err;
	sweep_orphans(&c->d, &c->id);
	rundir_sweep(&c->id);
	return 0;
}

static int sweep_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	char path[200];

	(void)p; (void)ctx; (void)err;
	describe_request(out, "GET", SWEEP_LIST_PATH);
	ctr_path(path, sizeof path, "<orphan-id>", CTR_REMOVE);
	describe_also(out, "DELETE", path, "for each container of ours whose runner is gone "
		      "(its run dir is removed too)");
	return 0;
}

static int image_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	return image_ensure(&c->d, p->image, p->image_is_default, err);
}

static int image_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	char path[600];

	(void)ctx;
	if (image_inspect_path(p->image, path, sizeof path) < 0)
		return cs_fail(err, ENAMETOOLONG, "image name '%s'", p->image);
	describe_request(out, "GET", path);
	if (p->image_is_default)
		describe_also(out, "POST", "/build?t=...", "when the image is missing or was built "
			      "from other contents (codex-sandbox build)");
	else
		cJSON_AddStringToObject(out, "when_missing", "refused: a chosen image must exist");
	return 0;
}

static int files_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	if (prepare_files(p, err) < 0)
		return -1;
	return rundir_create(&c->rd, &c->id, p, err);
}

static int files_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	static const char *const names[] = { "RUNNER", "passwd", "group", RUNDIR_ALLOWED,
					     RUNDIR_BLOCKED, "resolv.conf", "status/" };
	struct run_ctx *c = ctx;
	cJSON *a = cJSON_AddArrayToObject(out, "run_dir_files");

	(void)p; (void)err;
	cJSON_AddStringToObject(out, "run_dir", "<run-dir>: $XDG_RUNTIME_DIR/codex-sandbox/<run-id> "
				"or /tmp/codex-sandbox-UID/<run-id>, mode 0700");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char path[PATH_MAX + 32];

		rundir_path(&c->rd, names[i], path, sizeof path);
		cJSON_AddItemToArray(a, cJSON_CreateString(path));
	}
	return 0;
}

static bool has_auth(const struct sandbox_plan *p)
{
	return p->auth_file != NULL;
}

static int auth_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	c->placeholder_existed = prepare_auth_placeholder_exists(p);
	if (p->auth_writeback)
		return writeback_begin(&c->wb, p->auth_file, &c->rd, p->uid, p->gid, err);
	if (p->auth_private_copy) {
		rundir_path(&c->rd, "auth.json", c->auth_copy, sizeof c->auth_copy);
		return rundir_copy_private(p->auth_file, c->auth_copy, p->uid, p->gid, err);
	}
	return 0;
}

static int auth_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	(void)err;
	if (p->auth_writeback) {
		cJSON_AddStringToObject(out, "private_copy", c->wb.private_copy);
		cJSON_AddStringToObject(out, "writeback", "locked for the run; a changed copy is "
					"written back at the end");
	} else if (p->auth_private_copy) {
		cJSON_AddStringToObject(out, "private_copy", c->auth_copy);
	} else {
		cJSON_AddStringToObject(out, "mounted", p->auth_file);
	}
	return 0;
}

static int fw_create_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	char log[PATH_MAX + 32];

	if (check_signal(c, err) < 0)
		return -1;
	rundir_path(&c->rd, RUNDIR_BLOCKED, log, sizeof log);
	if (pod_open_blocked_log(&c->pod, log, c->id.run_id, err) < 0)
		return -1;
	return pod_create(&c->pod, &c->d, p, &c->id, err);
}

static int fw_create_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			      struct cs_err *err)
{
	struct run_ctx *c = ctx;
	cJSON *body = pod_create_body(p, &c->id, err);
	char name[160], path[300];

	if (!body)
		return -1;
	pod_owner_name(p, &c->id, name, sizeof name);
	ctr_create_path(path, sizeof path, name);
	describe_request(out, "POST", path);
	describe_body(out, body, p);
	return 0;
}

static int fw_attach_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	(void)p;
	return pod_attach(&c->pod, &c->d, err);
}

static int fw_attach_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			      struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char tail[128], path[300];

	(void)p; (void)err;
	ctr_attach_tail(tail, sizeof tail, false, false);
	ctr_path(path, sizeof path, c->pod.owner_id, tail);
	describe_request(out, "POST", path);
	cJSON_AddBoolToObject(out, "hijacked", true);
	return 0;
}

static int fw_start_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	return pod_start(&c->pod, &c->d, p, err);
}

static int fw_start_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			     struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)p; (void)err;
	ctr_path(path, sizeof path, c->pod.owner_id, CTR_START);
	describe_request(out, "POST", path);
	cJSON_AddStringToObject(out, "waits", "for READY on the owner's stdout (at most 20 s); "
				"ERROR, its exit or silence: nothing else starts (fail closed)");
	return 0;
}

/* On the sandbox's own thread (docker_bg.h): it writes only c->sandbox_id,
 * sandbox_name and console_sized, which nothing reads before the join. */
static int sb_create_bg(struct docker *d, void *arg, struct cs_err *err)
{
	struct run_ctx *c = arg;
	cleanup_json cJSON *body = sandbox_body(c, c->plan);
	long st;

	/* The check right before the engine mounts; PID 1 verifies after. */
	if (mounts_pin(body, c->rd.dir, err) < 0)
		return -1;
	sandbox_name(c, c->plan, c->sandbox_name, sizeof c->sandbox_name);
	st = ctr_create(d, c->sandbox_name, body, c->sandbox_id, sizeof c->sandbox_id, err);
	if (st == 201)
		return 0;
	if (st >= 400)
		cs_hint(err, "check the paths in the plan (codex-sandbox --dry-run)");
	return -1;
}

/* Created while the owner starts (firewall-start): nothing in the body
 * waits for READY, and creating starts nothing.  Joined by sandbox-attach,
 * or by the teardown when a step between failed. */
static int sb_create_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	if (check_signal(c, err) < 0)
		return -1;
	c->plan = p;
	/* never aborted half way: a signal now must not leave a container the
	 * engine created but whose id never reached us (the teardown joins,
	 * then removes it) */
	if (docker_bg_start(&c->sb_create, &c->d, sb_create_bg, c, true, err) == 0)
		return 0;
	cs_err_clear(err);
	return sb_create_bg(&c->d, c, err);      /* no thread: in turn */
}

static int sb_create_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			      struct cs_err *err)
{
	struct run_ctx *c = ctx;
	cJSON *body = sandbox_body(c, p);
	char name[160], path[300];

	(void)err;
	describe_pins(body);
	sandbox_name(c, p, name, sizeof name);
	ctr_create_path(path, sizeof path, name);
	describe_request(out, "POST", path);
	describe_body(out, body, p);
	if (p->tty)
		cJSON_AddStringToObject(out, "assumes", "API 1.42 or newer: ConsoleSize carries the "
					"terminal's size (older: a resize after the start)");
	return 0;
}

static void sb_attach_path(const struct run_ctx *c, const struct sandbox_plan *p, char *out,
			   size_t outsz)
{
	char tail[128];

	ctr_attach_tail(tail, sizeof tail, p->attach_stdin, true);
	ctr_path(out, outsz, c->sandbox_id, tail);
}

static int sb_attach_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	if (docker_bg_join(&c->sb_create, err) < 0)
		return -1;

	sb_attach_path(c, p, path, sizeof path);
	c->sock = docker_hijack(&c->d, path, NULL, &c->early, err);
	if (c->sock < 0)
		return -1;
	session_init(&c->s, c->sock, p->tty, p->attach_stdin);
	c->s.on_resize = resize;
	c->s.ctx = c;
	c->s.extra_fd = c->pod.sock;
	c->s.on_extra = drain_firewall;
	return p->tty ? tty_raw(err) : 0;
}

static int sb_attach_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			      struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)err;
	sb_attach_path(c, p, path, sizeof path);
	describe_request(out, "POST", path);
	cJSON_AddBoolToObject(out, "hijacked", true);
	if (p->tty)
		cJSON_AddStringToObject(out, "terminal", "raw mode until the end");
	return 0;
}

static int sb_start_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;

	if (check_signal(c, err) < 0)
		return -1;
	if (ctr_start(&c->d, c->sandbox_id, err) < 0)
		return cs_wrap(err, "starting the sandbox");
	c->started = true;
	if (p->tty && !c->console_sized)
		initial_resize(c);
	if (c->early.len)
		session_feed(&c->s, c->early.data, c->early.len);
	return 0;
}

static int sb_start_describe(const struct sandbox_plan *p, void *ctx, cJSON *out,
			     struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)err;
	ctr_path(path, sizeof path, c->sandbox_id, CTR_START);
	describe_request(out, "POST", path);
	if (p->tty) {
		resize_path(c, 0, 0, path, sizeof path);
		describe_also(out, "POST", path, "right after, with the terminal's size, on API "
			      "before 1.42 (no ConsoleSize)");
	}
	return 0;
}

static int pump_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	int sig = session_pump(&c->s, err);

	(void)p;
	if (sig < 0)
		return -1;
	if (sig == SESSION_EXTRA_GONE) {
		cs_fail(err, 0, "the sandbox's firewall stopped unexpectedly; the sandbox was stopped "
			"(fail closed)");
		return cs_hint(err, "see 'codex-sandbox doctor'; the engine's logs may say why");
	}
	if (sig > 0) {
		c->interrupted = true;
		return -1;
	}
	return 0;
}

static int pump_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)err;
	cJSON_AddStringToObject(out, "streams", p->tty ? "the terminal, raw, both ways" :
				"stdin in; stdout and stderr demultiplexed out");
	if (p->tty) {
		resize_path(c, 0, 0, path, sizeof path);
		describe_also(out, "POST", path, "on every window size change (SIGWINCH)");
	}
	cJSON_AddStringToObject(out, "firewall", "the owner's events are read meanwhile; if it "
				"dies, the sandbox is stopped (fail closed)");
	return 0;
}

static int wait_run(const struct sandbox_plan *p, void *ctx, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	int code = CS_EXIT_FAIL;

	if (ctr_wait(&c->d, c->sandbox_id, &code, err) < 0) {
		if (sig_terminating())
			c->interrupted = true;
		return -1;
	}
	tty_restore();
	c->rc = report_status(c, p, code, err);
	return c->rc < 0 ? -1 : 0;
}

static int wait_describe(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err)
{
	struct run_ctx *c = ctx;
	char path[300];

	(void)p; (void)err;
	ctr_path(path, sizeof path, c->sandbox_id, CTR_WAIT);
	describe_request(out, "POST", path);
	cJSON_AddStringToObject(out, "reports", "the command's exit status, or the init's status "
				"file (<run-dir>/status/status) when it failed before exec");
	return 0;
}

static const struct op steps[] = {
	{ "consent", "ask before writable mounts outside the project (-y accepts)",
	  NULL, NULL, consent_run },
	{ "engine", "the engine's socket and API versions", NULL, engine_describe, engine_run },
	{ "engine-user", "rootful or rootless engine: who the sandbox is inside",
	  NULL, user_describe, user_run },
	{ "sweep", "remove what killed runners left behind", NULL, sweep_describe, sweep_run },
	{ "image", "the image exists (the default one is built when missing or stale)",
	  NULL, image_describe, image_run },
	{ "prepare-files", "the Codex home and the plan's copies; the run dir",
	  NULL, files_describe, files_run },
	{ "auth", "auth.json for the sandbox", has_auth, auth_describe, auth_run },
	{ "firewall-create", "the network owner: codex-firewall with the allowlist",
	  NULL, fw_create_describe, fw_create_run },
	{ "firewall-attach", "its stdout is our channel (READY, EVENT, SUMMARY)",
	  NULL, fw_attach_describe, fw_attach_run },
	{ "sandbox-create", "the sandbox, in the owner's network namespace (created on a second "
	  "connection while the owner starts; nothing runs in it yet)",
	  NULL, sb_create_describe, sb_create_run },
	{ "firewall-start", "start it and wait until the ruleset is loaded",
	  NULL, fw_start_describe, fw_start_run },
	{ "sandbox-attach", "its stdio, attached before start so nothing is lost",
	  NULL, sb_attach_describe, sb_attach_run },
	{ "sandbox-start", "start the command", NULL, sb_start_describe, sb_start_run },
	{ "session", "the session until the command ends", NULL, pump_describe, pump_run },
	{ "wait", "its exit status", NULL, wait_describe, wait_run },
};

int steps_run(const struct sandbox_plan *p, struct cs_err *err)
{
	struct run_ctx c;

	run_ctx_init(&c);
	if (ops_run(steps, ARRAY_SIZE(steps), p, &c, NULL, err) < 0) {
		c.rc = -1;
		if (c.interrupted) {
			int sig = sig_terminating();

			cs_err_clear(err);
			cs_fail_status(err, 128 + sig, 0, "interrupted by signal %d; the sandbox was "
				       "stopped and removed", sig);
		}
	}
	tty_restore();
	ops_run(teardown_ops, teardown_n_ops, p, &c, NULL, err);
	/* the teardown joined both; no thread outlives the run whatever happens */
	docker_bg_join(&c.sb_create, NULL);
	docker_bg_join(&c.sb_remove, NULL);
	docker_close(&c.d);
	return c.rc;
}

cJSON *steps_describe(const struct sandbox_plan *p, struct cs_err *err)
{
	struct run_ctx c;
	cJSON *ops, *after, *o;

	run_ctx_placeholders(&c, p);
	ops = ops_describe(steps, ARRAY_SIZE(steps), p, &c, err);
	after = ops ? ops_describe(teardown_ops, teardown_n_ops, p, &c, err) : NULL;
	if (!after) {
		cJSON_Delete(ops);
		return NULL;
	}
	while ((o = cJSON_DetachItemFromArray(after, 0))) {
		cJSON_AddBoolToObject(o, "cleanup", true);
		cJSON_AddItemToArray(ops, o);
	}
	cJSON_Delete(after);
	return ops;
}
