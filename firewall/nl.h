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

#include "firewall/ruleset.h"
#include "common/error.h"

struct mnl_socket;

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;               /* next sequence number to use */
};

/* Open and bind a netfilter netlink socket (asks for capped, extended ACKs). */
int nl_open(struct nl *nl, struct cs_err *err);
void nl_close(struct nl *nl);

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
