/* The E2B backend: the plan executed in a remote E2B sandbox.
 *
 * Order: check what E2B can enforce (egress, options) and what would be
 * uploaded (size) before anything exists -> create -> confirm the egress
 * rules E2B holds -> root's files (allowlist, read-only auth.json) and
 * layout -> the user's files -> the init hook -> the command on a PTY (or
 * pipes) -> the sandbox's changes back -> kill.  Once a sandbox exists it
 * is killed on every path, unless the user asked to keep it, or its files
 * could not be brought back (then it is left running and its id printed,
 * so nothing is lost).  A runner killed with SIGKILL leaves a sandbox that
 * E2B removes when its timeout (CODEX_SANDBOX_E2B_TIMEOUT) runs out. */
#include "runner/e2b/e2b.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner/core/ops.h"
#include "runner/e2b/e2b_attach.h"
#include "runner/e2b/e2b_publish_step.h"
#include "runner/e2b/e2b_setup.h"
#include "runner/e2b/e2b_steps.h"
#include "runner/e2b/e2b_session.h"
#include "runner/e2b/e2b_state.h"
#include "runner/core/prepare.h"
#include "runner/core/sig.h"
#include "runner/core/tty.h"
#include "runner/core/writeback.h"
#include "common/env.h"
#include "common/util.h"

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->n_trees; i++) {
		strv_free(&j->trees[i].excludes);
		sync_list_free(&j->trees[i].manifest);
	}
	sync_scan_free(&j->project);
	sync_scan_free(&j->home);
	e2b_publish_stop(&j->pub);
	e2b_sandbox_free(&j->sb);
	e2b_client_free(&j->cl);
}

