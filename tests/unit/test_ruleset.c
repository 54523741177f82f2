/* The nftables batch, parsed back with libnftnl (no socket, no root) and
 * *run*: a small evaluator executes the decoded expressions (meta, cmp,
 * payload, ct, bitwise, lookup, immediate, reject, dynset) against packets
 * the test describes, following jumps and gotos the way nf_tables does.  So
 * each check says what the rules do to a packet (which uid, address, port,
 * conntrack state), not how many rules there are. */
#include <arpa/inet.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <netinet/in.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "tap.h"
#include "firewall/nfq.h"
#include "firewall/ruleset.h"
#include "firewall/sets.h"

#define MAX_RULES 128
#define MAX_ELEMS 4096
#define MAX_SETS 8

/* ---- the decoded batch ------------------------------------------------- */

struct elem {
	char set[32];
	unsigned char key[16];
	uint32_t klen, flags;
	uint64_t timeout;
};

struct decoded {
	int tables_new, tables_del, chains, batch_begin, batch_end;
	size_t max_msg;
	uint32_t seqs_ok, last_seq, n_acked;
	char base_chain[32];
	uint32_t policy, hook;
	int32_t prio;
	struct { char name[32]; uint32_t flags, keylen, size, id; } set[MAX_SETS];
	int n_sets;
	struct nftnl_rule *rule[MAX_RULES];
	char label[MAX_RULES][FW_LABEL_MAX];
	int n_rules;
	struct elem *elem;
	int n_elems, elem_msgs;
};

static void parse_msg(const struct nlmsghdr *nlh, struct decoded *d, const struct fw_batch *fb)
{
	int type = nlh->nlmsg_type;
	char tmp[64];

	if (nlh->nlmsg_len > d->max_msg)
		d->max_msg = nlh->nlmsg_len;
	if (type == NFNL_MSG_BATCH_BEGIN || type == NFNL_MSG_BATCH_END) {
		d->batch_begin += type == NFNL_MSG_BATCH_BEGIN;
		d->batch_end += type == NFNL_MSG_BATCH_END;
		return;
	}
	if ((type >> 8) != NFNL_SUBSYS_NFTABLES)
		return;
	if (nlh->nlmsg_flags & NLM_F_ACK) {
		d->n_acked++;
		d->seqs_ok += d->last_seq == 0 || nlh->nlmsg_seq == d->last_seq + 1;
	}
	d->last_seq = nlh->nlmsg_seq;
	switch (type & 0xff) {
	case NFT_MSG_NEWTABLE: d->tables_new++; break;
	case NFT_MSG_DELTABLE: d->tables_del++; break;
	case NFT_MSG_NEWSET: {
		struct nftnl_set *st = nftnl_set_alloc();

		if (nftnl_set_nlmsg_parse(nlh, st) == 0 && d->n_sets < MAX_SETS) {
			int i = d->n_sets++;

			snprintf(d->set[i].name, 32, "%s", nftnl_set_get_str(st, NFTNL_SET_NAME));
			d->set[i].flags = nftnl_set_get_u32(st, NFTNL_SET_FLAGS);
			d->set[i].keylen = nftnl_set_get_u32(st, NFTNL_SET_KEY_LEN);
			d->set[i].id = nftnl_set_get_u32(st, NFTNL_SET_ID);
			d->set[i].size = nftnl_set_is_set(st, NFTNL_SET_DESC_SIZE) ?
				nftnl_set_get_u32(st, NFTNL_SET_DESC_SIZE) : 0;
		}
		nftnl_set_free(st);
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		nftnl_chain_nlmsg_parse(nlh, c);
		d->chains++;
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
			snprintf(d->base_chain, 32, "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
			d->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
			d->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
			d->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		}
		nftnl_chain_free(c);
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (nftnl_rule_nlmsg_parse(nlh, r) < 0 || d->n_rules >= MAX_RULES) {
			nftnl_rule_free(r);
			break;
		}
		snprintf(d->label[d->n_rules], FW_LABEL_MAX, "%s",
			 fw_batch_label(fb, nlh->nlmsg_seq, tmp, sizeof tmp));
		d->rule[d->n_rules++] = r;
		break;
	}
	case NFT_MSG_NEWSETELEM: {
		/* libnftnl numbers the nested elements 1..n when building but
		 * only parses NFTA_LIST_ELEM (kernel dumps): walk with libmnl. */
		const struct nlattr *a, *list = NULL, *el, *f, *k;
		const char *name = "";

		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		}
		d->elem_msgs++;
		if (!list)
			break;
		mnl_attr_for_each_nested(el, list) {
			struct elem *e;

			if (d->n_elems >= MAX_ELEMS)
				break;
			e = &d->elem[d->n_elems++];
			memset(e, 0, sizeof *e);
			snprintf(e->set, sizeof e->set, "%s", name);
			mnl_attr_for_each_nested(f, el) {
				if (mnl_attr_get_type(f) == NFTA_SET_ELEM_TIMEOUT)
					e->timeout = be64toh(mnl_attr_get_u64(f));
				if (mnl_attr_get_type(f) == NFTA_SET_ELEM_FLAGS)
					e->flags = ntohl(mnl_attr_get_u32(f));
				if (mnl_attr_get_type(f) == NFTA_SET_ELEM_KEY)
					mnl_attr_for_each_nested(k, f)
						if (mnl_attr_get_type(k) == NFTA_DATA_VALUE &&
						    mnl_attr_get_payload_len(k) <= 16) {
							e->klen = mnl_attr_get_payload_len(k);
							memcpy(e->key, mnl_attr_get_payload(k), e->klen);
						}
			}
		}
		break;
	}
	}
}

static void decode(const struct fw_batch *fb, struct decoded *d)
{
	int n = nftnl_batch_iovec_len(fb->b);
	struct iovec *iov = calloc((size_t)n, sizeof *iov);

	memset(d, 0, sizeof *d);
	d->elem = calloc(MAX_ELEMS, sizeof *d->elem);
	nftnl_batch_iovec(fb->b, iov, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		int len = (int)iov[i].iov_len;
		const struct nlmsghdr *nlh = iov[i].iov_base;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			parse_msg(nlh, d, fb);
	}
	free(iov);
}

