/* --auth-writeback: ChatGPT logins use single-use refresh tokens, which a
 * read-only auth.json cannot keep.  The sandbox gets a private writable copy;
 * when the run ends, a changed copy is written back to the host file
 * atomically (common/atomic.h, in the directory fd opened at the start,
 * same mode and owner; only if the same device and inode is still there),
 * under an exclusive lock held for the whole run, so two concurrent sandboxes can never both
 * spend the same refresh token.  A host file that changed meanwhile is
 * never overwritten: the sandbox's version is kept beside it. */
#ifndef CS_WRITEBACK_H
#define CS_WRITEBACK_H

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/error.h"
#include "runner/core/rundir.h"

#define AUTH_MAX_BYTES (1u << 20)

struct writeback {
	bool active;
	char host_path[PATH_MAX];
	char private_copy[PATH_MAX + 32];
	int lock_fd;                /* the file's directory: locked, and all I/O goes through it */
	char name[NAME_MAX + 1];    /* the file's name in it */
	struct stat orig_st;        /* the file read: only it is replaced */
	char *orig;
	size_t orig_len;
};

int writeback_begin(struct writeback *wb, const char *host_auth, const struct rundir *rd,
		    uid_t uid, gid_t gid, struct cs_err *err);
/* Write back if changed; always releases the lock. */
int writeback_finish(struct writeback *wb, struct cs_err *err);

#endif
