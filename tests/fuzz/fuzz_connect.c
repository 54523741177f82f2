/* libFuzzer: the Connect stream decoder and the process-event parser on
 * untrusted bytes (what an envd, or anything pretending to be one, sends).
 * The first input byte picks how the rest is split into transport chunks,
 * so frame boundaries land everywhere. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runner/e2b/connect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct connect_decoder d;
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	data++;
	size--;
	connect_decoder_init(&d, 1u << 16);
	for (size_t off = 0; off < size; off += step) {
		size_t len = size - off < step ? size - off : step;
		uint8_t flags;
		const char *payload;
		size_t plen;
		int r;

		if (connect_decoder_feed(&d, data + off, len) < 0)
			break;
		while ((r = connect_decoder_next(&d, &flags, &payload, &plen)) == 1) {
			if (flags & CONNECT_FLAG_END_STREAM) {
				char code[64], msg[256];

				connect_parse_end(payload, plen, code, sizeof code, msg, sizeof msg);
			} else {
				struct connect_event ev;

				if (connect_parse_event(payload, plen, &ev) == 0) {
					if (ev.kind == CEV_END)
						(void)connect_end_status(&ev);
					connect_event_free(&ev);
				}
			}
		}
		if (r < 0)
			break;
	}
	(void)connect_decoder_pending(&d);
	connect_decoder_free(&d);
	/* base64 on its own, with an exact-size output buffer */
	{
		unsigned char out[1024];

		if (size <= sizeof out * 4 / 3)
			(void)b64_decode((const char *)data, size, out);
	}
	return 0;
}