static void decoded_free(struct decoded *d)
{
	for (int i = 0; i < d->n_rules; i++)
		nftnl_rule_free(d->rule[i]);
	free(d->elem);
	memset(d, 0, sizeof *d);
}

static int set_index(const struct decoded *d, const char *name)
{
	for (int i = 0; i < d->n_sets; i++)
		if (strcmp(d->set[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- the evaluator --------------------------------------------------------- */

/* What the test says about one packet on the output hook. */
struct pkt {
	int family;                 /* AF_INET / AF_INET6 */
	const char *daddr;
	uint8_t proto;              /* IPPROTO_* */
	uint16_t dport;             /* tcp/udp */
	uint8_t icmp6_type, hoplimit;
	long uid;                   /* -1: no full socket (kernel-made, timewait) */
	uint32_t ct;                /* NF_CT_STATE_BIT(...) or NF_CT_STATE_INVALID_BIT */
	uint32_t oif;               /* 1 = lo */
	uint32_t mark, ctmark;      /* packet mark (a verdict's), conntrack mark */
	uint8_t dir;                /* IP_CT_DIR_ORIGINAL (0) / IP_CT_DIR_REPLY */
	uint8_t tcpflags;           /* tcp */
};

#define NEW NF_CT_STATE_BIT(IP_CT_NEW)
#define EST NF_CT_STATE_BIT(IP_CT_ESTABLISHED)
#define REL NF_CT_STATE_BIT(IP_CT_RELATED)
#define INV NF_CT_STATE_INVALID_BIT

enum { V_ACCEPT = 1, V_DROP, V_REJECT_ICMPX, V_REJECT_RST, V_OTHER, V_LOOP, V_QUEUE };

struct world {
	const struct decoded *d;
	/* DNS-fed addresses currently in allow4/allow6 */
	const char *const *allow4, *const *allow6;
	/* what the record chain added, as "set daddr proto port" */
	char recorded[128];
	/* what the packet did to its connection's mark (-1: nothing) */
	int64_t ct_mark_set;
	/* the last NFQUEUE target run: queue number, flags, revision */
	uint32_t queue_num, queue_flags, queue_rev;
};

struct run {
	uint32_t reg[4 + 16];       /* verdict register unused; data in 32-bit words */
	unsigned char nh[40], th[20];
	struct pkt p;
	struct world *w;
};

/* Word index of a data register (nft_parse_register). */
static int regw(uint32_t r)
{
	return r < NFT_REG32_00 ? (int)(r * 4 - 4) : (int)(r - NFT_REG32_00);
}

static void store(struct run *x, uint32_t r, const void *v, size_t len)
{
	int w = regw(r);

	memset(&x->reg[w], 0, (len + 3) / 4 * 4);
	memcpy(&x->reg[w], v, len);
}

static bool in_interval_set(const struct world *w, const char *set, const unsigned char *a, uint32_t alen)
{
	const struct elem *best = NULL;

	/* The element with the greatest start <= A decides: a start is in, an
	 * END element is out (nft's interval encoding). */
	for (int i = 0; i < w->d->n_elems; i++) {
		const struct elem *e = &w->d->elem[i];

		if (strcmp(e->set, set) != 0 || e->klen != alen || memcmp(e->key, a, alen) > 0)
			continue;
		if (!best || memcmp(e->key, best->key, alen) >= 0)
			best = e;
	}
	return best && !(best->flags & NFT_SET_ELEM_INTERVAL_END);
}

static bool in_set(const struct world *w, const char *set, const unsigned char *a)
{
	int si = set_index(w->d, set);
	uint32_t alen;
	const char *const *list;

	if (si < 0)
		return false;
	alen = w->d->set[si].keylen;
	if (w->d->set[si].flags & NFT_SET_INTERVAL)
		return in_interval_set(w, set, a, alen);
	list = strcmp(set, "allow4") == 0 ? w->allow4 : strcmp(set, "allow6") == 0 ? w->allow6 : NULL;
	for (; list && *list; list++) {
		unsigned char b[16];

		if (inet_pton(alen == 4 ? AF_INET : AF_INET6, *list, b) == 1 && memcmp(a, b, alen) == 0)
			return true;
	}
	return false;
}

/* Run one rule: 0 = no verdict (continue), 1 = break, or a verdict code with
 * *CHAIN for jump/goto. */
static int run_rule(struct run *x, const struct nftnl_rule *r, int *code, const char **chain)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	int ret = 0;

	*code = 0;
	*chain = NULL;
	while (ret == 0 && (e = nftnl_expr_iter_next(it))) {
		const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
		uint32_t len;

		if (strcmp(n, "meta") == 0) {
			uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
			uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG), v32;
			uint8_t v8;

			if (key == NFT_META_NFPROTO) {
				v8 = x->p.family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
				store(x, dreg, &v8, 1);
			} else if (key == NFT_META_L4PROTO) {
				store(x, dreg, &x->p.proto, 1);
			} else if (key == NFT_META_SKUID) {
				if (x->p.uid < 0)
					ret = 1;        /* no full socket: NFT_BREAK */
				v32 = (uint32_t)x->p.uid;
				store(x, dreg, &v32, 4);
			} else if (key == NFT_META_OIF) {
				store(x, dreg, &x->p.oif, 4);
			} else if (key == NFT_META_MARK) {
				store(x, dreg, &x->p.mark, 4);
			} else {
				ret = -1;
			}
		} else if (strcmp(n, "cmp") == 0) {
			const void *data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
			uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
			int c = memcmp(&x->reg[regw(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG))], data, len);

			if (op == NFT_CMP_EQ ? c != 0 : op == NFT_CMP_NEQ ? c == 0 : 1)
				ret = 1;
		} else if (strcmp(n, "payload") == 0) {
			uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
			uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
			uint32_t l = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
			const unsigned char *h = base == NFT_PAYLOAD_NETWORK_HEADER ? x->nh : x->th;
			size_t hl = base == NFT_PAYLOAD_NETWORK_HEADER ? sizeof x->nh : sizeof x->th;

			if (base == NFT_PAYLOAD_LL_HEADER || off + l > hl)
				ret = -1;
			else
				store(x, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), h + off, l);
		} else if (strcmp(n, "ct") == 0) {
			uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);

			if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG))      /* ct KEY set */
				if (key == NFT_CT_MARK)
					x->w->ct_mark_set = x->reg[regw(nftnl_expr_get_u32(e, NFTNL_EXPR_CT_SREG))];
				else
					ret = -1;
			else if (key == NFT_CT_STATE)
				store(x, nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG), &x->p.ct, 4);
			else if (key == NFT_CT_MARK)
				store(x, nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG), &x->p.ctmark, 4);
			else if (key == NFT_CT_DIRECTION)
				store(x, nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG), &x->p.dir, 1);
			else
				ret = -1;
		} else if (strcmp(n, "target") == 0) {
			const struct xt_NFQ_info_v3 *qi = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);

			if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE") != 0 || len != sizeof *qi) {
				ret = -1;
			} else {
				x->w->queue_num = qi->queuenum;
				x->w->queue_flags = qi->flags;
				x->w->queue_rev = nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV);
				*code = V_QUEUE;
				ret = 3;
			}
		} else if (strcmp(n, "bitwise") == 0) {
			uint32_t l = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN), ml, xl;
			const unsigned char *m = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &ml);
			const unsigned char *xo = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xl);
			unsigned char v[64];

			memcpy(v, &x->reg[regw(nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG))], l);
			for (uint32_t i = 0; i < l; i++)
				v[i] = (unsigned char)((v[i] & m[i]) ^ xo[i]);
			store(x, nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG), v, l);
		} else if (strcmp(n, "lookup") == 0) {
			const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
			bool inv = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) &&
				(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV);
			bool hit = in_set(x->w, set,
					  (const unsigned char *)&x->reg[regw(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG))]);

			if (hit == inv)
				ret = 1;
		} else if (strcmp(n, "immediate") == 0) {
			uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG);

			if (dreg == NFT_REG_VERDICT) {
				*code = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
				if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
					*chain = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
				ret = 2;
			} else {
				const void *v = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);

				store(x, dreg, v, len);
			}
		} else if (strcmp(n, "reject") == 0) {
			*code = nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE) == NFT_REJECT_TCP_RST ?
				V_REJECT_RST : V_REJECT_ICMPX;
			ret = 3;
		} else if (strcmp(n, "dynset") == 0) {
			const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME);
			int si = set_index(x->w->d, set), w = regw(nftnl_expr_get_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY));
			char a[INET6_ADDRSTRLEN] = "?";
			uint32_t alen = si >= 0 && x->w->d->set[si].keylen == 24 ? 16 : 4;
			const unsigned char *k = (const unsigned char *)&x->reg[w];

			inet_ntop(alen == 4 ? AF_INET : AF_INET6, k, a, sizeof a);
			snprintf(x->w->recorded, sizeof x->w->recorded, "%s %s %u %u", set, a, k[alen],
				 (unsigned)(k[alen + 4] << 8 | k[alen + 5]));
		} else {
			ret = -1;
		}
	}
	nftnl_expr_iter_destroy(it);
	return ret;
}

