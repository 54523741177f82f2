#include "firewall/ruleset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

/* Pages of the batch: a message must fit into the overrun area. */
#define PAGE_SIZE_BATCH (128 * 1024)
#define PAGE_OVERRUN (96 * 1024)

/* nftables' datatype numbers (src/datatype.h), for `nft list` readability. */
enum { TYPE_IPADDR = 7, TYPE_IP6ADDR = 8, TYPE_INET_PROTO = 12, TYPE_INET_SERVICE = 13 };
#define CONCAT_TYPE(a, b, c) ((a) << 12 | (b) << 6 | (c))

enum { SET_ALLOW4 = 1, SET_ALLOW6, SET_ALLOW4_NET, SET_ALLOW6_NET, SET_BLOCKED4, SET_BLOCKED6 };

static const struct {
	const char *name;
	int family;
} set_info[] = {
	[SET_ALLOW4] = { "allow4", AF_INET },
	[SET_ALLOW6] = { "allow6", AF_INET6 },
	[SET_ALLOW4_NET] = { "allow4_net", AF_INET },
	[SET_ALLOW6_NET] = { "allow6_net", AF_INET6 },
	[SET_BLOCKED4] = { "blocked4", AF_INET },
	[SET_BLOCKED6] = { "blocked6", AF_INET6 },
};

static int oom(struct cs_err *err)
{
	return cs_fail(err, ENOMEM, "building the nftables batch");
}

int fw_batch_init(struct fw_batch *fb, uint32_t seq, struct cs_err *err)
{
	memset(fb, 0, sizeof *fb);
	fb->b = nftnl_batch_alloc(PAGE_SIZE_BATCH, PAGE_OVERRUN);
	if (!fb->b)
		return oom(err);
	nftnl_batch_begin(nftnl_batch_buffer(fb->b), seq++);
	nftnl_batch_update(fb->b);
	fb->seq_first = fb->seq = seq;
	return 0;
}

int fw_batch_finish(struct fw_batch *fb, struct cs_err *err)
{
	nftnl_batch_end(nftnl_batch_buffer(fb->b), fb->seq++);
	if (nftnl_batch_update(fb->b) < 0)
		return oom(err);
	fb->bytes = 0;
	{
		int n = nftnl_batch_iovec_len(fb->b);
		struct iovec *iov = calloc(n > 0 ? (size_t)n : 1, sizeof *iov);

		if (!iov)
			return oom(err);
		nftnl_batch_iovec(fb->b, iov, (uint32_t)n);
		for (int i = 0; i < n; i++)
			fb->bytes += iov[i].iov_len;
		free(iov);
	}
	return 0;
}

void fw_batch_free(struct fw_batch *fb)
{
	if (fb->b)
		nftnl_batch_free(fb->b);
	free(fb->labels);
	memset(fb, 0, sizeof *fb);
}

const char *fw_batch_label(const struct fw_batch *fb, uint32_t seq, char *tmp, size_t tmpsz)
{
	size_t i = seq - fb->seq_first;

	if (seq >= fb->seq_first && i < fb->n_msgs)
		return fb->labels[i];
	snprintf(tmp, tmpsz, "message seq %u", seq);
	return tmp;
}

/* Reserve the next message: returns its header, records LABEL. */
static struct nlmsghdr *msg_begin(struct fw_batch *fb, uint16_t type, uint16_t flags,
				  const char *label, struct cs_err *err)
{
	if (fb->n_msgs == fb->labels_cap) {
		size_t ncap = fb->labels_cap ? fb->labels_cap * 2 : 64;
		void *nl = realloc(fb->labels, ncap * sizeof *fb->labels);

		if (!nl) {
			oom(err);
			return NULL;
		}
		fb->labels = nl;
		fb->labels_cap = ncap;
	}
	snprintf(fb->labels[fb->n_msgs++], FW_LABEL_MAX, "%s", label);
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(fb->b), type, NFPROTO_INET,
				     flags | NLM_F_ACK, fb->seq++);
}

static int msg_end(struct fw_batch *fb, struct cs_err *err)
{
	if (nftnl_batch_update(fb->b) < 0)
		return oom(err);
	return 0;
}

