#include "firewall/parent_nfq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter.h>

#include "firewall/emit.h"
#include "firewall/flowcheck.h"
#include "firewall/namemap.h"
#include "firewall/nfq.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TH_URG 0x20

struct nfq_flow {
	bool used;
	int family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	int64_t born_ms;
	size_t segs;                     /* data segments judged so far */
	enum flow_verdict decided;       /* FLOW_NEED_MORE while pending */
	struct flowcheck fc;
};

/* One distinct refusal, counted for the summary. */
struct refusal {
	int family;
	uint8_t addr[16];
	uint16_t port;
	enum flow_reason reason;
	enum flow_kind kind;
	bool ech;
	char name[FLOW_NAME_MAX + 1];
	uint64_t count;
	bool reported;          /* its EVENT line went out (else the next hit tries again) */
};

struct fw_nfq {
	struct nfq q;
	bool open;
	struct flow_judge judge;
	struct namemap pairs;
	int64_t now_ms;                  /* of the packet being judged */
	int64_t judge_ms;                /* when the flow being judged began */
	int64_t swept_ms;
	struct nfq_flow flows[FW_NFQ_FLOWS];
	struct refusal refused[FW_NFQ_REFUSED_KEYS];
	size_t n_refused;
	uint64_t total_refused, overflow;
	fw_nfq_verdict_fn verdict;
	void *verdict_ctx;
	fw_nfq_may_emit_fn may_emit;
	void *emit_ctx;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool learned(void *ctx, const char *name, int family, const unsigned char *addr)
{
	struct fw_nfq *n = ctx;

	return namemap_has(&n->pairs, name, family, addr, n->judge_ms);
}

static int kernel_verdict(void *ctx, uint32_t id, uint32_t verdict, bool set_mark, uint32_t mark)
{
	struct fw_nfq *n = ctx;
	struct cs_err err = { 0 };

	if (nfq_verdict(&n->q, id, verdict, set_mark, mark, &err) < 0) {
		fprintf(stderr, "codex-firewall: %s\n", err.msg);
		return -1;
	}
	return 0;
}

struct fw_nfq *fw_nfq_new(const struct allowlist *al, size_t pairs)
{
	struct fw_nfq *n = calloc(1, sizeof *n);

