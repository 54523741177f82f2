/* The allowlist's de-duplication and size cap (firewall/allowlist.c):
 * entries that differ only in their prefix are different entries, and the
 * list never grows past ALLOWLIST_MAX. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "firewall/allowlist.h"

int main(void)
{
	struct allowlist al;
	struct cs_err err = { 0 };
	unsigned char a[16];

	plan(22);
	allowlist_init(&al);

	/* dedup respects the prefix */
	is_int(allowlist_add_text(&al, "10.0.0.0/8", "t", &err), 1, "10.0.0.0/8 added");
	is_int(allowlist_add_text(&al, "10.0.0.0/16", "t", &err), 1, "10.0.0.0/16 is another entry");
	is_int(allowlist_add_text(&al, "10.0.0.0/8", "t", &err), 0, "10.0.0.0/8 again: a duplicate");
	is_int(allowlist_add_text(&al, "10.0.0.0/24 10.0.0.0/24", "t", &err), 1, "duplicate within one text");
	is_int(al.n, 3, "three entries");
	is_int(allowlist_add_text(&al, "2001:db8::/32 2001:db8::/48 2001:db8::/32", "t", &err), 2,
	       "IPv6: /32 and /48 are two entries, the repeat is not");
	is_int(allowlist_add_text(&al, "192.0.2.0/31 192.0.2.0", "t", &err), 2,
	       "a /31 and the single address at its start are two entries");
	is_int(allowlist_add_text(&al, "192.0.2.0/32", "t", &err), 0, "a /32 is the single address");
	is_int(allowlist_add_text(&al, "a.example.com *.example.com example.com A.Example.Com.", "t", &err), 3,
	       "host, wildcard and apex differ; case and root dot do not");
	is_int(al.n, 10, "ten entries");
	/* what the prefix decides is kept: the /16 does not swallow the /8 */
	inet_pton(AF_INET, "10.200.0.1", a);
	ok(allowlist_match_addr(&al, AF_INET, a), "10.200.0.1 matches (the /8 is kept)");
	inet_pton(AF_INET, "192.0.2.1", a);
	ok(allowlist_match_addr(&al, AF_INET, a), "192.0.2.1 matches (the /31 is kept)");
	inet_pton(AF_INET, "192.0.2.2", a);
	ok(!allowlist_match_addr(&al, AF_INET, a), "192.0.2.2 does not");
	allowlist_free(&al);

	/* the size cap: fill to one below it directly (the de-dup scan makes
	 * filling through the API quadratic), then add through the API */
	allowlist_init(&al);
	al.v = calloc(ALLOWLIST_MAX, sizeof *al.v);
	ok(al.v != NULL, "room for %d entries", ALLOWLIST_MAX);
	if (!al.v)
		return tap_done();
	al.cap = ALLOWLIST_MAX;
	for (size_t i = 0; i < ALLOWLIST_MAX - 1; i++) {
		al.v[i].kind = ALLOW_HOST;
		snprintf(al.v[i].name, sizeof al.v[i].name, "h%zu.example.com", i);
	}
	al.n = ALLOWLIST_MAX - 1;
	is_int(allowlist_add_text(&al, "last.example.com", "t", &err), 1, "entry %d fits", ALLOWLIST_MAX);
	is_int(al.n, ALLOWLIST_MAX, "the list is full");
	is_int(allowlist_add_text(&al, "h5.example.com", "t", &err), 0, "a duplicate of a full list is fine");
	memset(&err, 0, sizeof err);
	is_int(allowlist_add_text(&al, "one-more.example.com", "--allow", &err), -1, "entry %d refused",
	       ALLOWLIST_MAX + 1);
	is_int(al.n, ALLOWLIST_MAX, "the list did not grow");
	is_int(err.errnum, E2BIG, "E2BIG");
	ok(strstr(err.msg, "cannot add 'one-more.example.com'") && strstr(err.msg, "--allow"),
	   "the message names the entry and the source (%s)", err.msg);
	ok(strstr(err.hint, "65536") != NULL, "the hint names the limit (%s)", err.hint);
	allowlist_free(&al);
	return tap_done();
}
