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

#endif
