#include "firewall/allowlist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/presets.h"

/* Why each default is here (openai/codex codex-rs, see DOCKER-NFT-NOTES.md §4
 * and CODEX-LOCAL.md): nothing else is needed to log in, refresh tokens and
 * call the model.  Telemetry (ab.chatgpt.com), the update check and plugin
 * sync are deliberately absent; they fail fast and Codex carries on. */
const char *const allowlist_default_hosts[] = {
	"api.openai.com",  /* model calls with an API key (/v1/responses); the seed's default */
	"chatgpt.com",     /* model calls with ChatGPT auth (/backend-api/codex/responses) */
	"auth.openai.com", /* ChatGPT login and token refresh (POST /oauth/token) */
	NULL,
};

void allowlist_init(struct allowlist *al)
{
	al->v = NULL;
	al->n = al->cap = 0;
}

void allowlist_free(struct allowlist *al)
{
	free(al->v);
	allowlist_init(al);
}

static bool label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Validate a lowercase host name without trailing dot.  Returns NULL when
 * valid, else the reason.  MIN_LABELS: 1 for hosts, 2 for wildcard suffixes.
 * STRICT adds the checks that only matter for entries we store (numeric TLD). */
static const char *host_check(const char *s, int min_labels, bool strict)
{
	size_t len = strlen(s), lab = 0;
	int labels = 0;
	bool all_digits = true;

	if (len == 0)
		return "empty name";
	if (len > ALLOW_NAME_MAX)
		return "name longer than 253 characters";
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' || c == '\0') {
			if (lab == 0)
				return "empty label";
			if (lab > 63)
				return "label longer than 63 characters";
			if (s[i - 1] == '-' || s[i - lab] == '-')
				return "label starts or ends with '-'";
			labels++;
			if (c == '\0')
				break;
			lab = 0;
			all_digits = true;
			continue;
		}
		if (!label_char(c))
			return "only letters, digits, '-' and '_' are allowed in a host name";
		if (!(c >= '0' && c <= '9'))
			all_digits = false;
		lab++;
	}
	if (strict && all_digits)
		return "the last label is all digits (not an IP address, not a host name)";
	if (labels < min_labels)
		return "a wildcard needs at least two labels after '*.' (like *.example.com)";
	return NULL;
}

/* Zero the host bits; returns true if any were set. */
static bool mask_host_bits(unsigned char *a, int alen, int prefix)
{
	bool changed = false;

	for (int i = 0; i < alen; i++) {
		int bits = prefix - i * 8;
		unsigned char m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));

		if (a[i] & ~m)
			changed = true;
		a[i] &= m;
	}
	return changed;
}

static int bad(struct cs_err *err, const char *word, const char *source, const char *why,
	       const char *hint)
{
	cs_fail(err, 0, "invalid allowlist entry '%.200s' (from %s): %s", word, source, why);
	return cs_hint(err, "%s", hint);
}

static const char *const syntax_hint =
	"use a host (api.example.com), a wildcard (*.example.com), an IP address or a CIDR (192.0.2.0/24)";

static int parse_ip(const char *word, const char *source, struct allow_entry *e,
		    struct cs_err *err)
{
	char tmp[64], canon[100];
	const char *slash = strchr(word, '/');
	size_t alen = slash ? (size_t)(slash - word) : strlen(word);
	int family, bits, prefix;
	char *end;
	long p;

	if (alen >= sizeof tmp)
		return bad(err, word, source, "not an IP address", syntax_hint);
	memcpy(tmp, word, alen);
	tmp[alen] = '\0';
	memset(e->addr, 0, sizeof e->addr);
	if (inet_pton(AF_INET, tmp, e->addr) == 1)
		family = AF_INET, bits = 32;
	else if (inet_pton(AF_INET6, tmp, e->addr) == 1)
		family = AF_INET6, bits = 128;
	else if (slash)
		return bad(err, word, source, "not a CIDR (address/prefix)",
			   "give the host name only, or a CIDR such as 192.0.2.0/24");
	else
		return bad(err, word, source, "not an IP address", syntax_hint);

	if (family == AF_INET6) {
		static const unsigned char mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};

		if (memcmp(e->addr, mapped, 12) == 0)
			return bad(err, word, source, "IPv4-mapped IPv6 address",
				   "write the IPv4 address itself");
	}
	prefix = bits;
	if (slash) {
		errno = 0;
		p = strtol(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || errno || p < 0 || p > bits)
			return bad(err, word, source, "bad prefix length",
				   family == AF_INET ? "the prefix is 1-32, e.g. 192.0.2.0/24"
						     : "the prefix is 1-128, e.g. 2001:db8::/32");
		if (p == 0)
			return bad(err, word, source, "prefix /0 would allow every address",
				   "list the networks you need; the sandbox is deny-by-default on purpose");
		prefix = (int)p;
		unsigned char masked[16];

		memcpy(masked, e->addr, sizeof masked);
		if (mask_host_bits(masked, bits / 8, prefix)) {
			inet_ntop(family, masked, tmp, sizeof tmp);
			snprintf(canon, sizeof canon, "did you mean %s/%d?", tmp, prefix);
			return bad(err, word, source, "host bits are set after the prefix", canon);
		}
	}
	e->prefix = prefix;
	if (family == AF_INET)
		e->kind = prefix == 32 ? ALLOW_IPV4 : ALLOW_CIDR4;
	else
		e->kind = prefix == 128 ? ALLOW_IPV6 : ALLOW_CIDR6;
	return 0;
}

