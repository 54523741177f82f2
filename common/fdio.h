#ifndef CS_FDIO_H
#define CS_FDIO_H

#include <dirent.h>
#include <stddef.h>

/* Write all N bytes to FD: retries on EINTR, waits (poll) on EAGAIN for
 * non-blocking fds.  Returns 0, or -1 with errno from the failing write. */
int fd_write_all(int fd, const void *buf, size_t n);

/* Read FD to its end, at most MAX bytes, into a fresh NUL-terminated buffer
 * (*OUT, caller frees; *LEN if LEN).  More than MAX is EFBIG, never a silent
 * truncation.  0, or -1 with errno. */
int fd_read_max(int fd, size_t max, char **out, size_t *len);

/* The one small-file reader: PATH opened without following a final link,
 * non-blocking (a FIFO never hangs us), no controlling terminal; it must be
 * a regular file of at most MAX bytes.  0, or -1 with errno (ENOENT absent,
 * ELOOP a link, EINVAL not a regular file, EFBIG too large). */
int read_small_file(const char *path, size_t max, char **out, size_t *len);
/* The same for a system file that is often a link (/etc/resolv.conf under
 * systemd-resolved or `ip netns exec`): the link is followed; the rest
 * (regular, non-blocking, bounded, never cut short) holds. */
int read_system_file(const char *path, size_t max, char **out, size_t *len);

/* A directory stream over a duplicate of the directory FD (FD stays the
 * caller's to close).  NULL with errno. */
DIR *fd_opendir(int fd);

#endif
