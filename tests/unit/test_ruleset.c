/* Build the whole batch and parse it back with libnftnl (no socket, no root),
 * the way libnftnl's own tests round-trip expressions. */
#include <arpa/inet.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "tap.h"
#include "firewall/ruleset.h"

struct seen {
	int tables_new, tables_del, sets, chains, batch_begin, batch_end;
	int rules_output, rules_record, rules_dns_reject;
	int elem_msgs, interval_elems[2], end_elems[2];
	size_t max_msg;
	char first_output_expr[32], last_output_expr[32], last_output_label[64];
	uint32_t policy, hook;
	int32_t prio;
	uint32_t set_flags[8], set_keylen[8], set_size[8];
	char set_names[8][32];
	int n_sets;
	int lookups_with_id, jumps;
	uint64_t elem_timeout_sum;
	int elems_total;
	uint32_t seqs_ok;
	uint32_t last_seq;
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct seen *s = data;
	const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (strcmp(n, "lookup") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET_ID))
		s->lookups_with_id++;
	if (strcmp(n, "immediate") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
		s->jumps++;
	return 0;
}

static int first_cb(struct nftnl_expr *e, void *data)
{
	char *out = data;

	if (!out[0])
		snprintf(out, 32, "%s", nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	return 0;
}

static int last_cb(struct nftnl_expr *e, void *data)
{
	snprintf(data, 32, "%s", nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	return 0;
}

static void parse_msg(const struct nlmsghdr *nlh, struct seen *s, const struct fw_batch *fb)
{
	int type = nlh->nlmsg_type;
	char tmp[64];

	if (nlh->nlmsg_len > s->max_msg)
		s->max_msg = nlh->nlmsg_len;
	if (type == NFNL_MSG_BATCH_BEGIN) {
		s->batch_begin++;
		return;
	}
	if (type == NFNL_MSG_BATCH_END) {
		s->batch_end++;
		return;
	}
	if ((type >> 8) != NFNL_SUBSYS_NFTABLES)
		return;
	if (nlh->nlmsg_flags & NLM_F_ACK)
		s->seqs_ok += nlh->nlmsg_seq == s->last_seq + 1 || s->last_seq == 0;
	s->last_seq = nlh->nlmsg_seq;
	switch (type & 0xff) {
	case NFT_MSG_NEWTABLE: s->tables_new++; break;
	case NFT_MSG_DELTABLE: s->tables_del++; break;
	case NFT_MSG_NEWSET: {
		struct nftnl_set *st = nftnl_set_alloc();

		nftnl_set_nlmsg_parse(nlh, st);
		int i = s->n_sets++;
		snprintf(s->set_names[i], 32, "%s", nftnl_set_get_str(st, NFTNL_SET_NAME));
		s->set_flags[i] = nftnl_set_get_u32(st, NFTNL_SET_FLAGS);
		s->set_keylen[i] = nftnl_set_get_u32(st, NFTNL_SET_KEY_LEN);
		s->set_size[i] = nftnl_set_is_set(st, NFTNL_SET_DESC_SIZE) ?
			nftnl_set_get_u32(st, NFTNL_SET_DESC_SIZE) : 0;
		nftnl_set_free(st);
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		nftnl_chain_nlmsg_parse(nlh, c);
		s->chains++;
		if (strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "output") == 0) {
			s->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
			s->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
			s->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		}
		nftnl_chain_free(c);
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();
		const char *chain;

		nftnl_rule_nlmsg_parse(nlh, r);
		chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
		nftnl_expr_foreach(r, expr_cb, s);
		if (strcmp(chain, "output") == 0) {
			if (s->rules_output++ == 0)
				nftnl_expr_foreach(r, first_cb, s->first_output_expr);
			nftnl_expr_foreach(r, last_cb, s->last_output_expr);
			snprintf(s->last_output_label, sizeof s->last_output_label, "%s",
				 fw_batch_label(fb, nlh->nlmsg_seq, tmp, sizeof tmp));
		} else if (strcmp(chain, "record") == 0) {
			s->rules_record++;
		} else if (strcmp(chain, "dns_reject") == 0) {
			s->rules_dns_reject++;
		}
		nftnl_rule_free(r);
		break;
	}
	case NFT_MSG_NEWSETELEM: {
		/* libnftnl numbers the nested elements 1..n when building but
		 * only parses type NFTA_LIST_ELEM (kernel dumps), so walk the
		 * attributes with libmnl. */
		const struct nlattr *a, *list = NULL, *el, *f;
		const char *name = "";
		int v6;

		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		}
		v6 = strchr(name, '6') != NULL;
		s->elem_msgs++;
		if (!list)
			break;
		mnl_attr_for_each_nested(el, list) {
			s->elems_total++;
			mnl_attr_for_each_nested(f, el) {
				if (mnl_attr_get_type(f) == NFTA_SET_ELEM_TIMEOUT)
					s->elem_timeout_sum += be64toh(mnl_attr_get_u64(f));
				if (strstr(name, "_net") && mnl_attr_get_type(f) == NFTA_SET_ELEM_KEY)
					s->interval_elems[v6]++;
				if (strstr(name, "_net") && mnl_attr_get_type(f) == NFTA_SET_ELEM_FLAGS &&
				    (ntohl(mnl_attr_get_u32(f)) & NFT_SET_ELEM_INTERVAL_END))
					s->end_elems[v6]++;
			}
		}
		break;
	}
	}
}

