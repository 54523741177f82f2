#include "firewall/sets.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "firewall/nl.h"
#include "common/util.h"

/* nftables' datatype numbers (src/datatype.h), for `nft list` readability. */
enum { TYPE_IPADDR = 7, TYPE_IP6ADDR = 8, TYPE_INET_PROTO = 12, TYPE_INET_SERVICE = 13 };
#define CONCAT_TYPE(a, b, c) ((a) << 12 | (b) << 6 | (c))

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

const char *fw_set_name(int id)
{
	return set_info[id].name;
}

/* A set object naming set ID of TABLE (family inet), or NULL. */
static struct nftnl_set *set_new(const char *table, const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	return s;
}

/* One message of TYPE carrying S (the set, or its elements). */
static int put_set_msg(struct fw_batch *fb, uint16_t type, struct nftnl_set *s, const char *label,
		       struct cs_err *err)
{
	struct nlmsghdr *nlh = fw_batch_msg_begin(fb, type, NLM_F_CREATE, label, err);

	if (!nlh)
		return -1;
	if (type == NFT_MSG_NEWSET)
		nftnl_set_nlmsg_build_payload(nlh, s);
	else
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return fw_batch_msg_end(fb, err);
}

static int put_set(struct fw_batch *fb, const char *table, int id, uint32_t allow_size,
		   uint32_t blocked_size, uint64_t default_timeout_ms, struct cs_err *err)
{
	struct nftnl_set *s cleanup_nftnl_set = set_new(table, set_info[id].name, (uint32_t)id);
	bool v4 = set_info[id].family == AF_INET;
	char label[FW_LABEL_MAX];

	if (!s)
		return fw_batch_oom(err);
	switch (id) {
	case SET_ALLOW4:
	case SET_ALLOW6:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, allow_size);
		/* A re-add without a timeout would make an element permanent
		 * (DOCKER-NFT-NOTES §3.3): the default is a safety net. */
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, default_timeout_ms);
		break;
	case SET_ALLOW4_NET:
	case SET_ALLOW6_NET:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
		break;
	default:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_EVAL);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, blocked_size);
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
	return put_set_msg(fb, NFT_MSG_NEWSET, s, label, err);
}

int sets_put_all(struct fw_batch *fb, const char *table, uint32_t allow_size, uint32_t blocked_size,
		 uint64_t default_timeout_ms, struct cs_err *err)
{
	for (int id = SET_ALLOW4; id <= SET_BLOCKED6; id++)
		if (put_set(fb, table, id, allow_size, blocked_size, default_timeout_ms, err) < 0)
			return -1;
	return 0;
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

/* The entries of AL in FAMILY as inclusive ranges, into SP; returns how many. */
static size_t collect_spans(const struct allowlist *al, int family, struct span *sp)
{
	int alen = family == AF_INET ? 4 : 16;
	size_t n = 0;

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
	return n;
}

/* Sort SP and merge overlapping and adjacent ranges; returns how many are
 * left (N > 0).  The kernel refuses overlapping intervals. */
static size_t merge_spans(struct span *sp, size_t n, int alen)
{
	size_t m = 0;

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
	return m + 1;
}

/* Add KEY to S; END marks it as the end of an interval. */
static int add_key(struct nftnl_set *s, const unsigned char *key, int alen, bool end,
		   struct cs_err *err)
{
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();

	if (!el)
		return fw_batch_oom(err);
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, (uint32_t)alen);
	if (end)
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, el);
	return 0;
}

/* nft's encoding: [0 END] when the first range does not start at 0, then
 * per range its start and an END element at hi + 1 (none when hi is the
 * last address).  Chunked to stay under 64 KiB per message. */
static int put_spans(struct fw_batch *fb, const char *table, int id, const struct span *sp,
		     size_t n, struct cs_err *err)
{
	static const unsigned char zero[16];
	int alen = set_info[id].family == AF_INET ? 4 : 16;
	struct nftnl_set *s cleanup_nftnl_set = NULL;
	size_t in_msg = 0;
	char label[FW_LABEL_MAX];

	snprintf(label, sizeof label, "elements of %s", set_info[id].name);
	for (size_t i = 0; i < n; i++) {
		unsigned char end[16];

		if (!s) {
			if (!(s = set_new(table, set_info[id].name, (uint32_t)id)))
				return fw_batch_oom(err);
			in_msg = 0;
			if (i == 0 && memcmp(sp[0].lo, zero, (size_t)alen) != 0 &&
			    add_key(s, zero, alen, true, err) < 0)
				return -1;
		}
		if (add_key(s, sp[i].lo, alen, false, err) < 0)
			return -1;
		memcpy(end, sp[i].hi, 16);
		if (!inc(end, alen) && add_key(s, end, alen, true, err) < 0)
			return -1;
		if (++in_msg >= FW_ELEMS_PER_MSG / 2 || i + 1 == n) {
			struct nftnl_set *full cleanup_nftnl_set = steal_pointer(&s);

			if (put_set_msg(fb, NFT_MSG_NEWSETELEM, full, label, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int put_explicit(struct fw_batch *fb, const char *table, const struct allowlist *al, int id,
			struct cs_err *err)
{
	int family = set_info[id].family;
	struct span *sp cleanup_free = NULL;
	size_t n;

	if (!al || al->n == 0)
		return 0;
	if (!(sp = calloc(al->n, sizeof *sp)))
		return fw_batch_oom(err);
	n = collect_spans(al, family, sp);
	if (n == 0)
		return 0;
	n = merge_spans(sp, n, family == AF_INET ? 4 : 16);
	return put_spans(fb, table, id, sp, n, err);
}

int sets_put_explicit(struct fw_batch *fb, const char *table, const struct allowlist *al,
		      struct cs_err *err)
{
	if (put_explicit(fb, table, al, SET_ALLOW4_NET, err) < 0 ||
	    put_explicit(fb, table, al, SET_ALLOW6_NET, err) < 0)
		return -1;
	return 0;
}

/* ---- DNS-fed elements ----------------------------------------------- */

int sets_add_elems(struct fw_batch *fb, const char *table, const char *set, int family,
		   const struct fw_elem *e, size_t n, struct cs_err *err)
{
	uint32_t alen = family == AF_INET ? 4 : 16;
	char label[FW_LABEL_MAX];

	snprintf(label, sizeof label, "elements of %s", set);
	for (size_t i = 0; i < n;) {
		struct nftnl_set *s cleanup_nftnl_set = set_new(table, set, 0);

		if (!s)
			return fw_batch_oom(err);
		for (size_t k = 0; k < FW_ELEMS_PER_MSG && i < n; k++, i++) {
			struct nftnl_set_elem *el = nftnl_set_elem_alloc();

			if (!el)
				return fw_batch_oom(err);
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e[i].addr, alen);
			nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, e[i].timeout_ms);
			nftnl_set_elem_add(s, el);
		}
		if (put_set_msg(fb, NFT_MSG_NEWSETELEM, s, label, err) < 0)
			return -1;
	}
	return 0;
}
