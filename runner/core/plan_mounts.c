/* The init hook and the mounts (plan_mounts.h). */
#include "runner/core/plan_mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "runner/core/plan_paths.h"

int plan_hook(const struct cs_opts *o, const struct plan_env *env,
	      struct sandbox_plan *p, struct cs_err *err)
{
	cleanup_free char *hook = plan_join(p->codex_home, "init.sh");
	struct stat st;

	if (!hook)
		return cs_fail(err, ENOMEM, "out of memory");
	if (o->init_script) {
		cleanup_free char *src = plan_resolve_user(env, p, o->init_script, NULL);
		cleanup_close int fd = src ? plan_open_kind(src, S_IFREG, &st) : -1;

		if (fd < 0) {
			plan_path_fail(err, errno, "--init_script", o->init_script);
			return cs_hint(err, "pass an existing script file");
		}
		if (plan_add_copy(p, src, hook, COPY_REPLACE, 0755, "init hook") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		p->run_hook = true;
	} else {
		cleanup_free char *h = plan_lookup(p, p->codex_home, "init.sh", S_IFREG, false, &st);

		p->run_hook = h && (st.st_mode & 0111);
	}
	if (p->run_hook && !(p->hook_host_path = strdup(hook)))
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

/* --sessions-path: created when missing, consent when outside the project. */
static int plan_sessions(const struct cs_opts *o, const struct plan_env *env,
			 struct sandbox_plan *p, struct cs_err *err)
{
	cleanup_free char *sp = NULL;
	bool exists;

	if (!o->sessions_path)
		return 0;
	sp = plan_resolve_user(env, p, o->sessions_path, &exists);
	if (!sp) {
		plan_path_fail(err, errno, "--sessions-path", o->sessions_path);
		return cs_hint(err, "its parent directory must exist");
	}
	if (exists && !plan_is_dir(sp))
		return cs_fail(err, ENOTDIR, "--sessions-path '%s'", o->sessions_path);
	if ((!exists && strv_push(&p->mkdirs, sp) < 0) ||
	    (!path_is_within(sp, p->work_dir) && strv_push(&p->outside_writable, sp) < 0) ||
	    plan_add_mount(p, sp, SANDBOX_CODEX_HOME "/sessions", false, false, "Codex sessions") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

/* --read-only PATH: at /app/PATH, never / itself. */
static int plan_read_only(const struct cs_opts *o, const struct plan_env *env,
			  struct sandbox_plan *p, struct cs_err *err)
{
	for (size_t i = 0; i < o->read_only.n; i++) {
		const char *ro = o->read_only.v[i];
		cleanup_free char *rp = plan_resolve_user(env, p, ro, NULL);
		cleanup_free char *tgt = NULL;

		if (!rp) {
			plan_path_fail(err, errno, "--read-only", ro);
			return cs_hint(err, "pass an existing file or directory");
		}
		if (strcmp(rp, "/") == 0) {
			cs_fail(err, 0, "refusing to mount / read-only ('%s'): it would expose the whole host", ro);
			return cs_hint(err, "pass the directories the sandbox needs");
		}
		if (asprintf(&tgt, SANDBOX_APP_PREFIX "%s", rp) < 0 ||
		    plan_add_mount(p, rp, tgt, true, false, "--read-only") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int plan_auth_mounts(struct sandbox_plan *p, struct cs_err *err)
{
	cleanup_free char *tgt = NULL;

	if (!p->auth_file)
		return 0;
	/* e.g. root's 0600 auth.json with a sandbox running as the project's
	 * owner: the sandbox gets a private read-only copy from the run's 0700
	 * directory, removed at the end. */
	p->auth_private_copy = !plan_readable_by(p->auth_file, p->uid, p->gid);
	if (plan_add_mount(p, p->auth_file, SANDBOX_CODEX_HOME "/auth.json", true, false,
			   p->auth_private_copy ? "auth.json (private read-only copy: the file is "
						  "not readable by the sandbox user)"
						: "auth.json (read-only)") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	/* The same file is also reachable through a writable mount when it
	 * lives in the project (or the Codex home): cover that view too, so
	 * the sandbox cannot rewrite the user's credentials. */
	if (!path_is_within(p->auth_file, p->work_dir))
		return 0;
	if (asprintf(&tgt, SANDBOX_APP_PREFIX "%s", p->auth_file) < 0 ||
	    plan_add_mount(p, p->auth_file, tgt, true, false, "auth.json seen through the project") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

int plan_mounts(const struct cs_opts *o, const struct plan_env *env,
		struct sandbox_plan *p, struct cs_err *err)
{
	if (plan_add_mount(p, p->work_dir, p->sandbox_work_dir, false, false, "project directory") < 0 ||
	    plan_add_mount(p, p->codex_home, SANDBOX_CODEX_HOME, false, false, "Codex home") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (plan_sessions(o, env, p, err) < 0 || plan_read_only(o, env, p, err) < 0 ||
	    plan_auth_mounts(p, err) < 0)
		return -1;
	if (plan_add_mount(p, NULL, "/tmp", false, true, "scratch (tmpfs, exec allowed)") < 0 ||
	    plan_add_mount(p, NULL, SANDBOX_HOME, false, true, "HOME (tmpfs, owned by the sandbox user)") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}
