#include "runner/e2b/connect.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for one maximal envelope plus whatever the transport handed over
 * in the same write (callers feed at most 64 KiB at a time). */
#define DECODER_SLACK (1u << 20)

int connect_envelope(struct buf *out, uint8_t flags, const void *payload, size_t len)
{
	unsigned char h[5];

	if (len > 0xffffffffu) {
		errno = E2BIG;
		return -1;
	}
	h[0] = flags;
	h[1] = (unsigned char)(len >> 24);
	h[2] = (unsigned char)(len >> 16);
	h[3] = (unsigned char)(len >> 8);
	h[4] = (unsigned char)len;
	if (buf_append(out, h, sizeof h) < 0)
		return -1;
	return buf_append(out, payload, len);
}

void connect_decoder_init(struct connect_decoder *d, size_t max_msg)
{
	buf_init(&d->in, max_msg + 5 + DECODER_SLACK);
	d->off = 0;
	d->max_msg = max_msg;
	d->failed = false;
}

void connect_decoder_free(struct connect_decoder *d)
{
	buf_free(&d->in);
	d->off = 0;
}

int connect_decoder_feed(struct connect_decoder *d, const void *data, size_t len)
{
	if (d->failed) {
		errno = EPROTO;
		return -1;
	}
	if (d->off) {
		buf_consume(&d->in, d->off);
		d->off = 0;
	}
	if (buf_append(&d->in, data, len) < 0) {
		d->failed = true;
		return -1;
	}
	return 0;
}

int connect_decoder_next(struct connect_decoder *d, uint8_t *flags, const char **payload,
			 size_t *len)
{
	const unsigned char *p;
	size_t avail;
	uint32_t n;

	if (d->failed) {
		errno = EPROTO;
		return -1;
	}
	avail = d->in.len - d->off;
	if (avail < 5)
		return 0;
	p = (const unsigned char *)d->in.data + d->off;
	if (p[0] & ~(unsigned)CONNECT_FLAG_END_STREAM) {
		/* 0x01 (compressed) was never negotiated; other bits are unknown. */
		d->failed = true;
		errno = EPROTO;
		return -1;
	}
	n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (n > d->max_msg) {
		d->failed = true;
		errno = E2BIG;
		return -1;
	}
	if (avail - 5 < n)
		return 0;
	*flags = p[0];
	*payload = (const char *)p + 5;
	*len = n;
	d->off += 5 + (size_t)n;
	return 1;
}

size_t connect_decoder_pending(const struct connect_decoder *d)
{
	return d->in.len - d->off;
}

static const signed char b64_val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59,
	['7'] = 60, ['8'] = 61, ['9'] = 62,
	['+'] = 63, ['/'] = 64, ['-'] = 63, ['_'] = 64,   /* value + 1; 0 = invalid */
};

int b64_encode(struct buf *out, const void *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = data;
	char q[4];

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (left > 2)
			v |= s[i + 2];
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = left > 1 ? tab[v >> 6 & 63] : '=';
		q[3] = left > 2 ? tab[v & 63] : '=';
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	if (!out->data)   /* empty input: still a valid (empty) string */
		return buf_append(out, "", 0);
	return 0;
}

