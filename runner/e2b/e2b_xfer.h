/* The transfers (e2b_xfer.c): the upload, the sync back and its report. */
#ifndef CS_E2B_XFER_H
#define CS_E2B_XFER_H

#include "runner/e2b/e2b_local.h"

/* One tree to sync: local ROOT <-> remote REMOTE (absolute sandbox path). */
struct sync_tree {
	const char *name;            /* "project", "Codex home", "sessions" */
	const char *root;            /* local directory */
	const char *remote;          /* sandbox directory */
	struct strv excludes;        /* relative to root */
	struct sync_list manifest;   /* what was uploaded (sorted) */
	bool git;                    /* filter new files through .gitignore */
};

/* What a file upload cannot carry, for the first process in the sandbox to
 * apply (e2b_setup.c's wrapper): NUL-separated lists, never shell code. */
struct sync_fixups {
	struct buf exec;             /* paths to chmod +x */
	struct buf links;            /* target, path pairs */
};
/* The fixups of a scanned project. */
int sync_fixups_build(const struct sync_scan *scan, struct sync_fixups *fx, struct cs_err *err);

/* Upload the scanned regular files of N trees (SCANS[i] into TREES[i]),
 * and EXTRA in-memory files, as few multipart requests as the batch limits
 * allow.  Fills each tree's manifest with what was sent (and its sha256). */
int sync_upload(struct e2b_client *cl, const struct e2b_sandbox *sb, struct sync_tree *trees,
		const struct sync_scan *const *scans, size_t n, struct e2b_file *extra,
		size_t n_extra, struct cs_err *err);

struct sync_report {
	size_t updated, created, conflicts, deleted, ignored, excluded, skipped, unchanged;
	uint64_t bytes;
	struct strv lines;           /* per-file lines for the user (bounded) */
	size_t lines_dropped;        /* beyond the bound */
};
void sync_report_free(struct sync_report *r);

/* Bring the sandbox's changes back into the trees.  The listing runs in
 * the sandbox as the sandbox user.  LIMIT bounds the bytes downloaded.
 * Per-file results go into REP; -1 only when the sync could not be done
 * (the caller keeps the sandbox alive then, so nothing is lost). */
int sync_pull(struct e2b_client *cl, const struct e2b_sandbox *sb, struct sync_tree *trees,
	      size_t n_trees, uint64_t limit, uid_t uid, gid_t gid, struct sync_report *rep,
	      struct cs_err *err);
/* The local half of sync_pull, given the sandbox's parsed listing (LISTS[i]
 * for TREES[i]) and a way to fetch a file's bytes (FETCH writes at most MAX
 * bytes of REMOTE to FD, hashing them into H; 1 done, 0 gone, -1 ERR).
 * Unit-tested with a fake fetch (tests/unit/test_e2b_pull.c). */
struct sha256;
typedef int (*sync_fetch_fn)(void *ctx, const char *remote, int fd, uint64_t max, uint64_t *got,
			     struct sha256 *h, struct cs_err *err);
int sync_apply(struct sync_tree *trees, size_t n_trees, const struct sync_list *lists,
	       sync_fetch_fn fetch, void *fctx, uint64_t limit, uid_t uid, gid_t gid,
	       struct sync_report *rep, struct cs_err *err);
/* Print the summary (and the per-file lines) to stderr. */
void sync_report_print(const struct sync_report *r);

#endif
