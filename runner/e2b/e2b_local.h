/* The local side of the sync (e2b_local.c): files opened beneath the
 * project through directory fds only (common/safeopen.h: no symlink is
 * ever followed on the way), the scan of what to upload. */
#ifndef CS_E2B_LOCAL_H
#define CS_E2B_LOCAL_H

#include "runner/e2b/e2b_sync.h"

/* The directory ROOT, for a sync: when it lies inside PROJECT (the Codex
 * home in .codex/.environment), every component below PROJECT is opened
 * O_NOFOLLOW, so a symlink planted there is refused, never followed. */
int sync_open_root(const char *project, const char *root, struct cs_err *err);

struct sync_scan {
	struct sync_list files;      /* files and inside-pointing links, sorted */
	uint64_t bytes;
	bool used_git;
	size_t links_out, special, unsafe;
	char first_skipped[256];
};
void sync_scan_free(struct sync_scan *s);
/* List ROOT (a project or the Codex home).  GIT: respect .gitignore when
 * ROOT is in a git repository.  Stops with an error naming the limit when
 * the files add up to more than LIMIT bytes.  Runs git as UID:GID when we
 * are root (a repository's config must never run commands as root). */
int sync_scan(const char *root, bool git, const struct strv *excludes, uint64_t limit,
	      uid_t uid, gid_t gid, struct sync_scan *out, struct cs_err *err);
/* Which of PATHS (relative to ROOT) .gitignore ignores: IGNORED[i] set. */
int sync_git_ignored(const char *root, const struct strv *paths, bool *ignored, uid_t uid,
		     gid_t gid, struct cs_err *err);

#endif