long b64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t o = 0, n = 0;
	uint32_t acc = 0;

	while (len && in[len - 1] == '=' && n < 2) {
		len--;
		n++;
	}
	if (len % 4 == 1)
		return -1;
	n = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val[(unsigned char)in[i]];

		if (v == 0)
			return -1;
		acc = acc << 6 | (uint32_t)(v - 1);
		if (++n == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	if (n == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (n == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	return (long)o;
}

static bool json_int(const cJSON *j, double lo, double hi, long long *out)
{
	double v;

	if (!cJSON_IsNumber(j))
		return false;
	v = j->valuedouble;
	/* NaN fails every comparison; the range check comes before the cast. */
	if (!(v >= lo && v <= hi) || (double)(long long)v != v)
		return false;
	*out = (long long)v;
	return true;
}

static void copy_str(char *dst, size_t dsz, const cJSON *j)
{
	dst[0] = '\0';
	if (cJSON_IsString(j) && j->valuestring)
		snprintf(dst, dsz, "%s", j->valuestring);
}

static int parse_data(const cJSON *data, struct connect_event *ev)
{
	static const struct { const char *key; enum connect_stream s; } kinds[] = {
		{ "pty", CSTREAM_PTY }, { "stdout", CSTREAM_STDOUT }, { "stderr", CSTREAM_STDERR },
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(data, kinds[i].key);
		size_t blen;
		long n;

		if (!b)
			continue;
		if (!cJSON_IsString(b) || !b->valuestring)
			return -1;
		blen = strlen(b->valuestring);
		ev->data = malloc(blen / 4 * 3 + 4);
		if (!ev->data)
			return -1;
		n = b64_decode(b->valuestring, blen, ev->data);
		if (n < 0)
			return -1;
		ev->len = (size_t)n;
		ev->stream = kinds[i].s;
		ev->kind = CEV_DATA;
		return 0;
	}
	ev->kind = CEV_UNKNOWN;   /* data of a kind we do not know */
	return 0;
}

int connect_parse_event(const char *payload, size_t len, struct connect_event *ev)
{
	cJSON *root = cJSON_ParseWithLength(payload, len);
	const cJSON *e, *x;
	int rc = 0;

	memset(ev, 0, sizeof *ev);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -1;
	}
	e = cJSON_GetObjectItemCaseSensitive(root, "event");
	if (!cJSON_IsObject(e)) {
		ev->kind = CEV_UNKNOWN;
		goto out;
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(e, "start"))) {
		long long pid = 0;
		const cJSON *pj = cJSON_GetObjectItemCaseSensitive(x, "pid");

		if (!cJSON_IsObject(x) || (pj && !json_int(pj, 0, 4294967295.0, &pid))) {
			rc = -1;
			goto out;
		}
		ev->kind = CEV_START;
		ev->pid = (uint32_t)pid;
	} else if ((x = cJSON_GetObjectItemCaseSensitive(e, "data"))) {
		if (!cJSON_IsObject(x) || parse_data(x, ev) < 0)
			rc = -1;
	} else if ((x = cJSON_GetObjectItemCaseSensitive(e, "keepalive"))) {
		ev->kind = CEV_KEEPALIVE;
	} else if ((x = cJSON_GetObjectItemCaseSensitive(e, "end"))) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(x, "exitCode");
		long long code = 0;

		if (!cJSON_IsObject(x) || (c && !json_int(c, -2147483648.0, 2147483647.0, &code))) {
			rc = -1;
			goto out;
		}
		ev->kind = CEV_END;
		ev->exit_code = (int)code;
		ev->exited = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "exited"));
		copy_str(ev->status, sizeof ev->status, cJSON_GetObjectItemCaseSensitive(x, "status"));
		copy_str(ev->error, sizeof ev->error, cJSON_GetObjectItemCaseSensitive(x, "error"));
	} else {
		ev->kind = CEV_UNKNOWN;
	}
out:
	cJSON_Delete(root);
	if (rc < 0)
		connect_event_free(ev);
	return rc;
}

void connect_event_free(struct connect_event *ev)
{
	free(ev->data);
	ev->data = NULL;
	ev->len = 0;
}

int connect_parse_end(const char *payload, size_t len, char *code, size_t codesz,
		      char *msg, size_t msgsz)
{
	cJSON *root = len ? cJSON_ParseWithLength(payload, len) : cJSON_CreateObject();
	const cJSON *e;
	int rc = 0;

	code[0] = msg[0] = '\0';
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -1;
	}
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (e && !cJSON_IsNull(e)) {
		rc = 1;
		copy_str(code, codesz, cJSON_GetObjectItemCaseSensitive(e, "code"));
		copy_str(msg, msgsz, cJSON_GetObjectItemCaseSensitive(e, "message"));
		if (!code[0])
			snprintf(code, codesz, "unknown");
	}
	cJSON_Delete(root);
	return rc;
}

int connect_end_status(const struct connect_event *ev)
{
	/* Go's names for the signals (syscall.Signal.String on Linux). */
	static const char *const names[] = {
		NULL, "hangup", "interrupt", "quit", "illegal instruction",
		"trace/breakpoint trap", "aborted", "bus error", "floating point exception",
		"killed", "user defined signal 1", "segmentation fault",
		"user defined signal 2", "broken pipe", "alarm clock", "terminated",
	};

	if (ev->exit_code >= 0)
		return ev->exit_code & 0xff;
	if (strncmp(ev->status, "signal: ", 8) == 0) {
		for (size_t i = 1; i < sizeof names / sizeof names[0]; i++)
			if (strcmp(ev->status + 8, names[i]) == 0)
				return 128 + (int)i;
	}
	return 255;
}
