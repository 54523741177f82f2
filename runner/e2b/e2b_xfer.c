/* Moving files: the upload in batches (the SDK's multi-file /files write)
 * and the pull at the end (the sandbox lists, we compare, download what
 * changed, and apply it under the never-overwrite rule). */
#include "runner/e2b/e2b_xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/e2b/e2b_envd.h"
#include "runner/e2b/e2b_links.h"
#include "common/safeopen.h"
#include "common/sha256.h"
#include "common/atomic.h"
#include "common/util.h"

#define BATCH_FILES 256
#define BATCH_BYTES (32ull << 20)
#define REPORT_LINES 40

/* ---- upload ----------------------------------------------------------------- */

struct batch {
	struct e2b_file f[BATCH_FILES];
	char *remote[BATCH_FILES];
	struct sync_tree *tree[BATCH_FILES];      /* NULL: an extra file */
	const struct sync_entry *entry[BATCH_FILES];
	size_t n;
	uint64_t bytes;
};

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->f[i].fd >= 0 && b->tree[i])
			close(b->f[i].fd);
		free(b->remote[i]);
	}
	b->n = 0;
	b->bytes = 0;
}

static int batch_flush(struct e2b_client *cl, const struct e2b_sandbox *sb, struct batch *b,
		       bool by_path, struct cs_err *err)
{
	if (!b->n)
		return 0;
	if (e2b_upload(cl, sb, E2B_USER, b->f, b->n, by_path, err) < 0) {
		batch_clear(b);
		return -1;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct sync_entry e;

		if (!b->tree[i])
			continue;
		e = *b->entry[i];
		e.size = b->f[i].size;
		memcpy(e.sha, b->f[i].sha, sizeof e.sha);
		if (sync_list_add(&b->tree[i]->manifest, &e) < 0) {
			batch_clear(b);
			return cs_fail(err, ENOMEM, "out of memory");
		}
	}
	batch_clear(b);
	return 0;
}

/* Add one file; a name a multipart header cannot carry goes alone. */
static int batch_add(struct e2b_client *cl, const struct e2b_sandbox *sb, struct batch *b,
		     struct e2b_file f, char *remote, struct sync_tree *t, const struct sync_entry *e,
		     struct cs_err *err)
{
	bool safe = e2b_multipart_safe(remote);

	if (!safe || b->n == BATCH_FILES || b->bytes + f.size > BATCH_BYTES) {
		if (batch_flush(cl, sb, b, false, err) < 0)
			goto fail;
	}
	f.remote = remote;
	b->f[b->n] = f;
	b->remote[b->n] = remote;
	b->tree[b->n] = t;
	b->entry[b->n] = e;
	b->n++;
	b->bytes += f.size;
	return safe ? 0 : batch_flush(cl, sb, b, true, err);
fail:
	if (t && f.fd >= 0)
		close(f.fd);
	free(remote);
	return -1;
}

int sync_fixups_build(const struct sync_scan *scan, struct sync_fixups *fx, struct cs_err *err)
{
	for (size_t i = 0; i < scan->files.n; i++) {
		const struct sync_entry *e = &scan->files.v[i];
		int r = 0;

		if (e->type == SYNC_LINK)
			r = buf_append(&fx->links, e->link, strlen(e->link) + 1) < 0 ||
			    buf_append(&fx->links, e->path, strlen(e->path) + 1) < 0 ? -1 : 0;
		else if (e->mode & 0111)
			r = buf_append(&fx->exec, e->path, strlen(e->path) + 1);
		if (r < 0)
			return cs_fail(err, errno, "too many executable files or symlinks");
	}
	return 0;
}

static int upload_tree(struct e2b_client *cl, const struct e2b_sandbox *sb, struct batch *b,
		       const char *project, struct sync_tree *t, const struct sync_scan *scan,
		       struct cs_err *err)
{
	int rootfd = sync_open_root(project, t->root, err), rc = -1;

