#include "firewall/ruleset.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "firewall/nfq.h"
#include "firewall/nl.h"
#include "firewall/rule.h"
#include "firewall/sets.h"
#include "common/util.h"

/* ---- the table and its chains ---------------------------------------- */

static int put_table(struct fw_batch *fb, const char *table, uint16_t type, const char *label,
		     struct cs_err *err)
{
	struct nftnl_table *t cleanup_nftnl_table = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return fw_batch_oom(err);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = fw_batch_msg_begin(fb, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, label, err);
	if (!nlh)
		return -1;
	nftnl_table_nlmsg_build_payload(nlh, t);
	return fw_batch_msg_end(fb, err);
}

static int put_chain(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, const char *name,
		     bool base, struct cs_err *err)
{
	struct nftnl_chain *c cleanup_nftnl_chain = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char label[FW_LABEL_MAX];

	if (!c)
		return fw_batch_oom(err);
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
	nlh = fw_batch_msg_begin(fb, NFT_MSG_NEWCHAIN, NLM_F_CREATE, label, err);
	if (!nlh)
		return -1;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	return fw_batch_msg_end(fb, err);
}

/* ---- the chains ------------------------------------------------------ */

/* DREG = 0 (four bytes) */
static void e_zero(struct rule_builder *rb, uint32_t dreg)
{
	struct nftnl_expr *e = rule_expr_new(rb, "immediate");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &zero, 4);
	rule_expr_add(rb, e);
}

/* add @SET { the key at REG32_00.. counter } */
static void e_record(struct rule_builder *rb, int set)
{
	struct nftnl_expr *e cleanup_nftnl_expr = rule_expr_new(rb, "dynset");
	struct nftnl_expr *cnt = e ? rule_expr_new(rb, "counter") : NULL;

	if (!cnt)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, fw_set_name(set));
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, (uint32_t)set);
	nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, cnt, 0);      /* e owns the counter now */
	rule_expr_add(rb, steal_pointer(&e));
}