/* ---- expressions ---------------------------------------------------- */

struct rb {
	struct nftnl_rule *r;
	bool failed;
};

static struct nftnl_expr *ex(struct rb *rb, const char *name)
{
	struct nftnl_expr *e = rb->failed ? NULL : nftnl_expr_alloc(name);

	if (!e)
		rb->failed = true;
	return e;
}

static void add(struct rb *rb, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(rb->r, e);
}

static void e_meta(struct rb *rb, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = ex(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	add(rb, e);
}

static void e_cmp(struct rb *rb, uint32_t sreg, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add(rb, e);
}

static void e_cmp8(struct rb *rb, uint32_t sreg, uint32_t op, uint8_t v)
{
	e_cmp(rb, sreg, op, &v, 1);
}

static void e_payload(struct rb *rb, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = ex(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	add(rb, e);
}

static void e_verdict(struct rb *rb, int verdict, const char *chain)
{
	struct nftnl_expr *e = ex(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	add(rb, e);
}

static void e_reject(struct rb *rb, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = ex(rb, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
	add(rb, e);
}

static void e_ct_state(struct rb *rb, uint32_t mask)
{
	struct nftnl_expr *e = ex(rb, "ct");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add(rb, e);
	if (!(e = ex(rb, "bitwise")))
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	add(rb, e);
	e_cmp(rb, NFT_REG_1, NFT_CMP_NEQ, &zero, 4);
}

/* meta skuid OP UID.  Without a full socket (kernel replies, timewait) the
 * meta expression breaks: the rule does not match, with either OP. */
static void e_skuid(struct rb *rb, uint32_t op, uint32_t uid)
{
	e_meta(rb, NFT_META_SKUID, NFT_REG_1);
	e_cmp(rb, NFT_REG_1, op, &uid, 4);
}

static void e_lookup(struct rb *rb, uint32_t sreg, int set)
{
	struct nftnl_expr *e = ex(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set_info[set].name);
	/* the set is created in the same batch: the kernel finds it by id */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)set);
	add(rb, e);
}

static void e_nfproto(struct rb *rb, int family)
{
	e_meta(rb, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp8(rb, NFT_REG_1, NFT_CMP_EQ, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

static void e_daddr(struct rb *rb, int family, uint32_t dreg)
{
	if (family == AF_INET)
		e_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, dreg);
	else
		e_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, dreg);
}

static void e_l4(struct rb *rb, uint8_t proto, uint16_t port)
{
	uint16_t be = htons(port);

	e_meta(rb, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp8(rb, NFT_REG_1, NFT_CMP_EQ, proto);
	e_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	e_cmp(rb, NFT_REG_1, NFT_CMP_EQ, &be, 2);
}

/* ---- messages ------------------------------------------------------- */

static int put_rule(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, const char *chain,
		    struct rb *rb, const char *label, struct cs_err *err)
{
	struct nlmsghdr *nlh;
	int ret = -1;

	if (rb->failed) {
		oom(err);
		goto out;
	}
	nftnl_rule_set_str(rb->r, NFTNL_RULE_TABLE, cfg->table);
	nftnl_rule_set_str(rb->r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (!(nlh = msg_begin(fb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, label, err)))
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, rb->r);
	ret = msg_end(fb, err);
out:
	nftnl_rule_free(rb->r);
	rb->r = NULL;
	return ret;
}

static int rule_begin(struct rb *rb, struct cs_err *err)
{
	rb->failed = false;
	rb->r = nftnl_rule_alloc();
	return rb->r ? 0 : oom(err);
}

static int put_table(struct fw_batch *fb, const char *table, uint16_t type, const char *label,
		     struct cs_err *err)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return oom(err);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = msg_begin(fb, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, label, err);
	if (nlh)
		nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return nlh ? msg_end(fb, err) : -1;
}

static int put_chain(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, const char *name,
		     bool base, struct cs_err *err)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char label[FW_LABEL_MAX];

	if (!c)
		return oom(err);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, cfg->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (base) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_DROP);
	}
	snprintf(label, sizeof label, "chain %s", name);
	nlh = msg_begin(fb, NFT_MSG_NEWCHAIN, NLM_F_CREATE, label, err);
	if (nlh)
		nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	return nlh ? msg_end(fb, err) : -1;
}

