/* Does a config.toml set a given dotted key?
 *
 * Not a TOML parser: just enough to know whether the user's own config
 * already decides a setting, so our -c overrides never fight it.  It tracks
 * [table] / [[array]] headers, dotted and quoted keys, inline tables
 * (features = { daemon_auto_start = false }) and skips multi-line strings
 * and arrays.  Unknown shapes count as "not set", which only means we apply
 * our safe default. */
#include "runner/core/toml_keys.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define MAX_SEGS 16
#define SEG_LEN 256

struct keypath {
	int n;
	char seg[MAX_SEGS][SEG_LEN];
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Parse "a.b.\"c d\"" up to a terminator ('=' or ']' or '}' or ','); returns
 * the position after the key, or NULL when it is not a key. */
static const char *parse_key(const char *p, const char *end, struct keypath *kp)
{
	for (;;) {
		char *out;
		size_t len = 0;

		p = skip_ws(p, end);
		if (p >= end || kp->n >= MAX_SEGS)
			return NULL;
		out = kp->seg[kp->n];
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			while (p < end && *p != q) {
				if (q == '"' && *p == '\\' && p + 1 < end)
					p++;
				if (len + 1 < SEG_LEN)
					out[len++] = *p;
				p++;
			}
			if (p >= end)
				return NULL;
			p++;
		} else {
			while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '-')) {
				if (len + 1 < SEG_LEN)
					out[len++] = *p;
				p++;
			}
			if (len == 0)
				return NULL;
		}
		out[len] = '\0';
		kp->n++;
		p = skip_ws(p, end);
		if (p < end && *p == '.') {
			p++;
			continue;
		}
		return p;
	}
}

static bool path_eq(const struct keypath *a, const struct keypath *want)
{
	if (a->n != want->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->seg[i], want->seg[i]) != 0)
			return false;
	return true;
}

/* Is `a` a proper prefix of `want`? */
static bool path_prefix(const struct keypath *a, const struct keypath *want)
{
	if (a->n >= want->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->seg[i], want->seg[i]) != 0)
			return false;
	return true;
}

/* Search an inline table "{ k = v, k2 = {..} }" for the rest of `want`
 * (segments from `from`). */
static bool inline_has(const char *p, const char *end, const struct keypath *want, int from)
{
	struct keypath rest = { 0 };

	for (int i = from; i < want->n; i++)
		memcpy(rest.seg[rest.n++], want->seg[i], SEG_LEN);
	if (*p != '{')
		return false;
	p++;
	while (p < end) {
		struct keypath k = { 0 };
		const char *q;
		int depth = 0;

		p = skip_ws(p, end);
		if (p < end && *p == '}')
			return false;
		q = parse_key(p, end, &k);
		if (!q || q >= end || *q != '=')
			return false;
		if (path_eq(&k, &rest))
			return true;
		q = skip_ws(q + 1, end);
		if (path_prefix(&k, &rest) && q < end && *q == '{' &&
		    inline_has(q, end, want, from + k.n))
			return true;
		/* Skip the value up to the next top-level ',' or '}'. */
		while (q < end) {
			if (*q == '"' || *q == '\'') {
				char qq = *q++;

				while (q < end && *q != qq) {
					if (qq == '"' && *q == '\\' && q + 1 < end)
						q++;
					q++;
				}
			} else if (*q == '{' || *q == '[') {
				depth++;
			} else if (*q == '}' || *q == ']') {
				if (depth == 0)
					break;
				depth--;
			} else if (*q == ',' && depth == 0) {
				break;
			}
			q++;
		}
		if (q >= end || *q == '}')
			return false;
		p = q + 1;
	}
	return false;
}

static int parse_dotted(const char *dotted, struct keypath *kp)
{
	const char *end = dotted + strlen(dotted);
	const char *p;

	memset(kp, 0, sizeof *kp);
	p = parse_key(dotted, end, kp);
	return p && p == end ? 0 : -1;
}

bool toml_sets_key(const char *text, size_t len, const char *dotted)
{
	struct keypath want, table = { 0 };
	const char *p = text, *end = text + len;
	const char *ml_close = NULL;   /* inside a multi-line string */
	int array_depth = 0;           /* inside a multi-line array value */

	if (parse_dotted(dotted, &want) < 0)
		return false;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		const char *q = skip_ws(p, line_end);

		if (ml_close) {
			const char *c = memmem(q, (size_t)(line_end - q), ml_close, 3);

			if (c)
				ml_close = NULL;
			goto next;
		}
		if (array_depth > 0) {
			for (const char *c = q; c < line_end; c++) {
				if (*c == '[')
					array_depth++;
				else if (*c == ']')
					array_depth--;
			}
			if (array_depth < 0)
				array_depth = 0;
			goto next;
		}
		if (q >= line_end || *q == '#')
			goto next;
		if (*q == '[') {
			struct keypath h = { 0 };
			const char *r = q + 1;

			if (r < line_end && *r == '[')
				r++;
			r = parse_key(r, line_end, &h);
			/* R may be LINE_END, the end of the text: no read there. */
			if (r && r < line_end && *r == ']')
				table = h;
			else
				table.n = 0;
			goto next;
		}
		{
			struct keypath k = table;
			const char *v = parse_key(q, line_end, &k);

			if (!v || v >= line_end || *v != '=')
				goto next;
			if (path_eq(&k, &want))
				return true;
			v = skip_ws(v + 1, line_end);
			if (path_prefix(&k, &want) && v < line_end && *v == '{' &&
			    inline_has(v, line_end, &want, k.n))
				return true;
			if (line_end - v >= 3 && (memcmp(v, "\"\"\"", 3) == 0 || memcmp(v, "'''", 3) == 0)) {
				const char *close = memmem(v + 3, (size_t)(line_end - v - 3), v, 3);

				if (!close)
					ml_close = memcmp(v, "'''", 3) == 0 ? "'''" : "\"\"\"";
			} else if (v < line_end && *v == '[') {
				int d = 0;

				for (const char *c = v; c < line_end; c++) {
					if (*c == '[')
						d++;
					else if (*c == ']')
						d--;
				}
				if (d > 0)
					array_depth = d;
			}
		}
next:
		p = eol ? eol + 1 : end;
	}
	return false;
}
