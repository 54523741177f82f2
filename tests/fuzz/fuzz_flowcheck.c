/* libFuzzer: the first-bytes judge (firewall/flowcheck.c) on arbitrary
 * streams.  Byte 0 picks the port (bit 0: 80, else 443) and how the rest is
 * cut into segments.  Besides "no crash, no sanitizer report", checks that
 * cutting never changes the outcome: the stream fed in pieces ends with the
 * same verdict (and name) as fed at once, and an allowed name is always one
 * the allowlist matches. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall/flowcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Learned for every name of even length: both answers are reached. */
static bool learned(void *ctx, const char *name, int family, const unsigned char *addr)
{
	(void)ctx;
	(void)family;
	(void)addr;
	return strlen(name) % 2 == 0;
}

static struct allowlist al;
static const struct flow_judge judge = { &al, learned, NULL };

static void setup(void)
{
	struct cs_err err;

	if (al.n)
		return;
	if (allowlist_add_text(&al, "a.test ab.test *.cdn.test api.allowed.test www.allowed.test", "fuzz",
			       &err) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flowcheck whole, cut;
	const unsigned char addr[4] = { 203, 0, 113, 10 };
	uint16_t port;
	uint32_t isn;
	unsigned step;

	if (size < 1)
		return 0;
	setup();
	port = data[0] & 1 ? 80 : 443;
	step = (data[0] >> 1) + 1u;
	isn = 0xfffffff0u + data[0];   /* wraps inside the stream for some inputs */
	data++;
	size--;
	flowcheck_init(&whole, &judge, AF_INET, addr, port, isn);
	flowcheck_init(&cut, &judge, AF_INET, addr, port, isn);
	flowcheck_feed(&whole, isn + 1, data, size);
	for (size_t off = 0; off < size; off += step) {
		size_t k = size - off < step ? size - off : step;

		flowcheck_feed(&cut, isn + 1 + (uint32_t)off, data + off, k);
		/* and every segment again, as a retransmission */
		flowcheck_feed(&cut, isn + 1 + (uint32_t)off, data + off, k);
	}
	if (whole.verdict == FLOW_ALLOW && !allowlist_match_name(&al, whole.name))
		abort();
	if (whole.verdict == FLOW_ALLOW && strlen(whole.name) % 2)
		abort();
	if (size <= FLOW_BYTES_MAX && cut.verdict != whole.verdict)
		abort();
	if (whole.verdict == FLOW_ALLOW && strcmp(whole.name, cut.name) != 0)
		abort();
	if (whole.verdict == FLOW_REFUSE && whole.reason == FLOW_R_NONE)
		abort();
	return 0;
}
