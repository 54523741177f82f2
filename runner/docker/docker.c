/* The local backend: the plan executed against the Docker Engine API.
 *
 * Order (docker run's, docs/DOCKER-NFT-NOTES.md 1.4): create -> attach
 * (hijacked, before start, so no output is lost) -> start -> resize -> pump
 * -> wait -> report -> remove.  Everything created is removed on every exit
 * path; a runner killed with SIGKILL leaves labelled containers that the
 * next run sweeps (sweep.c). */
#include "runner/docker/docker.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner/docker/build.h"
#include "runner/docker/container.h"
#include "runner/docker/engine_user.h"
#include "runner/docker/hijack.h"
#include "runner/docker/mounts.h"
#include "runner/docker/pod.h"
#include "runner/core/prepare.h"
#include "runner/core/rundir.h"
#include "runner/docker/session.h"
#include "runner/core/sig.h"
#include "runner/docker/sweep.h"
#include "runner/core/tty.h"
#include "common/util.h"
#include "runner/core/writeback.h"

struct run_ctx {
	struct docker d;
	struct runner_identity id;
	struct rundir rd;
	struct pod pod;
	struct writeback wb;
	struct sandbox_ids ids;       /* who the sandbox is inside (engine_user.h) */
	bool console_sized;           /* ConsoleSize sent: no resize race to wait out */
	char sandbox_id[80];
	char sandbox_name[160];
	char auth_copy[PATH_MAX + 32];/* private read-only copy (auth_private_copy) */
};

static int drain_firewall(void *vctx)
{
	struct run_ctx *c = vctx;

	return pod_drain(&c->pod);
}

static void resize(void *vctx)
{
	struct run_ctx *c = vctx;
	unsigned short rows, cols;
	char path[200];
	struct cs_err e = { 0 };

	if (tty_size(&rows, &cols) < 0)
		return;
	snprintf(path, sizeof path, "/containers/%s/resize?h=%u&w=%u", c->sandbox_id, rows, cols);
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
	snprintf(path, sizeof path, "/containers/%s/resize?h=%u&w=%u", c->sandbox_id, rows, cols);
	for (int i = 0; i < 10; i++) {
		struct cs_err e = { 0 };
		long st = docker_call(&c->d, "POST", path, NULL, NULL, &e);

		if (st == 200 || st < 0)
			return;
		nanosleep(&ts, NULL);
		ts.tv_nsec *= 2;
	}
}

/* Stop (SIGTERM, then SIGKILL after the grace) and remove a container of
 * ours.  Never aborted by a pending signal: this is the cleanup. */
void docker_remove_container(struct docker *d, const char *id, bool stop_first)
{
	char path[200];
	struct cs_err e = { 0 };

	enum sig_abort saved_abort = sig_swap_abort(SIG_ABORT_NEVER);

	if (stop_first) {
		snprintf(path, sizeof path, "/containers/%s/stop?t=3", id);
		docker_call(d, "POST", path, NULL, NULL, &e);
	}
	snprintf(path, sizeof path, "/containers/%s?force=1&v=1", id);
	docker_call(d, "DELETE", path, NULL, NULL, &e);
	sig_swap_abort(saved_abort);
}

static int create_sandbox(struct run_ctx *c, const struct sandbox_plan *p, struct cs_err *err)
{
	char passwd[PATH_MAX + 32], group[PATH_MAX + 32], status[PATH_MAX + 32];
	char allowed[PATH_MAX + 32], resolv[PATH_MAX + 32], path[300], netmode[128];
	struct ctr_paths cp = { .passwd = passwd, .group = group, .status_dir = status };
	cJSON *body, *resp = NULL, *id;
	long st;

	rundir_path(&c->rd, "passwd", passwd, sizeof passwd);
	rundir_path(&c->rd, "group", group, sizeof group);
	rundir_path(&c->rd, "status", status, sizeof status);
	rundir_path(&c->rd, "allowed_domains.txt", allowed, sizeof allowed);
	rundir_path(&c->rd, "resolv.conf", resolv, sizeof resolv);
	cp.allowed_domains = allowed;
	cp.resolv_conf = resolv;
	cp.ids = &c->ids;
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
	body = ctr_sandbox_body(p, &c->id, &cp, netmode);
	/* The check right before the engine mounts; PID 1 verifies after. */
	if (mounts_pin(body, c->rd.dir, err) < 0) {
		cJSON_Delete(body);
		return -1;
	}
	snprintf(c->sandbox_name, sizeof c->sandbox_name, "%s-%.8s", p->name_base, c->id.run_id);
	snprintf(path, sizeof path, "/containers/create?name=%s", c->sandbox_name);
	st = docker_call_json(&c->d, "POST", path, body, &resp, err);
	cJSON_Delete(body);
	if (st != 201) {
		cJSON_Delete(resp);
		if (st >= 400)
			cs_hint(err, "check the paths in the plan (codex-sandbox --dry-run)");
		return -1;
	}
	id = cJSON_GetObjectItemCaseSensitive(resp, "Id");
	if (!cJSON_IsString(id) || strlen(id->valuestring) >= sizeof c->sandbox_id) {
		cJSON_Delete(resp);
		return cs_fail(err, EPROTO, "container create: no Id in the engine's answer");
	}
	snprintf(c->sandbox_id, sizeof c->sandbox_id, "%s", id->valuestring);
	cJSON_Delete(resp);
	return 0;
}

