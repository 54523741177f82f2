/* Link-free opens below a directory; see safeopen.h for the rules. */
#include "common/safeopen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/util.h"

bool safeopen_force_walk;
static bool no_openat2;

/* '..' anywhere, or an absolute path, is refused before any lookup: the
 * walk below then only ever goes down. */
static int check_rel(const char *rel)
{
	size_t n = strlen(rel);

	if (rel[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (const char *c = rel; *c;) {
		size_t l = strcspn(c, "/");

		if (l == 2 && c[0] == '.' && c[1] == '.') {
			errno = EXDEV;
			return -1;
		}
		c += l;
		c += strspn(c, "/");
	}
	return 0;
}

/* O_PATH|O_NOFOLLOW hands out an fd of the link itself: refuse it too. */
static int reject_link(int fd, int flags)
{
	struct stat st;

	if (fd < 0 || !(flags & O_PATH))
		return fd;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		int e = S_ISLNK(st.st_mode) ? ELOOP : errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	char buf[PATH_MAX];
	cleanup_close int cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *comp, *next;

	if (cur < 0)
		return -1;
	memcpy(buf, rel, strlen(rel) + 1);
	comp = buf;
	for (;;) {
		struct stat st;
		int nfd;

		comp += strspn(comp, "/");
		while (comp[0] == '.' && (comp[1] == '/' || comp[1] == '\0')) {
			comp++;
			comp += strspn(comp, "/");
		}
		next = comp + strcspn(comp, "/");
		if (*next == '\0' || next[strspn(next, "/")] == '\0') {
			/* The last component (or none: the directory itself). */
			*next = '\0';
			nfd = openat(cur, *comp ? comp : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
			return reject_link(nfd, flags);
		}
		*next = '\0';
		nfd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			return -1;
		if (fstat(nfd, &st) < 0 || !S_ISDIR(st.st_mode)) {
			int e = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;

			close(nfd);
			errno = e;
			return -1;
		}
		close(cur);
		cur = nfd;
		comp = next + 1;
	}
}

static int open_beneath(int dirfd, const char *rel, int flags, mode_t mode);

int safe_openat(int dirfd, const char *rel, int flags, mode_t mode)
{
	int fd = open_beneath(dirfd, rel, flags, mode);

	/* O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR: name the link. */
	if (fd < 0 && errno == ENOTDIR && (flags & O_DIRECTORY)) {
		int pfd = open_beneath(dirfd, rel, O_PATH, 0);

		if (pfd >= 0)
			close(pfd);
		errno = pfd < 0 && errno == ELOOP ? ELOOP : ENOTDIR;
	}
	return fd;
}

static int open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	if (!rel || check_rel(rel) < 0)
		return -1;
	if (!safeopen_force_walk && !no_openat2) {
		struct open_how how = {
			.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
			.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};

		/* EAGAIN: a rename raced the lookup; the kernel asks for a retry. */
		for (int i = 0; i < 8; i++) {
			long fd = syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof how);

			if (fd >= 0)
				return reject_link((int)fd, flags);
			if (errno == ENOSYS) {
				no_openat2 = true;
				break;
			}
			if (errno != EAGAIN)
				return -1;
		}
		if (!no_openat2)
			return -1;
	}
	return walk(dirfd, rel, flags, mode);
}

int safe_open_abs(const char *path, int flags, mode_t mode)
{
	cleanup_close int root = -1;

	if (!path || path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	return safe_openat(root, path + strspn(path, "/"), flags, mode);
}

int safe_check_kind(int fd, mode_t kind, struct stat *st)
{
	struct stat s;

	if (!st)
		st = &s;
	if (fstat(fd, st) < 0)
		return -1;
	if ((st->st_mode & S_IFMT) == kind)
		return 0;
	if (kind == S_IFDIR)
		errno = S_ISLNK(st->st_mode) ? ELOOP : ENOTDIR;
	else if (S_ISDIR(st->st_mode))
		errno = EISDIR;
	else
		errno = S_ISLNK(st->st_mode) ? ELOOP : EINVAL;
	return -1;
}

int safe_checked(int fd, mode_t kind, struct stat *st)
{
	if (fd >= 0 && safe_check_kind(fd, kind, st) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
#define FILE_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY)

int safe_open_file_abs(const char *path, struct stat *st)
{
	return safe_checked(safe_open_abs(path, FILE_FLAGS, 0), S_IFREG, st);
}

int safe_open_fileat(int dirfd, const char *rel, struct stat *st)
{
	return safe_checked(safe_openat(dirfd, rel, FILE_FLAGS, 0), S_IFREG, st);
}

int safe_open_dir_abs(const char *path)
{
	return safe_checked(safe_open_abs(path, O_RDONLY | O_DIRECTORY, 0), S_IFDIR, NULL);
}

int safe_read_fd(int fd, size_t max, char **out, size_t *len)
{
	return fd_read_max(fd, max, out, len);
}

int safe_open_parent_abs(const char *path, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = path ? strrchr(path, '/') : NULL;
	size_t dl;

	if (!slash || path[0] != '/' || !slash[1] || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	dl = slash == path ? 1 : (size_t)(slash - path);
	if (dl >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	*name = slash + 1;
	return safe_open_dir_abs(dir);
}

int safe_mkdirs_at(int dirfd, const char *rel, bool chown_new, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];
	cleanup_close int cur = -1;
	char *comp;

	if (!rel || check_rel(rel) < 0)
		return -1;
	cur = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -1;
	memcpy(buf, rel, strlen(rel) + 1);
	for (comp = strtok(buf, "/"); comp; comp = strtok(NULL, "/")) {
		bool made = false;
		int nfd;

		if (strcmp(comp, ".") == 0)
			continue;
		if (mkdirat(cur, comp, 0755) == 0)
			made = true;
		else if (errno != EEXIST)
			return -1;
		/* A link planted where a directory should be: ELOOP, never
		 * followed (O_NOFOLLOW on the open, not a racy lstat). */
		nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			struct stat st;

			if (errno == ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				errno = ELOOP;
			return -1;
		}
		if (made && chown_new && fchown(nfd, uid, gid) < 0) {
			close(nfd);
			return -1;
		}
		close(cur);
		cur = nfd;
	}
	return steal_fd(&cur);
}

int safe_open_parent_at(int dirfd, const char *rel, bool mkdirs, bool chown_new, uid_t uid,
			gid_t gid, const char **name)
{
	char dir[PATH_MAX];
	const char *slash, *last;
	size_t dl;

	if (!rel || check_rel(rel) < 0)
		return -1;
	slash = strrchr(rel, '/');
	last = slash ? slash + 1 : rel;
	if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	dl = slash ? (size_t)(slash - rel) : 0;
	memcpy(dir, rel, dl);   /* check_rel: shorter than PATH_MAX */
	dir[dl] = '\0';
	*name = last;
	if (mkdirs)
		return safe_mkdirs_at(dirfd, dir, chown_new, uid, gid);
	return safe_checked(safe_openat(dirfd, dir, O_RDONLY | O_DIRECTORY, 0), S_IFDIR, NULL);
}

int safe_mkdirs_abs(const char *path, bool chown_new, uid_t uid, gid_t gid)
{
	cleanup_close int root = -1;

	if (!path || path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	return safe_mkdirs_at(root, path + strspn(path, "/"), chown_new, uid, gid);
}

const char *safe_strerror(int e)
{
	switch (e) {
	case ELOOP:
		return "a symbolic link on the way (links are never followed there)";
	case EXDEV:
		return "'..' or an absolute path (never followed there)";
	case EINVAL:
		return "not a regular file or directory (a FIFO, socket or device?)";
	case EFBIG:
		return "larger than allowed";
	default:
		return strerror(e);
	}
}
