/* The only code that talks netlink (NETLINK_NETFILTER via libmnl).
 *
 * Batches are sent in one sendmsg (all pages as iovecs, so the kernel applies
 * them as one transaction); every message carries NLM_F_ACK and exactly one
 * NLMSG_ERROR per message is collected (libmnl's mnl_cb_run would stop at
 * the first ACK of a multi-message buffer).  The first kernel error wins and
 * is reported with the label of the message that caused it.
 */
#ifndef FW_NL_H
#define FW_NL_H

#include <stdint.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "firewall/batch.h"
#include "common/error.h"

/* Cleanup attributes for the library objects (common/util.h's habit): a
 * function that owns one declares it with the attribute, NULL-initialised,
 * and hands it on with steal_pointer().  libnftnl's free functions do not
 * accept NULL, hence the checks. */
static inline void nl_table_freep(struct nftnl_table **t) { if (*t) nftnl_table_free(*t); }
static inline void nl_chain_freep(struct nftnl_chain **c) { if (*c) nftnl_chain_free(*c); }
static inline void nl_set_freep(struct nftnl_set **s) { if (*s) nftnl_set_free(*s); }
static inline void nl_set_elem_freep(struct nftnl_set_elem **e) { if (*e) nftnl_set_elem_free(*e); }
static inline void nl_set_elems_iter_freep(struct nftnl_set_elems_iter **it)
{
	if (*it)
		nftnl_set_elems_iter_destroy(*it);
}
static inline void nl_rule_freep(struct nftnl_rule **r) { if (*r) nftnl_rule_free(*r); }
static inline void nl_expr_freep(struct nftnl_expr **e) { if (*e) nftnl_expr_free(*e); }
static inline void nl_batch_freep(struct nftnl_batch **b) { if (*b) nftnl_batch_free(*b); }
static inline void nl_mnl_socket_closep(struct mnl_socket **s) { if (*s) mnl_socket_close(*s); }

#define cleanup_nftnl_table __attribute__((cleanup(nl_table_freep)))
#define cleanup_nftnl_chain __attribute__((cleanup(nl_chain_freep)))
#define cleanup_nftnl_set __attribute__((cleanup(nl_set_freep)))
#define cleanup_nftnl_set_elem __attribute__((cleanup(nl_set_elem_freep)))
#define cleanup_nftnl_set_elems_iter __attribute__((cleanup(nl_set_elems_iter_freep)))
#define cleanup_nftnl_rule __attribute__((cleanup(nl_rule_freep)))
#define cleanup_nftnl_expr __attribute__((cleanup(nl_expr_freep)))
#define cleanup_nftnl_batch __attribute__((cleanup(nl_batch_freep)))
#define cleanup_mnl_socket __attribute__((cleanup(nl_mnl_socket_closep)))

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;               /* next sequence number to use */
};

/* Open and bind a netfilter netlink socket (asks for capped, extended ACKs). */
int nl_open(struct nl *nl, struct cs_err *err);
/* Idempotent; safe on a zeroed struct nl. */
void nl_close(struct nl *nl);

static inline void nl_closep(struct nl *nl) { nl_close(nl); }
/* A socket owned by a scope: declare the struct nl zeroed. */
#define cleanup_nl __attribute__((cleanup(nl_closep)))

/* Send FB (finished with fw_batch_finish) and collect its ACKs.  Returns 0,
 * or -1 with ERR = "kernel refused <label>: <errno text>[: <extack>]" and
 * errnum = the kernel's errno.  Advances nl->seq past the batch. */
int nl_send_batch(struct nl *nl, struct fw_batch *fb, struct cs_err *err);

/* Called for each element of blocked4/blocked6. */
typedef void (*nl_blocked_cb)(void *ctx, int family, const unsigned char *addr, uint8_t proto,
			      uint16_t port, uint64_t packets);

/* Dump blocked4 and blocked6 of TABLE.  Returns 0 or -1 with ERR. */
int nl_dump_blocked(struct nl *nl, const char *table, nl_blocked_cb cb, void *ctx,
		    struct cs_err *err);

/* Called for each element of an allow set: address and ms left (0 if none). */
typedef void (*nl_elem_cb)(void *ctx, int family, const unsigned char *addr, uint64_t expires_ms);

/* Dump SET (allow4 / allow6) of TABLE. */
int nl_dump_allow(struct nl *nl, const char *table, const char *set, nl_elem_cb cb, void *ctx,
		  struct cs_err *err);

#endif
