/* libFuzzer: the allowlist parser and matcher on arbitrary text.  Every
 * accepted entry must format to a canonical text that parses back to the
 * same entry, and a host entry must match its own name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall/allowlist.h"
#include "firewall/guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct allowlist al;
	struct cs_err err = { 0 };
	struct guard g;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	allowlist_init(&al);
	allowlist_add_text(&al, text, "fuzz", &err);
	allowlist_match_name(&al, text);
	for (size_t i = 0; i < al.n; i++) {
		const struct allow_entry *e = &al.v[i];
		struct allow_entry back;
		struct cs_err e2 = { 0 };
		char canon[300], sub[300];

		if (allow_entry_format(e, canon, sizeof canon) < 0)
			abort();
		if (allow_entry_parse(canon, "fuzz", &back, &e2) != 0)
			abort();
		if (back.kind != e->kind || strcmp(back.name, e->name) != 0 ||
		    memcmp(back.addr, e->addr, sizeof back.addr) != 0 || back.prefix != e->prefix)
			abort();
		if (e->kind == ALLOW_HOST && !allowlist_match_name(&al, e->name))
			abort();
		if (e->kind == ALLOW_WILDCARD) {
			snprintf(sub, sizeof sub, "x.%s", e->name);
			if (strlen(e->name) < 250 && !allowlist_match_name(&al, sub))
				abort();
		}
		if (e->kind >= ALLOW_IPV4)
			if (!allowlist_match_addr(&al, e->kind == ALLOW_IPV4 || e->kind == ALLOW_CIDR4 ?
							       AF_INET : AF_INET6, e->addr))
				abort();
	}
	guard_init(&g);
	guard_parse_route4(&g, text);
	guard_parse_route6(&g, text);
	if (size >= 16) {
		guard_check(&g, AF_INET, data);
		guard_check(&g, AF_INET6, data);
	}
	allowlist_free(&al);
	free(text);
	return 0;
}
