#include "firewall/parent_conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "firewall/emit.h"
#include "firewall/ruleset.h"

int parent_conn_init(struct parent_conn *pc, struct nl *nl, struct addrmap *amap,
		     const struct tally *names, parent_conn_limit_fn may_emit, void *limit_ctx)
{
	*pc = (struct parent_conn){ .nl = nl, .amap = amap, .names = names, .may_emit = may_emit,
				    .limit_ctx = limit_ctx };
	return tally_init(&pc->seen, PARENT_CONN_KEYS);
}

void parent_conn_fini(struct parent_conn *pc)
{
	tally_free(&pc->seen);
}

int parent_conn_timeout(const struct parent_conn *pc, int64_t now_ms)
{
	if (pc->off)
		return -1;
	if (!pc->next_ms || pc->next_ms <= now_ms)
		return 0;
	return (int)(pc->next_ms - now_ms);
}

static const char *proto_name(uint8_t proto, char *buf, size_t bufsz)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	}
	snprintf(buf, bufsz, "%u", proto);
	return buf;
}

void parent_conn_emit(struct parent_conn *pc, const char *record, int family,
		      const unsigned char *addr, uint8_t proto, uint16_t port, uint64_t count)
{
	char a[INET6_ADDRSTRLEN] = "?", pr[8], name[600] = "";
	uint8_t key[16] = { 0 };
	struct addr_ent *e;
	bool quic;

	memcpy(key, addr, family == AF_INET ? 4 : 16);
	inet_ntop(family, key, a, sizeof a);
	e = addrmap_get(pc->amap, family, key, false, 0);
	if (e && e->name >= 0 && (size_t)e->name < pc->names->n) {
		char j[600];

		snprintf(name, sizeof name, ",\"name\":\"%s\"",
			 emit_json_str(pc->names->v[e->name].key, j, sizeof j));
	}
	/* UDP 443 to an address a name opened was refused by the QUIC rule
	 * (firewall/ruleset.c): clients fall back to TCP, where the first
	 * bytes are judged. */
	quic = proto == 17 && port == 443 && e && e->expires_ms > 0;
	emit("%s {\"type\":\"%s\",\"addr\":\"%s\",\"proto\":\"%s\",\"port\":%u,\"count\":%llu%s}",
	     record, quic ? "quic-refused" : "conn", a, proto_name(proto, pr, sizeof pr), port,
	     (unsigned long long)count, name);
}

void parent_conn_seen(void *ctx, int family, const unsigned char *addr, uint8_t proto,
		      uint16_t port, uint64_t packets)
{
	struct parent_conn *pc = ctx;
	char a[INET6_ADDRSTRLEN] = "?", key[80];
	uint8_t k[16] = { 0 };
	struct tally_ent *t;
	uint64_t before;
	bool first;

	memcpy(k, addr, family == AF_INET ? 4 : 16);
	inet_ntop(family, k, a, sizeof a);
	snprintf(key, sizeof key, "%s %u %u", a, proto, port);
	t = tally_hit(&pc->seen, key, 0, &first);
	if (!t)
		return;                 /* more keys than we follow: the SUMMARY has them */
	before = first ? 0 : t->count - 1;      /* tally_hit counted this look */
	t->count = before;
	if (packets == before)
		return;
	if (!pc->may_emit(pc->limit_ctx))
		return;                 /* carried: the next scan reports the delta */
	/* fewer than before: the element timed out and came back */
	parent_conn_emit(pc, "EVENT", family, addr, proto, port,
			 packets > before ? packets - before : packets);
	t->count = packets;
}

void parent_conn_tick(struct parent_conn *pc, int64_t now_ms)
{
	struct cs_err err = { 0 };

	if (pc->off || parent_conn_timeout(pc, now_ms) != 0)
		return;
	pc->next_ms = now_ms + PARENT_CONN_EVERY_MS;
	if (nl_dump_blocked(pc->nl, FW_TABLE, parent_conn_seen, pc, &err) < 0)
		pc->off = true;
}
