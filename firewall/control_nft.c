/* The control channel's two kernel changes (firewall/control.h's seams),
 * each one netlink batch, so one transaction: replacing the explicit
 * IP/CIDR intervals, and removing one DNS-learned element. */
#include "firewall/control_nft.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "firewall/control_apply.h"
#include "firewall/nl.h"
#include "firewall/ruleset.h"
#include "firewall/sets.h"

/* One DELSETELEM for SET of FW_TABLE: without elements it flushes the set. */
static int del_elems(struct fw_batch *fb, const char *set, const uint8_t *key, uint32_t klen,
		     struct cs_err *err)
{
	struct nftnl_set *s cleanup_nftnl_set = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s)
		return fw_batch_oom(err);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (key) {
		struct nftnl_set_elem *el = nftnl_set_elem_alloc();

		if (!el)
			return fw_batch_oom(err);
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, klen);
		nftnl_set_elem_add(s, el);
	}
	nlh = fw_batch_msg_begin(fb, NFT_MSG_DELSETELEM, 0, key ? "an element" : "flushing a set", err);
	if (!nlh)
		return -1;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return fw_batch_msg_end(fb, err);
}

static int ctl_set_net(void *ctx, const struct allowlist *al, struct cs_err *err)
{
	struct nl *nl = ctx;
	struct fw_batch fb cleanup_fw_batch = { 0 };
	bool ok = fw_batch_init(&fb, nl->seq, err) == 0 &&
		  del_elems(&fb, fw_set_name(SET_ALLOW4_NET), NULL, 0, err) == 0 &&
		  del_elems(&fb, fw_set_name(SET_ALLOW6_NET), NULL, 0, err) == 0 &&
		  sets_put_explicit(&fb, FW_TABLE, al, err) == 0 &&
		  fw_batch_finish(&fb, err) == 0 && nl_send_batch(nl, &fb, err) == 0;

	return ok ? 0 : -1;
}

static int ctl_drop(void *ctx, int family, const uint8_t *addr, struct cs_err *err)
{
	struct nl *nl = ctx;
	struct fw_batch fb cleanup_fw_batch = { 0 };
	bool v4 = family == AF_INET;
	bool ok = fw_batch_init(&fb, nl->seq, err) == 0 &&
		  del_elems(&fb, fw_set_name(v4 ? SET_ALLOW4 : SET_ALLOW6), addr, v4 ? 4 : 16, err) == 0 &&
		  fw_batch_finish(&fb, err) == 0 && nl_send_batch(nl, &fb, err) == 0;

	if (!ok && err->errnum == ENOENT) {
		*err = (struct cs_err){ 0 };    /* it expired meanwhile */
		return 0;
	}
	return ok ? 0 : -1;
}

int fw_control_start(struct fw_control *c, struct fw_parent *pp, struct nl *nl, const char *path,
		     struct cs_err *err)
{
	if (!path)
		return 0;
	if (fw_control_open(c, path, err) < 0)
		return -1;
	c->set_net = ctl_set_net;
	c->drop = ctl_drop;
	c->ctx = nl;
	c->apply = fw_control_apply;
	c->apply_arg = pp;
	return 0;
}
