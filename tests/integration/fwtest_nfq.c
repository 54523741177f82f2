/* Test driver for tests/integration/45-nfq.sh: the first-bytes judge behind
 * a real NFQUEUE, glued the way the network owner will glue it (a small
 * flow table keyed by the TCP 4-tuple, every packet of a flow held until
 * the verdict).  Prints one line per verdict on stdout:
 *   ALLOW NAME | REFUSE NAME REASON
 * Usage: fwtest_nfq QUEUE ALLOWLIST NAME=ADDR...   (runs until killed) */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall/flowcheck.h"
#include "firewall/nfq.h"

#define FLOWS 64
#define HELD 32
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

struct flow {
	bool used;
	int decided;                  /* 0 pending, 1 allowed, -1 refused */
	int family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	uint32_t held[HELD];
	size_t n_held;
	struct flowcheck fc;
};

static struct flow flows[FLOWS];
static struct nfq q;
static struct allowlist al;
static char **pairs;
static int n_pairs;

static bool learned(void *ctx, const char *name, int family, const unsigned char *addr)
{
	(void)ctx;
	for (int i = 0; i < n_pairs; i++) {
		char *eq = strchr(pairs[i], '=');
		unsigned char a[16];

		if (eq && (size_t)(eq - pairs[i]) == strlen(name) && !strncmp(pairs[i], name, strlen(name)) &&
		    inet_pton(family, eq + 1, a) == 1 && !memcmp(a, addr, family == AF_INET ? 4 : 16))
			return true;
	}
	return false;
}

static const struct flow_judge judge = { &al, learned, NULL };

static struct flow *find(const struct nfq_tcp *t, bool create)
{
	struct flow *free_slot = NULL;

	for (int i = 0; i < FLOWS; i++) {
		struct flow *f = &flows[i];

		if (!f->used) {
			free_slot = free_slot ? free_slot : f;
			continue;
		}
		if (f->family == t->family && f->sport == t->sport && f->dport == t->dport &&
		    !memcmp(f->saddr, t->saddr, 16) && !memcmp(f->daddr, t->daddr, 16))
			return f;
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, offsetof(struct flow, fc));
	free_slot->used = true;
	free_slot->family = t->family;
	free_slot->sport = t->sport;
	free_slot->dport = t->dport;
	memcpy(free_slot->saddr, t->saddr, 16);
	memcpy(free_slot->daddr, t->daddr, 16);
	return free_slot;
}

static void verdict(uint32_t id, uint32_t v, bool set_mark, uint32_t mark)
{
	struct cs_err err;

	if (nfq_verdict(&q, id, v, set_mark, mark, &err) < 0)
		fprintf(stderr, "fwtest_nfq: %s\n", err.msg);
}

static void decide(struct flow *f, uint32_t id, enum flow_verdict v)
{
	if (v == FLOW_ALLOW) {
		for (size_t i = 0; i < f->n_held; i++)
			verdict(f->held[i], NF_REPEAT, true, NFQ_MARK_OK);
		verdict(id, NF_REPEAT, true, NFQ_MARK_OK);
		f->decided = 1;
		printf("ALLOW %s\n", f->fc.name);
	} else {
		for (size_t i = 0; i < f->n_held; i++)
			verdict(f->held[i], NF_DROP, false, 0);
		verdict(id, NF_REPEAT, true, NFQ_MARK_NO);
		f->decided = -1;
		printf("REFUSE %s %s\n", f->fc.name[0] ? f->fc.name : "-", flow_reason_text(f->fc.reason));
	}
	f->n_held = 0;
	fflush(stdout);
}

static int on_packet(void *ctx, const struct nfq_pkt *p)
{
	struct nfq_tcp t;
	struct flow *f;
	enum flow_verdict v;

	(void)ctx;
	if (p->truncated || nfq_tcp_parse(p->data, p->len, &t) < 0) {
		verdict(p->id, NF_DROP, false, 0);
		return 0;
	}
	if ((t.flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		f = find(&t, true);
		if (!f) {
			verdict(p->id, NF_REPEAT, true, NFQ_MARK_NO);
			return 0;
		}
		flowcheck_init(&f->fc, &judge, t.family, t.daddr, t.dport, t.seq);
		if (!t.len) {
			verdict(p->id, NF_ACCEPT, false, 0);
			return 0;
		}
		v = flowcheck_feed(&f->fc, t.seq + 1, t.payload, t.len);
		decide(f, p->id, v == FLOW_NEED_MORE ? FLOW_REFUSE : v);
		return 0;
	}
	f = find(&t, false);
	if (!f || f->decided) {
		bool ok = f && f->decided > 0;

		verdict(p->id, ok ? NF_REPEAT : NF_DROP, true, ok ? NFQ_MARK_OK : NFQ_MARK_NO);
		return 0;
	}
	if (t.flags & TH_RST) {
		decide(f, p->id, FLOW_REFUSE);
		f->used = false;
		return 0;
	}
	if (!t.len && !(t.flags & TH_FIN)) {
		verdict(p->id, NF_ACCEPT, false, 0);
		return 0;
	}
	v = t.len ? flowcheck_feed(&f->fc, t.seq, t.payload, t.len) : FLOW_REFUSE;
	if (v == FLOW_NEED_MORE && f->n_held < HELD)
		f->held[f->n_held++] = p->id;
	else
		decide(f, p->id, v == FLOW_NEED_MORE ? FLOW_REFUSE : v);
	return 0;
}

int main(int argc, char **argv)
{
	struct cs_err err;

	if (argc < 3)
		return 125;
	allowlist_init(&al);
	if (allowlist_add_text(&al, argv[2], "argv", &err) < 0 ||
	    nfq_open(&q, (uint16_t)atoi(argv[1]), 1024, &err) < 0) {
		fprintf(stderr, "fwtest_nfq: %s\n", err.msg);
		return 1;
	}
	pairs = argv + 3;
	n_pairs = argc - 3;
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		if (nfq_read(&q, on_packet, NULL, &err) < 0)
			fprintf(stderr, "fwtest_nfq: %s\n", err.msg);
	}
}
