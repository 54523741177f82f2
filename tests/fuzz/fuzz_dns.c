/* libFuzzer: the DNS codec on arbitrary bytes.  Besides "no crash, no
 * sanitizer report", checks round trips: any reply we build from a parsed
 * query and answer must itself parse back as an answer to that question. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/dns.h"
#include "firewall/dns_ede.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer a, back;
	static uint8_t out[DNS_TCP_MAX];
	struct dns_query q;
	struct dns_name fixed = { .wire = { 1, 'a', 3, 'c', 'o', 'm', 0 }, .len = 7 };
	char text[256];
	int n;

	if (dns_parse_query(data, size, &q) == 0) {
		dns_name_text(&q.qname, text, sizeof text);
		dns_name_print(&q.qname, text, sizeof text);
		n = dns_build_query(out, sizeof out, 0x1234, &q);
		if (n > 0) {
			struct dns_query q2;

			if (dns_parse_query(out, (size_t)n, &q2) != 0 || q2.qname.len != q.qname.len)
				abort();
		}
		n = dns_build_reply(out, 512, &q, DNS_R_NXDOMAIN, NULL, 60);
		if (n < 0 && q.qraw_len + DNS_HDR + 11 <= 512)
			abort();
		if (n > 0) {
			/* the EDE never makes the reply outgrow the client's size */
			dns_ede_refused_text(text, sizeof text, "fuzz", q.text);
			if (dns_add_ede(out, (size_t)n, 512, 15, text) > 512)
				abort();
		}
	}
	/* the same bytes as an upstream answer, to A and AAAA questions */
	for (int t = 0; t < 2; t++) {
		uint16_t qtype = t ? DNS_T_AAAA : DNS_T_A;
		const struct dns_name *qn = &fixed;
		struct dns_query qq;

		/* use the packet's own question when it has one, so the chain
		 * logic is reached, not just the mismatch check */
		if (size > DNS_HDR) {
			size_t off = DNS_HDR;
			static struct dns_name own;

			if (dns_read_name(data, size, &off, &own) == 0)
				qn = &own;
		}
		if (dns_parse_answer(data, size, qn, qtype, &a) != 0)
			continue;
		if (a.n_addr > DNS_MAX_ADDRS || a.n_chain > DNS_MAX_CHAIN)
			abort();
		/* rebuild a reply for a synthetic query with that question */
		memset(&qq, 0, sizeof qq);
		uint8_t qraw[DNS_NAME_MAX + 4];
		memcpy(qraw, qn->wire, qn->len);
		qraw[qn->len] = 0;
		qraw[qn->len + 1] = (uint8_t)qtype;
		qraw[qn->len + 2] = 0;
		qraw[qn->len + 3] = 1;
		qq.qraw = qraw;
		qq.qraw_len = qn->len + 4;
		qq.qname = *qn;
		qq.qtype = qtype;
		qq.edns = size & 1;
		n = dns_build_reply(out, size & 2 ? DNS_TCP_MAX : 512, &qq, DNS_R_NOERROR, &a, 3600);
		if (n > 0 && dns_parse_answer(out, (size_t)n, qn, qtype, &back) != 0)
			abort();
		if (n > 0 && !(out[2] & 0x02) && (back.n_addr != a.n_addr || back.n_chain != a.n_chain))
			abort();
	}
	return 0;
}
