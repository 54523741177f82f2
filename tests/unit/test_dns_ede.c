/* Extended DNS Errors on refused names (firewall/dns_ede.h): the option is
 * decoded back from the wire, only added when the query had EDNS, and never
 * makes a reply bigger than the client said it can take. */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "firewall/dns.h"
#include "firewall/dns_ede.h"
#include "dnspkt.h"

struct ede {
	int found;
	unsigned code, info;
	char text[1024];
	size_t text_len;
};

/* Walk reply MSG to its additional section and decode the OPT's options. */
static struct ede decode(const uint8_t *msg, size_t len)
{
	struct ede e = { 0 };
	size_t off = DNS_HDR;
	struct dns_name n;

	if (len < DNS_HDR || rd16(msg + 4) != 1 || rd16(msg + 6) || rd16(msg + 8) || rd16(msg + 10) != 1)
		return e;
	if (dns_read_name(msg, len, &off, &n) < 0)
		return e;
	off += 4;                               /* QTYPE QCLASS */
	if (off + 11 > len || msg[off] != 0 || rd16(msg + off + 1) != DNS_T_OPT)
		return e;
	{
		size_t rdlen = rd16(msg + off + 9), o = off + 11;

		if (o + rdlen != len)
			return e;
		while (o + 4 <= len) {
			unsigned code = rd16(msg + o), olen = rd16(msg + o + 2);

			if (o + 4 + olen > len)
				return e;
			if (code == DNS_OPT_EDE && olen >= 2) {
				e.found = 1;
				e.code = code;
				e.info = rd16(msg + o + 4);
				e.text_len = olen - 2;
				memcpy(e.text, msg + o + 6, e.text_len < sizeof e.text - 1 ? e.text_len :
				       sizeof e.text - 1);
			}
			o += 4 + olen;
		}
	}
	return e;
}

static int build(const char *name, int edns, size_t max, char *text, size_t textsz, uint8_t *out)
{
	struct pkt p;
	struct dns_query q;
	int n;

	pquery(&p, 0x1234, name, DNS_T_A, edns);
	if (dns_parse_query(p.b, p.n, &q) < 0)
		return -1;
	n = dns_build_reply(out, max, &q, DNS_R_NXDOMAIN, NULL, 0);
	if (n <= 0)
		return -1;
	dns_ede_refused_text(text, textsz, "0123abcd", q.text);
	return (int)dns_add_ede(out, (size_t)n, max, DNS_EDE_BLOCKED, text);
}

int main(void)
{
	uint8_t out[DNS_TCP_MAX];
	char text[512];
	struct ede e;
	int n, plain;

	plan(15);
	n = build("blocked.example", 1, 1232, text, sizeof text, out);
	e = decode(out, (size_t)n);
	ok(n > 0 && (out[3] & 0xf) == DNS_R_NXDOMAIN, "NXDOMAIN");
	ok(e.found, "the reply's OPT carries an Extended DNS Error option");
	is_int(e.info, 15, "INFO-CODE 15 (Blocked)");
	is_int(e.text_len, strlen(text), "the whole text fits in 1232 bytes");
	ok(strstr(e.text, "codex-sandbox") != NULL, "the text names codex-sandbox: %s", e.text);
	ok(strstr(e.text, "codex-sandbox allow 0123abcd blocked.example") != NULL,
	   "...and the allow command with the sandbox id and the name");

	/* no EDNS in the query: no OPT, nothing added */
	plain = build("blocked.example", 0, 512, text, sizeof text, out);
	ok(plain > 0 && rd16(out + 10) == 0 && (size_t)plain == DNS_HDR + wlen("blocked.example") + 4,
	   "without EDNS: no OPT record, no option");

	/* a long name and the smallest EDNS size: cut to fit, never over */
	{
		char lname[300] = "";

		for (int i = 0; i < 3; i++)
			strcat(lname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
		strcat(lname, "test");
		n = build(lname, 1, 512, text, sizeof text, out);
		e = decode(out, (size_t)n);
		ok(n > 0 && n <= 512, "a %zu-byte name at 512 bytes: the reply stays within (%d)",
		   strlen(lname), n);
		ok(e.found && e.info == 15, "...still with the option");
		ok(e.text_len > 0 && e.text_len < strlen(text) && memcmp(e.text, text, e.text_len) == 0,
		   "...its text cut to what fits (%zu of %zu bytes)", e.text_len, strlen(text));
	}
	/* no room even for the bare option: the reply is left as built */
	{
		uint8_t small[64];
		struct pkt p;
		struct dns_query q;
		int m;

		pquery(&p, 1, "x.test", DNS_T_A, 1);
		dns_parse_query(p.b, p.n, &q);
		m = dns_build_reply(small, DNS_HDR + q.qraw_len + 11, &q, DNS_R_NXDOMAIN, NULL, 0);
		ok(m > 0 && dns_add_ede(small, (size_t)m, (size_t)m + 5, 15, "t") == (size_t)m,
		   "5 bytes of room: nothing added");
		ok(dns_add_ede(small, (size_t)m, (size_t)m + 6, 15, "text") == (size_t)m + 6 &&
		   decode(small, (size_t)m + 6).found, "6 bytes: the bare option, no text");
		m = dns_build_reply(small, sizeof small, &q, DNS_R_NXDOMAIN, NULL, 0);
		small[11] = 2;
		ok(dns_add_ede(small, (size_t)m, sizeof small, 15, "t") == (size_t)m,
		   "an OPT that is not the only additional record: left alone");
	}
	/* the text without a plain host name, and without a sandbox id */
	dns_ede_refused_text(text, sizeof text, "0123abcd", "");
	ok(strstr(text, "codex-sandbox") && !strstr(text, "allow 0123abcd"), "a non-host name: no command");
	dns_ede_refused_text(text, sizeof text, NULL, "x.test");
	ok(strstr(text, "codex-sandbox allow <sandbox-id> x.test") != NULL, "no id given: a placeholder");
	return tap_done();
}