static struct nftnl_set *set_new(const char *table, int id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_info[id].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)id);
	return s;
}

static int put_set(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, int id,
		   struct cs_err *err)
{
	struct nftnl_set *s = set_new(cfg->table, id);
	bool v4 = set_info[id].family == AF_INET;
	struct nlmsghdr *nlh;
	char label[FW_LABEL_MAX];

	if (!s)
		return oom(err);
	switch (id) {
	case SET_ALLOW4:
	case SET_ALLOW6:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, cfg->set_size);
		/* A re-add without a timeout would make an element permanent
		 * (DOCKER-NFT-NOTES §3.3): the default is a safety net. */
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, cfg->default_timeout_ms);
		break;
	case SET_ALLOW4_NET:
	case SET_ALLOW6_NET:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
		break;
	default:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_EVAL);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, cfg->blocked_size);
		break;
	}
	if (id == SET_BLOCKED4 || id == SET_BLOCKED6) {
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
				  CONCAT_TYPE(v4 ? TYPE_IPADDR : TYPE_IP6ADDR, TYPE_INET_PROTO,
					      TYPE_INET_SERVICE));
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, (v4 ? 4 : 16) + 4 + 4);
	} else {
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v4 ? TYPE_IPADDR : TYPE_IP6ADDR);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v4 ? 4 : 16);
	}
	snprintf(label, sizeof label, "set %s", set_info[id].name);
	nlh = msg_begin(fb, NFT_MSG_NEWSET, NLM_F_CREATE, label, err);
	if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh ? msg_end(fb, err) : -1;
}

/* ---- interval elements from explicit entries ------------------------- */

struct span {
	unsigned char lo[16], hi[16];   /* inclusive, big endian */
};

static int span_cmp(const void *a, const void *b)
{
	return memcmp(((const struct span *)a)->lo, ((const struct span *)b)->lo, 16);
}

/* a + 1 in place; returns true on overflow (a was all ones). */
static bool inc(unsigned char *a, int len)
{
	for (int i = len - 1; i >= 0; i--)
		if (++a[i] != 0)
			return false;
	return true;
}

static int put_interval_elems(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, int id,
			      struct cs_err *err)
{
	int family = set_info[id].family, alen = family == AF_INET ? 4 : 16;
	const struct allowlist *al = cfg->al;
	struct span *sp = NULL;
	size_t n = 0, m = 0;
	int ret = -1;

	if (!al || al->n == 0)
		return 0;
	if (!(sp = calloc(al->n, sizeof *sp)))
		return oom(err);
	for (size_t i = 0; i < al->n; i++) {
		const struct allow_entry *e = &al->v[i];
		bool v4 = e->kind == ALLOW_IPV4 || e->kind == ALLOW_CIDR4;
		bool v6 = e->kind == ALLOW_IPV6 || e->kind == ALLOW_CIDR6;

		if (!((family == AF_INET && v4) || (family == AF_INET6 && v6)))
			continue;
		memcpy(sp[n].lo, e->addr, (size_t)alen);
		memcpy(sp[n].hi, e->addr, (size_t)alen);
		for (int b = e->prefix; b < alen * 8; b++)
			sp[n].hi[b / 8] |= (unsigned char)(0x80 >> (b % 8));
		n++;
	}
	if (n == 0) {
		free(sp);
		return 0;
	}
	/* The kernel refuses overlapping intervals: sort and merge first. */
	qsort(sp, n, sizeof *sp, span_cmp);
	for (size_t i = 1; i < n; i++) {
		unsigned char next[16];

		memcpy(next, sp[m].hi, 16);
		if (memcmp(sp[i].lo, sp[m].hi, (size_t)alen) <= 0 ||
		    (!inc(next, alen) && memcmp(sp[i].lo, next, (size_t)alen) == 0)) {
			if (memcmp(sp[i].hi, sp[m].hi, (size_t)alen) > 0)
				memcpy(sp[m].hi, sp[i].hi, 16);
		} else {
			sp[++m] = sp[i];
		}
	}
	n = m + 1;

