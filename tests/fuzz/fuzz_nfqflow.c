/* libFuzzer: the parent's flow table (firewall/parent_nfq.c) fed a stream
 * of queued packets the input describes: each record picks flags, one of
 * four flows, the port (443 or 80), a sequence offset and up to 255 payload
 * bytes taken from the input; a record may also be raw bytes handed over as
 * the IP packet itself.  Besides "no crash, no sanitizer report", checks
 * that every packet gets exactly one verdict, that a verdict is one of the
 * four the rules know, and that a packet carrying bytes is never let
 * through unmarked (bytes reach the server only after the judge said ok). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

#include "firewall/nfq.h"
#include "firewall/parent_nfq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verdicts;
static uint32_t last_id, last_verdict, last_mark;
static bool last_set;

static int recorder(void *ctx, uint32_t id, uint32_t verdict, bool set_mark, uint32_t mark)
{
	(void)ctx;
	verdicts++;
	last_id = id;
	last_verdict = verdict;
	last_set = set_mark;
	last_mark = mark;
	return 0;
}

static bool quiet(void *ctx)
{
	(void)ctx;
	return false;
}

static struct allowlist al;

static size_t build(uint8_t *p, uint8_t flags, unsigned flow, uint16_t dport, uint32_t seq,
		    const uint8_t *pay, size_t n)
{
	size_t tot = 40 + n;

	memset(p, 0, 40);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[9] = 6;
	memcpy(p + 12, "\x0a\x00\x00\x02\xc6\x33\x64\x0a", 8);
	p[20] = 0x9c;
	p[21] = (uint8_t)flow;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[24] = (uint8_t)(seq >> 24);
	p[25] = (uint8_t)(seq >> 16);
	p[26] = (uint8_t)(seq >> 8);
	p[27] = (uint8_t)seq;
	p[32] = 0x50;
	p[33] = flags;
	memcpy(p + 40, pay, n);
	return tot;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[40 + 256];
	const uint8_t addr[4] = { 198, 51, 100, 10 };
	struct fw_nfq *n;
	struct cs_err err;
	uint32_t id = 0;
	int64_t now = 0;

	if (!al.n && allowlist_add_text(&al, "a.test *.cdn.test", "fuzz", &err) < 0)
		abort();
	if (!(n = fw_nfq_new(&al, 16)))
		return 0;
	fw_nfq_set_verdict(n, recorder, NULL);
	fw_nfq_set_emit(n, quiet, NULL);
	fw_nfq_learn(n, "a.test", AF_INET, addr, 1000000, 0);
	fw_nfq_learn(n, "x.cdn.test", AF_INET, addr, 1000000, 0);
	while (size >= 4) {
		uint8_t op = data[0], flags = data[1], len = data[3];
		unsigned flow = op & 3;
		uint16_t dport = (op & 4) ? 80 : 443;
		uint32_t seq = 1000u * flow + (uint32_t)data[2] * 97u;
		size_t plen, take = (size_t)len < size - 4 ? len : size - 4;
		bool raw = (op & 0xc0) == 0xc0;
		int before = verdicts;

		data += 4;
		size -= 4;
		now += op & 0x38 ? 1 : 4000;
		if (raw) {
			memcpy(pkt, data, take);
			plen = take;
		} else {
			plen = build(pkt, flags, flow, dport, seq, data, take);
		}
		data += take;
		size -= take;
		fw_nfq_packet(n, ++id, pkt, plen, (op & 0xf8) == 0x80, now);
		if (verdicts != before + 1 || last_id != id)
			abort();                /* every packet exactly one verdict */
		if (last_verdict == NF_REPEAT && (!last_set || (last_mark != NFQ_MARK_OK &&
								 last_mark != NFQ_MARK_NO)))
			abort();
		if (last_verdict != NF_REPEAT && last_verdict != NF_DROP && last_verdict != NF_ACCEPT)
			abort();
		if (!raw && last_verdict == NF_ACCEPT && take > 0)
			abort();                /* bytes never pass unjudged */
	}
	fw_nfq_free(n);
	return 0;
}
