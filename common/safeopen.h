/* Opening paths the sandbox (or a cloned repository) can write without ever
 * following a link: the project, the Codex home, the run directory's status
 * channel.  Every path below the starting directory is walked with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), or,
 * where the kernel lacks openat2 (ENOSYS), component by component with
 * O_NOFOLLOW and an fstat of every step.  '..' and absolute paths are
 * refused outright, so "beneath" never depends on the kernel's rules.
 *
 * Errors (errno): ELOOP a symbolic link on the way or at the end; EXDEV '..'
 * or an absolute relative path; ENOTDIR/EISDIR the wrong kind; EINVAL a
 * FIFO, socket or device where a file or directory was expected; EFBIG a
 * file larger than the caller's bound. */
#ifndef CS_SAFEOPEN_H
#define CS_SAFEOPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Tests: force the O_NOFOLLOW walk even where openat2 exists. */
extern bool safeopen_force_walk;

/* Open REL below the directory DIRFD.  FLAGS are open(2) flags for the last
 * component; O_NOFOLLOW and O_CLOEXEC are always added.  Returns an fd or
 * -1 with errno. */
int safe_openat(int dirfd, const char *rel, int flags, mode_t mode);
/* The same from "/" for an absolute, physical PATH (as the plan stores
 * them): no component may be a link. */
int safe_open_abs(const char *path, int flags, mode_t mode);
/* fstat FD and require KIND (S_IFREG or S_IFDIR); ST may be NULL. */
int safe_check_kind(int fd, mode_t kind, struct stat *st);
/* fd if it is of that kind (else closed, -1, errno kept); a negative fd
 * passes through, so an open can be wrapped directly. */
int safe_checked(int fd, mode_t kind, struct stat *st);
/* Open for reading a regular file: non-blocking (a FIFO never hangs us),
 * no controlling terminal, kind checked.  PATH absolute and physical. */
int safe_open_file_abs(const char *path, struct stat *st);
int safe_open_fileat(int dirfd, const char *rel, struct stat *st);
/* A directory, O_RDONLY|O_DIRECTORY. */
int safe_open_dir_abs(const char *path);
/* Read all of FD (a regular file) up to MAX bytes; NUL-terminated copy in
 * *OUT.  EFBIG when the file holds more.  EAGAIN/EINTR are retried a
 * bounded number of times, never waited on. */
int safe_read_fd(int fd, size_t max, char **out, size_t *len);
/* The directory holding PATH (absolute, physical) opened without links,
 * and the last component in *NAME (points into PATH). */
int safe_open_parent_abs(const char *path, const char **name);
/* mkdir -p below DIRFD without following links; directories this call
 * creates get OWNER (when CHOWN_NEW) and mode 0755.  Returns an fd of the
 * last directory or -1. */
int safe_mkdirs_at(int dirfd, const char *rel, bool chown_new, uid_t uid, gid_t gid);
int safe_mkdirs_abs(const char *path, bool chown_new, uid_t uid, gid_t gid);
/* The directory holding REL's last component, beneath DIRFD, opened as
 * safe_openat opens (no link on the way), or with MKDIRS made as
 * safe_mkdirs_at makes it; the last component in *NAME (points into REL;
 * EINVAL when empty, "." or "..").  Returns an O_RDONLY|O_DIRECTORY fd. */
int safe_open_parent_at(int dirfd, const char *rel, bool mkdirs, bool chown_new, uid_t uid,
			gid_t gid, const char **name);
/* Words for errno values this module returns, for one-line messages. */
const char *safe_strerror(int e);

#endif