	if (rootfd < 0)
		return -1;
	for (size_t i = 0; i < scan->files.n; i++) {
		const struct sync_entry *e = &scan->files.v[i];
		struct stat st;
		char *remote = NULL;
		int fd;

		if (e->type == SYNC_LINK) {
			/* recreated by the wrapper from the fixups */
			if (sync_list_add(&t->manifest, e) < 0) {
				cs_fail(err, ENOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		/* Non-blocking: a fifo swapped in since the scan must not
		 * hang us; it is then refused as not a regular file. */
		fd = safe_open_fileat(rootfd, e->path, &st);
		if (fd < 0)
			continue;   /* gone or replaced since the scan: nothing to send */
		if (asprintf(&remote, "%s/%s", t->remote, e->path) < 0) {
			close(fd);
			cs_fail(err, ENOMEM, "out of memory");
			goto out;
		}
		if (batch_add(cl, sb, b, (struct e2b_file){ .fd = fd, .size = (uint64_t)st.st_size },
			      remote, t, e, err) < 0)
			goto out;
	}
	rc = 0;
out:
	close(rootfd);
	return rc;
}

int sync_upload(struct e2b_client *cl, const struct e2b_sandbox *sb, struct sync_tree *trees,
		const struct sync_scan *const *scans, size_t n, struct e2b_file *extra,
		size_t n_extra, struct cs_err *err)
{
	cleanup_free struct batch *b = calloc(1, sizeof *b);
	int rc = -1;

	if (!b)
		return cs_fail(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n_extra; i++) {
		char *remote = strdup(extra[i].remote);

		if (!remote || batch_add(cl, sb, b, extra[i], remote, NULL, NULL, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (upload_tree(cl, sb, b, trees[0].root, &trees[i], scans[i], err) < 0)
			goto out;
	if (batch_flush(cl, sb, b, false, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		sync_list_sort(&trees[i].manifest);
	rc = 0;
out:
	batch_clear(b);
	return rc;
}

/* ---- the listing -------------------------------------------------------------- */

/* Runs as the sandbox user with cwd "/" and the trees as arguments.  Paths
 * are resolved against the filesystem root the process sees ($R, "" on
 * E2B; the project's emulator roots each sandbox in a directory). */
static const char listing_script[] =
	"R=$(pwd -P); [ \"$R\" = / ] && R=\n"
	"i=0\n"
	"for d in \"$@\"; do\n"
	"  printf 'S%s\\0' \"$i\"\n"
	"  if cd \"$R$d\" 2>/dev/null; then\n"
	"    find . -name .git -prune -o -type f -printf 'F%m %s %p\\0' "
	"-o -type l -printf 'L%p\\0%l\\0'\n"
	"    find . -name .git -prune -o -type f -print0 | xargs -0 -r sha256sum -z --\n"
	"  fi\n"
	"  i=$((i+1))\n"
	"done\n"
	"printf 'E\\0'\n";

static int remote_listing(struct e2b_client *cl, const struct e2b_sandbox *sb,
			  struct sync_tree *trees, size_t n, struct sync_list lists[4],
			  struct cs_err *err)
{
	static const char *const names[4] = { "0", "1", "2", "3" };
	const char *argv[12] = { "/bin/sh", "-c", listing_script, "codex-sandbox-sync" };
	struct e2b_proc p = { .user = E2B_USER, .argv = argv, .cwd = "/",
			      .label = "listing the files" };
	struct buf out, errout;
	size_t rejected = 0, na = 4;
	int status = 0, rc = -1;

	for (size_t i = 0; i < n && i < 4; i++)
		argv[na++] = trees[i].remote;
	argv[na] = NULL;
	buf_init(&out, SYNC_LISTING_MAX);
	buf_init(&errout, 1u << 16);
	if (e2b_run(cl, sb, &p, &out, &errout, &status, err) < 0)
		goto out;
	if (sync_parse_listing(out.data ? out.data : "", out.len, names, lists, &rejected, err) < 0) {
		if (errout.len)
			cs_wrap(err, "%.200s", errout.data);
		goto out;
	}
	if (rejected)
		fprintf(stderr, "codex-sandbox: %zu paths from the sandbox were refused (absolute, "
			"'..' or empty parts)\n", rejected);
	rc = 0;
out:
	buf_free(&out);
	buf_free(&errout);
	return rc;
}

/* ---- applying one change ------------------------------------------------------- */

void sync_report_free(struct sync_report *r)
{
	strv_free(&r->lines);
	memset(r, 0, sizeof *r);
}

/* Names come from the sandbox: no control characters reach the terminal. */
static void report_text(struct sync_report *r, char *line)
{
	if (r->lines.n >= REPORT_LINES) {
		r->lines_dropped++;
		return;
	}
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	(void)strv_push(&r->lines, line);
}

static void report_line(struct sync_report *r, const char *fmt, const char *a, const char *b)
{
	char line[SYNC_PATH_MAX * 2 + 200];

	snprintf(line, sizeof line, fmt, a, b ? b : "");
	report_text(r, line);
}

static int hash_fd(int fd, char sha[65])
{
	struct sha256 h;
	char b[65536];
	ssize_t n;

	sha256_init(&h);
	while ((n = read(fd, b, sizeof b)) > 0)
		sha256_update(&h, b, (size_t)n);
	if (n < 0)
		return -1;
	sha256_hex(&h, sha);
	return 0;
}

/* The local state of BASE in PFD compared to the uploaded (M) and the
 * sandbox's (R) version. */
static enum sync_local local_state(int pfd, const char *base, const struct sync_entry *m,
				   const struct sync_entry *r, struct stat *st)
{
	char sha[65];

	if (fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? LOCAL_ABSENT : LOCAL_OTHER;
	if (S_ISREG(st->st_mode)) {
		/* Non-blocking and checked again on the descriptor: a fifo or
		 * device swapped in since the stat is "something else". */
		int fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		struct stat fst;
		int rc = fd >= 0 && fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) ? hash_fd(fd, sha) : -1;

		if (fd >= 0)
			close(fd);
		if (rc < 0)
			return LOCAL_OTHER;
		if (r->type == SYNC_FILE && strcmp(sha, r->sha) == 0)
			return LOCAL_AS_REMOTE;
		if (m && m->type == SYNC_FILE && strcmp(sha, m->sha) == 0)
			return LOCAL_AS_UPLOADED;
		return LOCAL_OTHER;
	}
	if (S_ISLNK(st->st_mode)) {
		char t[SYNC_PATH_MAX];
		ssize_t n = readlinkat(pfd, base, t, sizeof t - 1);

		if (n < 0)
			return LOCAL_OTHER;
		t[n] = '\0';
		if (r->type == SYNC_LINK && strcmp(t, r->link) == 0)
			return LOCAL_AS_REMOTE;
		if (m && m->type == SYNC_LINK && strcmp(t, m->link) == 0)
			return LOCAL_AS_UPLOADED;
	}
	return LOCAL_OTHER;
}

struct pull_ctx {
	sync_fetch_fn fetch;
	void *fctx;
	struct sync_tree *t;
	int rootfd;
	uint64_t limit, used;
	uid_t uid;
	gid_t gid;
	struct sync_report *rep;
	struct sync_list next;     /* the manifest after this pull */
	unsigned seq;
};

/* Record what the local tree now holds for a path, for the next pull. */
static void keep_state(struct pull_ctx *c, const struct sync_entry *e)
{
	(void)sync_list_add(&c->next, e);
}

/* A symlink from the sandbox is never created here (e2b_sync.h says why);
 * the report says where it would lead, resolved against the tree as it is. */
static int skip_link(struct pull_ctx *c, const struct sync_entry *r, const struct sync_entry *m)
{
	char line[SYNC_PATH_MAX * 2 + 200];
	enum link_verdict v = links_resolve(c->rootfd, r->path, r->link);

	c->rep->skipped++;
	snprintf(line, sizeof line, "  not created: symlink %s -> %s (%s)", r->path, r->link,
		 v == LINK_INSIDE ? "links from the sandbox are not made here; make it with "
				    "ln -s if you want it" : links_verdict_str(v));
	report_text(c->rep, line);
	if (m)
		keep_state(c, m);
	return 0;
}

/* The new file's mode and owner.  Replacing a local regular file (ST):
 * keep its permissions and owner, take only the executable bits from the
 * sandbox.  No fsync per file (no_sync), as before the sync back moved
 * onto the one atomic write: it writes many files, and a reader still sees
 * the old file or the whole new one. */
static struct atomic_opts mode_opts(const struct pull_ctx *c, const struct sync_entry *r,
				    const struct stat *st)
{
	struct atomic_opts o = { .mode = r->mode & 0111 ? 0755 : 0644, .uid = c->uid,
				 .gid = c->gid, .set_owner = geteuid() == 0, .no_sync = true };

	if (st && S_ISREG(st->st_mode)) {
		o.mode = (st->st_mode & 0666) | (r->mode & 0111 ? (st->st_mode & 0444) >> 2 : 0);
		o.uid = st->st_uid;
		o.gid = st->st_gid;
	}
	return o;
}

/* Where the downloaded file A goes: over the local file (ACT_WRITE), or
 * beside it as .e2b-remote[.N] (never over anything).  The report says so. */
static int place(struct pull_ctx *c, struct atomic_file *a, const struct sync_entry *r,
		 const struct sync_entry *m, const struct sync_entry *got, struct cs_err *err)
{
	enum sync_local loc;
	enum sync_action act;
	struct atomic_opts o;
	struct stat st;
	char name[NAME_MAX + 1];

	loc = local_state(a->dirfd, a->name, m, got, &st);
	act = sync_decide(m != NULL, loc);
	if (act == ACT_NONE) {
		atomic_abort(a);
		keep_state(c, got);
		return 0;
	}
	o = mode_opts(c, r, act == ACT_WRITE && loc != LOCAL_ABSENT ? &st : NULL);
	if (act == ACT_WRITE) {
		if (atomic_commit(a, &o, err) < 0)
			return cs_wrap(err, "replacing %s/%s", c->t->root, r->path);
		if (m)
			c->rep->updated++;
		else
			c->rep->created++;
		c->rep->bytes += got->size;
		keep_state(c, got);
		return 0;
	}
	if (atomic_commit_beside(a, ".e2b-remote", 99, &o, name, sizeof name, err) < 0)
		return cs_wrap(err, "writing %s's sandbox version beside it", r->path);
	c->rep->conflicts++;
	report_line(c->rep, loc == LOCAL_ABSENT
		    ? "  conflict: %s was deleted here but changed in the sandbox; its sandbox "
		      "version is %s"
		    : "  conflict: %s changed here too; kept yours, the sandbox's version is %s",
		    r->path, name);
	if (m)
		keep_state(c, m);
	return 0;
}

static int apply_change(struct pull_ctx *c, const struct sync_entry *r, const struct sync_entry *m,
			struct cs_err *err)
{
	/* Declared first, released last: A's cleanup removes its temporary
	 * name beneath PFD. */
	cleanup_close int pfd = -1;
	cleanup_atomic struct atomic_file a = ATOMIC_FILE_INIT;
	char rpath[SYNC_PATH_MAX * 2];
	const char *base;
	struct sync_entry got = *r;
	struct sha256 h;
	uint64_t n = 0;
	int d;

	if (r->type == SYNC_LINK)
		return skip_link(c, r, m);
	pfd = safe_open_parent_at(c->rootfd, r->path, true, geteuid() == 0, c->uid, c->gid, &base);
	if (pfd < 0) {
		c->rep->skipped++;
		report_line(c->rep, "  not copied: %s (%s in the way here)", r->path,
			    errno == ENOTDIR || errno == ELOOP ? "a symlink or file" : strerror(errno));
		if (m)
			keep_state(c, m);
		return 0;
	}
	/* The one atomic write (common/atomic.h): a new temporary name
	 * (O_EXCL, O_NOFOLLOW) in a directory reached without following
	 * links; the download stops at the sync's byte limit. */
	if (atomic_begin_at(&a, pfd, base, err) < 0)
		return cs_wrap(err, "writing into %s/%s", c->t->root, r->path);
	snprintf(rpath, sizeof rpath, "%s/%s", c->t->remote, r->path);
	sha256_init(&h);
	d = c->fetch(c->fctx, rpath, a.fd, c->limit - c->used, &n, &h, err);
	if (d < 0)
		return -1;   /* no partial file left behind: cleanup_atomic */
	c->used += n;
	if (d == 0) {   /* gone since the listing */
		if (m)
			keep_state(c, m);
		return 0;
	}
	sha256_hex(&h, got.sha);
	got.size = n;
	if (m && m->type == SYNC_FILE && strcmp(got.sha, m->sha) == 0 &&
	    !(m->mode & 0111) == !(r->mode & 0111)) {
		c->rep->unchanged++;   /* the listing lied or was stale: unchanged */
		keep_state(c, m);
		return 0;
	}
	return place(c, &a, r, m, &got, err);
}

static bool same_upload(const struct sync_entry *m, const struct sync_entry *r)
{
	if (m->type != r->type || !r->sha[0] || strcmp(m->sha, r->sha) != 0)
		return false;
	return m->type == SYNC_LINK || !(m->mode & 0111) == !(r->mode & 0111);
}

static int pull_tree(struct pull_ctx *c, const struct sync_list *remote, struct cs_err *err)
{
	struct sync_tree *t = c->t;
	struct strv fresh = { 0 };
	cleanup_free bool *ignored = NULL;
	int rc = -1;

	/* Deleted in the sandbox: reported, never deleted here. */
	for (size_t i = 0; i < t->manifest.n; i++) {
		const struct sync_entry *m = &t->manifest.v[i];

		if (sync_list_find(remote, m->path) || sync_excluded(m->path, &t->excludes))
			continue;
		c->rep->deleted++;
		report_line(c->rep, "  deleted in the sandbox, kept here: %s%s", m->path, NULL);
	}
	/* New files: ask .gitignore first, like the upload did.  Paths below
	 * a local symlink are not asked (git refuses them); they are refused
	 * when applied. */
	for (size_t i = 0; i < remote->n; i++) {
		const char *base;
		int pfd;

		if (sync_excluded(remote->v[i].path, &t->excludes) ||
		    sync_list_find(&t->manifest, remote->v[i].path))
			continue;
		pfd = safe_open_parent_at(c->rootfd, remote->v[i].path, false, false, 0, 0, &base);
		if (pfd >= 0)
			close(pfd);
		else if (errno != ENOENT)
			continue;
		if (strv_push(&fresh, remote->v[i].path) < 0)
			goto out;
	}
	ignored = calloc(fresh.n ? fresh.n : 1, sizeof *ignored);
	if (!ignored)
		goto out;
	if (t->git && sync_git_ignored(t->root, &fresh, ignored, c->uid, c->gid, err) < 0) {
		/* Better to bring too much back than to lose new work. */
		cs_err_print(err, "codex-sandbox: warning: .gitignore not applied to new files");
		cs_err_clear(err);
		memset(ignored, 0, (fresh.n ? fresh.n : 1) * sizeof *ignored);
	}
	for (size_t i = 0, k = 0; i < remote->n; i++) {
		const struct sync_entry *r = &remote->v[i];
		const struct sync_entry *m;

		if (sync_excluded(r->path, &t->excludes)) {
			c->rep->excluded++;
			continue;
		}
		m = sync_list_find(&t->manifest, r->path);
		if (!m && k < fresh.n && strcmp(fresh.v[k], r->path) == 0 && ignored[k++]) {
			c->rep->ignored++;
			continue;
		}
		if (m && same_upload(m, r)) {
			keep_state(c, m);
			continue;
		}
		if (apply_change(c, r, m, err) < 0)
			goto out;
	}
	rc = 0;
out:
	strv_free(&fresh);
	return rc;
}

struct envd_fetch {
	struct e2b_client *cl;
	const struct e2b_sandbox *sb;
};

static int envd_fetch(void *ctx, const char *remote, int fd, uint64_t max, uint64_t *got,
		      struct sha256 *h, struct cs_err *err)
{
	struct envd_fetch *f = ctx;

	return e2b_download(f->cl, f->sb, E2B_USER, remote, fd, max, got, h, err);
}

int sync_apply(struct sync_tree *trees, size_t n_trees, const struct sync_list *lists,
	       sync_fetch_fn fetch, void *fctx, uint64_t limit, uid_t uid, gid_t gid,
	       struct sync_report *rep, struct cs_err *err)
{
	uint64_t used = 0;

	for (size_t i = 0; i < n_trees; i++) {
		struct pull_ctx c = { .fetch = fetch, .fctx = fctx, .t = &trees[i], .limit = limit,
				      .used = used, .uid = uid, .gid = gid, .rep = rep };
		int r;

		c.rootfd = sync_open_root(trees[0].root, trees[i].root, err);
		if (c.rootfd < 0)
			return -1;
		r = pull_tree(&c, &lists[i], err);
		close(c.rootfd);
		used = c.used;
		/* Paths not looked at this time keep their old state. */
		for (size_t k = 0; k < trees[i].manifest.n; k++)
			if (!sync_list_find(&c.next, trees[i].manifest.v[k].path) &&
			    !sync_list_find(&lists[i], trees[i].manifest.v[k].path))
				keep_state(&c, &trees[i].manifest.v[k]);
		sync_list_sort(&c.next);
		if (r < 0) {
			sync_list_free(&c.next);
			return -1;
		}
		sync_list_free(&trees[i].manifest);
		trees[i].manifest = c.next;
	}
	return 0;
}

int sync_pull(struct e2b_client *cl, const struct e2b_sandbox *sb, struct sync_tree *trees,
	      size_t n_trees, uint64_t limit, uid_t uid, gid_t gid, struct sync_report *rep,
	      struct cs_err *err)
{
	struct sync_list lists[4] = { 0 };
	struct envd_fetch f = { .cl = cl, .sb = sb };
	int rc = -1;

	if (n_trees > 4)
		n_trees = 4;
	if (remote_listing(cl, sb, trees, n_trees, lists, err) == 0 &&
	    sync_apply(trees, n_trees, lists, envd_fetch, &f, limit, uid, gid, rep, err) == 0)
		rc = 0;
	for (int i = 0; i < 4; i++)
		sync_list_free(&lists[i]);
	return rc;
}

void sync_report_print(const struct sync_report *r)
{
	if (!r->updated && !r->created && !r->conflicts && !r->deleted && !r->skipped) {
		fprintf(stderr, "codex-sandbox: no changes came back from the sandbox%s\n",
			r->ignored ? " (files ignored by .gitignore were not copied)" : "");
		return;
	}
	fprintf(stderr, "codex-sandbox: from the sandbox: %zu updated, %zu created, %zu conflicts "
		"(kept beside as .e2b-remote), %zu deleted there (kept here), %zu not copied "
		"(%zu ignored by .gitignore)\n", r->updated, r->created, r->conflicts, r->deleted,
		r->skipped, r->ignored);
	for (size_t i = 0; i < r->lines.n; i++)
		fprintf(stderr, "%s\n", r->lines.v[i]);
	if (r->lines_dropped)
		fprintf(stderr, "  ... and %zu more\n", r->lines_dropped);
}