static int record_rules(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	/* Key registers: daddr at REG32_00.., then l4proto and dport in the
	 * next 32-bit registers (each value zero-padded to 4 bytes). */
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;
		uint32_t rp = fam ? NFT_REG32_04 : NFT_REG32_01, rport = rp + 1;
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, 0 };

		for (size_t k = 0; k < sizeof protos; k++) {
			struct rule_builder rb cleanup_rule_builder = { 0 };
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
				e_cmp8(&rb, rp, NFT_CMP_NEQ, IPPROTO_TCP);
				e_cmp8(&rb, rp, NFT_CMP_NEQ, IPPROTO_UDP);
				e_zero(&rb, rport);
			}
			e_daddr(&rb, family, NFT_REG32_00);
			e_record(&rb, fam ? SET_BLOCKED6 : SET_BLOCKED4);
			snprintf(label, sizeof label, "rule record (ipv%d %s)", fam ? 6 : 4,
				 protos[k] == IPPROTO_TCP ? "tcp" : protos[k] == IPPROTO_UDP ? "udp" : "other");
			if (rule_put(fb, cfg->table, "record", &rb, label, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* One rule of CHAIN (a variable in scope) whose expressions BODY appends
 * to the builder rb. */
#define RULE(label_, body_) do { \
	struct rule_builder rb cleanup_rule_builder = { 0 }; \
	if (rule_begin(&rb, err) < 0) \
		return -1; \
	body_; \
	if (rule_put(fb, cfg->table, chain, &rb, label_, err) < 0) \
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

/* reject with tcp reset (the flow check's own spelling) */
static void e_reset(struct rule_builder *rb)
{
	e_reject(rb, NFT_REJECT_TCP_RST, 0);
}

/* F0-F6 (firewall/ruleset.h): the verdict of the first-bytes judge comes
 * back as the packet mark of a repeated packet (NF_REPEAT) and becomes the
 * connection's mark.  A new flow to port 80 or 443 of a DNS-learned address
 * (not an explicit entry) is marked pending and queued, and stays queued by
 * its mark until the verdict, even if the address's element expires
 * meanwhile (its first bytes are judged all the same).  Only CAP_NET_ADMIN sets a packet mark (SO_MARK), which the
 * sandbox never has. */
static int flow_rules(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	const char *chain = "output";
	static const uint16_t ports[] = { 443, 80 };
	uint32_t no = NFQ_MARK_NO, pending = NFQ_CT_PENDING;
	uint32_t est_rel = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);

	/* FS: a SYN opens a new flow even on an old conntrack entry (conntrack
	 * takes a new handshake on it), whose ok mark F0 would otherwise honour:
	 * judged afresh, whatever its ct state */
	for (int fam = 0; fam < 2; fam++)
		for (size_t k = 0; k < sizeof ports / sizeof ports[0]; k++)
			RULE(fam ? "rule FS ipv6 SYN to a DNS-learned address: pending, queue" :
			     "rule FS ipv4 SYN to a DNS-learned address: pending, queue",
			     e_nfproto(&rb, fam ? AF_INET6 : AF_INET);
			     e_l4(&rb, IPPROTO_TCP, ports[k]); e_tcp_syn_only(&rb);
			     e_daddr(&rb, fam ? AF_INET6 : AF_INET, NFT_REG_1);
			     e_lookup(&rb, NFT_REG_1, fam ? SET_ALLOW6 : SET_ALLOW4);
			     e_lookup_not(&rb, NFT_REG_1, !fam ? SET_ALLOW4_NET : SET_ALLOW6_NET);
			     e_ct_mark_set(&rb, pending); e_queue(&rb, cfg->queue_num));
	/* the fast path next: a judged (or never judged) flow's packets leave
	 * here, so F1-F6 cost a flow's first packets only */
	RULE("rule F0 ct established,related, not pending or refused: accept",
	     e_ct_state(&rb, est_rel);
	     e_ct_mark(&rb, NFT_CMP_NEQ, NFQ_CT_PENDING); e_cmp(&rb, NFT_REG_1, NFT_CMP_NEQ, &no, 4);
	     e_verdict(&rb, NF_ACCEPT, NULL));
	RULE("rule F1 judged ok: ct mark set ok accept",
	     e_mark_is(&rb, NFQ_MARK_MASK, NFQ_MARK_OK); e_ct_mark_set(&rb, NFQ_MARK_OK);
	     e_verdict(&rb, NF_ACCEPT, NULL));
	/* a late no (a packet the judge no longer knew) never overrides an ok;
	 * not recorded in the blocked sets: the judge reported the flow with its
	 * name and reason (parent_nfq.c), a second "conn" report would count it
	 * twice.  F3 resets it. */
	RULE("rule F2 judged no, still pending: ct mark set no",
	     e_mark_is(&rb, NFQ_MARK_MASK, NFQ_MARK_NO); e_ct_mark(&rb, NFT_CMP_EQ, NFQ_CT_PENDING);
	     e_ct_mark_set(&rb, NFQ_MARK_NO));
	RULE("rule F3 judged no, not ok: reset",
	     e_mark_is(&rb, NFQ_MARK_MASK, NFQ_MARK_NO);
	     e_ct_mark(&rb, NFT_CMP_NEQ, NFQ_MARK_OK); e_reset(&rb));
	RULE("rule F4 refused flow: reset",
	     e_ct_original(&rb); e_ct_mark(&rb, NFT_CMP_EQ, NFQ_MARK_NO);
	     e_meta(&rb, NFT_META_L4PROTO, NFT_REG_1); e_cmp8(&rb, NFT_REG_1, NFT_CMP_EQ, IPPROTO_TCP);
	     e_reset(&rb));
	RULE("rule F5 flow waiting for its verdict: queue",
	     e_ct_original(&rb); e_ct_mark(&rb, NFT_CMP_EQ, NFQ_CT_PENDING); e_queue(&rb, cfg->queue_num));
	for (int fam = 0; fam < 2; fam++)
		for (size_t k = 0; k < sizeof ports / sizeof ports[0]; k++)
			RULE(fam ? "rule F6 ipv6 new flow to a DNS-learned address: pending, queue" :
			     "rule F6 ipv4 new flow to a DNS-learned address: pending, queue",
			     e_nfproto(&rb, fam ? AF_INET6 : AF_INET);
			     e_l4(&rb, IPPROTO_TCP, ports[k]);
			     e_ct_original(&rb); e_ct_state(&rb, NF_CT_STATE_BIT(IP_CT_NEW));
			     e_daddr(&rb, fam ? AF_INET6 : AF_INET, NFT_REG_1);
			     e_lookup(&rb, NFT_REG_1, fam ? SET_ALLOW6 : SET_ALLOW4);
			     e_lookup_not(&rb, NFT_REG_1, fam ? SET_ALLOW6_NET : SET_ALLOW4_NET);
			     e_ct_mark_set(&rb, NFQ_CT_PENDING);
			     e_queue(&rb, cfg->queue_num));
	return 0;
}

/* Q (firewall/ruleset.h): QUIC carries its name encrypted in the first
 * packet, so it cannot be judged here; refused to DNS-learned addresses so
 * clients fall back to TCP.  Explicit entries keep UDP 443. */
static int quic_rules(struct fw_batch *fb, const struct fw_ruleset_cfg *cfg, struct cs_err *err)
{
	const char *chain = "output";

	for (int fam = 0; fam < 2; fam++) {
		int learned = fam ? SET_ALLOW6 : SET_ALLOW4, listed = fam ? SET_ALLOW6_NET : SET_ALLOW4_NET;

		RULE(fam ? "rule Q ipv6 quic to a DNS-learned address: refused" :
		     "rule Q ipv4 quic to a DNS-learned address: refused",
		     e_nfproto(&rb, fam ? AF_INET6 : AF_INET);
		     e_l4(&rb, IPPROTO_UDP, 443);
		     e_daddr(&rb, fam ? AF_INET6 : AF_INET, NFT_REG_1);
		     e_lookup(&rb, NFT_REG_1, learned);
		     e_lookup_not(&rb, NFT_REG_1, listed); e_verdict(&rb, NFT_GOTO, "dns_reject"));
	}
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
	if (cfg->flow_check && flow_rules(fb, cfg, err) < 0)
		return -1;
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
	if (cfg->flow_check && quic_rules(fb, cfg, err) < 0)
		return -1;
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
	if (sets_put_all(fb, cfg->table, cfg->set_size, cfg->blocked_size, cfg->default_timeout_ms,
			 err) < 0 ||
	    sets_put_explicit(fb, cfg->table, cfg->al, err) < 0)
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

int ruleset_delete_table(struct fw_batch *fb, const char *table, struct cs_err *err)
{
	if (put_table(fb, table, NFT_MSG_NEWTABLE, "table (create)", err) < 0 ||
	    put_table(fb, table, NFT_MSG_DELTABLE, "table (delete)", err) < 0)
		return -1;
	return 0;
}