	/* nft's encoding: [0 END] when the first range does not start at 0,
	 * then per range its start and an END element at hi + 1 (none when hi
	 * is the last address).  Chunked to stay under 64 KiB per message. */
	{
		static const unsigned char zero[16];
		struct nftnl_set *s = NULL;
		size_t in_msg = 0;
		char label[FW_LABEL_MAX];

		for (size_t i = 0; i <= n; i++) {
			struct nftnl_set_elem *el;
			unsigned char end[16];

			if (!s && i < n) {
				if (!(s = set_new(cfg->table, id)))
					goto fail_oom;
				in_msg = 0;
				if (i == 0 && memcmp(sp[0].lo, zero, (size_t)alen) != 0) {
					if (!(el = nftnl_set_elem_alloc()))
						goto fail_oom;
					nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, zero, (uint32_t)alen);
					nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
					nftnl_set_elem_add(s, el);
				}
			}
			if (i < n) {
				if (!(el = nftnl_set_elem_alloc()))
					goto fail_oom;
				nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, sp[i].lo, (uint32_t)alen);
				nftnl_set_elem_add(s, el);
				memcpy(end, sp[i].hi, 16);
				if (!inc(end, alen)) {
					if (!(el = nftnl_set_elem_alloc()))
						goto fail_oom;
					nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, end, (uint32_t)alen);
					nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
					nftnl_set_elem_add(s, el);
				}
				in_msg++;
			}
			if (s && (i == n || in_msg >= FW_ELEMS_PER_MSG / 2)) {
				struct nlmsghdr *nlh;

				snprintf(label, sizeof label, "elements of %s", set_info[id].name);
				nlh = msg_begin(fb, NFT_MSG_NEWSETELEM, NLM_F_CREATE, label, err);
				if (!nlh) {
					nftnl_set_free(s);
					goto out;
				}
				nftnl_set_elems_nlmsg_build_payload(nlh, s);
				nftnl_set_free(s);
				s = NULL;
				if (msg_end(fb, err) < 0)
					goto out;
			}
			continue;
fail_oom:
			if (s)
				nftnl_set_free(s);
			oom(err);
			goto out;
		}
	}
	ret = 0;
out:
	free(sp);
	return ret;
}

/* ---- the chains ------------------------------------------------------ */

static int record_rules(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	/* Key registers: daddr at REG32_00.., then l4proto and dport in the
	 * next 32-bit registers (each value zero-padded to 4 bytes). */
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;
		uint32_t rp = fam ? NFT_REG32_04 : NFT_REG32_01, rport = rp + 1;
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, 0 };

		for (size_t k = 0; k < sizeof protos; k++) {
			struct rb rb;
			struct nftnl_expr *e, *cnt;
			char label[FW_LABEL_MAX];

			if (rule_begin(&rb, err) < 0)
				return -1;
			e_nfproto(&rb, family);
			e_meta(&rb, NFT_META_L4PROTO, rp);
			if (protos[k]) {
				e_cmp8(&rb, rp, NFT_CMP_EQ, protos[k]);
				e_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, rport);
			} else {
				/* other protocols: port 0, so ICMP checksums do not
				 * make one element per packet */
				uint32_t zero = 0;

				e_cmp8(&rb, rp, NFT_CMP_NEQ, IPPROTO_TCP);
				e_cmp8(&rb, rp, NFT_CMP_NEQ, IPPROTO_UDP);
				if ((e = ex(&rb, "immediate"))) {
					nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, rport);
					nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &zero, 4);
					add(&rb, e);
				}
			}
			e_daddr(&rb, family, NFT_REG32_00);
			if ((e = ex(&rb, "dynset")) && (cnt = ex(&rb, "counter"))) {
				int sid = fam ? SET_BLOCKED6 : SET_BLOCKED4;

				nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG32_00);
				nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
				nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set_info[sid].name);
				nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, (uint32_t)sid);
				nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, cnt, 0);
				add(&rb, e);
			} else if (e) {
				nftnl_expr_free(e);
			}
			snprintf(label, sizeof label, "rule record (ipv%d %s)", fam ? 6 : 4,
				 protos[k] == IPPROTO_TCP ? "tcp" : protos[k] == IPPROTO_UDP ? "udp" : "other");
			if (put_rule(fb, cfg, "record", &rb, label, err) < 0)
				return -1;
		}
	}
	return 0;
}