static int wait_exit(struct run_ctx *c, int *code, struct cs_err *err)
{
	char path[200];
	cJSON *resp = NULL, *sc;
	long st;

	snprintf(path, sizeof path, "/containers/%s/wait?condition=not-running", c->sandbox_id);
	st = docker_call_json(&c->d, "POST", path, NULL, &resp, err);
	if (st != 200) {
		cJSON_Delete(resp);
		return -1;
	}
	sc = cJSON_GetObjectItemCaseSensitive(resp, "StatusCode");
	*code = cJSON_IsNumber(sc) ? sc->valueint : CS_EXIT_FAIL;
	cJSON_Delete(resp);
	return 0;
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

int docker_backend_run(const struct sandbox_plan *p, struct cs_err *err)
{
	struct run_ctx c;
	struct session s;
	struct buf early;
	char path[300];
	int sock = -1, code = CS_EXIT_FAIL, rc = -1, sig = 0;
	bool started = false, placeholder_existed = true;

	memset(&c, 0, sizeof c);
	buf_init(&early, 1u << 20);
	if (prepare_consent(p, err) < 0)
		return -1;
	if (runner_identity_init(&c.id) < 0)
		return cs_fail(err, errno, "getrandom");
	if (docker_open(&c.d, err) < 0)
		return -1;
	{
		struct engine_facts f;

		if (engine_facts_read(&c.d, &f, err) < 0 ||
		    engine_user_decide(&f, p->uid, p->gid, p->user_from ? p->user_from : "the plan",
				       p->upstream_docker_dns, &c.ids, err) < 0) {
			docker_close(&c.d);
			return -1;
		}
	}
	sweep_orphans(&c.d, &c.id);
	rundir_sweep(&c.id);
	if (image_ensure(&c.d, p->image, p->image_is_default, err) < 0)
		goto out;
	if (prepare_files(p, err) < 0 || rundir_create(&c.rd, &c.id, p, err) < 0)
		goto out;
	if (p->auth_file) {
		placeholder_existed = prepare_auth_placeholder_exists(p);
		if (p->auth_writeback) {
			if (writeback_begin(&c.wb, p->auth_file, &c.rd, p->uid, p->gid, err) < 0)
				goto out;
		} else if (p->auth_private_copy) {
			rundir_path(&c.rd, "auth.json", c.auth_copy, sizeof c.auth_copy);
			if (rundir_copy_private(p->auth_file, c.auth_copy, p->uid, p->gid, err) < 0)
				goto out;
		}
	}
	if (sig_terminating())
		goto interrupted;
	if (pod_start(&c.pod, &c.d, p, &c.id, &c.rd, err) < 0)
		goto out;
	if (sig_terminating())
		goto interrupted;
	if (create_sandbox(&c, p, err) < 0)
		goto out;

	snprintf(path, sizeof path, "/containers/%s/attach?stream=1&stdin=%d&stdout=1&stderr=1"
		 "&detachKeys=ctrl-%%5D,ctrl-%%5E,ctrl-%%5D,ctrl-%%5E",
		 c.sandbox_id, p->attach_stdin ? 1 : 0);
	sock = docker_hijack(&c.d, path, NULL, &early, err);
	if (sock < 0)
		goto out;
	session_init(&s, sock, p->tty, p->attach_stdin);
	s.on_resize = resize;
	s.ctx = &c;
	s.extra_fd = c.pod.sock;
	s.on_extra = drain_firewall;
	if (p->tty && tty_raw(err) < 0)
		goto out;
	if (sig_terminating())
		goto interrupted;
	snprintf(path, sizeof path, "/containers/%s/start", c.sandbox_id);
	if (docker_call_json(&c.d, "POST", path, NULL, NULL, err) >= 300 || err->set) {
		tty_restore();
		cs_wrap(err, "starting the sandbox");
		goto out;
	}
	started = true;
	if (p->tty && !c.console_sized)
		initial_resize(&c);
	if (early.len)
		session_feed(&s, early.data, early.len);
	sig = session_pump(&s, err);
	if (sig < 0) {
		tty_restore();
		goto out;
	}
	if (sig == SESSION_EXTRA_GONE) {
		tty_restore();
		cs_fail(err, 0, "the sandbox's firewall stopped unexpectedly; the sandbox was stopped "
			"(fail closed)");
		cs_hint(err, "see 'codex-sandbox doctor'; the engine's logs may say why");
		goto out;
	}
	if (sig > 0)
		goto interrupted;
	if (wait_exit(&c, &code, err) < 0) {
		tty_restore();
		if (sig_terminating())
			goto interrupted;
		goto out;
	}
	tty_restore();
	rc = report_status(&c, p, code, err);
	goto out;

interrupted:
	sig = sig_terminating();
	tty_restore();
	cs_err_clear(err);
	cs_fail_status(err, 128 + sig, 0, "interrupted by signal %d; the sandbox was stopped and removed", sig);
	rc = -1;
out:
	if (sock >= 0)
		close(sock);
	buf_free(&early);
	if (c.sandbox_id[0])
		docker_remove_container(&c.d, c.sandbox_id, started && rc < 0);
	pod_stop(&c.pod, &c.d, p);
	if (c.wb.active) {
		struct cs_err e2 = { 0 };

		if (writeback_finish(&c.wb, &e2) < 0 && !err->set)
			*err = e2, rc = -1;
		else if (e2.set)
			cs_err_print(&e2, "codex-sandbox");
	}
	if (!placeholder_existed)
		prepare_remove_auth_placeholder(p);
	rundir_remove(&c.rd);
	docker_close(&c.d);
	return rc;
}
