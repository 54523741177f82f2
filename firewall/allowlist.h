/* Egress allowlist: parse, validate and match entries.
 *
 * Pure (no I/O, no global state): linked into the runner (validation at plan
 * time, exit 125 on a bad entry) and into codex-firewall (matching DNS names
 * in the unprivileged child, re-checking them in the privileged parent).
 *
 * Entry syntax (one entry per word; words are separated by spaces, tabs,
 * commas or newlines):
 *   api.example.com      exact host: RFC 1123 labels of 1-63 letters, digits,
 *                        hyphens and underscores (no leading/trailing hyphen),
 *                        at most 253 characters, last label not all-numeric.
 *                        Underscore is accepted because it is legal in DNS
 *                        and occurs in real names; it cannot widen a match.
 *                        Case is folded, one trailing dot is accepted.
 *   *.example.com        wildcard: any subdomain at any depth, NOT the apex.
 *                        "*" must be the whole first label and the suffix needs
 *                        at least two labels (so "*.com" is refused).
 *   192.0.2.7, 2001:db8::1          single addresses
 *   192.0.2.0/24, 2001:db8::/32     CIDRs; host bits must be zero (refused
 *                        otherwise, the message names the canonical form, so
 *                        a typo never silently opens a different range);
 *                        a /32 (/128) is stored as the single address;
 *                        prefix 0 is refused (it would open everything).
 * URLs and ports are refused with "give the host name only".
 */
#ifndef FW_ALLOWLIST_H
#define FW_ALLOWLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define ALLOW_NAME_MAX 253     /* text form, without trailing dot */
#define ALLOWLIST_MAX 65536    /* entries; beyond that is surely a mistake */

enum allow_kind { ALLOW_HOST, ALLOW_WILDCARD, ALLOW_IPV4, ALLOW_IPV6, ALLOW_CIDR4, ALLOW_CIDR6 };

struct allow_entry {
	enum allow_kind kind;
	char name[256];            /* lowercase, no trailing dot; WILDCARD: suffix without "*." */
	unsigned char addr[16];    /* network order; IPv4 uses the first 4 bytes */
	int prefix;                /* 32/128 for single IPs */
};

struct allowlist {
	struct allow_entry *v;
	size_t n, cap;
};

/* The always-allowed hosts Codex needs (login, token refresh, model calls).
 * NULL-terminated. */
extern const char *const allowlist_default_hosts[];

void allowlist_init(struct allowlist *al);
void allowlist_free(struct allowlist *al);

/* Split TEXT on spaces, tabs, commas, CR and LF; validate each word and append
 * it unless an identical entry is already there.  SOURCE names where the text
 * came from ("OPENAI_ALLOWED_DOMAINS", "--allow") for the message.  On an
 * invalid entry returns -1 with ERR naming the entry, the source and the
 * reason, plus a hint; entries before the bad one stay appended.  Returns the
 * number of entries appended (duplicates not counted) on success. */
int allowlist_add_text(struct allowlist *al, const char *text, const char *source,
		       struct cs_err *err);

/* Append allowlist_default_hosts.  Returns 0, or -1 on ENOMEM. */
int allowlist_add_defaults(struct allowlist *al);

/* Parse one word into E (no splitting).  Returns 0, or -1 with ERR filled
 * ("invalid allowlist entry 'W' (from SOURCE): why"). */
int allow_entry_parse(const char *word, const char *source, struct allow_entry *e,
		      struct cs_err *err);

/* True when QNAME (any case, optional trailing dot) is an exact host entry or
 * a strict subdomain of a wildcard entry.  Names that are not plain host names
 * (empty labels, bytes outside [A-Za-z0-9_-]) never match. */
bool allowlist_match_name(const struct allowlist *al, const char *qname);

/* True when ADDR (4 or 16 bytes, network order) is covered by an explicit
 * IP or CIDR entry of FAMILY (AF_INET / AF_INET6). */
bool allowlist_match_addr(const struct allowlist *al, int family, const unsigned char *addr);

/* Canonical text of an entry: "api.example.com", "*.example.org",
 * "10.0.0.0/8", "2001:db8::1".  Returns the length (as snprintf), or -1. */
int allow_entry_format(const struct allow_entry *e, char *out, size_t outsz);

/* True when ADDR of FAMILY lies inside the PREFIX-bit network NET. */
bool addr_in_prefix(int family, const unsigned char *addr, const unsigned char *net, int prefix);

#endif
