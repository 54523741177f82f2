/* Cleanup attributes for owned resources (crun/bubblewrap habit) and small
 * helpers.  Ownership leaves a scope through steal_pointer() / steal_fd(). */
#ifndef CS_UTIL_H
#define CS_UTIL_H

#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void cs_freep(void *p) { free(*(void **)p); }
static inline void cs_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define cleanup_free __attribute__((cleanup(cs_freep)))
#define cleanup_close __attribute__((cleanup(cs_closep)))

#define steal_pointer(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
static inline int steal_fd(int *fd) { int f = *fd; *fd = -1; return f; }

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
