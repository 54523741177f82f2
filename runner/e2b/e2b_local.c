/* The local half of the sync: the roots opened without following a
 * symlink (paths beneath them through common/safeopen.h), listing what to
 * upload (git or a walk), and asking git what .gitignore ignores. */
#include "runner/e2b/e2b_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/e2b/e2b_links.h"
#include "common/safeopen.h"
#include "common/sha256.h"
#include "runner/core/sig.h"
#include "common/util.h"

#define WALK_MAX_DEPTH 64
#define GIT_ERR_MAX 4096

int sync_open_root(const char *project, const char *root, struct cs_err *err)
{
	size_t pl = project ? strlen(project) : 0;
	int pfd, fd;

	while (pl > 1 && project[pl - 1] == '/')
		pl--;
	if (!project || strncmp(root, project, pl) != 0 || root[pl] != '/' || !root[pl + 1]) {
		/* The project itself, or a directory the user named outside it. */
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return cs_fail(err, errno, "opening %s", root);
		return fd;
	}
	pfd = open(project, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return cs_fail(err, errno, "opening %s", project);
	fd = safe_openat(pfd, root + pl + 1, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0) {
		int e = errno == ELOOP ? ENOTDIR : errno;

		close(pfd);
		if (e == ENOTDIR)
			return cs_fail(err, 0, "%s: a symlink or file is in the way inside the project; "
				       "refusing to follow it", root);
		return cs_fail(err, e, "opening %s", root);
	}
	close(pfd);
	return fd;
}

/* ---- running git ---------------------------------------------------------- */

/* The child: the pipes on 0-2, UID:GID when run as root, then git. */
static __attribute__((noreturn)) void git_exec(const char *const *argv, int in, int out, int errfd,
					       uid_t uid, gid_t gid)
{
	sig_reset_for_child();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	if (geteuid() == 0 && uid != 0 &&
	    (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
		_exit(126);
	execvp("git", (char *const *)argv);
	_exit(127);
}

/* The first GIT_ERR_MAX - 1 bytes of git's stderr, for the error line. */
static void keep_err(char *errtxt, size_t *elen, const char *b, size_t r)
{
	size_t room = GIT_ERR_MAX - 1 - *elen, take = r < room ? r : room;

	memcpy(errtxt + *elen, b, take);
	*elen += take;
	errtxt[*elen] = '\0';
}

/* Run git ARGS in ROOT with INPUT on stdin; stdout into OUT (bounded), the
 * first GIT_ERR_MAX bytes of stderr into ERRTXT.  As root, git runs as
 * UID:GID: a repository's config (core.fsmonitor, hooks) must never run
 * commands as root.  Returns the exit status, 127 when git is missing,
 * -1 with ERR. */
static int git_run(const char *root, const char *const *args, const char *input, size_t inlen,
		   struct buf *out, char *errtxt, uid_t uid, gid_t gid, struct cs_err *err)
{
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, e[2] = { -1, -1 };
	const char *argv[32];
	size_t na = 0, sent = 0, elen = 0;
	pid_t pid;
	int ws, rc = -1;
	bool out_open = true, err_open = true;

	argv[na++] = "git";
	argv[na++] = "-c";
	argv[na++] = "core.fsmonitor=false";
	argv[na++] = "-C";
	argv[na++] = root;
	for (size_t i = 0; args[i] && na < 30; i++)
		argv[na++] = args[i];
	argv[na] = NULL;
	errtxt[0] = '\0';
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
		cs_fail(err, errno, "pipe");
		goto close_all;
	}
	pid = fork();
	if (pid < 0) {
		cs_fail(err, errno, "fork");
		goto close_all;
	}
	if (pid == 0)
		git_exec(argv, in[0], o[1], e[1], uid, gid);
	close(in[0]);
	close(o[1]);
	close(e[1]);
	in[0] = o[1] = e[1] = -1;
	if (inlen == 0) {
		close(in[1]);
		in[1] = -1;
	}
	while (out_open || err_open || in[1] >= 0) {
		struct pollfd p[3] = { { .fd = o[0], .events = POLLIN }, { .fd = e[0], .events = POLLIN },
				       { .fd = in[1], .events = POLLOUT } };
		char b[65536];

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
			ssize_t w = write(in[1], input + sent, inlen - sent > 65536 ? 65536 : inlen - sent);

			if (w > 0)
				sent += (size_t)w;
			if (w < 0 || sent == inlen) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (p[0].revents) {
			ssize_t r = read(o[0], b, sizeof b);

			if (r <= 0) {
				out_open = false;
				p[0].fd = -1;
				close(o[0]);
				o[0] = -1;
			} else if (buf_append(out, b, (size_t)r) < 0) {
				kill(pid, SIGKILL);
				waitpid(pid, &ws, 0);
				cs_fail(err, E2BIG, "the list of files from git is larger than allowed");
				goto close_all;
			}
		}
		if (p[1].revents) {
			ssize_t r = read(e[0], b, sizeof b);

			if (r <= 0) {
				err_open = false;
				close(e[0]);
				e[0] = -1;
			} else {
				keep_err(errtxt, &elen, b, (size_t)r);
			}
		}
		if (o[0] < 0)
			out_open = false;
		if (e[0] < 0)
			err_open = false;
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
close_all:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
	}
	return rc;
}

static void first_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (nl)
		*nl = '\0';
}

int sync_git_ignored(const char *root, const struct strv *paths, bool *ignored, uid_t uid,
		     gid_t gid, struct cs_err *err)
{
	static const char *const args[] = { "check-ignore", "-z", "--stdin", NULL };
	struct buf in, out;
	char errtxt[GIT_ERR_MAX];
	int rc = -1, st;

	buf_init(&in, SYNC_LISTING_MAX);
	buf_init(&out, SYNC_LISTING_MAX);
	for (size_t i = 0; i < paths->n; i++) {
		ignored[i] = false;
		if (buf_append(&in, paths->v[i], strlen(paths->v[i]) + 1) < 0) {
			cs_fail(err, errno, "too many new files to check against .gitignore");
			goto out;
		}
	}
	if (!paths->n) {
		rc = 0;
		goto out;
	}
	st = git_run(root, args, in.data, in.len, &out, errtxt, uid, gid, err);
	if (st < 0)
		goto out;
	if (st != 0 && st != 1) {
		first_line(errtxt);
		cs_fail(err, 0, "git check-ignore in %s failed (status %d): %s", root, st, errtxt);
		goto out;
	}
	for (size_t off = 0; off < out.len;) {
		const char *p = out.data + off;
		size_t l = strnlen(p, out.len - off);

		for (size_t i = 0; i < paths->n; i++)
			if (strlen(paths->v[i]) == l && memcmp(paths->v[i], p, l) == 0)
				ignored[i] = true;
		off += l + 1;
	}
	rc = 0;
out:
	buf_free(&in);
	buf_free(&out);
	return rc;
}

/* ---- scanning ------------------------------------------------------------------ */

void sync_scan_free(struct sync_scan *s)
{
	sync_list_free(&s->files);
	memset(s, 0, sizeof *s);
}

struct scan_ctx {
	const char *root;
	int rootfd;
	const struct strv *excludes;
	uint64_t limit;
	struct sync_scan *out;
	struct cs_err *err;
};

static void note_skipped(struct sync_scan *s, const char *rel)
{
	if (!s->first_skipped[0])
		snprintf(s->first_skipped, sizeof s->first_skipped, "%s", rel);
}

/* A symlink target as a path relative to the link's directory, when it
 * stays inside the root once resolved against the tree on disk (the links
 * it passes through included); NULL otherwise. */
static char *inside_target(int rootfd, const char *root, const char *rel, const char *target)
{
	size_t rl = strlen(root);
	char *t = NULL;

	if (target[0] == '/') {
		struct buf b;
		int depth = 0;

		if (strncmp(target, root, rl) != 0 || target[rl] != '/' || !target[rl + 1])
			return NULL;
		for (const char *c = rel; *c; c++)
			depth += *c == '/';
		buf_init(&b, SYNC_PATH_MAX);
		for (int i = 0; i < depth; i++)
			if (buf_puts(&b, "../") < 0)
				return NULL;
		if (buf_puts(&b, target + rl + 1) < 0)
			return NULL;
		t = buf_steal(&b);
	} else {
		t = strdup(target);
	}
	if (t && links_resolve(rootfd, rel, t) != LINK_INSIDE) {
		free(t);
		return NULL;
	}
	return t;
}

static int scan_one(struct scan_ctx *c, const char *raw)
{
	struct sync_scan *s = c->out;
	char rel[SYNC_PATH_MAX];
	struct sync_entry e = { 0 };
	const char *base;
	struct stat st;
	int pfd, rc = 0;

	if (sync_path_clean(raw, rel, sizeof rel) < 0) {
		s->unsafe++;
		note_skipped(s, raw);
		return 0;
	}
	if (sync_excluded(rel, c->excludes))
		return 0;
	pfd = safe_open_parent_at(c->rootfd, rel, false, false, 0, 0, &base);
	if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		/* Gone since git listed it (a tracked file deleted in the
		 * worktree), or below a symlink: nothing to upload. */
		if (pfd >= 0)
			close(pfd);
		return 0;
	}
	e.path = rel;
	if (S_ISREG(st.st_mode)) {
		e.type = SYNC_FILE;
		e.size = (uint64_t)st.st_size;
		e.mode = st.st_mode & 0111 ? 0755 : 0644;
		if (s->bytes + e.size > c->limit) {
			char lim[32];

			if (c->limit >= (1ull << 20))
				snprintf(lim, sizeof lim, "%.4g MiB", (double)c->limit / (1 << 20));
			else
				snprintf(lim, sizeof lim, "%llu bytes", (unsigned long long)c->limit);
			cs_fail(c->err, 0, "%s has more than %s to upload (the limit was reached at %s, "
				"after %zu files)", c->root, lim, rel, s->files.n);
			cs_hint(c->err, "add large files to .gitignore, or raise the limit with "
				"CODEX_SANDBOX_E2B_SYNC_LIMIT (e.g. =2G)");
			rc = -1;
			goto out;
		}
		s->bytes += e.size;
		if (sync_list_add(&s->files, &e) < 0)
			rc = cs_fail(c->err, errno, "listing %s", c->root);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(pfd, base, target, sizeof target - 1);
		char *t;

		if (n <= 0)
			goto out;
		target[n] = '\0';
		t = inside_target(c->rootfd, c->root, rel, target);
		if (!t) {
			s->links_out++;
			note_skipped(s, rel);
			goto out;
		}
		e.type = SYNC_LINK;
		e.link = t;
		e.size = strlen(t);
		{
			struct sha256 h;

			sha256_init(&h);
			sha256_update(&h, t, e.size);
			sha256_hex(&h, e.sha);
		}
		if (sync_list_add(&s->files, &e) < 0)
			rc = cs_fail(c->err, errno, "listing %s", c->root);
		free(t);
	} else if (!S_ISDIR(st.st_mode)) {
		/* fifos, sockets, devices: nothing a file upload can carry */
		s->special++;
		note_skipped(s, rel);
	}
out:
	close(pfd);
	return rc;
}

