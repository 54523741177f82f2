/* The project, the sandbox user and the Codex home (plan_project.h). */
#include "runner/core/plan_project.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/env.h"
#include "common/util.h"
#include "runner/core/plan_paths.h"

int parse_user(const char *s, uid_t *uid, gid_t *gid)
{
	char *end;
	unsigned long u, g;

	errno = 0;
	u = strtoul(s, &end, 10);
	if (end == s || *end != ':' || errno)
		return -1;
	s = end + 1;
	g = strtoul(s, &end, 10);
	if (end == s || *end || errno || u > 0xfffffffeUL || g > 0xfffffffeUL)
		return -1;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* WORKSPACE_ROOT_DIR, when set, must contain the project. */
static int check_workspace_root(const struct plan_env *env, const struct sandbox_plan *p,
				struct cs_err *err)
{
	const char *root = cs_getenv("WORKSPACE_ROOT_DIR");
	cleanup_free char *rr = NULL;

	if (!root || !*root)
		return 0;
	rr = plan_resolve(env, root);
	if (!rr) {
		cs_fail(err, errno, "WORKSPACE_ROOT_DIR '%s'", root);
		return cs_hint(err, "set WORKSPACE_ROOT_DIR to an existing directory or unset it");
	}
	if (!path_is_within(p->work_dir, rr)) {
		cs_fail(err, 0, "work dir %s is outside WORKSPACE_ROOT_DIR %s", p->work_dir, rr);
		return cs_hint(err, "choose a project inside %s or change WORKSPACE_ROOT_DIR", rr);
	}
	return 0;
}

/* --user, else the owner of the work dir (ST); never root, never the DNS
 * filter's uid. */
static int plan_user(const struct cs_opts *o, const struct stat *st, struct sandbox_plan *p,
		     struct cs_err *err)
{
	if (o->user) {
		if (parse_user(o->user, &p->uid, &p->gid) < 0) {
			cs_fail(err, 0, "invalid --user '%s'", o->user);
			return cs_hint(err, "use numeric UID:GID, e.g. --user 1000:1000");
		}
		p->user_from = strdup("--user");
	} else {
		p->uid = st->st_uid;
		p->gid = st->st_gid;
		p->user_from = strdup("owner of the work dir");
	}
	if (!p->user_from)
		return cs_fail(err, ENOMEM, "out of memory");
	if (p->uid == 0) {
		if (o->user)
			cs_fail(err, 0, "refusing to run the sandbox as uid 0 (--user %s)", o->user);
		else
			cs_fail(err, 0, "the work dir %s is owned by root; the sandbox never runs as root",
				p->work_dir);
		return cs_hint(err, "pass an unprivileged --user UID:GID (files Codex creates will belong to it)");
	}
	if (p->uid == FIREWALL_DNS_UID) {
		cs_fail(err, 0, "uid %d is reserved for the sandbox's DNS filter", FIREWALL_DNS_UID);
		return cs_hint(err, "pass another --user UID:GID");
	}
	return 0;
}

int plan_workdir(const struct cs_opts *o, const struct plan_env *env,
		 struct sandbox_plan *p, struct cs_err *err)
{
	/* attach: the project the kept sandbox was started for (plan_attach). */
	const char *wd = o->work_dir ? o->work_dir :
			 p->attach.project ? p->attach.project : env->cwd;
	struct stat st;

	p->work_dir = plan_resolve(env, wd);
	if (!p->work_dir) {
		cs_fail(err, errno, "work dir '%s'", wd);
		return cs_hint(err, "pass an existing project directory with --work_dir");
	}
	if (stat(p->work_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cs_fail(err, ENOTDIR, "work dir '%s'", wd);
		return cs_hint(err, "--work_dir must be a directory");
	}
	if (strcmp(p->work_dir, "/") == 0) {
		cs_fail(err, 0, "refusing to use / as the work dir ('%s' resolves to /): "
			"it would expose the whole host", wd);
		return cs_hint(err, "pass a project directory with --work_dir");
	}
	if (check_workspace_root(env, p, err) < 0)
		return -1;
	if (asprintf(&p->sandbox_work_dir, SANDBOX_APP_PREFIX "%s", p->work_dir) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return plan_user(o, &st, p, err);
}

/* --codex-home as the user wrote it, else WORK_DIR/.codex/.environment. */
static int codex_home_path(const struct cs_opts *o, const struct plan_env *env,
			   struct sandbox_plan *p, struct cs_err *err)
{
	if (o->codex_home) {
		p->codex_home = plan_resolve_user(env, p, o->codex_home, &p->codex_home_exists);
		if (!p->codex_home) {
			plan_path_fail(err, errno, "--codex-home", o->codex_home);
			return cs_hint(err, "its parent directory must exist; inside the project no "
				       "component may be a symbolic link");
		}
		return 0;
	}
	p->codex_home = plan_join(p->work_dir, ".codex/.environment");
	if (!p->codex_home)
		return cs_fail(err, ENOMEM, "out of memory");
	p->codex_home_exists = true;
	return 0;
}

int plan_codex_home(const struct cs_opts *o, const struct plan_env *env,
		    struct sandbox_plan *p, struct cs_err *err)
{
	struct stat st;
	int fd;

	if (codex_home_path(o, env, p, err) < 0)
		return -1;
	/* A link anywhere on the way (.codex -> /run/user/1000) is refused:
	 * it would be mounted read-write.  Missing is fine: it is created. */
	fd = plan_open_kind(p->codex_home, S_IFDIR, &st);
	if (fd >= 0)
		close(fd);
	else if (errno == ENOENT || errno == EACCES)
		p->codex_home_exists = false;   /* EACCES: creating it says so later */
	else if (errno == ENOTDIR && p->codex_home_exists) {
		cs_fail(err, ENOTDIR, "Codex home %s", p->codex_home);
		return cs_hint(err, "remove the file or pass another --codex-home");
	} else {
		plan_path_fail(err, errno, "Codex home", p->codex_home);
		return cs_hint(err, "remove the link; the Codex home must be a real directory "
			       "inside the project (or pass --codex-home)");
	}
	if (strcmp(p->codex_home, "/") == 0)
		return cs_fail(err, 0, "refusing / as the Codex home");
	p->codex_home_in_workdir = path_is_within(p->codex_home, p->work_dir);
	if (!p->codex_home_in_workdir && strv_push(&p->outside_writable, p->codex_home) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (!p->codex_home_exists && strv_push(&p->mkdirs, p->codex_home) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (p->codex_home_in_workdir) {
		if (asprintf(&p->sandbox_env_dir, SANDBOX_APP_PREFIX "%s", p->codex_home) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	} else if (!(p->sandbox_env_dir = strdup(SANDBOX_CODEX_HOME))) {
		return cs_fail(err, ENOMEM, "out of memory");
	}
	return 0;
}
