/* The Connect envelope codec and the process-event parser: framing, frames
 * split at every byte, several frames in one chunk, the end-stream trailer
 * with and without an error, hostile lengths and flags, base64. */
#include "tap.h"

#include <errno.h>
#include <stdlib.h>

#include "runner/e2b/connect.h"

static struct buf frames(const char *const *payloads, const uint8_t *flags, int n)
{
	struct buf b;

	buf_init(&b, 1u << 20);
	for (int i = 0; i < n; i++)
		if (connect_envelope(&b, flags[i], payloads[i], strlen(payloads[i])) < 0)
			abort();
	return b;
}

/* Feed STREAM in pieces of STEP bytes; collect the payloads seen. */
static int decode_all(const struct buf *stream, size_t step, char out[][256], uint8_t *fl, int max)
{
	struct connect_decoder d;
	int n = 0;

	connect_decoder_init(&d, CONNECT_MSG_MAX);
	for (size_t off = 0; off < stream->len; off += step) {
		size_t len = stream->len - off < step ? stream->len - off : step;
		uint8_t f;
		const char *p;
		size_t pl;
		int r;

		if (connect_decoder_feed(&d, stream->data + off, len) < 0)
			break;
		while ((r = connect_decoder_next(&d, &f, &p, &pl)) == 1 && n < max) {
			snprintf(out[n], 256, "%.*s", (int)pl, p);
			fl[n++] = f;
		}
		if (r < 0) {
			n = -1;
			break;
		}
	}
	if (n >= 0 && connect_decoder_pending(&d))
		n = -2;
	connect_decoder_free(&d);
	return n;
}

static void test_framing(void)
{
	const char *p[] = { "{\"event\":{\"start\":{\"pid\":42}}}", "", "{}" };
	uint8_t f[] = { 0, 0, CONNECT_FLAG_END_STREAM };
	struct buf s = frames(p, f, 3);
	char out[8][256];
	uint8_t fl[8];
	bool all = true;

	is_int(s.len, 5 + strlen(p[0]) + 5 + 5 + 2, "envelope = 5-byte prefix + payload");
	ok((unsigned char)s.data[0] == 0 && s.data[4] == (char)strlen(p[0]), "big-endian length");
	for (size_t step = 1; step <= s.len; step++) {
		int n = decode_all(&s, step, out, fl, 8);

		if (n != 3 || strcmp(out[0], p[0]) || out[1][0] || strcmp(out[2], "{}") ||
		    fl[2] != CONNECT_FLAG_END_STREAM) {
			all = false;
			printf("# step %zu: n=%d\n", step, n);
		}
	}
	ok(all, "frames split at every possible byte decode the same");
	is_int(decode_all(&s, s.len, out, fl, 8), 3, "three frames packed in one chunk");
	buf_free(&s);
}

static void test_partial_and_errors(void)
{
	struct connect_decoder d;
	unsigned char big[5] = { 0, 0x7f, 0xff, 0xff, 0xff };
	unsigned char comp[6] = { CONNECT_FLAG_COMPRESSED, 0, 0, 0, 1, 'x' };
	unsigned char odd[5] = { 0x80, 0, 0, 0, 0 };
	uint8_t f;
	const char *p;
	size_t n;

	connect_decoder_init(&d, CONNECT_MSG_MAX);
	ok(connect_decoder_feed(&d, "\0\0\0", 3) == 0 && connect_decoder_next(&d, &f, &p, &n) == 0,
	   "a partial prefix waits for more");
	ok(connect_decoder_feed(&d, "\0\x02{", 3) == 0 && connect_decoder_next(&d, &f, &p, &n) == 0,
	   "a partial payload waits for more");
	ok(connect_decoder_pending(&d) == 6, "pending bytes are reported (a cut stream is detectable)");
	ok(connect_decoder_feed(&d, "}", 1) == 0 && connect_decoder_next(&d, &f, &p, &n) == 1 &&
	   n == 2 && memcmp(p, "{}", 2) == 0, "completed by the last byte");
	connect_decoder_free(&d);

	connect_decoder_init(&d, CONNECT_MSG_MAX);
	connect_decoder_feed(&d, big, sizeof big);
	errno = 0;
	ok(connect_decoder_next(&d, &f, &p, &n) == -1 && errno == E2BIG,
	   "a length over the limit is refused before any payload arrives");
	ok(connect_decoder_next(&d, &f, &p, &n) == -1 && connect_decoder_feed(&d, "x", 1) == -1,
	   "the decoder stays failed");
	connect_decoder_free(&d);

	connect_decoder_init(&d, CONNECT_MSG_MAX);
	connect_decoder_feed(&d, comp, sizeof comp);
	errno = 0;
	ok(connect_decoder_next(&d, &f, &p, &n) == -1 && errno == EPROTO,
	   "a compressed envelope is refused (never negotiated)");
	connect_decoder_free(&d);

	connect_decoder_init(&d, CONNECT_MSG_MAX);
	connect_decoder_feed(&d, odd, sizeof odd);
	ok(connect_decoder_next(&d, &f, &p, &n) == -1, "unknown flag bits are refused");
	connect_decoder_free(&d);

	connect_decoder_init(&d, 16);
	ok(connect_decoder_feed(&d, "\0\0\0\0\x11", 5) == 0 && connect_decoder_next(&d, &f, &p, &n) == -1,
	   "the per-decoder limit applies (17 > 16)");
	connect_decoder_free(&d);
}