int allow_entry_parse(const char *word, const char *source, struct allow_entry *e,
		      struct cs_err *err)
{
	char low[300];
	size_t len = strlen(word);
	const char *why;

	memset(e, 0, sizeof *e);
	if (len == 0)
		return bad(err, word, source, "empty entry", syntax_hint);
	if (len >= sizeof low - 1)
		return bad(err, word, source, "longer than 253 characters", syntax_hint);
	if (strstr(word, "://"))
		return bad(err, word, source, "looks like a URL",
			   "give the host name only, e.g. 'example.com' instead of 'https://example.com/'");
	if (word[0] == '[')
		return bad(err, word, source, "brackets are not part of an address",
			   "write IPv6 addresses without brackets and without a port");
	if (strchr(word, '/')) {
		char head[64];
		size_t hl = strcspn(word, "/");
		unsigned char tmp[16];

		if (hl < sizeof head) {
			memcpy(head, word, hl);
			head[hl] = '\0';
		}
		if (hl >= sizeof head || (inet_pton(AF_INET, head, tmp) != 1 &&
					  inet_pton(AF_INET6, head, tmp) != 1))
			return bad(err, word, source, "looks like a URL path",
				   "give the host name only, e.g. 'example.com'");
		return parse_ip(word, source, e, err);
	}
	if (strchr(word, ':')) {
		if (strchr(word, ':') == strrchr(word, ':'))
			return bad(err, word, source, "ports are not supported",
				   "give the host name only; every port of an allowed host is reachable");
		return parse_ip(word, source, e, err);
	}
	if (strspn(word, "0123456789.") == len)
		return parse_ip(word, source, e, err);
	for (size_t i = 0; i <= len; i++)
		low[i] = (char)tolower((unsigned char)word[i]);
	if (len > 1 && low[len - 1] == '.')
		low[--len] = '\0';

	if (low[0] == '*') {
		if (low[1] != '.' || low[2] == '\0')
			return bad(err, word, source, "'*' must be a whole first label followed by a domain",
				   "write *.example.com (matches every subdomain, not example.com itself)");
		if ((why = host_check(low + 2, 2, true)) != NULL)
			return bad(err, word, source, why,
				   "write *.example.com (matches every subdomain, not example.com itself)");
		e->kind = ALLOW_WILDCARD;
		memcpy(e->name, low + 2, len - 1);
		return 0;
	}
	if (strchr(low, '*'))
		return bad(err, word, source, "'*' is only allowed as the whole first label",
			   "write *.example.com (matches every subdomain, not example.com itself)");
	if ((why = host_check(low, 1, true)) != NULL)
		return bad(err, word, source, why, syntax_hint);
	e->kind = ALLOW_HOST;
	memcpy(e->name, low, len + 1);
	return 0;
}

static bool entry_equal(const struct allow_entry *a, const struct allow_entry *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == ALLOW_HOST || a->kind == ALLOW_WILDCARD)
		return strcmp(a->name, b->name) == 0;
	return a->prefix == b->prefix && memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/* Append unless present.  Returns 1 appended, 0 duplicate, -1 error. */