/* Verdict of the base chain for packet P. */
static int eval(struct world *w, const struct pkt *p)
{
	struct run x = { .p = *p, .w = w };
	const char *stack[8];
	int ret_idx[8], depth = 0, steps = 0;
	const char *chain = w->d->base_chain;
	int i = 0;
	unsigned char a[16];

	w->recorded[0] = '\0';
	w->ct_mark_set = -1;
	inet_pton(p->family, p->daddr, a);
	if (p->family == AF_INET) {
		memcpy(x.nh + 16, a, 4);
	} else {
		x.nh[7] = p->hoplimit;
		memcpy(x.nh + 24, a, 16);
	}
	if (p->proto == IPPROTO_ICMPV6) {
		x.th[0] = p->icmp6_type;
	} else {
		x.th[0] = 0x9c;                    /* source port 40000 */
		x.th[1] = 0x40;
		x.th[2] = (unsigned char)(p->dport >> 8);
		x.th[3] = (unsigned char)p->dport;
		x.th[13] = p->tcpflags;
	}
	for (;;) {
		int code, rr;
		const char *target;

		for (; i < w->d->n_rules; i++)
			if (strcmp(nftnl_rule_get_str(w->d->rule[i], NFTNL_RULE_CHAIN), chain) == 0)
				break;
		if (++steps > 1000)
			return V_LOOP;
		if (i == w->d->n_rules) {       /* end of chain */
			if (depth == 0)
				return strcmp(chain, w->d->base_chain) == 0 ?
					(w->d->policy == NF_DROP ? V_DROP : V_ACCEPT) : V_OTHER;
			depth--;
			chain = stack[depth];
			i = ret_idx[depth] + 1;
			continue;
		}
		rr = run_rule(&x, w->d->rule[i], &code, &target);
		if (rr < 0)
			return V_OTHER;
		if (rr == 3)
			return code;
		if (rr != 2) {
			i++;
			continue;
		}
		if (code == NF_ACCEPT)
			return V_ACCEPT;
		if (code == NF_DROP)
			return V_DROP;
		if (code == NFT_CONTINUE) {
			i++;
			continue;
		}
		if (code == NFT_RETURN) {
			if (depth == 0)
				return w->d->policy == NF_DROP ? V_DROP : V_ACCEPT;
			depth--;
			chain = stack[depth];
			i = ret_idx[depth] + 1;
			continue;
		}
		if ((code == NFT_JUMP || code == NFT_GOTO) && target) {
			if (code == NFT_JUMP) {
				if (depth == 8)
					return V_LOOP;
				stack[depth] = chain;
				ret_idx[depth++] = i;
			}
			chain = target;
			i = 0;
			continue;
		}
		return V_OTHER;
	}
}