#define RULE(label_, body_) do { \
	struct rb rb; \
	if (rule_begin(&rb, err) < 0) \
		return -1; \
	body_; \
	if (put_rule(fb, cfg, chain, &rb, label_, err) < 0) \
		return -1; \
} while (0)

static int dns_reject_rules(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	const char *chain = "dns_reject";

	RULE("rule dns_reject: jump record", e_verdict(&rb, NFT_JUMP, "record"));
	RULE("rule dns_reject: reject admin-prohibited",
	     e_reject(&rb, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED));
	return 0;
}

/* Packets that only the DNS filter may send: reached by goto from the top of
 * the output chain, before any conntrack verdict, so they are judged one by
 * one.  An established flow of the filter (its socket closed, the entry
 * still tracked) must not carry another uid's packets: the agent could bind
 * the same source port and talk to the upstream (REQUIREMENTS §5.2).
 * `meta skuid` does not match a packet without a full socket: such packets
 * fall through to the reject (fail closed). */
static int dns_only_rules(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	const char *chain = "dns_only";
	static const uint8_t docker_dns[4] = { 127, 0, 0, 11 };
	uint32_t uid = cfg->dns_uid;

	/* Everyone may ask the filter itself. */
	if (cfg->listen)
		for (int tcp = 0; tcp < 2; tcp++)
			RULE(tcp ? "rule anyone to the filter (tcp) accept" : "rule anyone to the filter (udp) accept",
			     e_nfproto(&rb, cfg->listen->family);
			     e_daddr(&rb, cfg->listen->family, NFT_REG_1);
			     e_cmp(&rb, NFT_REG_1, NFT_CMP_EQ, cfg->listen->addr,
				   cfg->listen->family == AF_INET ? 4 : 16);
			     e_l4(&rb, tcp ? IPPROTO_TCP : IPPROTO_UDP, cfg->listen->port);
			     e_verdict(&rb, NF_ACCEPT, NULL));
	/* Docker's embedded resolver: its port is DNATed before this hook. */
	RULE("rule dns uid to 127.0.0.11 accept",
	     e_nfproto(&rb, AF_INET); e_daddr(&rb, AF_INET, NFT_REG_1);
	     e_cmp(&rb, NFT_REG_1, NFT_CMP_EQ, docker_dns, 4);
	     e_skuid(&rb, NFT_CMP_EQ, cfg->dns_uid); e_verdict(&rb, NF_ACCEPT, NULL));
	for (size_t i = 0; i < cfg->n_up; i++) {
		const struct fw_upstream *u = &cfg->up[i];

		for (int tcp = 0; tcp < 2; tcp++)
			RULE(tcp ? "rule dns uid to upstream tcp accept" : "rule dns uid to upstream udp accept",
			     e_skuid(&rb, NFT_CMP_EQ, uid);
			     e_nfproto(&rb, u->family);
			     e_daddr(&rb, u->family, NFT_REG_1);
			     e_cmp(&rb, NFT_REG_1, NFT_CMP_EQ, u->addr, u->family == AF_INET ? 4 : 16);
			     e_l4(&rb, tcp ? IPPROTO_TCP : IPPROTO_UDP, u->port);
			     e_verdict(&rb, NF_ACCEPT, NULL));
	}
	if (cfg->extra_dns) {
		uint32_t xuid = cfg->extra_dns_uid;

		for (int tcp = 0; tcp < 2; tcp++)
			RULE("rule extra dns uid to port 53 accept",
			     e_skuid(&rb, NFT_CMP_EQ, xuid);
			     e_l4(&rb, tcp ? IPPROTO_TCP : IPPROTO_UDP, 53);
			     e_verdict(&rb, NF_ACCEPT, NULL));
	}
	RULE("rule other dns rejected", e_verdict(&rb, NFT_GOTO, "dns_reject"));
	return 0;
}