	if (!n)
		return NULL;
	if (namemap_init(&n->pairs, pairs) < 0) {
		free(n);
		return NULL;
	}
	n->judge.al = al;
	n->judge.name_has_addr = learned;
	n->judge.ctx = n;
	n->verdict = kernel_verdict;
	n->verdict_ctx = n;
	return n;
}

void fw_nfq_free(struct fw_nfq *n)
{
	if (!n)
		return;
	fw_nfq_close(n);
	namemap_free(&n->pairs);
	free(n);
}

void fw_nfq_set_verdict(struct fw_nfq *n, fw_nfq_verdict_fn fn, void *ctx)
{
	n->verdict = fn;
	n->verdict_ctx = ctx;
}

void fw_nfq_set_emit(struct fw_nfq *n, fw_nfq_may_emit_fn fn, void *ctx)
{
	n->may_emit = fn;
	n->emit_ctx = ctx;
}

int fw_nfq_open(struct fw_nfq *n, uint16_t num, struct cs_err *err)
{
	/* room for every packet the flow table may hold, and then some */
	int fd, rcvbuf = 4 << 20;

	if (nfq_open(&n->q, num, FW_NFQ_FLOWS * 8, err) < 0)
		return cs_hint(err, "the first-bytes check needs NFQUEUE (nfnetlink_queue); "
			       "--flow-check off turns it off");
	n->open = true;
	fd = nfq_fd(&n->q);
	/* room for a burst of whole (GSO) packets; beyond it the kernel drops
	 * and the client resends (fail closed) */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return cs_fail(err, errno, "NFQUEUE %u: non-blocking mode", num);
	return 0;
}

void fw_nfq_close(struct fw_nfq *n)
{
	if (n && n->open) {
		nfq_close(&n->q);
		n->open = false;
	}
}

int fw_nfq_fd(const struct fw_nfq *n)
{
	return n && n->open ? nfq_fd(&n->q) : -1;
}

void fw_nfq_learn(struct fw_nfq *n, const char *name, int family, const uint8_t *addr,
		  int64_t expires_ms, int64_t now_ms)
{
	if (n)
		(void)namemap_put(&n->pairs, name, family, addr, expires_ms, now_ms);
}

/* ---- refusals: EVENT and SUMMARY ---------------------------------------- */

/* What the reason says to a human (the "reason" field). */
static void reason_text(const struct refusal *r, char *out, size_t outsz)
{
	const char *what = r->kind == FLOW_HTTP ? "HTTP Host" : r->ech ? "ECH outer name" : "TLS name";

	switch (r->reason) {
	case FLOW_R_NOT_ALLOWED:
		snprintf(out, outsz, "%s %s not allowed", what, r->name);
		break;
	case FLOW_R_NOT_LEARNED:
		snprintf(out, outsz, "%s %s not allowed for this address (it never resolved there)",
			 what, r->name);
		break;
	case FLOW_R_NO_SNI:
		snprintf(out, outsz, "no SNI");
		break;
	case FLOW_R_NO_HOST:
		snprintf(out, outsz, "no Host header");
		break;
	case FLOW_R_TABLE_FULL:
		snprintf(out, outsz, "more than %d flows waiting for their first bytes", FW_NFQ_FLOWS);
		break;
	case FLOW_R_UNKNOWN_FLOW:
		snprintf(out, outsz, "a packet of a flow the check does not know (silent %d s before "
			 "its first bytes, or never seen)", FW_NFQ_STALE_MS / 1000);
		break;
	default:
		snprintf(out, outsz, "%s", flow_reason_text(r->reason));
	}
}

static void refusal_line(const char *kind, const struct refusal *r, bool with_count)
{
	char a[INET6_ADDRSTRLEN] = "?", why[FLOW_NAME_MAX + 100], jwhy[2 * sizeof why];
	char jname[2 * FLOW_NAME_MAX + 8], name[2 * FLOW_NAME_MAX + 20] = "", count[40] = "";

	inet_ntop(r->family, r->addr, a, sizeof a);
	reason_text(r, why, sizeof why);
	if (r->name[0])
		snprintf(name, sizeof name, ",\"name\":\"%s\"", emit_json_str(r->name, jname, sizeof jname));
	if (with_count)
		snprintf(count, sizeof count, ",\"count\":%llu", (unsigned long long)r->count);
	emit("%s {\"type\":\"flow-refused\",\"addr\":\"%s\",\"port\":%u,\"proto\":\"tcp\"%s,"
	     "\"reason\":\"%s\"%s}", kind, a, r->port, name, emit_json_str(why, jwhy, sizeof jwhy), count);
}

/* Count a refused flow under its key; its EVENT line goes out once per
 * key (a flow retried in a loop would otherwise spend the class's budget
 * on itself and hold back the refusals that name something new), again
 * on a later hit if the rate limit held it back. */
static void record_refusal_of(struct fw_nfq *n, const struct refusal *r)
{
	struct refusal *hit = NULL;

	n->total_refused++;
	for (size_t i = 0; i < n->n_refused && !hit; i++) {
		struct refusal *e = &n->refused[i];

		if (e->family == r->family && !memcmp(e->addr, r->addr, 16) && e->port == r->port &&
		    e->reason == r->reason && e->kind == r->kind && e->ech == r->ech &&
		    !strcmp(e->name, r->name))
			hit = e;
	}
	if (!hit && n->n_refused < FW_NFQ_REFUSED_KEYS) {
		hit = &n->refused[n->n_refused++];
		*hit = *r;
	}
	if (!hit)
		n->overflow++;
	else
		hit->count++;
	if (hit && hit->reported)
		return;
	if (!n->may_emit || n->may_emit(n->emit_ctx)) {
		refusal_line("EVENT", r, false);
		if (hit)
			hit->reported = true;
	}
}

static void record_refusal(struct fw_nfq *n, const struct nfq_flow *f, enum flow_reason why)
{
	struct refusal r = { .family = f->family, .port = f->dport, .reason = why,
		.kind = f->fc.kind, .ech = f->fc.ech };

	memcpy(r.addr, f->daddr, 16);
	memcpy(r.name, f->fc.name, sizeof r.name);
	record_refusal_of(n, &r);
}

uint64_t fw_nfq_refused(const struct fw_nfq *n)
{
	return n ? n->total_refused : 0;
}

void fw_nfq_summary(const struct fw_nfq *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_refused; i++)
		refusal_line("SUMMARY", &n->refused[i], true);
	if (n->overflow || n->pairs.dropped)
		emit("SUMMARY {\"type\":\"flow-overflow\",\"refusals_uncounted\":%llu,"
		     "\"pairs_dropped\":%llu}", (unsigned long long)n->overflow,
		     (unsigned long long)n->pairs.dropped);
}

