#include "firewall/rule.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "firewall/sets.h"

int rule_begin(struct rule_builder *rb, struct cs_err *err)
{
	rb->failed = false;
	rb->r = nftnl_rule_alloc();
	return rb->r ? 0 : fw_batch_oom(err);
}

int rule_put(struct fw_batch *fb, const char *table, const char *chain, struct rule_builder *rb,
	     const char *label, struct cs_err *err)
{
	struct nlmsghdr *nlh;

	if (rb->failed)
		return fw_batch_oom(err);
	nftnl_rule_set_str(rb->r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(rb->r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (!(nlh = fw_batch_msg_begin(fb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, label, err)))
		return -1;
	nftnl_rule_nlmsg_build_payload(nlh, rb->r);
	return fw_batch_msg_end(fb, err);
}

struct nftnl_expr *rule_expr_new(struct rule_builder *rb, const char *name)
{
	struct nftnl_expr *e = rb->failed ? NULL : nftnl_expr_alloc(name);

	if (!e)
		rb->failed = true;
	return e;
}

void rule_expr_add(struct rule_builder *rb, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(rb->r, e);
}

void e_meta(struct rule_builder *rb, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = rule_expr_new(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	rule_expr_add(rb, e);
}

void e_cmp(struct rule_builder *rb, uint32_t sreg, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = rule_expr_new(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	rule_expr_add(rb, e);
}

void e_cmp8(struct rule_builder *rb, uint32_t sreg, uint32_t op, uint8_t v)
{
	e_cmp(rb, sreg, op, &v, 1);
}

void e_payload(struct rule_builder *rb, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = rule_expr_new(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	rule_expr_add(rb, e);
}

void e_verdict(struct rule_builder *rb, int verdict, const char *chain)
{
	struct nftnl_expr *e = rule_expr_new(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	rule_expr_add(rb, e);
}

void e_reject(struct rule_builder *rb, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = rule_expr_new(rb, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
	rule_expr_add(rb, e);
}

/* reg1 &= MASK (LEN bytes): the "bitwise" expression with a zero xor. */
static void e_and(struct rule_builder *rb, const void *mask, uint32_t len)
{
	static const uint8_t zero[4];
	struct nftnl_expr *e = rule_expr_new(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	rule_expr_add(rb, e);
}

void e_ct_state(struct rule_builder *rb, uint32_t mask)
{
	struct nftnl_expr *e = rule_expr_new(rb, "ct");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	rule_expr_add(rb, e);
	e_and(rb, &mask, 4);
	e_cmp(rb, NFT_REG_1, NFT_CMP_NEQ, &zero, 4);
}

/* Without a full socket (kernel replies, timewait) the meta expression
 * breaks: the rule does not match, with either OP. */
void e_skuid(struct rule_builder *rb, uint32_t op, uint32_t uid)
{
	e_meta(rb, NFT_META_SKUID, NFT_REG_1);
	e_cmp(rb, NFT_REG_1, op, &uid, 4);
}

void e_lookup(struct rule_builder *rb, uint32_t sreg, int set)
{
	struct nftnl_expr *e = rule_expr_new(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, fw_set_name(set));
	/* the set is created in the same batch: the kernel finds it by id */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)set);
	rule_expr_add(rb, e);
}

void e_nfproto(struct rule_builder *rb, int family)
{
	e_meta(rb, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp8(rb, NFT_REG_1, NFT_CMP_EQ, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

void e_daddr(struct rule_builder *rb, int family, uint32_t dreg)
{
	if (family == AF_INET)
		e_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, dreg);
	else
		e_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, dreg);
}

void e_l4(struct rule_builder *rb, uint8_t proto, uint16_t port)
{
	uint16_t be = htons(port);

	e_meta(rb, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp8(rb, NFT_REG_1, NFT_CMP_EQ, proto);
	e_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	e_cmp(rb, NFT_REG_1, NFT_CMP_EQ, &be, 2);
}

void e_tcp_syn_only(struct rule_builder *rb)
{
	uint8_t mask = 0x12;                    /* SYN | ACK */

	e_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_and(rb, &mask, 1);
	e_cmp8(rb, NFT_REG_1, NFT_CMP_EQ, 0x02);     /* SYN */
}

void e_lookup_not(struct rule_builder *rb, uint32_t sreg, int set)
{
	struct nftnl_expr *e = rule_expr_new(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, fw_set_name(set));
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	rule_expr_add(rb, e);
}

void e_mark_is(struct rule_builder *rb, uint32_t mask, uint32_t value)
{
	e_meta(rb, NFT_META_MARK, NFT_REG_1);
	e_and(rb, &mask, 4);
	e_cmp(rb, NFT_REG_1, NFT_CMP_EQ, &value, 4);
}

static void e_ct_get(struct rule_builder *rb, uint32_t key)
{
	struct nftnl_expr *e = rule_expr_new(rb, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	rule_expr_add(rb, e);
}

void e_ct_mark(struct rule_builder *rb, uint32_t op, uint32_t value)
{
	e_ct_get(rb, NFT_CT_MARK);
	e_cmp(rb, NFT_REG_1, op, &value, 4);
}

void e_ct_mark_set(struct rule_builder *rb, uint32_t value)
{
	struct nftnl_expr *e = rule_expr_new(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &value, 4);
	rule_expr_add(rb, e);
	if (!(e = rule_expr_new(rb, "ct")))
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	rule_expr_add(rb, e);
}

void e_ct_original(struct rule_builder *rb)
{
	e_ct_get(rb, NFT_CT_DIRECTION);
	e_cmp8(rb, NFT_REG_1, NFT_CMP_EQ, 0);      /* IP_CT_DIR_ORIGINAL */
}

void e_queue(struct rule_builder *rb, uint16_t num)
{
	struct nftnl_expr *e = rule_expr_new(rb, "target");
	/* libnftnl keeps (and later frees) the pointer it is given */
	struct xt_NFQ_info_v3 *info = e ? calloc(1, sizeof *info) : NULL;

	if (!info) {
		if (e)
			nftnl_expr_free(e);
		rb->failed = true;
		return;
	}
	info->queuenum = num;
	info->queues_total = 1;
	info->flags = 0;            /* no NFQ_FLAG_BYPASS: nobody listening drops (fail closed) */
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof *info);
	rule_expr_add(rb, e);
}
