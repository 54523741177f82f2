/* What must be done before the sandbox user's first process (e2b_gate.h):
 * the check of the egress rules E2B holds, root's files, root's layout.
 * Each is one request (a process start for the layout) whose answer the
 * others do not need, so each runs on a thread of its own, with curl
 * handles of its own, while the caller uploads the user's files: the
 * slowest of them, not their sum, is what the first byte waits for.  One
 * order is kept: with an auth.json the layout script sets its mode, so it
 * runs after root's files on the same thread. */
#include "runner/e2b/e2b_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/e2b/e2b_envd.h"
#include "runner/e2b/e2b_setup.h"
#include "runner/e2b/e2b_xfer.h"

/* E2B must hold exactly the rules we asked for: a self-hosted or older API
 * that ignores `network` would otherwise run open, silently. */
static int verify_egress(const struct e2b_gate_in *in, struct e2b_client *cl, struct cs_err *err)
{
	cJSON *d = NULL;
	const cJSON *net, *allow, *deny, *it;
	size_t n = 0;
	bool all_denied = false, ok = true;

	if (e2b_info(cl, in->sb->id, &d, err) < 0)
		return cs_wrap(err, "checking the sandbox's egress rules");
	net = cJSON_GetObjectItemCaseSensitive(d, "network");
	allow = cJSON_GetObjectItemCaseSensitive(net, "allowOut");
	deny = cJSON_GetObjectItemCaseSensitive(net, "denyOut");
	cJSON_ArrayForEach(it, deny)
		if (cJSON_IsString(it) && strcmp(it->valuestring, "0.0.0.0/0") == 0)
			all_denied = true;
	cJSON_ArrayForEach(it, allow) {
		bool ours = false;

		for (size_t i = 0; cJSON_IsString(it) && i < in->allow_out->n; i++)
			ours |= strcmp(it->valuestring, in->allow_out->v[i]) == 0;
		ok &= ours;
		n++;
	}
	ok &= cJSON_IsObject(net) && all_denied && n == in->allow_out->n;
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
const char e2b_root_script[] =
	"set -e\n"
	"cd -P .\n"
	"R=$PWD; [ \"$R\" = / ] && R=\n"
	"install -d -o 0 -g 0 -m 1777 \"$R" E2B_REMOTE_CODEX_HOME "\"\n"
	"a=\"$R" E2B_REMOTE_CODEX_HOME "/auth.json\"\n"
	"[ ! -e \"$a\" ] || chmod \"$1\" \"$a\"\n";

/* Root's files: the effective allowlist (when ALLOWLIST), auth.json
 * (root-owned, 0444 once the layout ran, in the root-owned sticky Codex
 * home: readable, not replaceable, by the user).  With --auth-writeback
 * auth.json is the user's instead (0600), the private copy writeback.c
 * brings back at the end. */
static int root_files(const struct e2b_gate_in *in, struct e2b_client *cl, bool allowlist,
		      struct cs_err *err)
{
	const struct sandbox_plan *p = in->p;
	bool rw = in->auth_rw;
	struct e2b_file f[2], ua;
	size_t n = 0;
	int fd = -1, rc = -1;

	if (allowlist)
		f[n++] = (struct e2b_file){ .remote = E2B_REMOTE_ALLOWED, .fd = -1,
					    .data = p->allow_text, .size = strlen(p->allow_text) };
	if (in->auth_src) {
		const char *src = in->auth_src;
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
		else if (e2b_upload(cl, in->sb, E2B_USER, &ua, 1, false, err) < 0)
			goto out;
	}
	if (n && e2b_upload(cl, in->sb, "root", f, n, false, err) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Root's layout: the Codex home 1777, auth.json's mode. */
static int root_layout(const struct e2b_gate_in *in, struct e2b_client *cl, struct cs_err *err)
{
	const char *argv[] = { "/bin/sh", "-c", e2b_root_script, "codex-sandbox-setup",
			       in->auth_rw ? "0600" : "0444", NULL };
	struct e2b_proc proc = { .user = "root", .argv = argv, .cwd = "/",
				 .label = "preparing the layout as root" };
	struct buf errout;
	int status = 0;

	buf_init(&errout, 1u << 16);
	if (e2b_run(cl, in->sb, &proc, NULL, &errout, &status, err) == 0 && status != 0) {
		cs_fail(err, 0, "preparing the sandbox as root failed (status %d): %.300s", status,
			errout.data ? errout.data : "");
		cs_hint(err, "the template needs /bin/sh, GNU coreutils and a user '%s'", E2B_USER);
	}
	buf_free(&errout);
	return err->set ? -1 : 0;
}

int e2b_root_setup(const struct e2b_gate_in *in, struct e2b_client *cl, bool allowlist,
		   struct cs_err *err)
{
	if (root_files(in, cl, allowlist, err) < 0)
		return -1;
	return root_layout(in, cl, err);
}

/* ---- the threads ---------------------------------------------------------- */

static int task_confirm(const struct e2b_gate_in *in, struct e2b_client *cl, struct cs_err *err)
{
	return verify_egress(in, cl, err);
}

/* With an auth.json: its upload, then the layout that sets its mode. */
static int task_root(const struct e2b_gate_in *in, struct e2b_client *cl, struct cs_err *err)
{
	return e2b_root_setup(in, cl, true, err);
}

static int task_allowlist(const struct e2b_gate_in *in, struct e2b_client *cl, struct cs_err *err)
{
	return root_files(in, cl, true, err);
}

static void *task_main(void *v)
{
	struct e2b_gate_task *t = v;

	t->rc = t->fn(t->in, &t->cl, &t->err);
	return NULL;
}

static void task_start(struct e2b_gate *g, int (*fn)(const struct e2b_gate_in *,
						     struct e2b_client *, struct cs_err *))
{
	struct e2b_gate_task *t = &g->task[g->n++];

	memset(t, 0, sizeof *t);
	t->in = &g->in;
	t->fn = fn;
	t->cl = *g->in.cl;   /* the settings, shared read-only; the handles its own */
	t->cl.share = NULL;  /* curl does not share connections between threads */
	t->cl.api = curl_easy_init();
	t->cl.envd = curl_easy_init();
	t->threaded = t->cl.api && t->cl.envd && pthread_create(&t->t, NULL, task_main, t) == 0;
	if (!t->threaded)
		task_main(t);
}

void e2b_gate_start(struct e2b_gate *g)
{
	g->n = 0;
	task_start(g, task_confirm);
	if (g->in.auth_src) {
		task_start(g, task_root);
	} else {
		/* No file whose mode the layout sets: it need not wait. */
		task_start(g, task_allowlist);
		task_start(g, root_layout);
	}
}

int e2b_gate_join(struct e2b_gate *g, struct cs_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < g->n; i++) {
		struct e2b_gate_task *t = &g->task[i];

		if (t->threaded)
			pthread_join(t->t, NULL);
		if (t->cl.api)
			curl_easy_cleanup(t->cl.api);
		if (t->cl.envd)
			curl_easy_cleanup(t->cl.envd);
		t->cl.api = t->cl.envd = NULL;
		/* The first task's failure wins: a refusal of the egress
		 * rules matters most. */
		if (t->rc < 0 && rc == 0) {
			cs_err_clear(err);
			*err = t->err;
			rc = -1;
		}
	}
	g->n = 0;
	return rc;
}