/* ---- the flow table ------------------------------------------------------ */

static bool same_flow(const struct nfq_flow *f, const struct nfq_tcp *t)
{
	return f->family == t->family && f->sport == t->sport && f->dport == t->dport &&
	       !memcmp(f->saddr, t->saddr, 16) && !memcmp(f->daddr, t->daddr, 16);
}

/* Forget flows begun more than FW_NFQ_STALE_MS ago: a pending one's next
 * packet finds no flow (refused); a decided one's packets no longer come
 * here (its connection has its mark). */
static void sweep(struct fw_nfq *n)
{
	if (n->now_ms - n->swept_ms < 1000)
		return;
	n->swept_ms = n->now_ms;
	for (size_t i = 0; i < FW_NFQ_FLOWS; i++)
		if (n->flows[i].used && n->now_ms - n->flows[i].born_ms > FW_NFQ_STALE_MS)
			n->flows[i].used = false;
}

static struct nfq_flow *find(struct fw_nfq *n, const struct nfq_tcp *t, bool create)
{
	struct nfq_flow *free_slot = NULL, *oldest_decided = NULL;

	for (size_t i = 0; i < FW_NFQ_FLOWS; i++) {
		struct nfq_flow *f = &n->flows[i];

		if (!f->used)
			free_slot = free_slot ? free_slot : f;
		else if (same_flow(f, t))
			return f;
		else if (f->decided != FLOW_NEED_MORE &&
			 (!oldest_decided || f->born_ms < oldest_decided->born_ms))
			oldest_decided = f;
	}
	/* a decided flow gives way to a new one: only pending flows fill the table */
	free_slot = free_slot ? free_slot : oldest_decided;
	if (!create || !free_slot)
		return NULL;
	free_slot->used = true;
	free_slot->segs = 0;
	free_slot->decided = FLOW_NEED_MORE;
	free_slot->family = t->family;
	free_slot->sport = t->sport;
	free_slot->dport = t->dport;
	free_slot->born_ms = n->now_ms;
	memcpy(free_slot->saddr, t->saddr, 16);
	memcpy(free_slot->daddr, t->daddr, 16);
	return free_slot;
}

/* The flow's verdict, carried by packet ID (the segment that completed
 * the name).  The flow stays in the table with it until the sweep: a
 * segment queued (F5) before the verdict reached the kernel gets the same
 * verdict (repeat_decided), never the no mark of an unknown flow, which
 * would reset an allowed connection. */
static void decide(struct fw_nfq *n, struct nfq_flow *f, uint32_t id, enum flow_verdict v,
		   enum flow_reason why)
{
	f->decided = v == FLOW_ALLOW ? FLOW_ALLOW : FLOW_REFUSE;
	if (v == FLOW_ALLOW) {
		n->verdict(n->verdict_ctx, id, NF_REPEAT, true, NFQ_MARK_OK);
		return;
	}
	if (why != FLOW_R_NONE)
		record_refusal(n, f, why);
	n->verdict(n->verdict_ctx, id, NF_REPEAT, true, NFQ_MARK_NO);
}

/* A later packet of a decided flow: its verdict again (not recorded twice). */
static void repeat_decided(struct fw_nfq *n, const struct nfq_flow *f, uint32_t id)
{
	n->verdict(n->verdict_ctx, id, NF_REPEAT, true,
		   f->decided == FLOW_ALLOW ? NFQ_MARK_OK : NFQ_MARK_NO);
}

/* A packet with no flow to judge it by: F2/F3 refuse it, and it is
 * recorded like any refusal (F2 records nothing itself). */
static void refuse_packet(struct fw_nfq *n, uint32_t id, const struct nfq_tcp *t, enum flow_reason why)
{
	struct refusal r = { .family = t->family, .port = t->dport, .reason = why };
	uint32_t no = NFQ_MARK_NO;

	memcpy(r.addr, t->daddr, 16);
	record_refusal_of(n, &r);       /* no flow, no name: its tuple and why */
	n->verdict(n->verdict_ctx, id, NF_REPEAT, true, no);
}

