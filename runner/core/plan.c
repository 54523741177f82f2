/* plan_build(): flags, environment and files -> struct sandbox_plan.
 * Reads the filesystem (realpath, stat, config.toml) but never writes it. */
#include "runner/core/plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "runner/core/codex_cmd.h"
#include "common/safeopen.h"
#include "common/util.h"

#define CONFIG_MAX_BYTES (1u << 20)

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *join(const char *a, const char *b)
{
	char *r = NULL;
	size_t la = strlen(a);

	if (la && a[la - 1] == '/')
		la--;
	if (asprintf(&r, "%.*s/%s", (int)la, a, b[0] == '/' ? b + 1 : b) < 0)
		return NULL;
	return r;
}

/* Absolute form of PATH (relative to the plan's cwd), not resolved. */
static char *absolute(const struct plan_env *env, const char *path)
{
	return path[0] == '/' ? strdup(path) : join(env->cwd, path);
}

/* realpath() of PATH relative to the plan's cwd; NULL with errno. */
static char *resolve(const struct plan_env *env, const char *path)
{
	cleanup_free char *abs = absolute(env, path);

	return abs ? realpath(abs, NULL) : NULL;
}

/* Resolve a path that may not exist yet: its parent must. */
static char *resolve_maybe_missing(const struct plan_env *env, const char *path, bool *exists)
{
	cleanup_free char *abs = absolute(env, path);
	cleanup_free char *dir = NULL;
	char *r, *slash, *res = NULL;

	if (!abs)
		return NULL;
	r = realpath(abs, NULL);
	if (r) {
		*exists = true;
		return r;
	}
	if (errno != ENOENT)
		return NULL;
	*exists = false;
	dir = strdup(abs);
	if (!dir)
		return NULL;
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	r = realpath(dir[0] ? dir : "/", NULL);
	if (!r)
		return NULL;
	if (strcmp(slash + 1, "..") == 0 || strcmp(slash + 1, ".") == 0 || !slash[1]) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	res = join(r, slash + 1);
	free(r);
	return res;
}

/* "/a//b/./c/" -> "/a/b/c"; NULL with EXDEV when a '..' is in it (the
 * kernel, not string surgery, must decide where '..' leads). */
static char *normalize(const char *abs)
{
	char *out = malloc(strlen(abs) + 2);
	size_t j = 0;

	if (!out)
		return NULL;
	for (const char *c = abs; *c;) {
		size_t l;

		c += strspn(c, "/");
		l = strcspn(c, "/");
		if (l == 0 || (l == 1 && c[0] == '.')) {
			c += l;
			continue;
		}
		if (l == 2 && c[0] == '.' && c[1] == '.') {
			free(out);
			errno = EXDEV;
			return NULL;
		}
		out[j++] = '/';
		memcpy(out + j, c, l);
		j += l;
		c += l;
	}
	if (j == 0)
		out[j++] = '/';
	out[j] = '\0';
	return out;
}

/* Where the sandbox (or the cloned repository) can write: the project and
 * the Codex home.  No link is ever followed there. */
static bool sandbox_writable(const struct sandbox_plan *p, const char *path)
{
	return (p->work_dir && path_is_within(path, p->work_dir)) ||
	       (p->codex_home && path_is_within(path, p->codex_home));
}

/* Open PATH (absolute, physical) as KIND without following any link; an
 * O_PATH fd for directories, a non-blocking read fd for files. */
static int open_kind(const char *path, mode_t kind, struct stat *st)
{
	return safe_checked(kind == S_IFDIR ? safe_open_abs(path, O_PATH | O_DIRECTORY, 0)
					    : safe_open_abs(path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0),
			    kind, st);
}

/* A path the user named (a flag or the environment).  Written as a path
 * inside the project, it is taken as written and must lead there without
 * any link: a link the repository or an agent planted is never followed
 * (ELOOP).  Elsewhere links are the user's own and resolved (realpath).
 * EXISTS NULL: the path must exist; else it may be missing (its parent
 * may not).  The result is physical. */
static char *resolve_user(const struct plan_env *env, const struct sandbox_plan *p,
			  const char *path, bool *exists)
{
	cleanup_free char *abs = absolute(env, path);
	char *norm;
	int fd, e;

	if (!abs)
		return NULL;
	if (!p->work_dir || !path_is_within(abs, p->work_dir))
		return exists ? resolve_maybe_missing(env, path, exists) : resolve(env, path);
	norm = normalize(abs);
	if (!norm)
		return NULL;
	fd = safe_open_abs(norm, O_PATH, 0);
	if (fd >= 0) {
		close(fd);
		if (exists)
			*exists = true;
		return norm;
	}
	if (errno == ENOENT && exists) {
		const char *name;

		fd = safe_open_parent_abs(norm, &name);
		if (fd >= 0) {
			close(fd);
			*exists = false;
			return norm;
		}
	}
	e = errno;
	free(norm);
	errno = e;
	return NULL;
}