static int output_rules(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	const char *chain = "output";
	static const uint8_t docker_dns[4] = { 127, 0, 0, 11 };
	/* Neighbour discovery must leave or IPv6 stops working altogether;
	 * hop limit 255 (RFC 4861) / 1 (MLDv2 reports) keeps them on-link. */
	static const uint8_t nd_types[][2] = { {133, 255}, {135, 255}, {136, 255}, {143, 1} };
	uint32_t one = 1;

	/* DNS first, whatever the conntrack state (see dns_only_rules). */
	RULE("rule 127.0.0.11 goto dns_only",
	     e_nfproto(&rb, AF_INET); e_daddr(&rb, AF_INET, NFT_REG_1);
	     e_cmp(&rb, NFT_REG_1, NFT_CMP_EQ, docker_dns, 4); e_verdict(&rb, NFT_GOTO, "dns_only"));
	for (int tcp = 0; tcp < 2; tcp++)
		for (int tls = 0; tls < 2; tls++)
			RULE("rule dns (53/853) goto dns_only",
			     e_l4(&rb, tcp ? IPPROTO_TCP : IPPROTO_UDP, tls ? 853 : 53); e_verdict(&rb, NFT_GOTO, "dns_only"));
	/* An upstream on another port is just as much a resolver. */
	for (size_t i = 0; i < cfg->n_up; i++) {
		const struct fw_upstream *v = &cfg->up[i];

		for (int tcp = 0; tcp < 2; tcp++)
			RULE("rule upstream address and port goto dns_only",
			     e_nfproto(&rb, v->family);
			     e_daddr(&rb, v->family, NFT_REG_1);
			     e_cmp(&rb, NFT_REG_1, NFT_CMP_EQ, v->addr, v->family == AF_INET ? 4 : 16);
			     e_l4(&rb, tcp ? IPPROTO_TCP : IPPROTO_UDP, v->port); e_verdict(&rb, NFT_GOTO, "dns_only"));
	}
	RULE("rule ct established,related accept",
	     e_ct_state(&rb, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
	     e_verdict(&rb, NF_ACCEPT, NULL));
	RULE("rule ct invalid drop",
	     e_ct_state(&rb, NF_CT_STATE_INVALID_BIT); e_verdict(&rb, NF_DROP, NULL));
	RULE("rule oif lo accept",
	     e_meta(&rb, NFT_META_OIF, NFT_REG_1); e_cmp(&rb, NFT_REG_1, NFT_CMP_EQ, &one, 4);
	     e_verdict(&rb, NF_ACCEPT, NULL));
	for (size_t i = 0; i < sizeof nd_types / sizeof nd_types[0]; i++)
		RULE("rule ipv6 neighbour discovery accept",
		     e_nfproto(&rb, AF_INET6);
		     e_meta(&rb, NFT_META_L4PROTO, NFT_REG_1);
		     e_cmp8(&rb, NFT_REG_1, NFT_CMP_EQ, IPPROTO_ICMPV6);
		     e_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
		     e_cmp8(&rb, NFT_REG_1, NFT_CMP_EQ, nd_types[i][0]);
		     e_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 7, 1, NFT_REG_1);
		     e_cmp8(&rb, NFT_REG_1, NFT_CMP_EQ, nd_types[i][1]);
		     e_verdict(&rb, NF_ACCEPT, NULL));
	RULE("rule ip daddr @allow4 accept",
	     e_nfproto(&rb, AF_INET); e_daddr(&rb, AF_INET, NFT_REG_1);
	     e_lookup(&rb, NFT_REG_1, SET_ALLOW4); e_verdict(&rb, NF_ACCEPT, NULL));
	RULE("rule ip6 daddr @allow6 accept",
	     e_nfproto(&rb, AF_INET6); e_daddr(&rb, AF_INET6, NFT_REG_1);
	     e_lookup(&rb, NFT_REG_1, SET_ALLOW6); e_verdict(&rb, NF_ACCEPT, NULL));
	RULE("rule ip daddr @allow4_net accept",
	     e_nfproto(&rb, AF_INET); e_daddr(&rb, AF_INET, NFT_REG_1);
	     e_lookup(&rb, NFT_REG_1, SET_ALLOW4_NET); e_verdict(&rb, NF_ACCEPT, NULL));
	RULE("rule ip6 daddr @allow6_net accept",
	     e_nfproto(&rb, AF_INET6); e_daddr(&rb, AF_INET6, NFT_REG_1);
	     e_lookup(&rb, NFT_REG_1, SET_ALLOW6_NET); e_verdict(&rb, NF_ACCEPT, NULL));
	RULE("rule jump record", e_verdict(&rb, NFT_JUMP, "record"));
	RULE("rule tcp reject with tcp reset",
	     e_meta(&rb, NFT_META_L4PROTO, NFT_REG_1);
	     e_cmp8(&rb, NFT_REG_1, NFT_CMP_EQ, IPPROTO_TCP);
	     e_reject(&rb, NFT_REJECT_TCP_RST, 0));
	RULE("rule reject with icmpx admin-prohibited",
	     e_reject(&rb, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED));
	return 0;
}

