/* The pure half of the sync: path rules, the sandbox's listing, the
 * decision table.  No I/O; unit-tested (tests/unit/test_e2b_sync.c) and the
 * listing parser fuzzed (tests/fuzz/fuzz_e2b_listing.c): the listing comes
 * from the sandbox, whose programs are not trusted. */
#include "runner/e2b/e2b_sync.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"

void sync_list_free(struct sync_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].link);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

int sync_list_add(struct sync_list *l, const struct sync_entry *e)
{
	struct sync_entry *d;

	if (l->n >= SYNC_ENTRIES_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct sync_entry *nv = realloc(l->v, nc * sizeof *nv);

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	d = &l->v[l->n];
	*d = *e;
	d->path = strdup(e->path);
	d->link = e->link ? strdup(e->link) : NULL;
	if (!d->path || (e->link && !d->link)) {
		free(d->path);
		free(d->link);
		errno = ENOMEM;
		return -1;
	}
	l->n++;
	l->sorted = false;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct sync_entry *)a)->path, ((const struct sync_entry *)b)->path);
}

void sync_list_sort(struct sync_list *l)
{
	size_t j = 0;

	if (l->n)
		qsort(l->v, l->n, sizeof *l->v, cmp_entry);
	/* Keep the first of duplicate paths. */
	for (size_t i = 0; i < l->n; i++) {
		if (j && strcmp(l->v[j - 1].path, l->v[i].path) == 0) {
			free(l->v[i].path);
			free(l->v[i].link);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
	l->sorted = true;
}

const struct sync_entry *sync_list_find(const struct sync_list *l, const char *path)
{
	if (l->sorted) {
		struct sync_entry key = { .path = (char *)path };

		return l->n ? bsearch(&key, l->v, l->n, sizeof *l->v, cmp_entry) : NULL;
	}
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

int sync_path_clean(const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in);
	const char *c = in;

	if (n == 0 || n >= outsz || n >= SYNC_PATH_MAX || in[0] == '/')
		return -1;
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);

		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return -1;
		if (!slash)
			break;
		c = slash + 1;
	}
	memcpy(out, in, n + 1);
	return 0;
}