static const char *vname(int v)
{
	static const char *const n[] = { "?", "accept", "drop", "reject", "tcp-reset", "other", "loop",
					 "queue" };

	return v >= 0 && v <= V_QUEUE ? n[v] : "?";
}

/* A packet from UID to ADDR PROTO/PORT with conntrack state CT. */
static struct pkt P(int family, const char *daddr, uint8_t proto, uint16_t port, long uid, uint32_t ct)
{
	struct pkt p = { .family = family, .daddr = daddr, .proto = proto, .dport = port, .uid = uid,
		.ct = ct, .oif = 2, .hoplimit = 64 };

	if (family == AF_INET ? strncmp(daddr, "127.", 4) == 0 : strcmp(daddr, "::1") == 0)
		p.oif = 1;
	return p;
}

#define VERDICT(w, p, want, ...) do { \
	int _v = eval((w), &(p)); \
	ok(_v == (want), __VA_ARGS__); \
	if (_v != (want)) printf("#   verdict %s, want %s\n", vname(_v), vname(want)); \
} while (0)

#define U 1000          /* the sandbox's uid */
#define F 65353         /* the DNS filter's uid */
#define T IPPROTO_TCP
#define D IPPROTO_UDP
#define V4 AF_INET
#define V6 AF_INET6

/* ---- tests ----------------------------------------------------------------- */

static const char *const dns4[] = { "198.51.100.10", NULL };
static const char *const dns6[] = { "2001:db8:2::80", NULL };

static int build(struct fw_ruleset_cfg *cfg, struct decoded *d, struct fw_batch *fb)
{
	struct cs_err err = { 0 };
	int r = -1;

	if (fw_batch_init(fb, 100, &err) == 0 && ruleset_build(fb, cfg, &err) == 0 &&
	    fw_batch_finish(fb, &err) == 0)
		r = 0;
	else
		printf("# build failed: %s\n", err.msg);
	decode(fb, d);
	return r;
}