static void test_trailer(void)
{
	char code[64], msg[256];

	is_int(connect_parse_end("{}", 2, code, sizeof code, msg, sizeof msg), 0, "{} is a clean end");
	is_int(connect_parse_end("", 0, code, sizeof code, msg, sizeof msg), 0, "an empty trailer is a clean end");
	{
		const char *t = "{\"error\":{\"code\":\"deadline_exceeded\",\"message\":\"context deadline "
				"exceeded\"},\"metadata\":{\"k\":[\"v\"]}}";

		is_int(connect_parse_end(t, strlen(t), code, sizeof code, msg, sizeof msg), 1,
		       "an end-stream error is reported");
	}
	is_str(code, "deadline_exceeded", "... with its code");
	is_str(msg, "context deadline exceeded", "... and message");
	is_int(connect_parse_end("{\"error\":{}}", 12, code, sizeof code, msg, sizeof msg), 1,
	       "an error without a code");
	is_str(code, "unknown", "... is 'unknown'");
	is_int(connect_parse_end("nope", 4, code, sizeof code, msg, sizeof msg), -1, "non-JSON trailer");
}

static void test_events(void)
{
	struct connect_event ev;
	const char *s;

	s = "{\"event\":{\"start\":{\"pid\":4242}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && ev.kind == CEV_START && ev.pid == 4242, "start{pid}");
	s = "{\"event\":{\"data\":{\"pty\":\"Y29kZXgN\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && ev.kind == CEV_DATA &&
	   ev.stream == CSTREAM_PTY && ev.len == 6 && memcmp(ev.data, "codex\r", 6) == 0,
	   "data.pty decoded (the SDK's captured 'codex\\r')");
	connect_event_free(&ev);
	s = "{\"event\":{\"data\":{\"stderr\":\"aGk\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && ev.stream == CSTREAM_STDERR && ev.len == 2,
	   "data.stderr, unpadded base64");
	connect_event_free(&ev);
	s = "{\"event\":{\"data\":{\"stdout\":\"-_8=\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && ev.len == 2 && ev.data[0] == 0xfb && ev.data[1] == 0xff,
	   "URL-safe base64 accepted");
	connect_event_free(&ev);
	s = "{\"event\":{\"data\":{\"stdout\":\"a$b=\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == -1, "invalid base64 refused");
	s = "{\"event\":{\"keepalive\":{}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && ev.kind == CEV_KEEPALIVE, "keepalive");
	s = "{\"event\":{\"end\":{\"exited\":true,\"status\":\"exit status 0\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && ev.kind == CEV_END && ev.exit_code == 0 &&
	   connect_end_status(&ev) == 0, "end without exitCode is 0 (protojson omits zero)");
	s = "{\"event\":{\"end\":{\"exitCode\":3,\"exited\":true,\"status\":\"exit status 3\","
	    "\"error\":\"exit status 3\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && connect_end_status(&ev) == 3, "exit status 3");
	s = "{\"event\":{\"end\":{\"exitCode\":-1,\"status\":\"signal: killed\",\"error\":\"signal: killed\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && connect_end_status(&ev) == 137,
	   "killed by SIGKILL -> 137, as a shell reports it");
	s = "{\"event\":{\"end\":{\"exitCode\":-1,\"status\":\"signal: terminated\"}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && connect_end_status(&ev) == 143, "SIGTERM -> 143");
	s = "{\"event\":{\"end\":{\"exitCode\":1.5}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == -1, "a fractional exit code is refused");
	s = "{\"event\":{\"start\":{\"pid\":-1}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == -1, "a negative pid is refused");
	s = "{\"event\":{\"somethingNew\":{}}}";
	ok(connect_parse_event(s, strlen(s), &ev) == 0 && ev.kind == CEV_UNKNOWN, "unknown events are ignored");
	s = "[1,2]";
	ok(connect_parse_event(s, strlen(s), &ev) == -1, "not an object");
}

static void test_base64(void)
{
	struct buf b;
	unsigned char out[16];
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	bool ok_all = true;

	for (int i = 0; i < 7; i++) {
		long n;

		buf_init(&b, 64);
		if (b64_encode(&b, in[i], strlen(in[i])) < 0 || strcmp(b.data, want[i]) != 0)
			ok_all = false;
		n = b64_decode(b.data, b.len, out);
		if (n != (long)strlen(in[i]) || memcmp(out, in[i], (size_t)n) != 0)
			ok_all = false;
		buf_free(&b);
	}
	ok(ok_all, "RFC 4648 test vectors round-trip");
	is_int(b64_decode("Zg", 2, out), 1, "unpadded input");
	is_int(b64_decode("Z", 1, out), -1, "a lone character is invalid");
	is_int(b64_decode("Zm=9", 4, out), -1, "padding in the middle is invalid");
}

int main(void)
{
	plan(39);
	test_framing();
	test_partial_and_errors();
	test_trailer();
	test_events();
	test_base64();
	return tap_done();
}
