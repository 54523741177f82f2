/* Files between the local project and the E2B sandbox.
 *
 * In: the project (what git would track: `git ls-files --cached --others
 * --exclude-standard`, or every file when it is not a git repository), the
 * Codex home files the plan prepared, under a total size limit.  Symlinks
 * whose target stays inside the project, resolved against the tree on disk
 * (e2b_links.h), are recreated in the sandbox; those leading out and
 * special files (fifos, sockets, devices) are skipped and reported.
 *
 * Out ("nothing lost"): when the run ends the sandbox lists its files with
 * their sha256; every file that differs from what was uploaded comes back,
 * but a local file that changed since the upload is never overwritten: the
 * sandbox's version is written beside it as FILE.e2b-remote and the user is
 * told.  Files deleted in the sandbox are reported, never deleted locally.
 * New files are created (not those .gitignore ignores).  Symlinks made in
 * the sandbox are never created here, only reported with where they would
 * lead: whether a link stays inside depends on links created before and
 * after it (and on what the user or another sandbox does meanwhile), so
 * no order of creation makes it safe; a link costs the user one `ln -s`.
 * Every path from the sandbox is untrusted: cleaned (no absolute paths, no
 * "..", no empty or "." parts), written only as a regular file through a
 * walk that opens every directory beneath the tree's root O_NOFOLLOW (never
 * through a link planted earlier), within the sync's byte limit, and never
 * into .git, the Codex home's auth.json or our excluded trees. */
#ifndef CS_E2B_SYNC_H
#define CS_E2B_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runner/core/cli.h"
#include "runner/e2b/e2b_api.h"
#include "runner/e2b/e2b_envd.h"
#include "common/error.h"
#include "runner/core/plan.h"

#define SYNC_PATH_MAX 4096
#define SYNC_LISTING_MAX (64u << 20)       /* the sandbox's file listing */
#define SYNC_ENTRIES_MAX 1000000

enum sync_type { SYNC_FILE, SYNC_LINK };

struct sync_entry {
	char *path;          /* relative, clean */
	enum sync_type type;
	uint64_t size;
	unsigned mode;       /* permission bits (files) */
	char sha[65];        /* content (file) or target text (link); "" unknown */
	char *link;          /* link target */
};

struct sync_list {
	struct sync_entry *v;
	size_t n, cap;
	bool sorted;
};

void sync_list_free(struct sync_list *l);
int sync_list_add(struct sync_list *l, const struct sync_entry *e);  /* copies */
void sync_list_sort(struct sync_list *l);
const struct sync_entry *sync_list_find(const struct sync_list *l, const char *path);

/* ---- pure rules (unit-tested) -------------------------------------------- */

/* Clean a relative path that came from outside.  0 and OUT, or -1 when it is
 * empty, absolute, too long, or has an empty, "." or ".." component. */
int sync_path_clean(const char *in, char *out, size_t outsz);
/* Is REL inside one of EXCLUDES (relative prefixes: equal, or a parent
 * directory), or does it have a ".git" component? */
bool sync_excluded(const char *rel, const struct strv *excludes);

/* The sandbox's listing: NUL-separated records, "S<name>" starting a
 * section, "F<octal mode> <size> ./<path>" a file, "L./<path>" followed by a
 * record with the link target, "<64 hex>  ./<path>" a file's sha256 (from
 * sha256sum -z).  Up to 4 sections (names in NAMES) go into OUT[i].  Bad
 * paths are dropped and counted in *REJECTED.  -1 on a malformed listing. */
int sync_parse_listing(const char *data, size_t len, const char *const names[4],
		       struct sync_list out[4], size_t *rejected, struct cs_err *err);

enum sync_local { LOCAL_ABSENT, LOCAL_AS_UPLOADED, LOCAL_AS_REMOTE, LOCAL_OTHER };
enum sync_action {
	ACT_NONE,        /* nothing to do */
	ACT_WRITE,       /* create or replace the local file */
	ACT_CONFLICT,    /* keep the local file, write FILE.e2b-remote beside it */
};
/* What to do with a path the sandbox changed or created (IN_MANIFEST: it
 * was uploaded), given the local file's state now. */
enum sync_action sync_decide(bool in_manifest, enum sync_local local);

/* ---- the local side ----------------------------------------------------------- */

/* Open REL beneath the directory ROOTFD without following any symlink on
 * the way (every component is opened O_NOFOLLOW).  With MKDIRS, missing
 * parent directories are created (mode 0755, owned by UID:GID when we are
 * root).  FLAGS/MODE as openat(2) for the last component. */
int guard_open(int rootfd, const char *rel, int flags, mode_t mode, bool mkdirs,
	       uid_t uid, gid_t gid);
/* The directory ROOT, for a sync: when it lies inside PROJECT (the Codex
 * home in .codex/.environment), every component below PROJECT is opened
 * O_NOFOLLOW, so a symlink planted there is refused, never followed. */
int sync_open_root(const char *project, const char *root, struct cs_err *err);
/* The directory holding REL's last component, opened as guard_open does,
 * and the last component's name in *BASE (points into REL). */
int guard_parent(int rootfd, const char *rel, bool mkdirs, uid_t uid, gid_t gid,
		 const char **base);

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

/* ---- transfers (e2b_xfer.c) --------------------------------------------------- */

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