int ruleset_build(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	if (put_table(fb, cfg->table, NFT_MSG_NEWTABLE, "table (create)", err) < 0 ||
	    put_table(fb, cfg->table, NFT_MSG_DELTABLE, "table (reset)", err) < 0 ||
	    put_table(fb, cfg->table, NFT_MSG_NEWTABLE, "table", err) < 0)
		return -1;
	for (int id = SET_ALLOW4; id <= SET_BLOCKED6; id++)
		if (put_set(fb, cfg, id, err) < 0)
			return -1;
	if (put_interval_elems(fb, cfg, SET_ALLOW4_NET, err) < 0 ||
	    put_interval_elems(fb, cfg, SET_ALLOW6_NET, err) < 0)
		return -1;
	if (put_chain(fb, cfg, "record", false, err) < 0 ||
	    put_chain(fb, cfg, "dns_reject", false, err) < 0 ||
	    put_chain(fb, cfg, "dns_only", false, err) < 0 ||
	    put_chain(fb, cfg, "output", true, err) < 0)
		return -1;
	if (record_rules(fb, cfg, err) < 0 || dns_reject_rules(fb, cfg, err) < 0 ||
	    dns_only_rules(fb, cfg, err) < 0 || output_rules(fb, cfg, err) < 0)
		return -1;
	if (cfg->delete_after &&
	    put_table(fb, cfg->table, NFT_MSG_DELTABLE, "table (check cleanup)", err) < 0)
		return -1;
	return 0;
}

int ruleset_add_elems(struct fw_batch *fb, const char *table, const char *set, int family,
		      const struct fw_elem *e, size_t n, struct cs_err *err)
{
	uint32_t alen = family == AF_INET ? 4 : 16;
	char label[FW_LABEL_MAX];

	snprintf(label, sizeof label, "elements of %s", set);
	for (size_t i = 0; i < n;) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;

		if (!s)
			return oom(err);
		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
		for (size_t k = 0; k < FW_ELEMS_PER_MSG && i < n; k++, i++) {
			struct nftnl_set_elem *el = nftnl_set_elem_alloc();

			if (!el) {
				nftnl_set_free(s);
				return oom(err);
			}
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e[i].addr, alen);
			nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, e[i].timeout_ms);
			nftnl_set_elem_add(s, el);
		}
		nlh = msg_begin(fb, NFT_MSG_NEWSETELEM, NLM_F_CREATE, label, err);
		if (nlh)
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if (!nlh || msg_end(fb, err) < 0)
			return -1;
	}
	return 0;
}

int ruleset_delete_table(struct fw_batch *fb, const char *table, struct cs_err *err)
{
	if (put_table(fb, table, NFT_MSG_NEWTABLE, "table (create)", err) < 0 ||
	    put_table(fb, table, NFT_MSG_DELTABLE, "table (delete)", err) < 0)
		return -1;
	return 0;
}