static void walk(const struct fw_batch *fb, struct seen *s)
{
	int n = nftnl_batch_iovec_len(fb->b);
	struct iovec *iov = calloc((size_t)n, sizeof *iov);

	memset(s, 0, sizeof *s);
	nftnl_batch_iovec(fb->b, iov, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		int len = (int)iov[i].iov_len;
		const struct nlmsghdr *nlh = iov[i].iov_base;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			parse_msg(nlh, s, fb);
	}
	free(iov);
}

static int set_index(const struct seen *s, const char *name)
{
	for (int i = 0; i < s->n_sets; i++)
		if (strcmp(s->set_names[i], name) == 0)
			return i;
	return -1;
}

static void test_full(void)
{
	struct allowlist al;
	struct cs_err err = {0};
	struct fw_batch fb;
	struct seen s;
	struct fw_upstream up[2] = {
		{ AF_INET, {192, 0, 2, 53}, 53 },
		{ AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 0x53}, 5353 },
	};
	struct fw_ruleset_cfg cfg = { .table = FW_TABLE, .al = &al, .dns_uid = 65353, .up = up,
		.n_up = 2, .set_size = 65536, .blocked_size = 4096, .default_timeout_ms = 90000000 };
	int i;

	allowlist_init(&al);
	/* 10.0.0.0/8 swallows 10.1.2.3; 192.0.2.0/25 + 192.0.2.128/25 are
	 * adjacent and merge; 255.255.255.255 has no end element. */
	allowlist_add_text(&al, "github.com *.example.org 10.0.0.0/8 10.1.2.3 192.0.2.0/25 "
			   "192.0.2.128/25 255.255.255.255 2001:db8::/32 2001:db8:5::1", "t", &err);
	ok(fw_batch_init(&fb, 100, &err) == 0, "batch init");
	ok(ruleset_build(&fb, &cfg, &err) == 0, "ruleset built: %s", err.msg);
	ok(fw_batch_finish(&fb, &err) == 0, "batch finished");
	walk(&fb, &s);
	is_int(s.batch_begin, 1, "one batch begin");
	is_int(s.batch_end, 1, "one batch end");
	is_int(s.tables_new, 2, "NEWTABLE twice (reset idiom)");
	is_int(s.tables_del, 1, "DELTABLE once");
	is_int(s.n_sets, 6, "six sets");
	is_int(s.chains, 3, "three chains");
	is_int(s.policy, NF_DROP, "output policy drop");
	is_int(s.hook, NF_INET_LOCAL_OUT, "output hook");
	is_int(s.prio, 0, "priority 0");
	is_int(s.rules_output, (int)ruleset_output_rule_count(2), "output rule count");
	is_int(s.rules_record, 6, "record rules (v4/v6 x tcp/udp/other)");
	is_int(s.rules_dns_reject, 2, "dns_reject rules");
	ok(strcmp(s.first_output_expr, "ct") == 0, "first output rule is ct state (%s)", s.first_output_expr);
	ok(strcmp(s.last_output_expr, "reject") == 0, "last output rule rejects (%s)", s.last_output_expr);
	ok(strstr(s.last_output_label, "icmpx admin-prohibited") != NULL, "last label: %s", s.last_output_label);
	is_int(s.lookups_with_id, 4, "every set lookup carries the set id");
	is_int(s.jumps, 4 + 2, "jumps/gotos to regular chains (4 dns goto, 2 jump record)");
	is_int(s.seqs_ok, fb.n_msgs, "sequence numbers consecutive");
	ok(fb.n_msgs > 0 && fb.labels != NULL, "labels recorded (%zu messages)", fb.n_msgs);

	i = set_index(&s, "allow4");
	ok(i >= 0 && s.set_flags[i] == NFT_SET_TIMEOUT, "allow4 flags timeout");
	ok(i >= 0 && s.set_keylen[i] == 4 && s.set_size[i] == 65536, "allow4 key 4, size");
	i = set_index(&s, "allow6");
	ok(i >= 0 && s.set_flags[i] == NFT_SET_TIMEOUT && s.set_keylen[i] == 16, "allow6");
	i = set_index(&s, "allow4_net");
	ok(i >= 0 && s.set_flags[i] == NFT_SET_INTERVAL, "allow4_net interval");
	i = set_index(&s, "blocked4");
	ok(i >= 0 && s.set_flags[i] == NFT_SET_EVAL && s.set_keylen[i] == 12 && s.set_size[i] == 4096,
	   "blocked4 dynamic, concat key 12, bounded");
	i = set_index(&s, "blocked6");
	ok(i >= 0 && s.set_keylen[i] == 24, "blocked6 key 24");
	/* v4: [0 end] 10.0.0.0 [11.0.0.0 end] 192.0.2.0 [192.0.3.0 end] 255.255.255.255 */
	is_int(s.interval_elems[0], 6, "v4 interval elements after merging");
	is_int(s.end_elems[0], 3, "v4 end elements");
	/* v6: [:: end] 2001:db8:: [2001:db9:: end] (the /128 is inside) */
	is_int(s.interval_elems[1], 3, "v6 interval elements");
	is_int(s.end_elems[1], 2, "v6 end elements");
	fw_batch_free(&fb);

	cfg.delete_after = true;
	cfg.table = FW_CHECK_TABLE;
	fw_batch_init(&fb, 1, &err);
	ruleset_build(&fb, &cfg, &err);
	fw_batch_finish(&fb, &err);
	walk(&fb, &s);
	is_int(s.tables_del, 2, "check batch deletes its table at the end");
	fw_batch_free(&fb);
	allowlist_free(&al);
}

