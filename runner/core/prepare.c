/* Executing the plan's file side effects on the host: consent for writable
 * mounts outside the project, the Codex home and sessions dirs, and the
 * copies (config.toml, prompts, init hook).  Copies are atomic
 * (common/atomic.h), so an interrupted run never leaves a half-written file. */
#include "runner/core/prepare.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic.h"
#include "common/fdio.h"
#include "common/safeopen.h"
#include "runner/core/sig.h"
#include "common/util.h"

#define PROMPTS_MAX_DEPTH 8

/* Read one answer line from the terminal, giving up when a terminating
 * signal arrives (the handlers use SA_RESTART: a plain read would just be
 * restarted and Ctrl-C would do nothing). */
static int read_answer(char *answer, size_t sz)
{
	cleanup_close int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	size_t n = 0;

	if (tty < 0)
		return -1;
	while (n + 1 < sz) {
		struct pollfd pf[2] = { { .fd = tty, .events = POLLIN }, { .fd = sig_fd(), .events = POLLIN } };
		char c;
		ssize_t r;

		if (poll(pf, pf[1].fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			return -1;
		if (sig_terminating())
			return -1;
		if (!(pf[0].revents & (POLLIN | POLLHUP)))
			continue;
		r = read(tty, &c, 1);
		if (r <= 0 || c == '\n')
			break;
		answer[n++] = c;
	}
	answer[n] = '\0';
	return 0;
}

int prepare_consent(const struct sandbox_plan *p, struct cs_err *err)
{
	char answer[16] = "";

	if (p->outside_writable.n == 0 || p->yes)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		cs_fail(err, 0, "refusing writable mount outside the work dir without confirmation: %s",
			p->outside_writable.v[0]);
		return cs_hint(err, "pass -y/--yes to accept it, or keep the Codex home and sessions "
			       "inside the project directory");
	}
	fprintf(stderr, "codex-sandbox: warning: the sandbox will get write access outside the "
		"project directory %s:\n", p->work_dir);
	for (size_t i = 0; i < p->outside_writable.n; i++)
		fprintf(stderr, "  %s\n", p->outside_writable.v[i]);
	fprintf(stderr, "Allow this? [y/N] ");
	fflush(stderr);
	if (read_answer(answer, sizeof answer) < 0) {
		if (sig_terminating())
			return cs_fail_status(err, 128 + sig_terminating(), 0, "interrupted at the question");
		return cs_fail(err, 0, "no confirmation for writable mounts outside the work dir");
	}
	if (answer[0] != 'y' && answer[0] != 'Y') {
		cs_fail(err, 0, "writable mount outside the work dir not confirmed");
		return cs_hint(err, "answer y, or pass -y/--yes");
	}
	return 0;
}

/* Copies are bounded: a source the sandbox keeps appending to must not
 * fill the disk. */
#define COPY_MAX_BYTES (64u << 20)

/* Copy the open regular file IN into DIRFD/NAME atomically (common/atomic.h):
 * nothing but that one entry is replaced, and never through a link.  PERM
 * 0 keeps the source's permission bits. */
static int copy_fd(int in, int dirfd, const char *name, unsigned int perm, uid_t uid, gid_t gid,
		   struct cs_err *err)
{
	cleanup_atomic struct atomic_file out = ATOMIC_FILE_INIT;
	struct atomic_opts opts = { .set_owner = geteuid() == 0, .uid = uid, .gid = gid };
	char b[65536];
	struct stat st;
	size_t total = 0;
	ssize_t r;

	if (fstat(in, &st) < 0)
		return cs_fail(err, errno, "reading %s", name);
	opts.mode = perm ? perm : st.st_mode & 0777;
	if (atomic_begin_at(&out, dirfd, name, err) < 0)
		return -1;
	while ((r = read(in, b, sizeof b)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cs_fail(err, errno, "reading %s", name);
		total += (size_t)r;
		if (total > COPY_MAX_BYTES)
			return cs_fail(err, EFBIG, "copying into %s", name);
		if (fd_write_all(out.fd, b, (size_t)r) < 0)
			return cs_fail(err, errno, "copying into %s", name);
	}
	return atomic_commit(&out, &opts, err);
}

static bool entry_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Add files from SRCFD into DSTFD without overwriting anything there.
 * Regular files and directories only: every entry is opened with
 * O_NOFOLLOW (a link is skipped, never read) and O_NONBLOCK (a FIFO is
 * skipped, never waited on), then its kind is taken from the open fd. */
static int merge_tree(int srcfd, int dstfd, int depth, uid_t uid, gid_t gid, struct cs_err *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int rc = 0;

	if (depth > PROMPTS_MAX_DEPTH)
		return 0;
	d = fd_opendir(srcfd);
	if (!d)
		return cs_fail(err, errno, "reading prompts");
	while (rc == 0 && (de = readdir(d))) {
		cleanup_close int in = -1;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		in = openat(srcfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (in < 0 || fstat(in, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			cleanup_close int sub = safe_mkdirs_at(dstfd, de->d_name, geteuid() == 0, uid, gid);

			rc = sub < 0 ? cs_fail(err, errno, "creating prompts/%s", de->d_name)
				     : merge_tree(in, sub, depth + 1, uid, gid, err);
		} else if (S_ISREG(st.st_mode) && !entry_exists(dstfd, de->d_name)) {
			rc = copy_fd(in, dstfd, de->d_name, 0, uid, gid, err);
		}
	}
	return rc;
}

/* The sandbox user must be able to write the Codex home. */
static int check_writable_by(int fd, const char *dir, uid_t uid, gid_t gid, struct cs_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return cs_fail(err, errno, "%s", dir);
	if (st.st_uid == uid || (st.st_gid == gid && (st.st_mode & 020)) || (st.st_mode & 02))
		return 0;
	cs_fail(err, EACCES, "the Codex home %s belongs to uid %u, but the sandbox runs as uid %u",
		dir, (unsigned)st.st_uid, (unsigned)uid);
	return cs_hint(err, "chown -R %u:%u %s, or run with --user %u:%u", (unsigned)uid,
		       (unsigned)gid, dir, (unsigned)st.st_uid, (unsigned)st.st_gid);
}

static int path_err(struct cs_err *err, int e, const char *what, const char *path)
{
	if (e == ELOOP || e == EXDEV || e == EINVAL)
		return cs_fail(err, 0, "%s %s: %s", what, path, safe_strerror(e));
	return cs_fail(err, e, "%s %s", what, path);
}

/* The Codex home, opened without following a link anywhere on its path
 * (all plan paths are physical); every write below goes through this fd. */
static int open_home(const struct sandbox_plan *p, struct cs_err *err)
{
	int fd = safe_open_abs(p->codex_home, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		path_err(err, errno, "the Codex home", p->codex_home);
	return fd;
}

/* DEST must be one entry directly in the Codex home. */
static const char *home_entry(const struct sandbox_plan *p, const char *dest)
{
	size_t n = strlen(p->codex_home);

	if (strncmp(dest, p->codex_home, n) != 0 || dest[n] != '/' || !dest[n + 1] ||
	    strchr(dest + n + 1, '/'))
		return NULL;
	return dest + n + 1;
}

static int do_copy(const struct sandbox_plan *p, const struct plan_copy *c, int home,
		   struct cs_err *err)
{
	const char *name = home_entry(p, c->dest);
	cleanup_close int in = -1;
	struct stat st;

	if (!name)
		return cs_fail(err, EINVAL, "copy destination %s is not in the Codex home", c->dest);
	if (c->mode == COPY_IF_MISSING && entry_exists(home, name))
		return 0;
	if (c->mode == COPY_TREE_NO_CLOBBER) {
		cleanup_close int dst = -1;

		in = safe_open_abs(c->source, O_RDONLY | O_DIRECTORY, 0);
		if (in < 0)
			return path_err(err, errno, "reading", c->source);
		dst = safe_mkdirs_at(home, name, geteuid() == 0, p->uid, p->gid);
		if (dst < 0)
			return path_err(err, errno, "creating", c->dest);
		return merge_tree(in, dst, 0, p->uid, p->gid, err);
	}
	in = safe_open_file_abs(c->source, &st);
	if (in < 0)
		return path_err(err, errno, "reading", c->source);
	return copy_fd(in, home, name, c->perm, p->uid, p->gid, err);
}

int prepare_files(const struct sandbox_plan *p, struct cs_err *err)
{
	cleanup_close int home = -1;

	for (size_t i = 0; i < p->mkdirs.n; i++) {
		int fd = safe_mkdirs_abs(p->mkdirs.v[i], geteuid() == 0, p->uid, p->gid);

		if (fd < 0)
			return path_err(err, errno, "creating", p->mkdirs.v[i]);
		close(fd);
	}
	home = open_home(p, err);
	if (home < 0 || check_writable_by(home, p->codex_home, p->uid, p->gid, err) < 0)
		return -1;
	for (size_t i = 0; i < p->n_copies; i++)
		if (do_copy(p, &p->copies[i], home, err) < 0)
			return cs_wrap(err, "preparing %s", p->copies[i].why);
	return 0;
}

bool prepare_auth_placeholder_exists(const struct sandbox_plan *p)
{
	cleanup_close int home = safe_open_abs(p->codex_home, O_PATH | O_DIRECTORY, 0);

	/* Unknown counts as existing: then nothing is ever removed. */
	return home < 0 || entry_exists(home, "auth.json");
}

void prepare_remove_auth_placeholder(const struct sandbox_plan *p)
{
	cleanup_close int home = safe_open_abs(p->codex_home, O_RDONLY | O_DIRECTORY, 0);
	struct stat st;

	/* Docker created an empty file as the auth.json mountpoint.  Through
	 * the home's fd: a link swapped into its path removes nothing. */
	if (home >= 0 && fstatat(home, "auth.json", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == 0)
		unlinkat(home, "auth.json", 0);
}