static int new_run_id(char out[33], struct cs_err *err)
{
	unsigned char r[16];

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return cs_fail(err, errno, "getrandom");
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

static int make_trees(struct job *j, bool project_git, struct cs_err *err)
{
	const struct sandbox_plan *p = j->p;
	const char *sessions = e2b_sessions_path(p);
	struct sync_tree *t = j->trees;

	t[0] = (struct sync_tree){ .name = "project", .root = p->work_dir,
				   .remote = p->sandbox_work_dir, .git = project_git };
	t[1] = (struct sync_tree){ .name = "Codex home", .root = p->codex_home,
				   .remote = E2B_REMOTE_CODEX_HOME };
	j->n_trees = 2;
	if (e2b_project_excludes(p, &t[0].excludes) < 0 || strv_push(&t[1].excludes, "auth.json") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (sessions) {
		if (strv_push(&t[1].excludes, "sessions") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		t[2] = (struct sync_tree){ .name = "sessions", .root = sessions,
					   .remote = E2B_REMOTE_CODEX_HOME "/sessions" };
		j->n_trees = 3;
	}
	return 0;
}

/* --auth-writeback: the lock, and a private copy in a 0700 directory. */
static int writeback_start(struct job *j, struct cs_err *err)
{
	const char *base = cs_getenv("XDG_RUNTIME_DIR");

	if (!j->p->auth_writeback || !j->p->auth_file)
		return 0;
	snprintf(j->wbdir.dir, sizeof j->wbdir.dir, "%s/codex-sandbox-e2b.XXXXXX",
		 base && *base && access(base, W_OK) == 0 ? base : "/tmp");
	if (!mkdtemp(j->wbdir.dir)) {
		j->wbdir.dir[0] = '\0';
		return cs_fail(err, errno, "creating a private directory for --auth-writeback");
	}
	return writeback_begin(&j->wb, j->p->auth_file, &j->wbdir, j->p->uid, j->p->gid, err);
}

/* The sandbox's auth.json back into the private copy, then writeback.c's
 * rules: valid JSON only, never over a host file that changed meanwhile. */
static int writeback_end(struct job *j, bool fetch, struct cs_err *e2)
{
	struct cs_err e = { 0 };
	int rc = 0;

	if (j->wb.active && fetch) {
		int fd = open(j->wb.private_copy, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
		uint64_t got = 0;

		if (fd < 0 || e2b_download(&j->cl, &j->sb, E2B_USER, E2B_REMOTE_CODEX_HOME "/auth.json",
					   fd, AUTH_MAX, &got, NULL, &e) != 1) {
			if (!e.set)
				cs_fail(&e, fd < 0 ? errno : ENOENT, "reading the sandbox's auth.json");
			cs_err_print(&e, "codex-sandbox: warning: --auth-writeback");
			cs_err_clear(&e);
			/* Nothing usable came back: write back nothing. */
			if (fd >= 0 && ftruncate(fd, 0) == 0 && j->wb.orig &&
			    write(fd, j->wb.orig, j->wb.orig_len) != (ssize_t)j->wb.orig_len)
				cs_fail(&e, errno, "restoring the private copy");
		}
		if (fd >= 0)
			close(fd);
	}
	cs_err_clear(&e);
	if (writeback_finish(&j->wb, &e) < 0) {
		/* As locally: a refused write-back fails the run (exit 125). */
		if (!e2->set)
			*e2 = e;
		else
			cs_err_print(&e, "codex-sandbox");
		rc = -1;
	}
	if (j->wbdir.dir[0]) {
		rmdir(j->wbdir.dir);
		j->wbdir.dir[0] = '\0';
	}
	return rc;
}

/* Leave the sandbox running for `attach`: longer timeout, the upload
 * remembered, the id printed. */
static void leave_running(struct job *j, const char *why)
{
	struct cs_err e = { 0 };

	if (e2b_set_timeout(&j->cl, j->sb.id, j->k->keep_ttl, &e) < 0) {
		cs_err_print(&e, "codex-sandbox: warning");
		cs_err_clear(&e);
	}
	if (e2b_state_save(j->sb.id, j->trees, j->n_trees, &e) < 0)
		cs_err_print(&e, "codex-sandbox: warning");
	fprintf(stderr, "codex-sandbox: %s: the E2B sandbox %s was left running (for %d min); "
		"reattach with: codex-sandbox attach %s\n", why, j->sb.id, j->k->keep_ttl / 60, j->sb.id);
	printf("%s\n", j->sb.id);
	fflush(stdout);
}

static void kill_sandbox(struct job *j)
{
	struct cs_err e = { 0 };

	sig_set_abort(SIG_ABORT_NEVER);
	if (e2b_kill(&j->cl, j->sb.id, &e) < 0) {
		cs_err_print(&e, "codex-sandbox: warning");
		fprintf(stderr, "codex-sandbox: the sandbox %s ends by itself within %d s\n", j->sb.id,
			j->k->ttl);
	}
	e2b_state_remove(j->sb.id);
	if (j->cl.create_ambiguous) {
		struct strv ids = { 0 };

		/* A create whose answer was lost may have made a sandbox we
		 * never heard of: find it by our run id. */
		cs_err_clear(&e);
		if (e2b_list_by_metadata(&j->cl, "run", j->run_id, 1, &ids, &e) == 0)
			for (size_t i = 0; i < ids.n; i++)
				e2b_kill(&j->cl, ids.v[i], &e);
		strv_free(&ids);
	}
	j->created = false;
}

/* The end: the sandbox's changes come back, then it is killed or left.
 * SIG: the signal that ended the run.  Returns -1 (E2 set) when the files
 * could not be brought back: the sandbox is then left running. */
static long long sync_deadline(int secs)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000 + (long long)secs * 1000;
}

static int finish(struct job *j, int sig, struct cs_err *e2)
{
	bool keep = j->p->keep, synced = true;
	struct cs_err ge = { 0 };
	int wr, r;

	e2b_gate_join(&j->gate, &ge);   /* a step failed before the upload joined them */
	if (!j->created)
		return writeback_end(j, false, e2);
	if ((sig && keep && j->ran) || j->lost) {
		sig_set_abort(SIG_ABORT_ON_NEW_SIGNAL);
		wr = writeback_end(j, true, e2);
		leave_running(j, j->lost ? "the connection was lost while the command runs" : "detached");
		return wr;
	}
	if (j->ran) {
		struct sync_report rep = { 0 };
		struct cs_err te = { 0 };

		if (sig) {
			sig_set_abort(SIG_ABORT_ON_NEW_SIGNAL);
			fprintf(stderr, "codex-sandbox: interrupted; bringing the sandbox's changes back "
				"(send the signal again to skip)\n");
		}
		/* It must not expire while we copy; and we do not wait for it
		 * forever (a hostile envd can keep streams alive). */
		e2b_set_timeout(&j->cl, j->sb.id, j->k->ttl, &te);
		j->cl.deadline_ms = sync_deadline(j->k->sync_secs);
		r = sync_pull(&j->cl, &j->sb, j->trees, j->n_trees, j->k->limit, j->p->uid, j->p->gid,
			      &rep, e2);
		j->cl.deadline_ms = 0;
		if (r < 0 && e2->errnum == ETIMEDOUT)
			cs_hint(e2, "the sandbox is kept; attach to it again, or raise "
				"CODEX_SANDBOX_E2B_SYNC_TIMEOUT (now %d s)", j->k->sync_secs);
		if (r < 0) {
			sync_report_print(&rep);
			if (sig && sig_abort_transfers()) {
				fprintf(stderr, "codex-sandbox: bringing the changes back was skipped\n");
				cs_err_clear(e2);
			} else {
				synced = false;
			}
		} else {
			sync_report_print(&rep);
		}
		sync_report_free(&rep);
	}
	sig_set_abort(SIG_ABORT_NEVER);
	wr = writeback_end(j, j->ran, e2);
	if (!synced || (keep && j->ran)) {
		leave_running(j, synced ? "--keep" : "its files could not all be brought back");
		return synced ? wr : -1;
	}
	kill_sandbox(j);
	return wr;
}

static int prepare_job(struct job *j, const struct sandbox_plan *p, struct cs_err *err)
{
	cleanup_strv struct strv excludes = { 0 };

	j->p = p;
	j->k = &p->e2b;
	sig_set_abort(SIG_ABORT_ON_SIGNAL);
	if (e2b_client_init(&j->cl, &p->e2b.cfg, err) < 0)
		return -1;
	if (prepare_consent(p, err) < 0 || prepare_files(p, err) < 0)
		return -1;
	if (writeback_start(j, err) < 0)
		return -1;
	if (e2b_project_excludes(p, &excludes) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (sync_scan(p->work_dir, true, &excludes, j->k->limit, p->uid, p->gid, &j->project, err) < 0 ||
	    e2b_scan_codex_home(p, &j->home, err) < 0)
		return -1;
	if (make_trees(j, j->project.used_git, err) < 0)
		return -1;
	return new_run_id(j->run_id, err);
}

int e2b_backend_run(const struct sandbox_plan *p, struct cs_err *err)
{
	struct job j;
	struct cs_err e2 = { 0 };
	int rc = -1, sig = 0;

	memset(&j, 0, sizeof j);
	if (prepare_job(&j, p, err) == 0 && e2b_steps_run(&j, err) == 0)
		rc = j.status;
	tty_restore();
	if (rc < 0 && (j.interrupted || sig_terminating())) {
		/* A step stopped for the signal, or a transfer it aborted. */
		sig = sig_terminating();
		cs_err_clear(err);
		cs_fail_status(err, 128 + sig, 0, "interrupted by signal %d; the sandbox was %s", sig,
			       p->keep && j.ran ? "left running" : "removed");
	}
	if (finish(&j, sig, &e2) < 0) {
		if (err->set)
			cs_err_print(&e2, "codex-sandbox");
		else
			*err = e2;
		rc = -1;
	}
	job_free(&j);
	return rc;
}

/* ---- dry run ------------------------------------------------------------------ */

int e2b_dry_run(const struct sandbox_plan *p, struct cs_err *err)
{
	struct job j;
	cleanup_strv struct strv excludes = { 0 };
	cJSON *ops;
	int rc;

	memset(&j, 0, sizeof j);
	j.p = p;
	j.k = &p->e2b;
	/* The upload's size is checked before anything exists, as by the run. */
	if (e2b_project_excludes(p, &excludes) < 0) {
		cs_fail(err, ENOMEM, "out of memory");
		return -1;
	}
	if (sync_scan(p->work_dir, true, &excludes, j.k->limit, p->uid, p->gid, &j.project, err) < 0) {
		sync_scan_free(&j.project);
		return -1;
	}
	ops = e2b_steps_describe(&j, err);
	sync_scan_free(&j.project);
	if (!ops)
		return -1;
	rc = ops_print_dry_run(p, ops, err);
	return rc;
}

/* ---- attach ------------------------------------------------------------------- */

/* Before the steps: the manifests the plan read, the client, the private
 * copy for --auth-writeback.  Nothing here touches the kept sandbox. */
static int attach_prepare(struct job *j, const struct sandbox_plan *p, struct cs_err *err)
{
	j->p = p;
	j->k = &p->e2b;
	j->attached = true;
	sig_set_abort(SIG_ABORT_ON_SIGNAL);
	if (make_trees(j, true, err) < 0 ||
	    e2b_state_load(&p->attach, j->trees, j->n_trees, err) < 0 ||
	    e2b_client_init(&j->cl, &p->e2b.cfg, err) < 0)
		return -1;
	return writeback_start(j, err);
}

int e2b_attach(const struct sandbox_plan *p, struct cs_err *err)
{
	struct job j;
	struct cs_err e2 = { 0 };
	int rc = -1, sig = 0;

	memset(&j, 0, sizeof j);
	if (attach_prepare(&j, p, err) == 0 && e2b_attach_steps_run(&j, err) == 0)
		rc = j.status;
	tty_restore();
	if (rc < 0 && j.created && (j.interrupted || sig_terminating())) {
		sig = sig_terminating();
		cs_err_clear(err);
		cs_fail_status(err, 128 + sig, 0, "interrupted by signal %d; the sandbox was %s", sig,
			       p->keep ? "left running" : "removed");
	}
	if (finish(&j, sig, &e2) < 0) {
		if (err->set)
			cs_err_print(&e2, "codex-sandbox");
		else
			*err = e2;
		rc = -1;
	}
	job_free(&j);
	return err->set ? -1 : rc;
}

int e2b_attach_dry_run(const struct sandbox_plan *p, struct cs_err *err)
{
	struct job j;
	cJSON *ops;

	memset(&j, 0, sizeof j);
	j.p = p;
	j.k = &p->e2b;
	ops = e2b_attach_steps_describe(&j, err);
	if (!ops)
		return -1;
	return ops_print_dry_run(p, ops, err);
}

/* ---- doctor ------------------------------------------------------------------- */

void e2b_doctor(e2b_report_fn report)
{
	struct e2b_client cl = { 0 };
	struct e2b_cfg cfg = { 0 };
	struct cs_err e = { 0 };
	char line[1024], fix[600];
	long running = -1, st;
	const char *key = cs_getenv("E2B_API_KEY");

	if (!key || !*key) {
		report("skip", "e2b", "E2B_API_KEY not set (only needed for --backend e2b)", NULL);
		return;
	}
	if (e2b_cfg_load(&cfg, &e) < 0 || e2b_client_init(&cl, &cfg, &e) < 0) {
		cs_err_format(&e, line, sizeof line);
		report("FAIL", "e2b", line, e.hint);
		e2b_client_free(&cl);
		e2b_cfg_free(&cfg);
		return;
	}
	st = e2b_check_key(&cl, &running, &e);
	if (st == 200) {
		snprintf(line, sizeof line, "E2B API at %s accepts E2B_API_KEY (%ld sandboxes running%s)",
			 cl.cfg->api_url, running, cl.v1 ? "; v1 routes" : "");
		report("ok", "e2b", line, NULL);
	} else {
		snprintf(line, sizeof line, "%s", e.msg);
		snprintf(fix, sizeof fix, "%s", e.hint[0] ? e.hint : "check E2B_API_KEY and E2B_API_URL");
		report("FAIL", "e2b", line, fix);
	}
	e2b_client_free(&cl);
	e2b_cfg_free(&cfg);
}
