/* The planning phase's path rules (plan_paths.h). */
#include "runner/core/plan_paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/safeopen.h"
#include "common/util.h"

char *plan_join(const char *a, const char *b)
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
	return path[0] == '/' ? strdup(path) : plan_join(env->cwd, path);
}

char *plan_resolve(const struct plan_env *env, const char *path)
{
	cleanup_free char *abs = absolute(env, path);

	return abs ? realpath(abs, NULL) : NULL;
}

/* Resolve a path that may not exist yet: its parent must. */
static char *resolve_maybe_missing(const struct plan_env *env, const char *path, bool *exists)
{
	cleanup_free char *abs = absolute(env, path);
	cleanup_free char *dir = NULL, *parent = NULL;
	char *r, *slash;

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
	parent = realpath(dir[0] ? dir : "/", NULL);
	if (!parent)
		return NULL;
	if (strcmp(slash + 1, "..") == 0 || strcmp(slash + 1, ".") == 0 || !slash[1]) {
		errno = EINVAL;
		return NULL;
	}
	return plan_join(parent, slash + 1);
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

int plan_open_kind(const char *path, mode_t kind, struct stat *st)
{
	return safe_checked(kind == S_IFDIR ? safe_open_abs(path, O_PATH | O_DIRECTORY, 0)
					    : safe_open_abs(path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0),
			    kind, st);
}

/* NORM (physical, in the project) exists, or (EXISTS given) its parent
 * does; both opened without following any link. */
static int reachable_without_links(const char *norm, bool *exists)
{
	const char *name;
	int fd = safe_open_abs(norm, O_PATH, 0);

	if (fd >= 0) {
		close(fd);
		if (exists)
			*exists = true;
		return 0;
	}
	if (errno != ENOENT || !exists)
		return -1;
	fd = safe_open_parent_abs(norm, &name);
	if (fd < 0)
		return -1;
	close(fd);
	*exists = false;
	return 0;
}

char *plan_resolve_user(const struct plan_env *env, const struct sandbox_plan *p,
			const char *path, bool *exists)
{
	cleanup_free char *abs = absolute(env, path);
	char *norm;
	int e;

	if (!abs)
		return NULL;
	if (!p->work_dir || !path_is_within(abs, p->work_dir))
		return exists ? resolve_maybe_missing(env, path, exists) : plan_resolve(env, path);
	norm = normalize(abs);
	if (!norm)
		return NULL;
	if (reachable_without_links(norm, exists) == 0)
		return norm;
	e = errno;
	free(norm);
	errno = e;
	return NULL;
}

int plan_path_fail(struct cs_err *err, int e, const char *what, const char *path)
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

bool plan_is_dir(const char *path)
{
	struct stat st;
	cleanup_close int fd = path ? plan_open_kind(path, S_IFDIR, &st) : -1;

	return fd >= 0;
}

char *plan_lookup(const struct sandbox_plan *p, const char *dir, const char *name, mode_t kind,
		  bool nonempty, struct stat *st)
{
	cleanup_free char *cand = dir ? plan_join(dir, name) : NULL;
	cleanup_free char *phys = NULL;
	cleanup_close int fd = -1;

	if (!cand)
		return NULL;
	phys = sandbox_writable(p, dir) ? strdup(cand) : realpath(cand, NULL);
	if (!phys)
		return NULL;
	fd = plan_open_kind(phys, kind, st);
	if (fd < 0) {
		if (errno != ENOENT && sandbox_writable(p, phys))
			fprintf(stderr, "codex-sandbox: ignoring %s: %s\n", cand, safe_strerror(errno));
		return NULL;
	}
	if (nonempty && st->st_size == 0)
		return NULL;
	return steal_pointer(&phys);
}

bool plan_readable_by(const char *path, uid_t uid, gid_t gid)
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
