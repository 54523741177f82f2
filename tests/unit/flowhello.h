/* ClientHello and HTTP request builders shared by test_flowcheck.c and the
 * parser bench (tests/bench/flowcheck_bench.c): real-shaped bytes, built
 * here, never captured from elsewhere. */
#ifndef FLOWHELLO_H
#define FLOWHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hello_opts {
	const char *sni;        /* NULL: no server_name extension */
	const char *sni2;       /* a second host_name entry in the same list */
	bool ech;               /* add encrypted_client_hello */
	bool dup_sni;           /* server_name twice */
	bool no_ext;            /* no extensions block at all */
	size_t pq;              /* bytes of ML-KEM key share (0: x25519 only) */
	size_t pad;             /* a padding extension of this many bytes */
	int ext_len_delta;      /* corrupt the extensions length by this much */
	int sid_extra;          /* session id longer than 32 by this much */
	size_t trailing;        /* bytes after the extensions block */
	int sni_list_delta;     /* corrupt the server_name list length */
};

static inline size_t fh_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static inline size_t fh_ext(uint8_t *p, unsigned type, const uint8_t *body, size_t n)
{
	fh_put16(p, type);
	fh_put16(p + 2, n);
	if (n)
		memcpy(p + 4, body, n);
	return 4 + n;
}

static inline size_t fh_sni_ext(uint8_t *p, const char *name, const char *name2)
{
	uint8_t b[600];
	size_t n = 2, l1 = strlen(name);

	b[n++] = 0;
	n += fh_put16(b + n, l1);
	memcpy(b + n, name, l1);
	n += l1;
	if (name2) {
		size_t l2 = strlen(name2);

		b[n++] = 0;
		n += fh_put16(b + n, l2);
		memcpy(b + n, name2, l2);
		n += l2;
	}
	fh_put16(b, n - 2);
	return fh_ext(p, 0, b, n);
}

/* The handshake message (4-byte header included) into OUT; its length. */
static inline size_t build_hello(uint8_t *out, const struct hello_opts *o)
{
	static uint8_t ks[20000];
	size_t n = 4, ext_at, ksn = 2;
	const uint8_t ver[] = { 4, 3, 4, 3, 3 };

	out[n++] = 3;
	out[n++] = 3;
	for (int i = 0; i < 32; i++)
		out[n++] = (uint8_t)(i * 7);
	out[n++] = (uint8_t)(32 + o->sid_extra);
	for (int i = 0; i < 32 + o->sid_extra; i++)
		out[n++] = (uint8_t)(i + 1);
	n += fh_put16(out + n, 6);
	out[n++] = 0x13; out[n++] = 0x01; out[n++] = 0x13; out[n++] = 0x02;
	out[n++] = 0x13; out[n++] = 0x03;
	out[n++] = 1;
	out[n++] = 0;
	if (o->no_ext)
		goto done;
	ext_at = n;
	n += 2;
	if (o->sni) {
		size_t at = n;

		n += fh_sni_ext(out + n, o->sni, o->sni2);
		fh_put16(out + at + 4, (size_t)((long)(n - at - 6) + o->sni_list_delta));
	}
	n += fh_ext(out + n, 0x002b, ver, sizeof ver);
	if (o->pq) {
		ksn += fh_put16(ks + ksn, 0x11ec);
		ksn += fh_put16(ks + ksn, o->pq);
		memset(ks + ksn, 0xa5, o->pq);
		ksn += o->pq;
	}
	ksn += fh_put16(ks + ksn, 0x001d);
	ksn += fh_put16(ks + ksn, 32);
	memset(ks + ksn, 0x5a, 32);
	ksn += 32;
	fh_put16(ks, ksn - 2);
	n += fh_ext(out + n, 0x0033, ks, ksn);
	if (o->ech) {
		memset(ks, 0x3c, 200);
		ks[0] = 0;   /* ECHClientHello type outer */
		n += fh_ext(out + n, 0xfe0d, ks, 200);
	}
	if (o->dup_sni)
		n += fh_sni_ext(out + n, o->sni ? o->sni : "x.test", NULL);
	if (o->pad) {
		memset(ks, 0, o->pad);
		n += fh_ext(out + n, 0x0015, ks, o->pad);
	}
	fh_put16(out + ext_at, (size_t)((long)(n - ext_at - 2) + o->ext_len_delta));
	memset(out + n, 0, o->trailing);
	n += o->trailing;
done:
	out[0] = 1;
	out[1] = (uint8_t)((n - 4) >> 16);
	out[2] = (uint8_t)((n - 4) >> 8);
	out[3] = (uint8_t)(n - 4);
	return n;
}

/* Wrap handshake bytes in TLS records of at most RECSZ payload each. */
static inline size_t wrap_records(uint8_t *out, const uint8_t *hs, size_t n, size_t recsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += recsz) {
		size_t k = n - i < recsz ? n - i : recsz;

		out[o++] = 22;
		out[o++] = 3;
		out[o++] = 1;
		o += fh_put16(out + o, k);
		memcpy(out + o, hs + i, k);
		o += k;
	}
	return o;
}

#endif
