#include "runner/core/allowed_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/strv.h"
#include "common/util.h"

static bool has(const struct allowlist *al, const struct allow_entry *e)
{
	for (size_t i = 0; i < al->n; i++)
		if (al->v[i].kind == e->kind && al->v[i].prefix == e->prefix &&
		    strcmp(al->v[i].name, e->name) == 0 && memcmp(al->v[i].addr, e->addr, 16) == 0)
			return true;
	return false;
}

int allowed_text_change(const char *old, const struct allowlist *change, bool add, char **out,
			struct cs_err *err)
{
	struct allowlist cur;
	cleanup_buf struct buf b;
	int rc = 0;

	allowlist_init(&cur);
	buf_init(&b, ALLOWED_FILE_MAX);
	for (const char *l = old ? old : ""; *l;) {
		size_t len = strcspn(l, "\n");
		char word[300];
		struct allow_entry e;
		struct cs_err ignore = { 0 };

		if (len < sizeof word) {
			memcpy(word, l, len);
			word[len] = '\0';
			if (allow_entry_parse(word, "allowed_domains.txt", &e, &ignore) == 0 && !has(&cur, &e))
				allowlist_add_text(&cur, word, "allowed_domains.txt", &ignore);
		}
		l += len + (l[len] == '\n');
	}
	for (size_t i = 0; i < cur.n && rc == 0; i++) {
		char e[300];

		if (!add && has(change, &cur.v[i]))
			continue;
		allow_entry_format(&cur.v[i], e, sizeof e);
		rc = buf_printf(&b, "%s\n", e);
	}
	for (size_t i = 0; add && i < change->n && rc == 0; i++) {
		char e[300];

		if (has(&cur, &change->v[i]))
			continue;
		allow_entry_format(&change->v[i], e, sizeof e);
		rc = buf_printf(&b, "%s\n", e);
	}
	allowlist_free(&cur);
	if (rc < 0)
		return cs_fail(err, errno, "the allowlist is too large");
	*out = b.data ? buf_steal(&b) : strdup("");
	return *out ? 0 : cs_fail(err, ENOMEM, "out of memory");
}

int allowed_entries(const struct allowlist *change, struct strv *out, struct cs_err *err)
{
	for (size_t i = 0; i < change->n; i++) {
		char e[300];

		allow_entry_format(&change->v[i], e, sizeof e);
		if (strv_push(out, e) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
	return 0;
}
