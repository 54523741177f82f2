/* The privileged parent: after startup it keeps CAP_NET_ADMIN and nothing
 * else, never parses DNS, and does one privileged act, inserting elements
 * into allow4/allow6.  It reads the DNS child's fixed-size messages
 * (firewall/privsep.h), re-checks every FW_OP_ALLOW itself (the name against
 * the allowlist, the address against the rebinding guard, the message's
 * shape: the child parses hostile packets and may be compromised), acks each
 * one, turns notes into EVENT lines and, at the end, prints the SUMMARY
 * lines (the protocol is in firewall/daemon.h).
 *
 * The insert is a seam: firewall/daemon.c passes fw_table_insert (one
 * netlink batch, firewall/table.h), the unit tests a recorder, so the
 * parent's checks run over a socketpair without root.
 */
#ifndef FW_PARENT_H
#define FW_PARENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "firewall/config.h"
#include "firewall/control.h"
#include "firewall/guard.h"
#include "firewall/nl.h"
#include "firewall/parent_conn.h"
#include "firewall/sets.h"
#include "firewall/tally.h"
#include "common/error.h"

/* Insert the checked IPv4 and IPv6 elements of one burst; 0, or -1 with ERR
 * (every one of them is then acked FW_ACK_FAILED). */
typedef int (*fw_insert_fn)(void *ctx, const struct fw_elem *e4, size_t n4,
			    const struct fw_elem *e6, size_t n6, struct cs_err *err);

/* What an EVENT line reports, for the rate limit. */
enum fw_ev_class {
	FW_EV_DNS,      /* dns-refused, dns-upstream-failed, rebind, insert-failed */
	FW_EV_CONN,     /* conn, quic-refused (firewall/parent_conn.c) */
	FW_EV_FLOW,     /* flow-refused (firewall/parent_nfq.c) */
	FW_EV_CLASSES
};

struct fw_parent {
	struct fw_config *cfg;
	struct guard guard;             /* the host's addresses and this namespace's gateways */
	struct nl nl;                   /* the privileged socket (fw_serve only; zeroed in tests) */
	int priv_fd, sig_fd;            /* the child's channel; signalfd (-1 in tests) */
	pid_t child;
	struct tally refused, rebind, upfail, names;
	struct addrmap amap;            /* what is in allow4/allow6, until when, and why */
	int64_t tok_ms;                 /* EVENT rate limit: tokens refilled each second, */
	int tokens[FW_EV_CLASSES];      /* one budget per class (a conn flood never hides a refusal) */
	uint64_t suppressed;            /* EVENT lines the limit swallowed */
	struct parent_conn conn;        /* live EVENT conn lines (firewall/parent_conn.h) */
	fw_insert_fn insert;
	void *insert_ctx;
	struct fw_control ctl;          /* the runner's channel (firewall/control.h) */
	struct fw_nfq *nfq;             /* the first-bytes check (firewall/parent_nfq.h), or NULL */
};

/* Set up PP for CFG (which must outlive it): the guard starts as CFG's
 * (the host's addresses), the tallies empty.  sig_fd, child and the socket
 * are left to the caller.  Returns 0 or -1 (ENOMEM; fw_parent_fini still
 * applies). */
int fw_parent_init(struct fw_parent *pp, struct fw_config *cfg, int priv_fd, fw_insert_fn insert,
		   void *ctx);
/* Frees the tallies; closes nothing. */
void fw_parent_fini(struct fw_parent *pp);

/* The EVENT rate limit: true when one more line of class CLS may be
 * written now.  Each class has its own budget per second, so blocked
 * connections the agent retries in a loop cannot starve the DNS refusals
 * or the first-bytes refusals (the lines that name what to allow). */
bool fw_parent_may_emit(struct fw_parent *pp, enum fw_ev_class cls);

/* Handle the messages waiting on priv_fd (at most one burst): notes become
 * EVENT lines on stdout, each FW_OP_ALLOW is re-checked and acked.  Returns
 * 0, or -1 when the child closed its end. */
int fw_parent_handle(struct fw_parent *pp);

/* Serve until SIGTERM/SIGINT (SUMMARY lines, BYE; returns 0) or until the
 * child is gone (EVENT fatal, SUMMARY lines; returns 1). */
int fw_parent_loop(struct fw_parent *pp);

/* Close the child's channel and wait for it to exit (it treats EOF as
 * "parent gone"), then kill it if it did not. */
void fw_parent_stop_child(struct fw_parent *pp);

/* The unit tests' door: a parent on the heap reading PRIV_FD (the test
 * plays the child on the other end).  NULL on ENOMEM. */
struct fw_parent *fw_parent_new(struct fw_config *cfg, int priv_fd, fw_insert_fn insert, void *ctx);
struct guard *fw_parent_guard(struct fw_parent *pp);
void fw_parent_free(struct fw_parent *pp);

#endif