static void test_verdicts(void)
{
	struct allowlist al;
	struct cs_err err = { 0 };
	struct fw_batch fb;
	struct decoded d;
	struct fw_upstream up[2] = {
		{ AF_INET, {192, 0, 2, 53}, 53 },
		{ AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 0x53}, 5353 },
	}, lis = { AF_INET, {127, 0, 0, 1}, 53 };
	struct fw_ruleset_cfg cfg = { .table = FW_TABLE, .al = &al, .dns_uid = F, .up = up,
		.n_up = 2, .listen = &lis, .set_size = 65536, .blocked_size = 4096,
		.default_timeout_ms = 90000000 };
	struct world w = { .d = &d, .allow4 = dns4, .allow6 = dns6 };
	struct pkt p;

	allowlist_init(&al);
	allowlist_add_text(&al, "github.com 203.0.113.7 198.51.100.128/25 2001:db8:5::/48", "t", &err);
	ok(build(&cfg, &d, &fb) == 0, "ruleset built and decoded (%d rules)", d.n_rules);
	is_str(d.base_chain, "output", "the base chain is output");
	ok(d.hook == NF_INET_LOCAL_OUT && d.policy == NF_DROP && d.prio == 0,
	   "output hook, priority 0, policy drop");

	/* the DNS tunnel through the filter's conntrack entry (issue 8, item 3) */
	p = P(V4, "192.0.2.53", D, 53, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid, UDP to the upstream :53, established flow: rejected");
	ok(strcmp(w.recorded, "blocked4 192.0.2.53 17 53") == 0, "...and recorded (%s)", w.recorded);
	p = P(V4, "192.0.2.53", D, 53, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid, UDP to the upstream :53, new: rejected");
	p = P(V4, "192.0.2.53", T, 53, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid, TCP to the upstream :53, established: rejected");
	p = P(V4, "192.0.2.53", T, 853, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid, TCP to the upstream :853, established: rejected");
	p = P(V4, "192.0.2.53", D, 53, F, NEW);
	VERDICT(&w, p, V_ACCEPT, "filter uid, UDP to the upstream :53, new: accepted");
	p = P(V4, "192.0.2.53", T, 53, F, EST);
	VERDICT(&w, p, V_ACCEPT, "filter uid, TCP to the upstream :53, established: accepted");
	p = P(V4, "192.0.2.53", D, 53, -1, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "no full socket (kernel-made), to :53: rejected (fail closed)");
	p = P(V4, "192.0.2.53", T, 443, U, NEW);
	VERDICT(&w, p, V_REJECT_RST, "sandbox uid, the upstream's address on 443 (not allowed): reset");
	/* an upstream on another port is guarded the same way */
	p = P(V6, "2001:db8::53", D, 5353, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid, UDP to the upstream on :5353, established: rejected");
	p = P(V6, "2001:db8::53", T, 5353, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid, TCP to the upstream on :5353, established: rejected");
	p = P(V6, "2001:db8::53", D, 5353, F, NEW);
	VERDICT(&w, p, V_ACCEPT, "filter uid to the upstream on :5353: accepted");
	p = P(V6, "2001:db8::53", D, 53, F, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "filter uid to that upstream on :53 (not its port): rejected");
	p = P(V4, "192.0.2.54", D, 53, F, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "filter uid to another resolver: rejected");
	/* port 53/853 anywhere, even at allowed addresses */
	p = P(V4, "203.0.113.7", D, 53, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "UDP :53 to an allowed IP: rejected");
	p = P(V4, "198.51.100.10", T, 853, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "TCP :853 (DoT) to a DNS-allowed IP, established: rejected");
	p = P(V6, "2001:db8:2::80", D, 853, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "UDP :853 (DoQ) over IPv6 to an allowed IP, established: rejected");
	/* Docker's resolver: any port (DNATed), only the filter */
	p = P(V4, "127.0.0.11", D, 41234, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid to 127.0.0.11 (DNATed port), established: rejected");
	p = P(V4, "127.0.0.11", T, 53, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid to 127.0.0.11:53 over TCP: rejected");
	p = P(V4, "127.0.0.11", D, 41234, F, NEW);
	VERDICT(&w, p, V_ACCEPT, "filter uid to 127.0.0.11: accepted");
	p = P(V4, "127.0.0.11", D, 41234, -1, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "no socket to 127.0.0.11: rejected");
	/* everyone asks the filter */
	p = P(V4, "127.0.0.1", D, 53, U, NEW);
	VERDICT(&w, p, V_ACCEPT, "sandbox uid to the filter 127.0.0.1:53 (udp): accepted");
	p = P(V4, "127.0.0.1", T, 53, U, EST);
	VERDICT(&w, p, V_ACCEPT, "sandbox uid to the filter 127.0.0.1:53 (tcp): accepted");
	p = P(V4, "127.0.0.2", D, 53, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "another loopback address on :53 is not the filter: rejected");
	p = P(V4, "127.0.0.1", T, 853, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "127.0.0.1:853 is not the filter: rejected");

	/* conntrack, loopback, the sets */
	p = P(V4, "203.0.113.99", T, 443, U, EST);
	VERDICT(&w, p, V_ACCEPT, "established flow to a non-allowed address (allowed when new): accepted");
	p = P(V4, "203.0.113.99", T, 443, U, REL);
	VERDICT(&w, p, V_ACCEPT, "related: accepted");
	p = P(V4, "203.0.113.99", T, 443, U, NEW);
	VERDICT(&w, p, V_REJECT_RST, "new TCP to a non-allowed address: reset");
	ok(strcmp(w.recorded, "blocked4 203.0.113.99 6 443") == 0, "...recorded as address.proto.port (%s)",
	   w.recorded);
	p = P(V4, "203.0.113.99", D, 443, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "new UDP to a non-allowed address: icmpx admin-prohibited");
	p = P(V4, "198.51.100.10", T, 443, U, INV);
	VERDICT(&w, p, V_DROP, "invalid to an allowed address: dropped");
	p = P(V4, "127.0.0.1", T, 8080, U, NEW);
	VERDICT(&w, p, V_ACCEPT, "loopback (oif lo), new: accepted");
	p = P(V4, "198.51.100.99", T, 8080, U, NEW);
	p.oif = 3;
	VERDICT(&w, p, V_REJECT_RST, "another interface, non-allowed: reset");
	p = P(V4, "198.51.100.10", T, 443, U, NEW);
	VERDICT(&w, p, V_ACCEPT, "address in allow4 (DNS-fed): accepted");
	p = P(V4, "198.51.100.11", T, 443, U, NEW);
	VERDICT(&w, p, V_REJECT_RST, "neighbour of it, not in allow4: reset");
	p = P(V6, "2001:db8:2::80", T, 443, U, NEW);
	VERDICT(&w, p, V_ACCEPT, "address in allow6 (DNS-fed): accepted");
	p = P(V4, "203.0.113.7", D, 443, U, NEW);
	VERDICT(&w, p, V_ACCEPT, "explicit IP (allow4_net): accepted");
	p = P(V4, "198.51.100.255", T, 22, U, NEW);
	VERDICT(&w, p, V_ACCEPT, "last address of an explicit CIDR: accepted");
	p = P(V4, "198.51.100.127", T, 22, U, NEW);
	VERDICT(&w, p, V_REJECT_RST, "just below the CIDR: reset");
	p = P(V6, "2001:db8:5:ffff::1", T, 22, U, NEW);
	VERDICT(&w, p, V_ACCEPT, "inside an explicit IPv6 CIDR (allow6_net): accepted");
	p = P(V6, "2001:db8:6::1", T, 22, U, NEW);
	VERDICT(&w, p, V_REJECT_RST, "just past it: reset");

	/* IPv6 neighbour discovery stays on-link */
	p = P(V6, "fe80::1", IPPROTO_ICMPV6, 0, U, NEW);
	p.icmp6_type = 135;
	p.hoplimit = 255;
	VERDICT(&w, p, V_ACCEPT, "neighbour solicitation, hop limit 255: accepted");
	p.hoplimit = 64;
	VERDICT(&w, p, V_REJECT_ICMPX, "neighbour solicitation, hop limit 64: rejected");
	p.icmp6_type = 128;
	p.hoplimit = 255;
	VERDICT(&w, p, V_REJECT_ICMPX, "echo request with hop limit 255: rejected");
	fw_batch_free(&fb);
	decoded_free(&d);
	allowlist_free(&al);
}

static void test_extra_dns(void)
{
	struct fw_batch fb;
	struct decoded d;
	struct fw_upstream up = { AF_INET, {127, 0, 0, 11}, 53 };
	struct fw_ruleset_cfg cfg = { .table = FW_TABLE, .dns_uid = F, .up = &up, .n_up = 1,
		.set_size = 16, .blocked_size = 16, .default_timeout_ms = 1000, .extra_dns = true,
		.extra_dns_uid = 0 };
	struct world w = { .d = &d };
	struct pkt p;

	ok(build(&cfg, &d, &fb) == 0, "ruleset with --extra-dns-uid 0 (Docker's resolver forwards)");
	p = P(V4, "192.0.2.99", D, 53, 0, NEW);
	VERDICT(&w, p, V_ACCEPT, "uid 0 to any resolver :53: accepted");
	p = P(V4, "192.0.2.99", T, 853, 0, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "uid 0 to :853: rejected");
	p = P(V4, "192.0.2.99", D, 53, U, EST);
	VERDICT(&w, p, V_REJECT_ICMPX, "sandbox uid to that resolver, established: rejected");
	p = P(V4, "127.0.0.11", D, 40000, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "no listen address configured: sandbox uid to 127.0.0.11 rejected");
	p = P(V4, "127.0.0.1", D, 53, U, NEW);
	VERDICT(&w, p, V_REJECT_ICMPX, "no listen address: nothing on :53 is open to the sandbox");
	fw_batch_free(&fb);
	decoded_free(&d);
}

static void test_structure(void)
{
	struct allowlist al;
	struct cs_err err = { 0 };
	struct fw_batch fb;
	struct decoded d;
	struct fw_upstream up = { AF_INET, {192, 0, 2, 53}, 53 }, lis = { AF_INET, {127, 0, 0, 1}, 53 };
	struct fw_ruleset_cfg cfg = { .table = FW_TABLE, .al = &al, .dns_uid = F, .up = &up, .n_up = 1,
		.listen = &lis, .set_size = 65536, .blocked_size = 4096, .default_timeout_ms = 90000000 };
	struct world w = { .d = &d };
	int i, lookups = 0, with_id = 0;

	allowlist_init(&al);
	/* 10.0.0.0/8 swallows 10.1.2.3; 192.0.2.0/25 + 192.0.2.128/25 are
	 * adjacent and merge; 255.255.255.255 has no end element. */
	allowlist_add_text(&al, "github.com *.example.org 10.0.0.0/8 10.1.2.3 192.0.2.0/25 "
			   "192.0.2.128/25 255.255.255.255 2001:db8::/32 2001:db8:5::1", "t", &err);
	build(&cfg, &d, &fb);
	is_int(d.batch_begin, 1, "one batch begin");
	is_int(d.batch_end, 1, "one batch end");
	is_int(d.tables_new, 2, "NEWTABLE twice (reset idiom)");
	is_int(d.tables_del, 1, "DELTABLE once");
	is_int(d.chains, 4, "four chains");
	is_int(d.seqs_ok, fb.n_msgs, "every message ACKed, sequence numbers consecutive");
	is_int(d.n_acked, fb.n_msgs, "labels recorded for every message");
	i = set_index(&d, "allow4");
	ok(i >= 0 && d.set[i].flags == NFT_SET_TIMEOUT && d.set[i].keylen == 4 && d.set[i].size == 65536,
	   "allow4: timeout, key 4, size");
	i = set_index(&d, "allow6");
	ok(i >= 0 && d.set[i].flags == NFT_SET_TIMEOUT && d.set[i].keylen == 16, "allow6: timeout, key 16");
	i = set_index(&d, "allow4_net");
	ok(i >= 0 && d.set[i].flags == NFT_SET_INTERVAL, "allow4_net interval");
	i = set_index(&d, "blocked4");
	ok(i >= 0 && d.set[i].flags == NFT_SET_EVAL && d.set[i].keylen == 12 && d.set[i].size == 4096,
	   "blocked4 dynamic, concat key 12, bounded");
	i = set_index(&d, "blocked6");
	ok(i >= 0 && d.set[i].keylen == 24, "blocked6 key 24");
	/* every lookup names its set and carries the id the same batch gave it */
	for (int r = 0; r < d.n_rules; r++) {
		struct nftnl_expr_iter *it = nftnl_expr_iter_create(d.rule[r]);
		struct nftnl_expr *e;

		while ((e = nftnl_expr_iter_next(it)))
			if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "lookup") == 0) {
				int si = set_index(&d, nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));

				lookups++;
				with_id += si >= 0 && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET_ID) &&
					nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SET_ID) == d.set[si].id;
			}
		nftnl_expr_iter_destroy(it);
	}
	ok(lookups > 0 && with_id == lookups, "each lookup's set id is its set's (%d of %d)", with_id, lookups);
	/* the interval encoding, by membership */
	ok(in_set(&w, "allow4_net", (const unsigned char *)"\x0a\x00\x00\x00") &&
	   in_set(&w, "allow4_net", (const unsigned char *)"\x0a\xff\xff\xff"), "10/8: first and last in");
	ok(!in_set(&w, "allow4_net", (const unsigned char *)"\x09\xff\xff\xff") &&
	   !in_set(&w, "allow4_net", (const unsigned char *)"\x0b\x00\x00\x00"), "10/8: neighbours out");
	ok(in_set(&w, "allow4_net", (const unsigned char *)"\xc0\x00\x02\x00") &&
	   in_set(&w, "allow4_net", (const unsigned char *)"\xc0\x00\x02\xff"), "192.0.2.0/25+/25 merged: in");
	ok(!in_set(&w, "allow4_net", (const unsigned char *)"\xc0\x00\x03\x00"), "192.0.3.0 out");
	ok(in_set(&w, "allow4_net", (const unsigned char *)"\xff\xff\xff\xff") &&
	   !in_set(&w, "allow4_net", (const unsigned char *)"\xff\xff\xff\xfe"), "255.255.255.255 alone");
	ok(in_set(&w, "allow6_net", (const unsigned char *)"\x20\x01\x0d\xb8\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff") &&
	   !in_set(&w, "allow6_net", (const unsigned char *)"\x20\x01\x0d\xb9\0\0\0\0\0\0\0\0\0\0\0\0"),
	   "2001:db8::/32: last in, next out");
	{
		int n4 = 0, n6 = 0;

		for (int k = 0; k < d.n_elems; k++) {
			n4 += strcmp(d.elem[k].set, "allow4_net") == 0;
			n6 += strcmp(d.elem[k].set, "allow6_net") == 0;
		}
		/* v4: [0 end] 10.0.0.0 [11.0.0.0 end] 192.0.2.0 [192.0.3.0 end] 255.255.255.255 */
		is_int(n4, 6, "v4 interval elements after merging");
		/* v6: [:: end] 2001:db8:: [2001:db9:: end] (the /128 is inside) */
		is_int(n6, 3, "v6 interval elements");
	}
	/* every rule has a label naming it (errors name the rule) */
	for (i = 0; i < d.n_rules && strncmp(d.label[i], "rule ", 5) == 0; i++)
		;
	is_int(i, d.n_rules, "every rule message is labelled 'rule ...'");
	fw_batch_free(&fb);
	decoded_free(&d);

	cfg.delete_after = true;
	cfg.table = FW_CHECK_TABLE;
	build(&cfg, &d, &fb);
	is_int(d.tables_del, 2, "check batch deletes its table at the end");
	fw_batch_free(&fb);
	decoded_free(&d);
	allowlist_free(&al);
}

static void test_big(void)
{
	struct allowlist al;
	struct cs_err err = {0};
	struct fw_batch fb;
	struct decoded d;
	struct fw_ruleset_cfg cfg = { .table = FW_TABLE, .al = &al, .dns_uid = 1, .set_size = 1024,
		.blocked_size = 16, .default_timeout_ms = 1000 };
	char text[64];
	struct fw_elem *el = calloc(1500, sizeof *el);
	uint64_t tsum = 0;

	allowlist_init(&al);
	for (int i = 0; i < 1200; i++) {
		snprintf(text, sizeof text, "10.%d.%d.0/24 host%d.example.com", i / 100, (i % 100) * 2, i);
		allowlist_add_text(&al, text, "t", &err);
	}
	is_int(al.n, 2400, "2400 entries");
	ok(build(&cfg, &d, &fb) == 0, "big ruleset built");
	ok(d.max_msg < 65536 && d.elem_msgs >= 2, "every message < 64 KiB (max %zu, %d element messages)",
	   d.max_msg, d.elem_msgs);
	fw_batch_free(&fb);
	decoded_free(&d);

	for (int i = 0; i < 1500; i++) {
		el[i].addr[0] = 203;
		el[i].addr[2] = (unsigned char)(i >> 8);
		el[i].addr[3] = (unsigned char)i;
		el[i].timeout_ms = 1000 + (uint64_t)i;
	}
	fw_batch_init(&fb, 1, &err);
	ok(sets_add_elems(&fb, FW_TABLE, "allow4", AF_INET, el, 1500, &err) == 0, "1500 elements");
	fw_batch_finish(&fb, &err);
	decode(&fb, &d);
	is_int(d.elem_msgs, 3, "split into 3 NEWSETELEM messages");
	for (int i = 0; i < d.n_elems; i++)
		tsum += d.elem[i].timeout;
	ok(d.n_elems == 1500 && d.elem[1499].key[2] == 5 && d.elem[1499].key[3] == 219,
	   "all elements present, in order");
	is_int(tsum, 1500 * 1000 + 1499 * 1500 / 2, "each element has its own timeout (ms)");
	fw_batch_free(&fb);
	decoded_free(&d);
	free(el);
	allowlist_free(&al);
}

/* Rules F0-F6 and Q: an opened address serves only its name (the judge
 * itself is tests/unit/test_flowcheck.c; the wiring tests/integration/46). */
static const char *const learned4[] = { "198.51.100.10", "198.51.100.200", NULL };
static const char *const learned6[] = { "2001:db8:2::80", NULL };

#define FLOWP(fam, addr, proto, port, ct_, ctm) \
	({ struct pkt _p = P(fam, addr, proto, port, U, ct_); _p.ctmark = (ctm); _p; })

static void test_flow_rules(void)
{
	struct allowlist al;
	struct cs_err err = { 0 };
	struct fw_batch fb;
	struct decoded d;
	struct fw_upstream up = { AF_INET, {192, 0, 2, 53}, 53 }, lis = { AF_INET, {127, 0, 0, 1}, 53 };
	struct fw_ruleset_cfg cfg = { .table = FW_TABLE, .al = &al, .dns_uid = F, .up = &up, .n_up = 1,
		.listen = &lis, .set_size = 65536, .blocked_size = 4096, .default_timeout_ms = 90000000,
		.flow_check = true, .queue_num = FW_QUEUE_NUM };
	struct world w = { .d = &d, .allow4 = learned4, .allow6 = learned6 };
	struct pkt p;

	allowlist_init(&al);
	allowlist_add_text(&al, "allowed.test 203.0.113.7 198.51.100.128/25 2001:db8:5::/48", "t", &err);
	ok(build(&cfg, &d, &fb) == 0, "ruleset with the flow check built (%d rules)", d.n_rules);

	/* F6: a new flow to 443/80 of a DNS-learned address is queued, marked pending */
	p = FLOWP(V4, "198.51.100.10", T, 443, NEW, 0);
	VERDICT(&w, p, V_QUEUE, "F6: new TCP 443 to a DNS-learned address: queued");
	ok(w.ct_mark_set == NFQ_CT_PENDING, "...and its connection marked pending (%lld)", (long long)w.ct_mark_set);
	ok(w.queue_num == FW_QUEUE_NUM && w.queue_rev == 3 && w.queue_flags == 0,
	   "...to NFQUEUE %u (xt revision %u), no bypass flag: nobody listening drops", w.queue_num, w.queue_rev);
	p = FLOWP(V4, "198.51.100.10", T, 80, NEW, 0);
	VERDICT(&w, p, V_QUEUE, "F6: new TCP 80 to a DNS-learned address: queued");
	p = FLOWP(V6, "2001:db8:2::80", T, 443, NEW, 0);
	VERDICT(&w, p, V_QUEUE, "F6: IPv6, new TCP 443 to a DNS-learned address: queued");
	p = FLOWP(V6, "2001:db8:2::80", T, 80, NEW, 0);
	VERDICT(&w, p, V_QUEUE, "F6: IPv6, new TCP 80: queued");
	p = FLOWP(V4, "198.51.100.10", T, 8443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "another port of a DNS-learned address: accepted, not judged");
	p = FLOWP(V4, "198.51.100.200", T, 443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "learned AND inside an explicit CIDR: exempt (accepted, not queued)");
	p = FLOWP(V4, "203.0.113.7", T, 443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "an explicit address: exempt");
	p = FLOWP(V6, "2001:db8:5::1", T, 443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "an explicit IPv6 range: exempt");
	p = FLOWP(V4, "198.51.100.11", T, 443, NEW, 0);
	VERDICT(&w, p, V_REJECT_RST, "not learned, not explicit: reset as before");
	p = FLOWP(V4, "198.51.100.10", T, 443, NEW, 0);
	p.dir = 1;          /* IP_CT_DIR_REPLY */
	VERDICT(&w, p, V_ACCEPT, "reply direction (a flow from outside): not judged");

	/* F5, F0: the flow stays queued until its verdict, then runs in the kernel */
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, NFQ_CT_PENDING);
	VERDICT(&w, p, V_QUEUE, "F5: established, still pending: queued");
	p = FLOWP(V4, "198.51.100.99", T, 443, EST, NFQ_CT_PENDING);
	VERDICT(&w, p, V_QUEUE, "F5: pending, its address's element gone meanwhile: still queued");
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, NFQ_MARK_OK);
	VERDICT(&w, p, V_ACCEPT, "F0: established, judged ok: accepted");
	ok(w.ct_mark_set == -1, "...without touching the mark");
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, 0);
	VERDICT(&w, p, V_ACCEPT, "established, never judged (opened before, or exempt): accepted");

	/* FS: a new handshake on an old entry judged ok is judged afresh */
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, NFQ_MARK_OK);
	p.tcpflags = 0x02;
	VERDICT(&w, p, V_QUEUE, "FS: SYN on an entry judged ok (conntrack resyncs): queued");
	ok(w.ct_mark_set == NFQ_CT_PENDING, "FS: ...its connection pending again");
	p = FLOWP(V6, "2001:db8:2::80", T, 80, EST, NFQ_MARK_OK);
	p.tcpflags = 0x02;
	VERDICT(&w, p, V_QUEUE, "FS: IPv6, port 80 too");
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, NFQ_MARK_OK);
	p.tcpflags = 0x12;
	VERDICT(&w, p, V_ACCEPT, "FS: SYN-ACK is no new handshake: F0 accepts");
	p = FLOWP(V4, "198.51.100.200", T, 443, EST, NFQ_MARK_OK);
	p.tcpflags = 0x02;
	VERDICT(&w, p, V_ACCEPT, "FS: SYN to a learned address inside an explicit CIDR: exempt");

	/* F1: the verdict comes back as the packet's mark */
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, NFQ_CT_PENDING);
	p.mark = NFQ_MARK_OK;
	VERDICT(&w, p, V_ACCEPT, "F1: repeated with mark ok: accepted");
	ok(w.ct_mark_set == NFQ_MARK_OK, "...and the connection marked ok");
	p.mark = NFQ_MARK_OK | 0x1;
	VERDICT(&w, p, V_ACCEPT, "F1: bits outside the mask do not matter");
	p.mark = NFQ_MARK_OK & ~0x00010000u;
	VERDICT(&w, p, V_QUEUE, "a partial mark is not ok: still queued");
	/* F2, F3: refused */
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, NFQ_CT_PENDING);
	p.mark = NFQ_MARK_NO;
	VERDICT(&w, p, V_REJECT_RST, "F3: repeated with mark no: reset");
	ok(w.ct_mark_set == NFQ_MARK_NO, "F2: ...the connection marked no");
	is_str(w.recorded, "", "F2: ...not recorded again in the blocked sets (the judge reported it)");
	/* a late no (the judge no longer knew the flow) never overrides an ok */
	/* (established, F0 lets it pass first; not established, F2/F3 must) */
	p = FLOWP(V4, "203.0.113.7", T, 443, NEW, NFQ_MARK_OK);
	p.mark = NFQ_MARK_NO;
	VERDICT(&w, p, V_ACCEPT, "F2/F3: mark no on a connection judged ok: not reset");
	ok(w.ct_mark_set == -1, "F2: ...its ok mark kept (%lld)", (long long)w.ct_mark_set);
	/* F4: what a refused flow sends afterwards */
	p = FLOWP(V4, "198.51.100.10", T, 443, EST, NFQ_MARK_NO);
	VERDICT(&w, p, V_REJECT_RST, "F4: a refused flow's next packet: reset");
	p = FLOWP(V6, "2001:db8:2::80", T, 443, EST, NFQ_MARK_NO);
	VERDICT(&w, p, V_REJECT_RST, "F4: IPv6 too");
	p.dir = 1;          /* IP_CT_DIR_REPLY */
	VERDICT(&w, p, V_ACCEPT, "F4: the reset itself (reply direction) passes");

	/* Q: QUIC */
	p = FLOWP(V4, "198.51.100.10", D, 443, NEW, 0);
	VERDICT(&w, p, V_REJECT_ICMPX, "Q: UDP 443 to a DNS-learned address: refused");
	is_str(w.recorded, "blocked4 198.51.100.10 17 443", "Q: ...and recorded");
	p = FLOWP(V6, "2001:db8:2::80", D, 443, NEW, 0);
	VERDICT(&w, p, V_REJECT_ICMPX, "Q: IPv6 too");
	p = FLOWP(V4, "198.51.100.10", D, 4433, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "UDP on another port of it: accepted");
	p = FLOWP(V4, "203.0.113.7", D, 443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "Q: UDP 443 to an explicit address: accepted");
	p = FLOWP(V4, "198.51.100.200", D, 443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "Q: UDP 443 to a learned address inside an explicit CIDR: accepted");

	/* DNS still comes first, whatever the marks */
	p = FLOWP(V4, "192.0.2.53", D, 53, EST, NFQ_MARK_OK);
	p.mark = NFQ_MARK_OK;
	VERDICT(&w, p, V_REJECT_ICMPX, "the DNS tunnel stays shut with a mark ok on the packet and connection");
	fw_batch_free(&fb);
	decoded_free(&d);

	cfg.flow_check = false;
	build(&cfg, &d, &fb);
	p = FLOWP(V4, "198.51.100.10", T, 443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "--flow-check off: new TCP 443 to a learned address accepted, as before");
	p = FLOWP(V4, "198.51.100.10", D, 443, NEW, 0);
	VERDICT(&w, p, V_ACCEPT, "--flow-check off: UDP 443 too");
	fw_batch_free(&fb);
	decoded_free(&d);
	allowlist_free(&al);
}

int main(void)
{
	plan(127);
	test_verdicts();
	test_extra_dns();
	test_structure();
	test_big();
	test_flow_rules();
	return tap_done();
}
