#include "firewall/table.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

void fw_table_hint(struct cs_err *err)
{
	if (err->errnum == EPERM || err->errnum == EACCES)
		cs_hint(err, "run codex-firewall as uid 0 with CAP_NET_ADMIN in the sandbox's network "
			     "namespace (Docker: User 0, CapAdd NET_ADMIN)");
	else if (strstr(err->msg, "queue"))       /* rules F5/F6 (firewall/ruleset.h) */
		cs_hint(err, "the kernel lacks xtables' NFQUEUE through nft_compat (nft_compat, "
			     "xt_NFQUEUE, nfnetlink_queue), which the first-bytes check needs; "
			     "codex-firewall serve --flow-check off runs without it");
	else if (err->errnum == ENOENT || err->errnum == EOPNOTSUPP || err->errnum == EAFNOSUPPORT)
		cs_hint(err, "the kernel lacks an nf_tables feature this ruleset needs "
			     "(nf_tables, nft_ct, nft_reject_inet, nft_dynset)");
	else
		cs_hint(err, "run 'codex-firewall check' in the same namespace to diagnose");
}

int fw_table_load(struct nl *nl, const struct fw_ruleset_cfg *rc, struct cs_err *err)
{
	struct fw_batch fb cleanup_fw_batch = { 0 };

	if (fw_batch_init(&fb, nl->seq, err) < 0)
		return -1;
	if (ruleset_build(&fb, rc, err) == 0 && fw_batch_finish(&fb, err) == 0 &&
	    nl_send_batch(nl, &fb, err) == 0)
		return 0;
	cs_wrap(err, "loading the nftables ruleset (table inet %s)", rc->table);
	fw_table_hint(err);
	return -1;
}

void fw_table_delete(struct nl *nl, const char *table)
{
	struct cs_err tmp = { 0 };
	struct fw_batch fb cleanup_fw_batch = { 0 };

	if (fw_batch_init(&fb, nl->seq, &tmp) == 0 && ruleset_delete_table(&fb, table, &tmp) == 0 &&
	    fw_batch_finish(&fb, &tmp) == 0)
		nl_send_batch(nl, &fb, &tmp);
}

int fw_table_insert(void *ctx, const struct fw_elem *e4, size_t n4, const struct fw_elem *e6,
		    size_t n6, struct cs_err *err)
{
	struct nl *nl = ctx;
	struct fw_batch fb cleanup_fw_batch = { 0 };
	bool ok = fw_batch_init(&fb, nl->seq, err) == 0 &&
		  (!n4 || sets_add_elems(&fb, FW_TABLE, "allow4", AF_INET, e4, n4, err) == 0) &&
		  (!n6 || sets_add_elems(&fb, FW_TABLE, "allow6", AF_INET6, e6, n6, err) == 0) &&
		  fw_batch_finish(&fb, err) == 0 && nl_send_batch(nl, &fb, err) == 0;

	return ok ? 0 : -1;
}
