#include "firewall/dns_ede.h"

#include <stdio.h>
#include <string.h>

#include "firewall/dns.h"

#define OPT_RR_LEN 11           /* root owner, TYPE, CLASS, TTL, RDLEN */
#define EDE_HDR 6               /* OPTION-CODE, OPTION-LENGTH, INFO-CODE */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The last OPT_RR_LEN bytes are an OPT RR with no options, the only
 * additional record. */
static int ends_with_empty_opt(const uint8_t *msg, size_t len)
{
	const uint8_t *o = msg + len - OPT_RR_LEN;

	if (len < DNS_HDR + OPT_RR_LEN)
		return 0;
	return msg[10] == 0 && msg[11] == 1 && o[0] == 0 && o[1] == 0 && o[2] == DNS_T_OPT &&
	       o[9] == 0 && o[10] == 0;
}

size_t dns_add_ede(uint8_t *msg, size_t len, size_t maxlen, uint16_t info, const char *text)
{
	size_t tl = strlen(text), room;

	if (!ends_with_empty_opt(msg, len) || maxlen < len + EDE_HDR)
		return len;
	room = maxlen - len - EDE_HDR;     /* MAXLEN <= 65535: the lengths fit 16 bits */
	if (tl > room)
		tl = room;
	put16(msg + len, DNS_OPT_EDE);
	put16(msg + len + 2, (uint16_t)(2 + tl));
	put16(msg + len + 4, info);
	memcpy(msg + len + EDE_HDR, text, tl);
	put16(msg + len - 2, (uint16_t)(EDE_HDR + tl));     /* the OPT's RDLEN */
	return len + EDE_HDR + tl;
}

void dns_ede_refused_text(char *out, size_t outsz, const char *sandbox_id, const char *name)
{
	const char *id = sandbox_id && *sandbox_id ? sandbox_id : "<sandbox-id>";

	if (!name || !*name)
		snprintf(out, outsz, "codex-sandbox: not a host name on this sandbox's allowlist");
	else
		snprintf(out, outsz, "codex-sandbox: not on this sandbox's allowlist; "
			 "ask the user to run: codex-sandbox allow %s %s", id, name);
}