static void test_big(void)
{
	struct allowlist al;
	struct cs_err err = {0};
	struct fw_batch fb;
	struct seen s;
	struct fw_ruleset_cfg cfg = { .table = FW_TABLE, .al = &al, .dns_uid = 1, .set_size = 1024,
		.blocked_size = 16, .default_timeout_ms = 1000 };
	char text[64];
	struct fw_elem *el = calloc(1500, sizeof *el);

	allowlist_init(&al);
	for (int i = 0; i < 1200; i++) {
		snprintf(text, sizeof text, "10.%d.%d.0/24 host%d.example.com", i / 100, (i % 100) * 2, i);
		allowlist_add_text(&al, text, "t", &err);
	}
	is_int(al.n, 2400, "2400 entries");
	fw_batch_init(&fb, 1, &err);
	ok(ruleset_build(&fb, &cfg, &err) == 0, "big ruleset built");
	fw_batch_finish(&fb, &err);
	walk(&fb, &s);
	ok(s.max_msg < 65536, "every message < 64 KiB (max %zu)", s.max_msg);
	ok(s.elem_msgs >= 2, "interval elements split over %d messages", s.elem_msgs);
	fw_batch_free(&fb);

	for (int i = 0; i < 1500; i++) {
		el[i].addr[0] = 203;
		el[i].addr[2] = (unsigned char)(i >> 8);
		el[i].addr[3] = (unsigned char)i;
		el[i].timeout_ms = 1000;
	}
	fw_batch_init(&fb, 1, &err);
	ok(ruleset_add_elems(&fb, FW_TABLE, "allow4", AF_INET, el, 1500, &err) == 0, "1500 elements");
	fw_batch_finish(&fb, &err);
	walk(&fb, &s);
	is_int(s.elem_msgs, 3, "split into 3 NEWSETELEM messages");
	is_int(s.elems_total, 1500, "all elements present");
	is_int(s.elem_timeout_sum, 1500 * 1000, "each element has its timeout (ms)");
	ok(s.max_msg < 65536, "messages < 64 KiB (max %zu)", s.max_msg);
	fw_batch_free(&fb);
	free(el);
	allowlist_free(&al);
}

int main(void)
{
	plan(42);
	test_full();
	test_big();
	return tap_done();
}
