#include "runner/core/toml_str.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct cur {
	const char *p, *end;
};

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static bool at(const struct cur *c, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(c->end - c->p) >= n && memcmp(c->p, s, n) == 0;
}

static void skip_line(struct cur *c)
{
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end)
		c->p++;
}

/* \uXXXX / \UXXXXXXXX as UTF-8. */
static int put_utf8(struct buf *out, unsigned long u)
{
	char b[4];
	size_t n;

	/* U+0000 would end the C string the value becomes (and cut what we
	 * append): such a value is "unreadable" */
	if (u == 0 || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
		return -1;
	if (u < 0x80) {
		b[0] = (char)u, n = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xc0 | u >> 6), b[1] = (char)(0x80 | (u & 0x3f)), n = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xe0 | u >> 12), b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		b[2] = (char)(0x80 | (u & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | u >> 18), b[1] = (char)(0x80 | ((u >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((u >> 6) & 0x3f)), b[3] = (char)(0x80 | (u & 0x3f)), n = 4;
	}
	return buf_append(out, b, n);
}

/* One escape after the backslash at C (basic strings).  MULTI: a backslash
 * at the end of a line swallows the newline and the blanks after it. */
static int unescape(struct cur *c, bool multi, struct buf *out)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *e;
	char hex[9] = "";
	unsigned long u;
	int digits;

	if (++c->p >= c->end)
		return -1;
	if (multi && (*c->p == '\n' || *c->p == ' ' || *c->p == '\t' || *c->p == '\r')) {
		while (c->p < c->end && strchr(" \t\r\n", *c->p))
			c->p++;
		return 0;
	}
	if ((e = strchr(from, *c->p)) && *c->p) {
		c->p++;
		return buf_append(out, &to[e - from], 1);
	}
	digits = *c->p == 'u' ? 4 : *c->p == 'U' ? 8 : 0;
	if (!digits || c->end - c->p <= digits)
		return -1;
	memcpy(hex, c->p + 1, (size_t)digits);
	for (int i = 0; i < digits; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -1;
	sscanf(hex, "%lx", &u);
	c->p += 1 + digits;
	return put_utf8(out, u);
}

/* A string at C of any of the four kinds; into OUT when not NULL.
 * Returns 0 (C after it) or -1. */
static int read_string(struct cur *c, struct buf *out)
{
	char q = *c->p;
	bool multi = at(c, q == '"' ? "\"\"\"" : "'''");
	const char *close = multi ? (q == '"' ? "\"\"\"" : "'''") : (q == '"' ? "\"" : "'");

	c->p += multi ? 3 : 1;
	if (multi && at(c, "\n"))
		c->p++;                 /* a newline right after the opening is not content */
	else if (multi && at(c, "\r\n"))
		c->p += 2;
	while (c->p < c->end) {
		if (at(c, close)) {
			size_t n = 0;

			/* up to two quotes may end the content before the closing three */
			while (multi && c->p + n < c->end && c->p[n] == q && n < 5)
				n++;
			n = multi ? n - 3 : 0;
			if (out && n && buf_append(out, c->p, n) < 0)
				return -1;
			c->p += n + strlen(close);
			return 0;
		}
		if (!multi && *c->p == '\n')
			return -1;
		if (q == '"' && *c->p == '\\') {
			struct buf sink;

			buf_init(&sink, 8);
			if (unescape(c, multi, out ? out : &sink) < 0) {
				buf_free(&sink);
				return -1;
			}
			buf_free(&sink);
			continue;
		}
		if (out && buf_append(out, c->p, 1) < 0)
			return -1;
		c->p++;
	}
	return -1;
}

/* Skip a value that is not ours: a string, or an array / inline table with
 * what it nests, or anything else to the end of the line. */
static int skip_value(struct cur *c)
{
	int depth = 0;

	do {
		if (c->p >= c->end)
			return -1;
		if (*c->p == '"' || *c->p == '\'') {
			if (read_string(c, NULL) < 0)
				return -1;
			continue;
		}
		if (*c->p == '#') {
			skip_line(c);
			continue;
		}
		if (*c->p == '[' || *c->p == '{')
			depth++;
		else if (*c->p == ']' || *c->p == '}')
			depth--;
		else if (*c->p == '\n' && depth == 0)
			break;
		c->p++;
	} while (depth > 0 || (c->p < c->end && *c->p != '\n'));
	skip_line(c);
	return 0;
}

/* A bare or quoted key (one segment: a dotted key is not a top-level one)
 * and its '='.  Returns 1 when it is KEY, 0 another key, -1 not a key. */
static int read_key(struct cur *c, const char *key)
{
	size_t kl = strlen(key);
	bool match;

	if (at(c, "\"") || at(c, "'")) {
		char q = *c->p++;

		match = (size_t)(c->end - c->p) > kl && !memcmp(c->p, key, kl) && c->p[kl] == q;
		while (c->p < c->end && *c->p != q && *c->p != '\n')
			c->p++;
		if (c->p >= c->end || *c->p != q)
			return -1;
		c->p++;
	} else {
		const char *s = c->p;

		while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '-'))
			c->p++;
		if (c->p == s)
			return -1;
		match = (size_t)(c->p - s) == kl && !memcmp(s, key, kl);
	}
	skip_ws(c);
	if (!at(c, "="))
		return match ? -1 : 0;  /* a dotted key: not ours, skipped as a value */
	c->p++;
	skip_ws(c);
	return match ? 1 : 0;
}

int toml_top_string(const char *text, size_t len, const char *key, struct buf *out)
{
	struct cur c = { text, text + len };

	while (c.p < c.end) {
		int k;

		while (c.p < c.end && strchr(" \t\r\n", *c.p))
			c.p++;
		if (c.p >= c.end || *c.p == '[')
			return 0;       /* the first table: the top level is over */
		if (*c.p == '#') {
			skip_line(&c);
			continue;
		}
		k = read_key(&c, key);
		if (k == 1)
			return (at(&c, "\"") || at(&c, "'")) && read_string(&c, out) == 0 ? 1 : -1;
		if (skip_value(&c) < 0)
			return k < 0 ? -1 : 0;
	}
	return 0;
}

int toml_quote(const char *value, struct buf *out)
{
	if (buf_append(out, "\"", 1) < 0)
		return -1;
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		int r;

		if (*s == '"' || *s == '\\')
			r = buf_printf(out, "\\%c", *s);
		else if (*s == '\n')
			r = buf_puts(out, "\\n");
		else if (*s < 0x20 || *s == 0x7f)
			r = buf_printf(out, "\\u%04x", *s);
		else
			r = buf_append(out, s, 1);
		if (r < 0)
			return -1;
	}
	return buf_append(out, "\"", 1);
}