static void on_syn(struct fw_nfq *n, uint32_t id, const struct nfq_tcp *t)
{
	struct nfq_flow *f = find(n, t, true);
	enum flow_verdict v;

	if (!f) {
		refuse_packet(n, id, t, FLOW_R_TABLE_FULL);     /* fail closed */
		return;
	}
	f->segs = 0;                            /* a resent SYN starts over */
	if (f->decided != FLOW_NEED_MORE) {     /* the tuple used again: a new flow */
		f->decided = FLOW_NEED_MORE;
		f->born_ms = n->now_ms;
	}
	if (flowcheck_init(&f->fc, &n->judge, t->family, t->daddr, t->dport, t->seq) < 0) {
		decide(n, f, id, FLOW_REFUSE, f->fc.reason);
		return;
	}
	if (!t->len) {
		n->verdict(n->verdict_ctx, id, NF_ACCEPT, false, 0);
		return;
	}
	/* data on the SYN (TCP Fast Open): judged like any other segment */
	if (t->flags & TH_URG) {
		decide(n, f, id, FLOW_REFUSE, FLOW_R_URGENT);
		return;
	}
	n->judge_ms = f->born_ms;
	v = flowcheck_feed(&f->fc, t->seq + 1, t->payload, t->len);
	if (v == FLOW_NEED_MORE)
		decide(n, f, id, FLOW_REFUSE, FLOW_R_SEQUENCE);
	else
		decide(n, f, id, v, f->fc.reason);
}

void fw_nfq_packet(struct fw_nfq *n, uint32_t id, const uint8_t *pkt, size_t len, bool truncated,
		   int64_t now_ms)
{
	struct nfq_tcp t;
	struct nfq_flow *f;
	enum flow_verdict v;

	n->now_ms = now_ms;
	sweep(n);
	if (truncated || nfq_tcp_parse(pkt, len, &t) < 0) {
		n->verdict(n->verdict_ctx, id, NF_DROP, false, 0);
		return;
	}
	if ((t.flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		on_syn(n, id, &t);
		return;
	}
	f = find(n, &t, false);
	if (f && f->decided != FLOW_NEED_MORE) {
		repeat_decided(n, f, id);
		return;
	}
	if (!f || (t.flags & (TH_SYN | TH_RST | TH_FIN))) {
		/* unknown flow, or it ends before a verdict: nothing reaches the server */
		if (f)
			decide(n, f, id, FLOW_REFUSE, FLOW_R_NONE);
		else
			refuse_packet(n, id, &t, FLOW_R_UNKNOWN_FLOW);
		return;
	}
	/* urgent data: a server without SO_OOBINLINE takes the urgent byte out
	 * of the stream, so the bytes it reads would differ from those judged */
	if (t.flags & TH_URG) {
		decide(n, f, id, FLOW_REFUSE, FLOW_R_URGENT);
		return;
	}
	if (!t.len) {
		n->verdict(n->verdict_ctx, id, NF_ACCEPT, false, 0);
		return;
	}
	n->judge_ms = f->born_ms;
	v = flowcheck_feed(&f->fc, t.seq, t.payload, t.len);
	if (v != FLOW_NEED_MORE)
		decide(n, f, id, v, f->fc.reason);
	else if (++f->segs >= FW_NFQ_SEGS)
		decide(n, f, id, FLOW_REFUSE, FLOW_R_TOO_BIG);
	else    /* its bytes are kept; the client sends it again (docs/DOCKER-NFT-NOTES.md 3.6) */
		n->verdict(n->verdict_ctx, id, NF_DROP, false, 0);
}

static int on_packet(void *ctx, const struct nfq_pkt *p)
{
	struct fw_nfq *n = ctx;

	fw_nfq_packet(n, p->id, p->data, p->len, p->truncated, mono_ms());
	return 0;
}

int fw_nfq_handle(struct fw_nfq *n, struct cs_err *err)
{
	/* a few datagrams per wakeup; the rest comes with the next poll */
	for (int i = 0; i < 16; i++) {
		int r = nfq_read(&n->q, on_packet, n, err);

		if (r <= 0)
			return r;
	}
	return 0;
}

void fw_nfq_poll(struct fw_nfq *n)
{
	struct cs_err err = { 0 };

	if (n && fw_nfq_handle(n, &err) < 0)
		fprintf(stderr, "codex-firewall: %s\n", err.msg);
}

int fw_nfq_start(struct fw_nfq **out, const struct fw_config *cfg, fw_nfq_may_emit_fn may_emit,
		 void *ctx, struct cs_err *err)
{
	if (!cfg->flow_check)
		return 0;
	if (!(*out = fw_nfq_new(&cfg->al, FW_NFQ_PAIRS)))
		return cs_fail(err, ENOMEM, "allocating the flow table");
	fw_nfq_set_emit(*out, may_emit, ctx);
	return fw_nfq_open(*out, FW_QUEUE_NUM, err);
}
