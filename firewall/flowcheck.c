#include "firewall/flowcheck.h"

#include <string.h>
#include <sys/socket.h>

#include "firewall/httphost.h"
#include "firewall/tlshello.h"

static enum flow_verdict refuse(struct flowcheck *fc, enum flow_reason why)
{
	fc->verdict = FLOW_REFUSE;
	fc->reason = why;
	return fc->verdict;
}

int flowcheck_init(struct flowcheck *fc, const struct flow_judge *judge, int family,
		   const unsigned char *daddr, uint16_t dport, uint32_t isn)
{
	fc->judge = judge;
	fc->family = family;
	memset(fc->daddr, 0, sizeof fc->daddr);
	memcpy(fc->daddr, daddr, family == AF_INET6 ? 16 : 4);
	fc->base = isn + 1;
	fc->have = 0;
	fc->verdict = FLOW_NEED_MORE;
	fc->reason = FLOW_R_NONE;
	fc->ech = false;
	fc->name[0] = '\0';
	fc->kind = dport == 80 ? FLOW_HTTP : FLOW_TLS;
	if (dport != 443 && dport != 80) {
		refuse(fc, FLOW_R_PORT);
		return -1;
	}
	return 0;
}

/* Put the segment in place.  Returns FLOW_R_NONE, or why it cannot be. */
static enum flow_reason place(struct flowcheck *fc, uint32_t seq, const uint8_t *data, size_t len)
{
	uint32_t off = seq - fc->base;   /* modulo 2^32, like TCP */
	size_t old;

	if (off > FLOW_BYTES_MAX)
		return off > UINT32_MAX / 2 ? FLOW_R_SEQUENCE : FLOW_R_TOO_BIG;
	if (off > fc->have)
		return FLOW_R_SEQUENCE;   /* a gap: we would judge other bytes than the server reads */
	old = fc->have - off;
	if (old > len)
		old = len;
	if (memcmp(fc->buf + off, data, old) != 0)
		return FLOW_R_SEQUENCE;   /* a resent byte that differs */
	if (len - old > FLOW_BYTES_MAX - fc->have)
		return FLOW_R_TOO_BIG;
	memcpy(fc->buf + fc->have, data + old, len - old);
	fc->have += len - old;
	return FLOW_R_NONE;
}

static enum flow_verdict judge_name(struct flowcheck *fc)
{
	const struct flow_judge *j = fc->judge;

	if (!j || !j->al || !allowlist_match_name(j->al, fc->name))
		return refuse(fc, FLOW_R_NOT_ALLOWED);
	if (!j->name_has_addr || !j->name_has_addr(j->ctx, fc->name, fc->family, fc->daddr))
		return refuse(fc, FLOW_R_NOT_LEARNED);
	fc->verdict = FLOW_ALLOW;
	return fc->verdict;
}

enum flow_verdict flowcheck_feed(struct flowcheck *fc, uint32_t seq, const uint8_t *data,
				 size_t len)
{
	enum flow_reason why;
	int rc;

	if (fc->verdict != FLOW_NEED_MORE || len == 0)
		return fc->verdict;
	if ((why = place(fc, seq, data, len)) != FLOW_R_NONE)
		return refuse(fc, why);
	if (fc->kind == FLOW_TLS) {
		struct tls_hello h;

		rc = tls_hello_parse(fc->buf, fc->have, &h);
		if (rc > 0) {
			memcpy(fc->name, h.sni, sizeof fc->name);
			fc->ech = h.ech;
		}
	} else {
		rc = http_host_parse(fc->buf, fc->have, fc->name);
		if (rc <= 0)
			fc->name[0] = '\0';
	}
	if (rc < 0)
		return refuse(fc, (enum flow_reason)-rc);
	if (rc == 0)
		return fc->have == FLOW_BYTES_MAX ? refuse(fc, FLOW_R_TOO_BIG) : FLOW_NEED_MORE;
	return judge_name(fc);
}
