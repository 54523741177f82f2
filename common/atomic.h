/* The one way this project replaces a file: a fresh temporary name in the
 * same directory, created O_EXCL|O_NOFOLLOW|O_NONBLOCK (whatever was planted
 * at that name -- a link, a FIFO -- is removed first and never opened or
 * written through), filled, given its mode and owner, fsync'd, then renamed
 * over the name.  Readers see the old file or the whole new one, and the
 * rename replaces only that one directory entry.  On any failure the
 * temporary name is removed and the target is untouched. */
#ifndef CS_ATOMIC_H
#define CS_ATOMIC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/error.h"

struct atomic_opts {
	mode_t mode;              /* permission bits of the result (0600 if 0) */
	bool set_owner;           /* fchown to uid:gid (root only) */
	uid_t uid;
	gid_t gid;
	const struct stat *expect;/* if set: NAME must still be this dev+ino */
	bool no_replace;          /* fail with EEXIST if NAME exists */
	bool no_sync;             /* the file does not outlive the run (a run
				   * directory): no fsync */
};

/* A file being written: fd to write to, then commit or abort. */
struct atomic_file {
	int dirfd;                /* borrowed, or owned when opened by path */
	bool own_dirfd;
	int fd;
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];
};

/* For a struct atomic_file declared cleanup_atomic before the begin. */
#define ATOMIC_FILE_INIT { .dirfd = -1, .fd = -1 }

/* Start replacing DIRFD/NAME (NAME one component, no '/'). */
int atomic_begin_at(struct atomic_file *a, int dirfd, const char *name, struct cs_err *err);
/* The same for an absolute or relative PATH: its directory is opened as is
 * (the caller trusts it), the last component is never followed. */
int atomic_begin_path(struct atomic_file *a, const char *path, struct cs_err *err);
/* Mode, owner, fsync, rename.  The file is closed either way. */
int atomic_commit(struct atomic_file *a, const struct atomic_opts *o, struct cs_err *err);
/* Commit under another name, beside the target: NAME SUFFIX, or NAME
 * SUFFIX.2, .3 ... up to .MAX, the first that does not exist.  Never
 * replaces anything: each name is tried with a rename that fails if it
 * exists (so a link or FIFO there is passed over, never followed or
 * opened, and a name someone creates meanwhile is passed over too).  USED
 * (if not NULL) receives the name taken.  O as for atomic_commit
 * (no_replace and expect are implied / ignored: O->expect still checks
 * NAME).  EEXIST when all MAX names are taken.  The file is closed either
 * way. */
int atomic_commit_beside(struct atomic_file *a, const char *suffix, int max,
			 const struct atomic_opts *o, char *used, size_t usedsz, struct cs_err *err);
/* Give up: the temporary name is removed, the target untouched. */
void atomic_abort(struct atomic_file *a);

/* Whole-buffer forms of the above. */
int atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
		    const struct atomic_opts *o, struct cs_err *err);
int atomic_write_path(const char *path, const void *data, size_t len,
		      const struct atomic_opts *o, struct cs_err *err);

static inline void atomic_abortp(struct atomic_file *a) { atomic_abort(a); }
/* Scope guard: aborts unless committed (commit leaves nothing to abort). */
#define cleanup_atomic __attribute__((cleanup(atomic_abortp)))

#endif