static int append(struct allowlist *al, const struct allow_entry *e)
{
	for (size_t i = 0; i < al->n; i++)
		if (entry_equal(&al->v[i], e))
			return 0;
	if (al->n >= ALLOWLIST_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (al->n == al->cap) {
		size_t ncap = al->cap ? al->cap * 2 : 16;
		struct allow_entry *nv = realloc(al->v, ncap * sizeof *nv);

		if (!nv)
			return -1;
		al->v = nv;
		al->cap = ncap;
	}
	al->v[al->n++] = *e;
	return 1;
}

struct preset_add {
	struct allowlist *al;
	const char *word, *source;
	struct cs_err *err;
	int added;
};

static int add_preset_host(const char *host, void *vctx)
{
	struct preset_add *c = vctx;
	struct allow_entry e;
	int r;

	/* The lists are ours, but go through the same validation as typed
	 * entries: a bad line in the table must fail, not open something. */
	if (allow_entry_parse(host, c->word, &e, c->err) < 0)
		return -1;
	r = append(c->al, &e);
	if (r < 0) {
		cs_fail(c->err, errno, "allowlist (from %s): cannot add %s", c->source, c->word);
		return cs_hint(c->err, "keep the allowlist under %d entries", ALLOWLIST_MAX);
	}
	c->added += r;
	return 0;
}

/* "@NAME": every host of that preset (presets.h). */
static int add_preset(struct allowlist *al, const char *word, const char *source,
		      struct cs_err *err)
{
	const struct preset *p = preset_find(word);
	struct preset_add c = { al, word, source, err, 0 };
	char names[512];

	if (!p) {
		presets_names(names, sizeof names);
		cs_fail(err, 0, "unknown allowlist preset '%s' (from %s)", word, source);
		return cs_hint(err, "the presets are %s (codex-sandbox --dry-run shows what each adds)",
			       names);
	}
	if (preset_each_host(p, add_preset_host, &c) < 0)
		return -1;
	return c.added;
}

int allowlist_add_text(struct allowlist *al, const char *text, const char *source,
		       struct cs_err *err)
{
	static const char seps[] = " \t,\r\n";
	int added = 0;

	if (!text)
		return 0;
	for (const char *p = text; *p;) {
		char word[300];
		struct allow_entry e;
		size_t n;
		int r;

		p += strspn(p, seps);
		n = strcspn(p, seps);
		if (n == 0)
			break;
		if (n >= sizeof word) {
			cs_fail(err, 0, "invalid allowlist entry '%.40s...' (from %s): longer than 253 characters",
				p, source);
			return cs_hint(err, "%s", syntax_hint);
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (word[0] == '@') {
			r = add_preset(al, word, source, err);
			if (r < 0)
				return -1;
			added += r;
			continue;
		}
		if (allow_entry_parse(word, source, &e, err) < 0)
			return -1;
		r = append(al, &e);
		if (r < 0) {
			cs_fail(err, errno, "allowlist (from %s): cannot add '%s'", source, word);
			return cs_hint(err, "keep the allowlist under %d entries", ALLOWLIST_MAX);
		}
		added += r;
	}
	return added;
}

int allowlist_add_defaults(struct allowlist *al)
{
	for (size_t i = 0; allowlist_default_hosts[i]; i++) {
		struct allow_entry e = { .kind = ALLOW_HOST };

		snprintf(e.name, sizeof e.name, "%s", allowlist_default_hosts[i]);
		if (append(al, &e) < 0)
			return -1;
	}
	return 0;
}

bool allowlist_match_name(const struct allowlist *al, const char *qname)
{
	char low[256];
	size_t len;

	if (!qname)
		return false;
	len = strlen(qname);
	if (len == 0 || len > ALLOW_NAME_MAX + 1)
		return false;
	for (size_t i = 0; i <= len; i++)
		low[i] = (char)tolower((unsigned char)qname[i]);
	if (low[len - 1] == '.')
		low[--len] = '\0';
	if (host_check(low, 1, false) != NULL)
		return false;
	for (size_t i = 0; i < al->n; i++) {
		const struct allow_entry *e = &al->v[i];
		size_t sl;

		if (e->kind == ALLOW_HOST) {
			if (strcmp(low, e->name) == 0)
				return true;
		} else if (e->kind == ALLOW_WILDCARD) {
			sl = strlen(e->name);
			/* strictly longer, and the suffix starts right after a dot */
			if (len > sl + 1 && low[len - sl - 1] == '.' && strcmp(low + len - sl, e->name) == 0)
				return true;
		}
	}
	return false;
}

bool addr_in_prefix(int family, const unsigned char *addr, const unsigned char *net, int prefix)
{
	int alen = family == AF_INET ? 4 : 16;
	int full = prefix / 8, rest = prefix % 8;

	if (prefix < 0 || prefix > alen * 8)
		return false;
	if (memcmp(addr, net, (size_t)full) != 0)
		return false;
	if (rest) {
		unsigned char m = (unsigned char)(0xff << (8 - rest));

		if ((addr[full] & m) != (net[full] & m))
			return false;
	}
	return true;
}

bool allowlist_match_addr(const struct allowlist *al, int family, const unsigned char *addr)
{
	for (size_t i = 0; i < al->n; i++) {
		const struct allow_entry *e = &al->v[i];
		bool v4 = e->kind == ALLOW_IPV4 || e->kind == ALLOW_CIDR4;
		bool v6 = e->kind == ALLOW_IPV6 || e->kind == ALLOW_CIDR6;

		if ((family == AF_INET && v4) || (family == AF_INET6 && v6))
			if (addr_in_prefix(family, addr, e->addr, e->prefix))
				return true;
	}
	return false;
}

int allow_entry_format(const struct allow_entry *e, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];

	switch (e->kind) {
	case ALLOW_HOST:
		return snprintf(out, outsz, "%s", e->name);
	case ALLOW_WILDCARD:
		return snprintf(out, outsz, "*.%s", e->name);
	case ALLOW_IPV4:
	case ALLOW_CIDR4:
		if (!inet_ntop(AF_INET, e->addr, a, sizeof a))
			return -1;
		break;
	case ALLOW_IPV6:
	case ALLOW_CIDR6:
		if (!inet_ntop(AF_INET6, e->addr, a, sizeof a))
			return -1;
		break;
	default:
		return -1;
	}
	if (e->kind == ALLOW_IPV4 || e->kind == ALLOW_IPV6)
		return snprintf(out, outsz, "%s", a);
	return snprintf(out, outsz, "%s/%d", a, e->prefix);
}