bool sync_excluded(const char *rel, const struct strv *excludes)
{
	const char *c = rel;

	for (;;) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);

		if (len == 4 && memcmp(c, ".git", 4) == 0)
			return true;
		if (!slash)
			break;
		c = slash + 1;
	}
	for (size_t i = 0; excludes && i < excludes->n; i++) {
		size_t n = strlen(excludes->v[i]);

		if (n && strncmp(rel, excludes->v[i], n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
			return true;
	}
	return false;
}

/* ---- the listing ----------------------------------------------------------- */

struct hash_rec {
	char *path;
	char sha[65];
};

struct parse_state {
	const char *const *names;
	struct sync_list *out;
	int sec;                      /* current section, -1 none/unknown */
	struct hash_rec *hashes;
	size_t nh, caph;
	size_t *rejected;
};

static bool is_hex64(const char *r, size_t len)
{
	if (len < 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!isdigit((unsigned char)r[i]) && !(r[i] >= 'a' && r[i] <= 'f'))
			return false;
	return true;
}

/* "./x/y" -> "x/y" cleaned into OUT; false (and counted) when unsafe. */
static bool take_path(struct parse_state *ps, const char *rec, char *out, size_t outsz)
{
	if (strncmp(rec, "./", 2) != 0 || sync_path_clean(rec + 2, out, outsz) < 0) {
		(*ps->rejected)++;
		return false;
	}
	return true;
}

static int cmp_hash(const void *a, const void *b)
{
	return strcmp(((const struct hash_rec *)a)->path, ((const struct hash_rec *)b)->path);
}

/* Section done: sort it and give each file its hash. */
static void finish_section(struct parse_state *ps)
{
	struct sync_list *l;

	if (ps->sec < 0) {
		for (size_t i = 0; i < ps->nh; i++)
			free(ps->hashes[i].path);
		ps->nh = 0;
		return;
	}
	l = &ps->out[ps->sec];
	sync_list_sort(l);
	if (ps->nh)
		qsort(ps->hashes, ps->nh, sizeof *ps->hashes, cmp_hash);
	for (size_t i = 0; i < l->n; i++) {
		struct hash_rec key = { .path = l->v[i].path }, *h;

		if (l->v[i].type != SYNC_FILE || !ps->nh)
			continue;
		h = bsearch(&key, ps->hashes, ps->nh, sizeof *ps->hashes, cmp_hash);
		if (h)
			memcpy(l->v[i].sha, h->sha, 65);
	}
	for (size_t i = 0; i < ps->nh; i++)
		free(ps->hashes[i].path);
	ps->nh = 0;
}

static int add_hash(struct parse_state *ps, const char *sha, const char *path)
{
	if (ps->nh == ps->caph) {
		size_t nc = ps->caph ? ps->caph * 2 : 64;
		struct hash_rec *nv;

		if (nc > SYNC_ENTRIES_MAX)
			return -1;
		nv = realloc(ps->hashes, nc * sizeof *nv);
		if (!nv)
			return -1;
		ps->hashes = nv;
		ps->caph = nc;
	}
	ps->hashes[ps->nh].path = strdup(path);
	if (!ps->hashes[ps->nh].path)
		return -1;
	memcpy(ps->hashes[ps->nh].sha, sha, 64);
	ps->hashes[ps->nh].sha[64] = '\0';
	ps->nh++;
	return 0;
}

int sync_parse_listing(const char *data, size_t len, const char *const names[4],
		       struct sync_list out[4], size_t *rejected, struct cs_err *err)
{
	struct parse_state ps = { .names = names, .out = out, .sec = -1, .rejected = rejected };
	char path[SYNC_PATH_MAX];
	size_t off = 0;
	bool ended = false;
	int rc = -1;

	*rejected = 0;
	while (off < len) {
		const char *rec = data + off, *nul = memchr(rec, '\0', len - off);
		size_t rl;

		if (!nul || ended)
			goto bad;   /* truncated, or records after the end mark */
		rl = (size_t)(nul - rec);
		off += rl + 1;
		if (rl == 0)
			goto bad;
		if (rec[0] == 'S') {
			finish_section(&ps);
			ps.sec = -1;
			for (int i = 0; i < 4 && names[i]; i++)
				if (strcmp(rec + 1, names[i]) == 0)
					ps.sec = i;
		} else if (rec[0] == 'E' && rl == 1) {
			ended = true;
		} else if (rec[0] == 'F') {
			unsigned mode;
			unsigned long long size;
			int used = 0;
			struct sync_entry e = { .type = SYNC_FILE };

			if (sscanf(rec + 1, "%o %llu %n", &mode, &size, &used) != 2 || used <= 0)
				goto bad;
			if (ps.sec < 0 || !take_path(&ps, rec + 1 + used, path, sizeof path))
				continue;
			e.path = path;
			e.size = size;
			e.mode = mode & 07777;
			if (sync_list_add(&out[ps.sec], &e) < 0)
				goto oom;
		} else if (rec[0] == 'L') {
			const char *tgt = data + off, *tnul = off < len ? memchr(tgt, '\0', len - off) : NULL;
			struct sync_entry e = { .type = SYNC_LINK };
			struct sha256 h;
			bool ok;

			if (!tnul || tnul == tgt)
				goto bad;   /* a link record needs its target */
			off += (size_t)(tnul - tgt) + 1;
			ok = ps.sec >= 0 && take_path(&ps, rec + 1, path, sizeof path);
			if (!ok)
				continue;
			e.path = path;
			e.link = (char *)tgt;
			e.size = strlen(tgt);
			sha256_init(&h);
			sha256_update(&h, tgt, e.size);
			sha256_hex(&h, e.sha);
			if (sync_list_add(&out[ps.sec], &e) < 0)
				goto oom;
		} else if (is_hex64(rec, rl)) {
			/* "<sha>  ./path" (text mode) or "<sha> *./path" (binary) */
			if (rl < 67 || rec[64] != ' ' || (rec[65] != ' ' && rec[65] != '*'))
				goto bad;
			if (ps.sec < 0 || !take_path(&ps, rec + 66, path, sizeof path))
				continue;
			if (add_hash(&ps, rec, path) < 0)
				goto oom;
		} else {
			goto bad;
		}
	}
	if (!ended)
		goto bad;
	finish_section(&ps);
	rc = 0;
	goto out;
oom:
	cs_fail(err, errno ? errno : ENOMEM, "reading the sandbox's file listing");
	goto out;
bad:
	cs_fail(err, EPROTO, "the sandbox's file listing is malformed or incomplete");
	cs_hint(err, "the template needs GNU find, xargs and sha256sum");
out:
	ps.sec = -1;
	finish_section(&ps);
	free(ps.hashes);
	return rc;
}

enum sync_action sync_decide(bool in_manifest, enum sync_local local)
{
	switch (local) {
	case LOCAL_AS_REMOTE:
		return ACT_NONE;         /* already what the sandbox has */
	case LOCAL_AS_UPLOADED:
		return in_manifest ? ACT_WRITE : ACT_CONFLICT;
	case LOCAL_ABSENT:
		/* New in the sandbox: create.  Changed there but deleted here
		 * meanwhile: the user's deletion is a local change too. */
		return in_manifest ? ACT_CONFLICT : ACT_WRITE;
	case LOCAL_OTHER:
		break;
	}
	return ACT_CONFLICT;
}
