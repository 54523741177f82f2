/* The first-bytes check wired into the privileged parent (issue 12 item 4:
 * an opened address serves only its name).
 *
 * Rules F5/F6 (firewall/ruleset.h) queue every packet a new TCP flow sends
 * to port 80 or 443 of a DNS-learned address until the flow has a verdict.
 * The name must have resolved to the address when the flow began (its SYN):
 * a connection opened while allowed survives the element's expiry, as
 * every other connection does (REQUIREMENTS R5.13), but its first bytes
 * must come within FW_NFQ_STALE_MS.
 * Here: a table of pending flows (at most FW_NFQ_FLOWS, each judged from at
 * most FW_NFQ_SEGS data segments, forgotten after FW_NFQ_STALE_MS), each
 * judged by
 * firewall/flowcheck.h against the allowlist and the (name, address) pairs
 * learned from the DNS child's FW_OP_ALLOW messages (firewall/namemap.h).
 * A SYN or a pure ACK is accepted as it is (no bytes reach the server).  A
 * segment whose bytes do not complete the name is remembered and dropped:
 * held, it would stall its sender (the kernel's TCP sends no more while
 * its packet is queued: docs/DOCKER-NFT-NOTES.md 3.6), dropped, the client
 * sends it again once the flow has its mark.  The segment that completes the
 * name goes back with NF_REPEAT and the mark NFQ_MARK_OK (rule F1 marks the
 * connection: its later packets, the resent ones too, never come here), or
 * with NFQ_MARK_NO (F2 records, F3 resets; F4 resets whatever the flow sends
 * afterwards).  A decided flow stays in the table until the sweep (or
 * until a new flow needs its slot): a segment queued before its verdict
 * reached the kernel gets the same verdict again.  Anything not
 * understood (not a whole TCP segment, a flow not in the table, the table
 * full, a FIN or RST before the verdict) is refused: fail closed.
 *
 * Refusals become EVENT {"type":"flow-refused",...} lines (rate-limited by
 * the parent) and SUMMARY lines with counts (firewall/daemon.h).
 *
 * Parsing a ClientHello is parsing bytes the sandbox chose, in the process
 * that holds CAP_NET_ADMIN: the parsers are pure, bounded (no allocation,
 * FLOW_BYTES_MAX per flow, fixed caps on every field) and fuzzed
 * (tests/fuzz/fuzz_flowcheck.c, fuzz_nfqflow.c); REQUIREMENTS R5.20.
 */
#ifndef FW_PARENT_NFQ_H
#define FW_PARENT_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/allowlist.h"
#include "firewall/config.h"
#include "common/error.h"

#define FW_NFQ_FLOWS 128
#define FW_NFQ_SEGS 32                /* data segments per flow before a verdict */
#define FW_NFQ_STALE_MS 10000
#define FW_NFQ_PAIRS 16384            /* (name, address) pairs remembered */
#define FW_NFQ_REFUSED_KEYS 1024      /* distinct refusals in the summary */

struct fw_nfq;

/* Send one verdict (the seam: nfq_verdict by default, a recorder in tests). */
typedef int (*fw_nfq_verdict_fn)(void *ctx, uint32_t id, uint32_t verdict, bool set_mark,
				 uint32_t mark);
/* May an EVENT line be written now (the parent's rate limit)? */
typedef bool (*fw_nfq_may_emit_fn)(void *ctx);

/* A check judging against AL (which must outlive it; it may change),
 * remembering at most PAIRS (name, address) pairs (FW_NFQ_PAIRS).  NULL on
 * ENOMEM. */
struct fw_nfq *fw_nfq_new(const struct allowlist *al, size_t pairs);
void fw_nfq_free(struct fw_nfq *n);
void fw_nfq_set_verdict(struct fw_nfq *n, fw_nfq_verdict_fn fn, void *ctx);
void fw_nfq_set_emit(struct fw_nfq *n, fw_nfq_may_emit_fn fn, void *ctx);

/* Bind NFQUEUE NUM (CAP_NET_ADMIN; before the seccomp filter).  Returns 0
 * or -1 with ERR. */
int fw_nfq_open(struct fw_nfq *n, uint16_t num, struct cs_err *err);
/* Close N's copy of the queue's socket (N may be NULL; fw_nfq_fd then
 * says -1).  The DNS child calls it right after the fork: a child that
 * held it could read the queued first flights (cookies, SNI) and starve
 * the queue. */
void fw_nfq_close(struct fw_nfq *n);
/* The queue's socket, or -1 (N NULL or not open): poll ignores -1. */
int fw_nfq_fd(const struct fw_nfq *n);

/* A DNS answer for NAME listed ADDR, open until EXPIRES_MS.  N may be NULL. */
void fw_nfq_learn(struct fw_nfq *n, const char *name, int family, const uint8_t *addr,
		  int64_t expires_ms, int64_t now_ms);

/* Read what the queue holds and answer it.  Returns 0, or -1 with ERR (a
 * kernel error; the caller reports it and goes on). */
int fw_nfq_handle(struct fw_nfq *n, struct cs_err *err);

/* One queued packet (the IP packet, LEN bytes; TRUNCATED when the kernel
 * cut it): the core of fw_nfq_handle, for the tests and the fuzzer. */
void fw_nfq_packet(struct fw_nfq *n, uint32_t id, const uint8_t *pkt, size_t len, bool truncated,
		   int64_t now_ms);

/* Flows refused so far, and the SUMMARY lines for them. */
uint64_t fw_nfq_refused(const struct fw_nfq *n);
void fw_nfq_summary(const struct fw_nfq *n);

/* serve's step (firewall/daemon.c): with --flow-check on, create the check
 * into *OUT (events limited by MAY_EMIT(CTX)) and bind its queue
 * FW_QUEUE_NUM; with off, *OUT stays NULL.  Returns 0 or -1 with ERR. */
int fw_nfq_start(struct fw_nfq **out, const struct fw_config *cfg, fw_nfq_may_emit_fn may_emit,
		 void *ctx, struct cs_err *err);
/* The parent's loop: the queue's socket is readable (errors go to stderr). */
void fw_nfq_poll(struct fw_nfq *n);

#endif
