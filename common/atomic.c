#include "common/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fdio.h"

#define TMP_NAME_KEEP 200   /* bytes of the name kept in the temporary name */

static void reset(struct atomic_file *a)
{
	a->dirfd = -1;
	a->own_dirfd = false;
	a->fd = -1;
	a->name[0] = a->tmp[0] = '\0';
}

/* FNV-1a: tells apart the temporary names of long names cut short. */
static unsigned int name_hash(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int atomic_begin_at(struct atomic_file *a, int dirfd, const char *name, struct cs_err *err)
{
	size_t n = strlen(name);

	reset(a);
	if (!n || strchr(name, '/') || n > NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return cs_fail(err, EINVAL, "cannot write '%.*s': not a file name", NAME_MAX, name);
	snprintf(a->name, sizeof a->name, "%s", name);
	/* The temporary name must fit NAME_MAX too: a long name is cut and
	 * told apart by its hash. */
	if (n <= TMP_NAME_KEEP)
		snprintf(a->tmp, sizeof a->tmp, ".%s.codex-sandbox-tmp.%d", name, (int)getpid());
	else
		snprintf(a->tmp, sizeof a->tmp, ".%.*s~%08x.codex-sandbox-tmp.%d", TMP_NAME_KEEP,
			 name, name_hash(name), (int)getpid());
	a->dirfd = dirfd;
	/* The temporary name is guessable: remove whatever is there, then
	 * create it afresh. */
	unlinkat(dirfd, a->tmp, 0);
	a->fd = openat(dirfd, a->tmp,
		       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		int e = errno;

		a->tmp[0] = '\0';
		return cs_fail(err, e, "cannot create a temporary file beside %s", name);
	}
	return 0;
}

int atomic_begin_path(struct atomic_file *a, const char *path, struct cs_err *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd;

	reset(a);
	if (!slash) {
		snprintf(dir, sizeof dir, ".");
	} else if (slash == path) {
		snprintf(dir, sizeof dir, "/");
	} else if ((size_t)(slash - path) >= sizeof dir) {
		return cs_fail(err, ENAMETOOLONG, "cannot write %s", path);
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cs_fail(err, errno, "cannot open the directory of %s", path);
	if (atomic_begin_at(a, dfd, slash ? slash + 1 : path, err) < 0) {
		close(dfd);
		return -1;
	}
	a->own_dirfd = true;
	return 0;
}

/* RENAME_NOREPLACE, or where the filesystem lacks it (EINVAL, ENOSYS), a
 * hard link, which never replaces either; the temporary name goes after. */
static int rename_no_replace(struct atomic_file *a)
{
	if (renameat2(a->dirfd, a->tmp, a->dirfd, a->name, RENAME_NOREPLACE) == 0)
		return 0;
	if ((errno != EINVAL && errno != ENOSYS) ||
	    linkat(a->dirfd, a->tmp, a->dirfd, a->name, 0) < 0)
		return -1;
	unlinkat(a->dirfd, a->tmp, 0);
	return 0;
}

/* Everything before the rename: mode, owner, fsync, the expected file. */
static int prepare(struct atomic_file *a, const struct atomic_opts *o, struct cs_err *err)
{
	mode_t mode = o && o->mode ? o->mode : 0600;
	struct stat now;
	int e;

	if (fchmod(a->fd, mode & 07777) < 0 ||
	    (o && o->set_owner && fchown(a->fd, o->uid, o->gid) < 0) ||
	    (!(o && o->no_sync) && fsync(a->fd) < 0)) {
		e = errno;
		return cs_fail(err, e, "cannot write %s", a->name);
	}
	if (o && o->expect &&
	    (fstatat(a->dirfd, a->name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	     now.st_dev != o->expect->st_dev || now.st_ino != o->expect->st_ino))
		return cs_fail(err, 0, "%s was replaced meanwhile; not written", a->name);
	return 0;
}

static int finish(struct atomic_file *a, const struct atomic_opts *o, struct cs_err *err)
{
	if (prepare(a, o, err) < 0)
		return -1;
	if (o && o->no_replace) {
		if (rename_no_replace(a) < 0)
			return cs_fail(err, errno, "cannot create %s", a->name);
	} else if (renameat(a->dirfd, a->tmp, a->dirfd, a->name) < 0) {
		return cs_fail(err, errno, "cannot replace %s", a->name);
	}
	a->tmp[0] = '\0';   /* renamed: nothing left to remove */
	return 0;
}

/* The first free name of NAME SUFFIX, NAME SUFFIX.2, ...: each tried with
 * a rename that never replaces, so a name taken meanwhile (a race) is
 * passed over like one taken before. */
static int finish_beside(struct atomic_file *a, const char *suffix, int max,
			 const struct atomic_opts *o, struct cs_err *err)
{
	char base[NAME_MAX + 1];

	if (prepare(a, o, err) < 0)
		return -1;
	snprintf(base, sizeof base, "%s", a->name);
	for (int i = 1; i <= max; i++) {
		int n = i == 1 ? snprintf(a->name, sizeof a->name, "%s%s", base, suffix)
			       : snprintf(a->name, sizeof a->name, "%s%s.%d", base, suffix, i);

		if (n < 0 || (size_t)n >= sizeof a->name)
			return cs_fail(err, ENAMETOOLONG, "cannot write %s%s beside %s", base, suffix,
				       base);
		if (rename_no_replace(a) == 0) {
			a->tmp[0] = '\0';
			return 0;
		}
		if (errno != EEXIST)
			return cs_fail(err, errno, "cannot create %s", a->name);
	}
	return cs_fail(err, EEXIST, "cannot write beside %s: %s%s up to .%d are all taken", base,
		       base, suffix, max);
}

/* Close the file whatever happened; the temporary name goes unless renamed. */
static int close_out(struct atomic_file *a, int rc, struct cs_err *err)
{
	if (close(a->fd) < 0 && rc == 0 && a->tmp[0])
		rc = cs_fail(err, errno, "cannot write %s", a->name);
	a->fd = -1;
	atomic_abort(a);
	return rc;
}

int atomic_commit(struct atomic_file *a, const struct atomic_opts *o, struct cs_err *err)
{
	if (a->fd < 0)
		return cs_fail(err, EBADF, "cannot write %s", a->name);
	return close_out(a, finish(a, o, err), err);
}

int atomic_commit_beside(struct atomic_file *a, const char *suffix, int max,
			 const struct atomic_opts *o, char *used, size_t usedsz, struct cs_err *err)
{
	int rc;

	if (a->fd < 0)
		return cs_fail(err, EBADF, "cannot write %s", a->name);
	rc = finish_beside(a, suffix, max, o, err);
	if (rc == 0 && used)
		snprintf(used, usedsz, "%s", a->name);
	return close_out(a, rc, err);
}

void atomic_abort(struct atomic_file *a)
{
	int saved = errno;

	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp[0] && a->dirfd >= 0)
		unlinkat(a->dirfd, a->tmp, 0);
	if (a->own_dirfd && a->dirfd >= 0)
		close(a->dirfd);
	reset(a);
	errno = saved;
}

/* The whole-buffer forms: fill a begun file, then commit (or abort). */
static int fill_and_commit(struct atomic_file *a, const void *data, size_t len,
			   const struct atomic_opts *o, const char *what, struct cs_err *err)
{
	if (fd_write_all(a->fd, data, len) < 0) {
		int e = errno;

		atomic_abort(a);
		return cs_fail(err, e, "cannot write %s", what);
	}
	return atomic_commit(a, o, err);
}

int atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
		    const struct atomic_opts *o, struct cs_err *err)
{
	struct atomic_file a;

	if (atomic_begin_at(&a, dirfd, name, err) < 0)
		return -1;
	return fill_and_commit(&a, data, len, o, name, err);
}

int atomic_write_path(const char *path, const void *data, size_t len,
		      const struct atomic_opts *o, struct cs_err *err)
{
	struct atomic_file a;

	if (atomic_begin_path(&a, path, err) < 0)
		return -1;
	return fill_and_commit(&a, data, len, o, path, err);
}
