#include "firewall/tlshello.h"

#include <string.h>

#define REC_HDR 5
#define REC_MAX 16384           /* TLSPlaintext.length limit (2^14) */
#define HS_HDR 4
#define CT_HANDSHAKE 22
#define HS_CLIENT_HELLO 1
#define SNI_HOST_NAME 0

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A bounded reader over one hello: every take checks the bytes are there. */
struct rd {
	const uint8_t *p;
	size_t n, off;
};

static const uint8_t *take(struct rd *r, size_t k)
{
	const uint8_t *at;

	if (k > r->n - r->off)
		return NULL;
	at = r->p + r->off;
	r->off += k;
	return at;
}

/* A length-prefixed vector of LENBYTES (1 or 2) size bytes; NULL if it does
 * not fit.  *N gets its length. */
static const uint8_t *take_vec(struct rd *r, int lenbytes, size_t *n)
{
	const uint8_t *l = take(r, (size_t)lenbytes);

	if (!l)
		return NULL;
	*n = lenbytes == 1 ? l[0] : get16(l);
	return take(r, *n);
}

/* server_name: exactly one entry, of type host_name. */
static int parse_sni(const uint8_t *e, size_t n, struct tls_hello *out)
{
	size_t nlen;

	if (n < 5 || get16(e) != n - 2 || e[2] != SNI_HOST_NAME)
		return -FLOW_R_MALFORMED;
	nlen = get16(e + 3);
	if (nlen == 0 || 5 + nlen != n)
		return -FLOW_R_MALFORMED;
	if (flow_name_canon(e + 5, nlen, out->sni) < 0)
		return -FLOW_R_BAD_NAME;
	return 0;
}

static int parse_extensions(struct rd *r, struct tls_hello *out)
{
	uint16_t seen[TLS_EXT_MAX];
	size_t n_seen = 0, total;
	const uint8_t *ext = take_vec(r, 2, &total);
	struct rd x;
	bool have_sni = false;

	if (!ext || r->off != r->n)
		return -FLOW_R_MALFORMED;
	x = (struct rd){ ext, total, 0 };
	while (x.off < x.n) {
		const uint8_t *h = take(&x, 2), *body;
		size_t blen;
		unsigned type;
		int rc;

		if (!h || !(body = take_vec(&x, 2, &blen)))
			return -FLOW_R_MALFORMED;
		type = get16(h);
		for (size_t i = 0; i < n_seen; i++)
			if (seen[i] == type)
				return -FLOW_R_DUP_EXT;
		if (n_seen == TLS_EXT_MAX)
			return -FLOW_R_TOO_BIG;
		seen[n_seen++] = (uint16_t)type;
		if (type == TLS_EXT_SERVER_NAME) {
			if ((rc = parse_sni(body, blen, out)) < 0)
				return rc;
			have_sni = true;
		} else if (type == TLS_EXT_ECH) {
			out->ech = true;
		}
	}
	return have_sni ? 1 : -FLOW_R_NO_SNI;
}

/* The ClientHello body (after the 4-byte handshake header). */
static int parse_body(const uint8_t *b, size_t n, struct tls_hello *out)
{
	struct rd r = { b, n, 0 };
	const uint8_t *ver = take(&r, 2);
	size_t len;

	if (!ver || ver[0] != 3 || !take(&r, 32))
		return -FLOW_R_MALFORMED;
	if (!take_vec(&r, 1, &len) || len > 32)
		return -FLOW_R_MALFORMED;
	if (!take_vec(&r, 2, &len) || len < 2 || len % 2)
		return -FLOW_R_MALFORMED;
	if (!take_vec(&r, 1, &len) || len < 1)
		return -FLOW_R_MALFORMED;
	if (r.off == r.n)
		return -FLOW_R_NO_SNI;   /* no extensions at all */
	return parse_extensions(&r, out);
}

/* Check the handshake header as soon as it is there: refuse early what can
 * never become an acceptable hello. */
static int check_hs_header(const uint8_t *hs, size_t have, size_t *need)
{
	size_t body;

	if (have < HS_HDR)
		return 0;
	if (hs[0] != HS_CLIENT_HELLO)
		return -FLOW_R_MALFORMED;
	body = (size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3];
	if (body > TLS_HELLO_MAX - HS_HDR)
		return -FLOW_R_TOO_BIG;
	*need = HS_HDR + body;
	return 0;
}

int tls_hello_parse(const uint8_t *stream, size_t len, struct tls_hello *out)
{
	uint8_t hs[TLS_HELLO_MAX];
	size_t off = 0, have = 0, need = 0;
	int rc;

	memset(out, 0, sizeof *out);
	for (;;) {
		size_t rlen, k;

		if (len - off >= 1 && stream[off] != CT_HANDSHAKE)
			return off == 0 ? -FLOW_R_NOT_TLS : -FLOW_R_MALFORMED;
		if (len - off >= 2 && stream[off + 1] != 3)
			return off == 0 ? -FLOW_R_NOT_TLS : -FLOW_R_MALFORMED;
		if (len - off < REC_HDR)
			return 0;
		rlen = get16(stream + off + 3);
		if (rlen == 0 || rlen > REC_MAX)
			return -FLOW_R_MALFORMED;
		off += REC_HDR;
		k = len - off < rlen ? len - off : rlen;
		if (k > sizeof hs - have)
			k = sizeof hs - have;
		memcpy(hs + have, stream + off, k);
		have += k;
		off += k;
		if ((rc = check_hs_header(hs, have, &need)) < 0)
			return rc;
		if (need && have >= need)
			return parse_body(hs + HS_HDR, need - HS_HDR, out);
		if (k < rlen)
			return 0;   /* the record is not complete yet */
	}
}