/* One error line naming the path; link refusals say why in words. */
static int path_fail(struct cs_err *err, int e, const char *what, const char *path)
{
	if (e == ELOOP || e == EXDEV)
		return cs_fail(err, 0, "%s '%s': %s", what, path, safe_strerror(e));
	return cs_fail(err, e, "%s '%s'", what, path);
}

bool path_is_within(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void sanitize_name(const char *path, char *out, size_t outsz)
{
	size_t j = 0;
	bool last_us = false;

	/* Docker names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.  "/home/u/my proj" ->
	 * "home_u_my_proj".  Bounded so the name stays readable. */
	for (const char *p = path; *p && j + 1 < outsz && j < 48; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-';

		if (!ok) {
			if (j == 0 || last_us)
				continue;
			c = '_';
		}
		last_us = c == '_';
		out[j++] = c;
	}
	while (j > 0 && out[j - 1] == '_')
		j--;
	out[j] = '\0';
	if (j == 0)
		snprintf(out, outsz, "root");
}

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

static int add_mount(struct sandbox_plan *p, const char *src, const char *dst, bool ro,
		     bool tmpfs, const char *why)
{
	struct plan_mount *nm = realloc(p->mounts, (p->n_mounts + 1) * sizeof *nm);

	if (!nm)
		return -1;
	p->mounts = nm;
	nm[p->n_mounts] = (struct plan_mount){
		.source = xstrdup(src), .target = strdup(dst), .read_only = ro,
		.tmpfs = tmpfs, .why = strdup(why),
	};
	p->n_mounts++;
	return 0;
}

static int add_copy(struct sandbox_plan *p, const char *src, const char *dst,
		    enum copy_mode mode, unsigned int perm, const char *why)
{
	struct plan_copy *nc = realloc(p->copies, (p->n_copies + 1) * sizeof *nc);

	if (!nc)
		return -1;
	p->copies = nc;
	nc[p->n_copies] = (struct plan_copy){
		.source = strdup(src), .dest = strdup(dst), .mode = mode,
		.perm = perm, .why = strdup(why),
	};
	p->n_copies++;
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	int fd = path ? open_kind(path, S_IFDIR, &st) : -1;

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* An optional NAME in DIR of the KIND wanted: its physical path, or NULL.
 * Where the sandbox can write, a link, FIFO or device there is never
 * followed: said on stderr and treated as absent.  In the user's own
 * directories links are the user's and resolved.  NONEMPTY: a usable
 * auth.json / config file (Docker leaves an empty placeholder where it
 * mounted a file before). */
static char *lookup(const struct sandbox_plan *p, const char *dir, const char *name, mode_t kind,
		    bool nonempty, struct stat *st)
{
	cleanup_free char *cand = dir ? join(dir, name) : NULL;
	char *phys;
	int fd;

	if (!cand)
		return NULL;
	phys = sandbox_writable(p, dir) ? strdup(cand) : realpath(cand, NULL);
	if (!phys)
		return NULL;
	fd = open_kind(phys, kind, st);
	if (fd < 0) {
		if (errno != ENOENT && sandbox_writable(p, phys))
			fprintf(stderr, "codex-sandbox: ignoring %s: %s\n", cand, safe_strerror(errno));
		free(phys);
		return NULL;
	}
	close(fd);
	if (nonempty && st->st_size == 0) {
		free(phys);
		return NULL;
	}
	return phys;
}

struct search_dir {
	char *path;        /* NULL: skip */
	const char *label;
};

#define N_SEARCH 7

static void free_search(struct search_dir *s)
{
	for (int i = 0; i < N_SEARCH; i++)
		free(s[i].path);
}

static int plan_workdir(const struct cs_opts *o, const struct plan_env *env,
			struct sandbox_plan *p, struct cs_err *err)
{
	const char *wd = o->work_dir ? o->work_dir : env->cwd;
	const char *root = env->getenv("WORKSPACE_ROOT_DIR");
	struct stat st;

	p->work_dir = resolve(env, wd);
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
	if (root && *root) {
		cleanup_free char *rr = resolve(env, root);

		if (!rr) {
			cs_fail(err, errno, "WORKSPACE_ROOT_DIR '%s'", root);
			return cs_hint(err, "set WORKSPACE_ROOT_DIR to an existing directory or unset it");
		}
		if (!path_is_within(p->work_dir, rr)) {
			cs_fail(err, 0, "work dir %s is outside WORKSPACE_ROOT_DIR %s", p->work_dir, rr);
			return cs_hint(err, "choose a project inside %s or change WORKSPACE_ROOT_DIR", rr);
		}
	}
	if (asprintf(&p->sandbox_work_dir, SANDBOX_APP_PREFIX "%s", p->work_dir) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (o->user) {
		if (parse_user(o->user, &p->uid, &p->gid) < 0) {
			cs_fail(err, 0, "invalid --user '%s'", o->user);
			return cs_hint(err, "use numeric UID:GID, e.g. --user 1000:1000");
		}
		p->user_from = strdup("--user");
	} else {
		p->uid = st.st_uid;
		p->gid = st.st_gid;
		p->user_from = strdup("owner of the work dir");
	}
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

static int plan_codex_home(const struct cs_opts *o, const struct plan_env *env,
			   struct sandbox_plan *p, struct cs_err *err)
{
	struct stat st;
	int fd;

	if (o->codex_home) {
		p->codex_home = resolve_user(env, p, o->codex_home, &p->codex_home_exists);
		if (!p->codex_home) {
			path_fail(err, errno, "--codex-home", o->codex_home);
			return cs_hint(err, "its parent directory must exist; inside the project no "
				       "component may be a symbolic link");
		}
	} else {
		p->codex_home = join(p->work_dir, ".codex/.environment");
		if (!p->codex_home)
			return cs_fail(err, ENOMEM, "out of memory");
		p->codex_home_exists = true;
	}
	/* A link anywhere on the way (.codex -> /run/user/1000) is refused:
	 * it would be mounted read-write.  Missing is fine: it is created. */
	fd = open_kind(p->codex_home, S_IFDIR, &st);
	if (fd >= 0)
		close(fd);
	else if (errno == ENOENT || errno == EACCES)
		p->codex_home_exists = false;   /* EACCES: creating it says so later */
	else if (errno == ENOTDIR && p->codex_home_exists) {
		cs_fail(err, ENOTDIR, "Codex home %s", p->codex_home);
		return cs_hint(err, "remove the file or pass another --codex-home");
	} else {
		path_fail(err, errno, "Codex home", p->codex_home);
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
	} else {
		p->sandbox_env_dir = strdup(SANDBOX_CODEX_HOME);
	}
	return 0;
}

/* The seed's search order for auth.json and prompts/. */
static int search_dirs(const struct cs_opts *o, const struct plan_env *env,
		       const struct sandbox_plan *p, const char *config_dir,
		       struct search_dir *s, struct cs_err *err)
{
	const char *ccd = env->getenv("CODEX_CONFIG_DIR");
	const char *home = env->getenv("HOME");

	(void)o;
	memset(s, 0, N_SEARCH * sizeof *s);
	s[0] = (struct search_dir){ xstrdup(config_dir), "--config directory" };
	if (ccd && *ccd) {
		s[1].path = resolve_user(env, p, ccd, NULL);
		s[1].label = "CODEX_CONFIG_DIR";
		if (!s[1].path || !is_dir(s[1].path)) {
			cs_fail(err, s[1].path ? ENOTDIR : errno, "CODEX_CONFIG_DIR '%s'", ccd);
			return cs_hint(err, "point CODEX_CONFIG_DIR at an existing directory or unset it");
		}
	}
	if (home && *home) {
		s[2] = (struct search_dir){ join(home, ".codex"), "~/.codex" };
		s[3] = (struct search_dir){ join(home, ".config/codex"), "~/.config/codex" };
	}
	s[4] = (struct search_dir){ join(p->work_dir, "codex"), "WORK_DIR/codex" };
	s[5] = (struct search_dir){ join(p->work_dir, ".codex"), "WORK_DIR/.codex" };
	s[6] = (struct search_dir){ xstrdup(p->codex_home), "the Codex home" };
	return 0;
}

static int plan_config_auth_prompts(const struct cs_opts *o, const struct plan_env *env,
				    struct sandbox_plan *p, struct cs_err *err)
{
	cleanup_free char *config_file = NULL, *config_dir = NULL, *dest = NULL;
	const char *explicit_auth = o->auth_file ? o->auth_file : env->getenv("CODEX_AUTH_FILE");
	const char *auth_label = o->auth_file ? "--auth_file" : "CODEX_AUTH_FILE";
	struct search_dir s[N_SEARCH];
	int rc = -1;

	if (o->config) {
		char *r = resolve_user(env, p, o->config, NULL);

		if (!r) {
			path_fail(err, errno, "--config", o->config);
			return cs_hint(err, "pass an existing config.toml or a directory holding one");
		}
		if (is_dir(r)) {
			config_dir = r;
		} else {
			config_file = r;
			config_dir = strdup(r);
			if (strrchr(config_dir, '/') && strrchr(config_dir, '/') != config_dir)
				*strrchr(config_dir, '/') = '\0';
		}
	}
	if (search_dirs(o, env, p, config_dir, s, err) < 0)
		goto out;

	/* auth.json: never copied, mounted read-only. */
	if (explicit_auth && *explicit_auth) {
		struct stat st;
		int fd = -1;

		p->auth_file = resolve_user(env, p, explicit_auth, NULL);
		if (p->auth_file)
			fd = open_kind(p->auth_file, S_IFREG, &st);
		if (fd >= 0)
			close(fd);
		if (fd < 0 && (errno == ELOOP || errno == EXDEV)) {
			path_fail(err, errno, auth_label, explicit_auth);
			goto out;
		}
		if (fd < 0 || st.st_size == 0) {
			cs_fail(err, fd >= 0 ? EINVAL : errno, "%s '%s' is not a usable auth.json",
				auth_label, explicit_auth);
			cs_hint(err, "pass an existing, non-empty auth.json (or unset %s to let Codex log in)",
				auth_label);
			goto out;
		}
		p->auth_found_by = strdup(auth_label);
	} else {
		for (int i = 0; i < N_SEARCH && !p->auth_file; i++) {
			struct stat st;

			p->auth_file = lookup(p, s[i].path, "auth.json", S_IFREG, true, &st);
			if (p->auth_file)
				p->auth_found_by = strdup(s[i].label);
		}
	}

	/* config.toml: explicit sources replace the copy, found ones fill a gap. */
	dest = join(p->codex_home, "config.toml");
	p->effective_config = strdup(dest);
	if (config_file) {
		p->config_source = strdup(config_file);
		p->config_found_by = strdup("--config");
	} else {
		for (int i = 0; i < 6 && !p->config_source; i++) {
			struct stat st;

			p->config_source = lookup(p, s[i].path, "config.toml", S_IFREG, true, &st);
			if (p->config_source)
				p->config_found_by = strdup(s[i].label);
		}
	}
	if (p->config_source) {
		cleanup_free char *existing = NULL;
		struct stat dst_st;
		bool explicit_src = config_file || (p->config_found_by &&
			(strcmp(p->config_found_by, "--config directory") == 0 ||
			 strcmp(p->config_found_by, "CODEX_CONFIG_DIR") == 0));

		/* Both paths are physical: equal strings, the same file. */
		if (strcmp(dest, p->config_source) == 0) {
			/* Already the Codex home's own file. */
		} else if (add_copy(p, p->config_source, dest,
				    explicit_src ? COPY_REPLACE : COPY_IF_MISSING, 0600,
				    explicit_src ? "config.toml (explicit source: replaces the copy)"
						 : "config.toml (copied only when missing)") < 0) {
			cs_fail(err, ENOMEM, "out of memory");
			goto out;
		}
		if (!explicit_src && (existing = lookup(p, p->codex_home, "config.toml", S_IFREG,
							true, &dst_st))) {
			free(p->config_source);
			p->config_source = NULL;  /* the existing copy wins */
			free(p->config_found_by);
			p->config_found_by = strdup("existing Codex home config.toml");
		}
	}

	/* prompts/: the first directory found, merged without overwriting. */
	for (int i = 0; i < 6 && !p->prompts_source; i++) {
		struct stat st;

		p->prompts_source = lookup(p, s[i].path, "prompts", S_IFDIR, false, &st);
		if (p->prompts_source) {
			cleanup_free char *pd = join(p->codex_home, "prompts");

			if (p->prompts_source && strcmp(p->prompts_source, pd) != 0 &&
			    add_copy(p, p->prompts_source, pd, COPY_TREE_NO_CLOBBER, 0,
				     "prompts (added without overwriting)") < 0) {
				cs_fail(err, ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	rc = 0;
out:
	free_search(s);
	return rc;
}

/* Can UID:GID read the file by its mode bits (the sandbox's view)? */
static bool readable_by(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	if (st.st_uid == uid)
		return st.st_mode & S_IRUSR;
	if (st.st_gid == gid)
		return st.st_mode & S_IRGRP;
	return st.st_mode & S_IROTH;
}

static int plan_hook_and_mounts(const struct cs_opts *o, const struct plan_env *env,
				struct sandbox_plan *p, struct cs_err *err)
{
	cleanup_free char *hook = join(p->codex_home, "init.sh");

	if (o->init_script) {
		cleanup_free char *src = resolve_user(env, p, o->init_script, NULL);
		struct stat st;
		int fd = src ? open_kind(src, S_IFREG, &st) : -1;

		if (fd < 0) {
			path_fail(err, errno, "--init_script", o->init_script);
			return cs_hint(err, "pass an existing script file");
		}
		close(fd);
		if (add_copy(p, src, hook, COPY_REPLACE, 0755, "init hook") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		p->run_hook = true;
	} else {
		struct stat st;
		cleanup_free char *h = lookup(p, p->codex_home, "init.sh", S_IFREG, false, &st);

		p->run_hook = h && (st.st_mode & 0111);
	}
	if (p->run_hook)
		p->hook_host_path = strdup(hook);

	if (add_mount(p, p->work_dir, p->sandbox_work_dir, false, false, "project directory") < 0 ||
	    add_mount(p, p->codex_home, SANDBOX_CODEX_HOME, false, false, "Codex home") < 0)
		return cs_fail(err, ENOMEM, "out of memory");

	if (o->sessions_path) {
		bool exists;
		cleanup_free char *sp = resolve_user(env, p, o->sessions_path, &exists);

		if (!sp) {
			path_fail(err, errno, "--sessions-path", o->sessions_path);
			return cs_hint(err, "its parent directory must exist");
		}
		if (exists && !is_dir(sp))
			return cs_fail(err, ENOTDIR, "--sessions-path '%s'", o->sessions_path);
		if (!exists && strv_push(&p->mkdirs, sp) < 0)
			return -1;
		if (!path_is_within(sp, p->work_dir) && strv_push(&p->outside_writable, sp) < 0)
			return -1;
		if (add_mount(p, sp, SANDBOX_CODEX_HOME "/sessions", false, false, "Codex sessions") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}

	for (size_t i = 0; i < o->read_only.n; i++) {
		const char *ro = o->read_only.v[i];
		cleanup_free char *rp = resolve_user(env, p, ro, NULL);
		cleanup_free char *tgt = NULL;

		if (!rp) {
			path_fail(err, errno, "--read-only", ro);
			return cs_hint(err, "pass an existing file or directory");
		}
		if (strcmp(rp, "/") == 0) {
			cs_fail(err, 0, "refusing to mount / read-only ('%s'): it would expose the whole host", ro);
			return cs_hint(err, "pass the directories the sandbox needs");
		}
		if (asprintf(&tgt, SANDBOX_APP_PREFIX "%s", rp) < 0 ||
		    add_mount(p, rp, tgt, true, false, "--read-only") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}

	if (p->auth_file) {
		/* e.g. root's 0600 auth.json with a sandbox running as the
		 * project's owner: the sandbox gets a private read-only copy
		 * from the run's 0700 directory, removed at the end. */
		p->auth_private_copy = !readable_by(p->auth_file, p->uid, p->gid);
		if (add_mount(p, p->auth_file, SANDBOX_CODEX_HOME "/auth.json", true, false,
			      p->auth_private_copy ? "auth.json (private read-only copy: the file is "
						     "not readable by the sandbox user)"
						   : "auth.json (read-only)") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		/* The same file is also reachable through a writable mount when
		 * it lives in the project (or the Codex home): cover that view
		 * too, so the sandbox cannot rewrite the user's credentials. */
		if (path_is_within(p->auth_file, p->work_dir)) {
			cleanup_free char *tgt = NULL;

			if (asprintf(&tgt, SANDBOX_APP_PREFIX "%s", p->auth_file) < 0 ||
			    add_mount(p, p->auth_file, tgt, true, false, "auth.json seen through the project") < 0)
				return cs_fail(err, ENOMEM, "out of memory");
		}
	}
	if (add_mount(p, NULL, "/tmp", false, true, "scratch (tmpfs, exec allowed)") < 0 ||
	    add_mount(p, NULL, SANDBOX_HOME, false, true, "HOME (tmpfs, owned by the sandbox user)") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

static int plan_env_vars(const struct cs_opts *o, const struct plan_env *env,
			 struct sandbox_plan *p, struct cs_err *err)
{
	const char *term = env->getenv("TERM");
	char line[PATH_MAX + 64];

#define PUSH(...) do { snprintf(line, sizeof line, __VA_ARGS__); \
	if (strv_push(&p->env, line) < 0) return cs_fail(err, ENOMEM, "out of memory"); } while (0)
	PUSH("HOME=" SANDBOX_HOME);
	PUSH("CODEX_HOME=" SANDBOX_CODEX_HOME);
	PUSH("SANDBOX_ENV_DIR=%s", p->sandbox_env_dir);
	PUSH("CODEX_SANDBOX=1");
	PUSH("LANG=C.UTF-8");
	PUSH("USER=codex");
	if (p->tty)
		PUSH("TERM=%s", term && *term && strcmp(term, "dumb") != 0 ? term : "xterm-256color");
	for (size_t i = 0; i < o->env.n; i++) {
		const char *e = o->env.v[i], *eq = strchr(e, '=');
		size_t nl = eq ? (size_t)(eq - e) : strlen(e);
		char name[256];

		if (nl == 0 || nl >= sizeof name) {
			cs_fail(err, 0, "invalid --env '%s'", e);
			return cs_hint(err, "use NAME=VALUE or NAME");
		}
		memcpy(name, e, nl);
		name[nl] = '\0';
		for (size_t k = 0; k < nl; k++)
			if (!(name[k] == '_' || (name[k] >= 'A' && name[k] <= 'Z') ||
			      (name[k] >= 'a' && name[k] <= 'z') || (k && name[k] >= '0' && name[k] <= '9'))) {
				cs_fail(err, 0, "invalid environment variable name '%s' in --env", name);
				return cs_hint(err, "use NAME=VALUE with NAME made of letters, digits and _");
			}
		if (eq) {
			if (strv_push(&p->env, e) < 0)
				return cs_fail(err, ENOMEM, "out of memory");
		} else {
			const char *v = env->getenv(name);

			if (!v)
				continue;  /* like docker run -e NAME with NAME unset */
			PUSH("%s=%s", name, v);
		}
		if (strv_push(&p->env_secret, name) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
#undef PUSH
	return 0;
}

int resolv_conf_nameservers(const char *text, struct strv *out)
{
	int added = 0;

	while (text && *text) {
		const char *eol = strchr(text, '\n');
		size_t len = eol ? (size_t)(eol - text) : strlen(text);
		char line[256], addr[64];
		unsigned char bin[16];

		if (len < sizeof line) {
			memcpy(line, text, len);
			line[len] = '\0';
			if (sscanf(line, " nameserver %63s", addr) == 1 && out->n < 3) {
				char *pct = strchr(addr, '%');

				if (pct)
					*pct = '\0';   /* scoped IPv6: not usable from a container */
				if (!pct && inet_pton(AF_INET, addr, bin) == 1 && bin[0] != 127) {
					if (strv_push(out, addr) < 0)
						return -1;
					added++;
				} else if (!pct && inet_pton(AF_INET6, addr, bin) == 1 &&
					   !IN6_IS_ADDR_LOOPBACK((struct in6_addr *)bin) &&
					   !IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)bin)) {
					if (strv_push(out, addr) < 0)
						return -1;
					added++;
				}
			}
		}
		text = eol ? eol + 1 : text + len;
	}
	return added;
}

static char *read_small_file(const char *path, size_t max, size_t *len);

/* The DNS filter's upstream: --dns, else the host's resolvers (a
 * systemd-resolved stub is looked through), else what Docker gives the
 * owner container. */
static int plan_upstreams(struct sandbox_plan *p, struct cs_err *err)
{
	static const char *const files[] = { "/etc/resolv.conf", "/run/systemd/resolve/resolv.conf", NULL };

	if (p->dns && strcmp(p->dns, "127.0.0.11") == 0) {
		/* Docker's embedded resolver: container names of a user-defined
		 * network, filtered like any other name. */
		if (!p->network || strcmp(p->network, "bridge") == 0) {
			cs_fail(err, 0, "--dns 127.0.0.11 (Docker's embedded resolver) exists only on "
				"user-defined networks");
			return cs_hint(err, "add --network NAME, or give another resolver");
		}
		p->upstream_docker_dns = true;
	}
	if (p->dns)
		return strv_push(&p->upstreams, p->dns) < 0 ? cs_fail(err, ENOMEM, "out of memory") : 0;
	for (int i = 0; files[i] && p->upstreams.n == 0; i++) {
		size_t len = 0;
		cleanup_free char *text = read_small_file(files[i], 65536, &len);

		if (text && resolv_conf_nameservers(text, &p->upstreams) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
	/* None usable: the owner reads the resolv.conf Docker generated for
	 * it.  On a user-defined network that is Docker's embedded resolver
	 * (127.0.0.11), which forwards from inside the namespace as root. */
	p->upstream_docker_dns = p->upstreams.n == 0 && p->network && strcmp(p->network, "bridge") != 0;
	return 0;
}

static int plan_network(const struct cs_opts *o, const struct plan_env *env,
			struct sandbox_plan *p, struct cs_err *err)
{
	const char *extra = env->getenv("OPENAI_ALLOWED_DOMAINS");
	struct buf b;

	allowlist_init(&p->allow);
	if (allowlist_add_defaults(&p->allow) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (extra && allowlist_add_text(&p->allow, extra, "OPENAI_ALLOWED_DOMAINS", err) < 0)
		return -1;
	for (size_t i = 0; i < o->allow.n; i++)
		if (allowlist_add_text(&p->allow, o->allow.v[i], "--allow", err) < 0)
			return -1;
	buf_init(&b, 1u << 20);
	for (size_t i = 0; i < p->allow.n; i++) {
		char e[300];

		allow_entry_format(&p->allow.v[i], e, sizeof e);
		if (buf_printf(&b, "%s\n", e) < 0)
			return cs_fail(err, errno, "allowlist too large");
	}
	p->allow_text = b.data ? buf_steal(&b) : strdup("");

	if (o->dns) {
		unsigned char a[16];

		if (inet_pton(AF_INET, o->dns, a) != 1 && inet_pton(AF_INET6, o->dns, a) != 1) {
			cs_fail(err, 0, "invalid --dns '%s'", o->dns);
			return cs_hint(err, "give the resolver's IP address, e.g. --dns 192.0.2.53");
		}
		p->dns = strdup(o->dns);
	}
	if (o->network)
		p->network = strdup(o->network);
	if (plan_upstreams(p, err) < 0)
		return -1;
	p->dns_min_ttl = -1;
	{
		const char *mt = env->getenv("CODEX_SANDBOX_DNS_MIN_TTL");

		if (mt && *mt) {
			char *end;
			long v = strtol(mt, &end, 10);

			if (*end || v < 0 || v > 86400) {
				cs_fail(err, 0, "invalid CODEX_SANDBOX_DNS_MIN_TTL '%s'", mt);
				return cs_hint(err, "give seconds from 0 to 86400");
			}
			p->dns_min_ttl = (int)v;
		}
	}
	for (size_t i = 0; i < o->publish.n; i++) {
		const char *s = o->publish.v[i];
		char *end;
		unsigned long port, host;
		char norm[32];

		errno = 0;
		port = strtoul(s, &end, 10);
		host = port;
		if (end != s && *end == ':') {
			const char *h = end + 1;

			host = strtoul(h, &end, 10);
			if (end == h)
				host = 0;
		}
		if (errno || *end || port < 1 || port > 65535 || host < 1 || host > 65535) {
			cs_fail(err, 0, "invalid --publish '%s'", s);
			return cs_hint(err, "use PORT or PORT:HOSTPORT (1-65535), e.g. --publish 3000:8080");
		}
		snprintf(norm, sizeof norm, "%lu:%lu", port, host);
		if (strv_push(&p->publish, norm) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
	if (o->log_blocked) {
		bool exists;

		/* The runner writes it (as root with sudo): inside the project
		 * no link may redirect it, as for every other path there. */
		p->log_blocked = resolve_user(env, p, o->log_blocked, &exists);
		if (!p->log_blocked) {
			path_fail(err, errno, "--log-blocked", o->log_blocked);
			return cs_hint(err, "its directory must exist; inside the project no component "
				       "may be a symbolic link");
		}
	}
	return 0;
}

static char *read_small_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *data;
	size_t n;

	if (!f)
		return NULL;
	data = malloc(max + 1);
	if (!data) {
		fclose(f);
		return NULL;
	}
	n = fread(data, 1, max, f);
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

static int plan_command(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	switch (o->command) {
	case CMD_EXEC:
		for (size_t i = 0; i < o->args.n; i++)
			if (strv_push(&p->command_argv, o->args.v[i]) < 0)
				return cs_fail(err, ENOMEM, "out of memory");
		return 0;
	case CMD_SHELL:
		if (strv_push(&p->command_argv, "/bin/bash") < 0 ||
		    strv_push(&p->command_argv, "-l") < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		return 0;
	default: {
		/* Codex reads the Codex home's config.toml, which is the copy
		 * source when the copy will replace or create it. */
		const char *cfg = p->config_source ? p->config_source : p->effective_config;
		size_t len = 0;
		cleanup_free char *text = NULL;
		struct stat st;
		/* The Codex home's file is the sandbox's to write: no link, no
		 * FIFO, bounded (a bigger one is read as no config). */
		cleanup_close int fd = open_kind(cfg, S_IFREG, &st);

		if (fd >= 0 && safe_read_fd(fd, CONFIG_MAX_BYTES, &text, &len) < 0)
			text = NULL;

		if (codex_command(&p->command_argv, text, len, p->sandbox_work_dir,
				  (const char *const *)o->args.v, o->args.n) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		return 0;
	}
	}
}

int plan_build(const struct cs_opts *o, const struct plan_env *env,
	       struct sandbox_plan *p, struct cs_err *err)
{
	const char *backend = o->backend ? o->backend : env->getenv("CODEX_SANDBOX_BACKEND");
	const char *image = o->image ? o->image : env->getenv("CODEX_DOCKER_IMAGE");
	const char *tmpl = o->template_id ? o->template_id : env->getenv("E2B_TEMPLATE_ID");
	char name[64];

	memset(p, 0, sizeof *p);
	p->command = o->command;
	if (!backend || !*backend || strcmp(backend, "docker") == 0) {
		p->backend = BACKEND_DOCKER;
	} else if (strcmp(backend, "e2b") == 0) {
		p->backend = BACKEND_E2B;
	} else {
		cs_fail(err, 0, "unknown backend '%s'", backend);
		return cs_hint(err, "use --backend docker or --backend e2b");
	}
	p->tty = env->stdin_tty && env->stdout_tty;
	/* A terminal on stdin without one on stdout (codex-sandbox ... | jq)
	 * gets no stdin, as docker run without -i: otherwise `codex exec`
	 * would wait for an EOF the user never types. */
	p->attach_stdin = p->tty || !env->stdin_tty;
	p->yes = o->yes;
	p->dry_run = o->dry_run;
	p->keep = o->keep;
	p->strict_egress = o->strict_egress;
	p->auth_writeback = o->auth_writeback;
	p->image_is_default = !image || !*image;
	p->image = strdup(p->image_is_default ? DEFAULT_IMAGE : image);
	p->template_id = strdup(tmpl && *tmpl ? tmpl : DEFAULT_TEMPLATE);

	if (plan_workdir(o, env, p, err) < 0 ||
	    plan_codex_home(o, env, p, err) < 0 ||
	    plan_config_auth_prompts(o, env, p, err) < 0 ||
	    plan_hook_and_mounts(o, env, p, err) < 0 ||
	    plan_env_vars(o, env, p, err) < 0 ||
	    plan_network(o, env, p, err) < 0 ||
	    plan_command(o, p, err) < 0 ||
	    (p->backend == BACKEND_E2B && plan_e2b(o, p, err) < 0))
		return -1;
	sanitize_name(p->work_dir, name, sizeof name);
	if (asprintf(&p->name_base, "codex_%s", name) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

void plan_free(struct sandbox_plan *p)
{
	plan_e2b_free(&p->e2b);
	for (size_t i = 0; i < p->n_mounts; i++) {
		free(p->mounts[i].source);
		free(p->mounts[i].target);
		free(p->mounts[i].why);
	}
	free(p->mounts);
	for (size_t i = 0; i < p->n_copies; i++) {
		free(p->copies[i].source);
		free(p->copies[i].dest);
		free(p->copies[i].why);
	}
	free(p->copies);
	strv_free(&p->mkdirs);
	strv_free(&p->env);
	strv_free(&p->env_secret);
	strv_free(&p->command_argv);
	strv_free(&p->outside_writable);
	strv_free(&p->publish);
	strv_free(&p->upstreams);
	allowlist_free(&p->allow);
	free(p->work_dir);
	free(p->sandbox_work_dir);
	free(p->codex_home);
	free(p->sandbox_env_dir);
	free(p->auth_file);
	free(p->auth_found_by);
	free(p->config_source);
	free(p->config_found_by);
	free(p->effective_config);
	free(p->prompts_source);
	free(p->hook_host_path);
	free(p->user_from);
	free(p->allow_text);
	free(p->image);
	free(p->template_id);
	free(p->network);
	free(p->dns);
	free(p->log_blocked);
	free(p->name_base);
	memset(p, 0, sizeof *p);
}
