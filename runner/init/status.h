#ifndef CS_INIT_STATUS_H
#define CS_INIT_STATUS_H

#include <stddef.h>

/* The status file lives in a directory the sandbox can write (it is bind
 * mounted from the run directory).  The init opens the directory once,
 * before anything from the sandbox runs, and then only works relative to
 * that fd, never through the path again. */

/* Open FILE's directory (O_DIRECTORY, no link as its last component) and
 * point *BASE at FILE's last component.  -1 with errno (EINVAL for a FILE
 * without a usable last component). */
int status_dir_open(const char *file, const char **base);

/* Remove whatever is at NAME in DIRFD (file, link, FIFO; a directory stays
 * and then makes status_create fail).  ENOENT is success. */
int status_clear(int dirfd, const char *name);

/* Create NAME in DIRFD afresh: never opens what is already there (a link, a
 * FIFO, a device, a planted file), never blocks.  Returns the fd or -1. */
int status_create(int dirfd, const char *name);

/* status_clear + status_create + write all of TEXT.  -1 with errno. */
int status_write(int dirfd, const char *name, const char *text, size_t len);

#endif
