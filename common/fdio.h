#ifndef CS_FDIO_H
#define CS_FDIO_H

#include <stddef.h>

/* Write all N bytes to FD: retries on EINTR, waits (poll) on EAGAIN for
 * non-blocking fds.  Returns 0, or -1 with errno from the failing write. */
int fd_write_all(int fd, const void *buf, size_t n);

#endif