static int walk(struct scan_ctx *c, int dfd, const char *prefix, int depth)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > WALK_MAX_DEPTH)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d))) {
		char rel[SYNC_PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		if (snprintf(rel, sizeof rel, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) >=
		    (int)sizeof rel)
			continue;
		if (sync_excluded(rel, c->excludes))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				rc = walk(c, sub, rel, depth + 1);
		} else {
			rc = scan_one(c, rel);
		}
	}
	closedir(d);
	return rc;
}

/* Is ROOT inside a git work tree (a .git in it or above)?  Without one,
 * git is not asked at all. */
static bool in_git_tree(const char *root)
{
	char d[PATH_MAX], probe[PATH_MAX + 8];
	struct stat st;

	snprintf(d, sizeof d, "%s", root);
	for (;;) {
		char *slash;

		snprintf(probe, sizeof probe, "%s/.git", strcmp(d, "/") == 0 ? "" : d);
		if (lstat(probe, &st) == 0)
			return true;
		slash = strrchr(d, '/');
		if (!slash || slash == d) {
			if (strcmp(d, "/") == 0)
				return false;
			snprintf(d, sizeof d, "/");
			continue;
		}
		*slash = '\0';
	}
}

int sync_scan(const char *root, bool git, const struct strv *excludes, uint64_t limit,
	      uid_t uid, gid_t gid, struct sync_scan *out, struct cs_err *err)
{
	static const char *const ls[] = { "ls-files", "-z", "--cached", "--others",
					  "--exclude-standard", NULL };
	struct scan_ctx c = { .root = root, .excludes = excludes, .limit = limit, .out = out,
			      .err = err };
	struct buf list;
	char errtxt[GIT_ERR_MAX];
	int rc = -1, st = 1;

	memset(out, 0, sizeof *out);
	c.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0)
		return cs_fail(err, errno, "opening %s", root);
	buf_init(&list, SYNC_LISTING_MAX);
	if (git && in_git_tree(root)) {
		st = git_run(root, ls, NULL, 0, &list, errtxt, uid, gid, err);
		if (st < 0)
			goto out;
		if (st != 0) {
			struct stat sb;
			char dotgit[PATH_MAX];

			first_line(errtxt);
			snprintf(dotgit, sizeof dotgit, "%s/.git", root);
			if (st == 127 && lstat(dotgit, &sb) == 0) {
				cs_fail(err, 0, "%s is a git repository but git is not installed: "
					"its .gitignore cannot be applied to the upload", root);
				cs_hint(err, "install git (apt-get install git)");
				goto out;
			}
			if (st != 127 && !strstr(errtxt, "not a git repository")) {
				cs_fail(err, 0, "git cannot list %s (status %d): %s", root, st, errtxt);
				cs_hint(err, "fix the repository (git status shows the problem), so "
					"that .gitignore can be applied to the upload");
				goto out;
			}
		}
	}
	if (st == 0) {
		out->used_git = true;
		for (size_t off = 0; off < list.len;) {
			const char *p = list.data + off;
			size_t l = strnlen(p, list.len - off);

			if (l == list.len - off)
				break;   /* unterminated: ignore the fragment */
			if (l && scan_one(&c, p) < 0)
				goto out;
			off += l + 1;
		}
	} else {
		int dfd = openat(c.rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || walk(&c, dfd, "", 0) < 0)
			goto out;
	}
	sync_list_sort(&out->files);
	rc = 0;
out:
	buf_free(&list);
	close(c.rootfd);
	return rc;
}
