#include "firewall/httphost.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define METHOD_MAX 20

/* RFC 9110 tchar */
static bool tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* The next CRLF-terminated line from *OFF; returns its length (without
 * CRLF), -1 if not all there yet, or -2 on a bare CR or LF. */
static long next_line(const uint8_t *s, size_t len, size_t *off)
{
	for (size_t i = *off; i < len; i++) {
		if (s[i] == '\n')
			return -2;
		if (s[i] != '\r')
			continue;
		if (i + 1 == len)
			return -1;
		if (s[i + 1] != '\n')
			return -2;
		long n = (long)(i - *off);

		*off = i + 2;
		return n;
	}
	return -1;
}

/* Early refusal of what is not HTTP at all (a TLS hello on port 80): the
 * bytes before the first SP must be method letters. */
static int check_method_prefix(const uint8_t *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i <= METHOD_MAX && s[i] != ' '; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
			return -FLOW_R_NOT_HTTP;
	if (i > METHOD_MAX || (i == 0 && len > 0))
		return -FLOW_R_NOT_HTTP;
	return 0;
}

static int parse_request_line(const uint8_t *l, size_t n)
{
	const uint8_t *sp1 = memchr(l, ' ', n), *sp2;
	size_t tlen;

	if (!sp1)
		return -FLOW_R_NOT_HTTP;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l));
	if (!sp2 || (size_t)(l + n - (sp2 + 1)) != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return -FLOW_R_NOT_HTTP;
	tlen = (size_t)(sp2 - sp1 - 1);
	if (tlen == 0)
		return -FLOW_R_NOT_HTTP;
	for (size_t i = 0; i < tlen; i++)
		if (sp1[1 + i] <= 0x20 || sp1[1 + i] >= 0x7f)
			return -FLOW_R_NOT_HTTP;
	if (sp1[1] != '/' && !(tlen == 1 && sp1[1] == '*'))
		return -FLOW_R_TARGET;
	return 0;
}

/* The Host value (OWS already trimmed): NAME or NAME:PORT. */
static int parse_host_value(const uint8_t *v, size_t n, char host[FLOW_NAME_MAX + 1])
{
	const uint8_t *colon = memchr(v, ':', n);

	if (colon) {
		size_t plen = (size_t)(v + n - colon - 1);

		if (plen == 0 || plen > 5)
			return -FLOW_R_BAD_NAME;
		for (size_t i = 1; i <= plen; i++)
			if (colon[i] < '0' || colon[i] > '9')
				return -FLOW_R_BAD_NAME;
		n = (size_t)(colon - v);
	}
	if (flow_name_canon(v, n, host) < 0)
		return -FLOW_R_BAD_NAME;
	return 1;
}

/* One field line.  Returns 1 when it was Host (HOST filled), 0 for another
 * field, or -reason. */
static int parse_field(const uint8_t *l, size_t n, char host[FLOW_NAME_MAX + 1])
{
	size_t name = 0, b, e;

	if (ows(l[0]))
		return -FLOW_R_FOLDED;
	while (name < n && tchar(l[name]))
		name++;
	if (name == 0 || name == n || l[name] != ':')
		return -FLOW_R_MALFORMED;
	for (size_t i = name + 1; i < n; i++)
		if ((l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f)
			return -FLOW_R_MALFORMED;
	if (name != 4 || strncasecmp((const char *)l, "host", 4) != 0)
		return 0;
	for (b = name + 1; b < n && ows(l[b]); b++)
		;
	for (e = n; e > b && ows(l[e - 1]); e--)
		;
	if (b == e)
		return -FLOW_R_BAD_NAME;
	return parse_host_value(l + b, e - b, host);
}

int http_host_parse(const uint8_t *stream, size_t len, char host[FLOW_NAME_MAX + 1])
{
	size_t off = 0, fields = 0;
	bool have_host = false;
	long n;
	int rc;

	if ((rc = check_method_prefix(stream, len)) < 0)
		return rc;
	if (len > HTTP_HEAD_MAX)
		len = HTTP_HEAD_MAX;
	n = next_line(stream, len, &off);
	if (n == -2)
		return -FLOW_R_NOT_HTTP;
	if (n < 0)
		return len == HTTP_HEAD_MAX ? -FLOW_R_TOO_BIG : 0;
	if ((rc = parse_request_line(stream, (size_t)n)) < 0)
		return rc;
	for (;;) {
		size_t start = off;

		n = next_line(stream, len, &off);
		if (n == -2)
			return -FLOW_R_MALFORMED;
		if (n < 0)
			return len == HTTP_HEAD_MAX ? -FLOW_R_TOO_BIG : 0;
		if (n == 0)
			return have_host ? 1 : -FLOW_R_NO_HOST;
		if (++fields > HTTP_FIELDS_MAX)
			return -FLOW_R_TOO_BIG;
		rc = parse_field(stream + start, (size_t)n, host);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (have_host)
				return -FLOW_R_DUP_HOST;
			have_host = true;
		}
	}
}
