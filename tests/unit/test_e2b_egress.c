/* The allowlist on E2B: the mapping to network.allowOut/denyOut, the
 * entries E2B cannot express (refused, never dropped), --strict-egress, the
 * notice. */
#include "tap.h"

#include <stdlib.h>

#include "runner/core/plan_egress_e2b.h"

static struct allowlist list(const char *text)
{
	struct allowlist al;
	struct cs_err e = { 0 };

	allowlist_init(&al);
	allowlist_add_defaults(&al);
	if (text && allowlist_add_text(&al, text, "--allow", &e) < 0)
		printf("# bad test input: %s\n", e.msg);
	return al;
}

static bool has(const struct strv *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

int main(void)
{
	plan(20);
	struct allowlist al;
	struct e2b_egress eg = { 0 };
	struct cs_err e = { 0 };
	char *notice;

	al = list("example.com,*.githubusercontent.com 203.0.113.7 198.51.100.0/24");
	is_int(e2b_egress_map(&al, false, &eg, &e), 0, "defaults + names + IPs map");
	ok(has(&eg.allow_out, "api.openai.com") && has(&eg.allow_out, "chatgpt.com") &&
	   has(&eg.allow_out, "auth.openai.com"), "the OpenAI defaults are in allowOut");
	ok(has(&eg.allow_out, "example.com") && has(&eg.allow_out, "*.githubusercontent.com"),
	   "host and wildcard entries keep their form (E2B matches *.x as subdomains only, like us)");
	ok(has(&eg.allow_out, "203.0.113.7") && has(&eg.allow_out, "198.51.100.0/24"), "IPs and CIDRs");
	is_int(eg.allow_out.n, al.n, "nothing dropped: one allowOut entry per allowlist entry");
	ok(eg.deny_out.n == 1 && strcmp(eg.deny_out.v[0], "0.0.0.0/0") == 0,
	   "denyOut is exactly 0.0.0.0/0 (needed by E2B with any name allowed)");
	ok(eg.has_domains && eg.weaker.n == 2 && eg.narrower.n == 1, "the differences are listed");
	notice = e2b_egress_notice(&eg);
	ok(notice && strstr(notice, "8.8.8.8") && strstr(notice, "port 80") && strstr(notice, "443") &&
	   strstr(notice, "--strict-egress"), "the notice says plainly what differs and how to refuse");
	free(notice);
	e2b_egress_free(&eg);

	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, true, &eg, &e), -1, "--strict-egress refuses E2B's weaker guarantee");
	ok(strstr(e.msg, "--strict-egress") && strstr(e.msg, "DNS is not filtered") &&
	   strstr(e.hint, "--backend docker"), "... naming every weaker point and the fix");
	e2b_egress_free(&eg);
	allowlist_free(&al);

	al = list("2001:db8::1");
	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, false, &eg, &e), -1, "an IPv6 address is refused (E2B egress is IPv4 only)");
	ok(strstr(e.msg, "2001:db8::1") && strstr(e.msg, "IPv4 only"), "... the message names the entry");
	e2b_egress_free(&eg);
	allowlist_free(&al);

	al = list("2001:db8::/32");
	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, false, &eg, &e), -1, "an IPv6 CIDR is refused");
	e2b_egress_free(&eg);
	allowlist_free(&al);

	al = list("10.1.2.3");
	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, false, &eg, &e), -1,
	       "a private address is refused: E2B always blocks it, even when listed");
	ok(strstr(e.msg, "10.1.2.3") && strstr(e.msg, "10.0.0.0/8"), "... naming the entry and the range");
	e2b_egress_free(&eg);
	allowlist_free(&al);

	al = list("169.254.169.254 ");
	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, false, &eg, &e), -1, "the metadata address is refused");
	e2b_egress_free(&eg);
	allowlist_free(&al);

	al = list("192.168.0.0/16");
	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, false, &eg, &e), -1, "a whole private range is refused");
	e2b_egress_free(&eg);
	allowlist_free(&al);

	al = list("8.0.0.0/6");
	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, false, &eg, &e), 0, "a range that only contains a private one is mapped");
	ok(has(&eg.allow_out, "8.0.0.0/6") && eg.narrower.n == 2, "... with a note that its private part is blocked");
	e2b_egress_free(&eg);
	allowlist_free(&al);

	al = list("100.63.255.255 100.128.0.1");
	cs_err_clear(&e);
	is_int(e2b_egress_map(&al, false, &eg, &e), 0, "addresses just outside 100.64.0.0/10 are fine");
	e2b_egress_free(&eg);
	allowlist_free(&al);
	return tap_done();
}
