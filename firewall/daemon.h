/* codex-firewall serve/check: setup, privilege separation and the
 * privileged parent's loop.  Everything printed on stdout is one line of the
 * protocol (below), every line < 4 KiB; stderr is for humans.
 *
 *   READY {"ms":2.41,"entries":N,"upstreams":["192.0.2.53","::1#5353"],"listen":"127.0.0.1"}
 *   ERROR <one line: cause and fix>               (before READY; exit 1)
 *   EVENT {"type":"dns-refused","name":"x.org","qtype":"A"}        first per name
 *   EVENT {"type":"dns-rebind","name":"n","addr":"10.0.0.1","reason":"..."}
 *   EVENT {"type":"dns-upstream-failed","name":"n","reason":"no answer"}   first per name
 *         (reason: "no answer", "malformed answer", "insert failed", "upstream REFUSED"...)
 *   EVENT {"type":"insert-failed","message":"..."}                 (set full...)
 *   EVENT {"type":"fatal","message":"..."}      the DNS filter died; exit 1
 *   SUMMARY {"type":"dns-refused","name":"x.org","qtype":"A","count":3}
 *   SUMMARY {"type":"dns-rebind","name":"n","addr":"10.0.0.1","count":1}
 *   SUMMARY {"type":"dns-upstream-failed","name":"n","count":2}
 *   SUMMARY {"type":"conn","addr":"203.0.113.5","proto":"tcp","port":443,"count":3[,"name":"n"]}
 *   SUMMARY {"type":"overflow","dropped":N}     keys that did not fit the tables
 *   BYE                                         after SIGTERM/SIGINT, exit 0
 */
#ifndef FW_DAEMON_H
#define FW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/allowlist.h"
#include "firewall/guard.h"
#include "firewall/ruleset.h"
#include "common/error.h"

#define FW_MAX_UPSTREAMS 4

struct fw_config {
	struct allowlist al;            /* the full effective list (the runner adds defaults) */
	struct fw_upstream up[FW_MAX_UPSTREAMS];
	size_t n_up;                    /* 0: take the nameservers of /etc/resolv.conf */
	uint32_t dns_uid, dns_gid;      /* default 65353 */
	uint32_t min_ttl, max_ttl;      /* element lifetime floor/cap, default 60 s / 1 day */
	uint32_t grace;                 /* added to every lifetime, default 60 s */
	uint32_t max_addrs;             /* per answer, default 32 */
	uint32_t set_size;              /* allow4/allow6 size, default 65536 */
	struct fw_upstream listen;      /* default 127.0.0.1#53 */
	bool extra_dns;                 /* --extra-dns-uid given */
	uint32_t extra_dns_uid;
	struct guard guard;             /* the host's addresses (--guard-host); gateways join at start */
	int64_t t0_us;                  /* process start (CLOCK_MONOTONIC), for READY's "ms" */
};

/* Defaults for everything but the allowlist. */
void fw_config_defaults(struct fw_config *cfg);

/* "IP" or "IP#PORT" (IPv6 without brackets).  Refuses unspecified and
 * multicast addresses.  Returns 0 or -1 with ERR naming WHAT. */
int fw_parse_hostport(const char *s, uint16_t defport, const char *what, struct fw_upstream *out,
		      struct cs_err *err);

/* The nameserver lines of resolv.conf TEXT, skipping LISTEN itself (our own
 * filter) and scoped IPv6; at most MAX.  Returns how many. */
size_t fw_parse_resolv(const char *text, const struct fw_upstream *listen, struct fw_upstream *out,
		       size_t max);

/* --guard-host IP: an address of the host, added to CFG's guard.  Returns 0
 * or -1 with ERR (not an address, or more than GUARD_MAX_HOST). */
int fw_parse_guard_host(const char *s, struct fw_config *cfg, struct cs_err *err);

/* "192.0.2.53" or "2001:db8::1#5353" (port shown when not 53). */
void fw_upstream_format(const struct fw_upstream *u, char *out, size_t outsz);

/* Run the daemon; returns the exit status (0 after SIGTERM, 1 on failure). */
int fw_serve(struct fw_config *cfg);

/* The privileged parent's message handling, apart from fw_serve so the unit
 * tests drive it over a socketpair without root.  Inserting elements is its
 * one privileged act: fw_serve passes a netlink batch into allow4/allow6,
 * tests a recorder.  INSERT gets the checked IPv4 and IPv6 elements of one
 * burst and returns 0, or -1 with ERR (every one of them is then acked
 * FW_ACK_FAILED). */
struct fw_elem;
struct guard;
typedef int (*fw_insert_fn)(void *ctx, const struct fw_elem *e4, size_t n4,
			    const struct fw_elem *e6, size_t n6, struct cs_err *err);
struct fw_parent;

/* A parent reading PRIV_FD (the child's end is the other side); its guard
 * starts empty of gateways.  NULL on ENOMEM.  CFG must outlive it. */
struct fw_parent *fw_parent_new(struct fw_config *cfg, int priv_fd, fw_insert_fn insert, void *ctx);
struct guard *fw_parent_guard(struct fw_parent *p);
/* Handle the messages waiting on PRIV_FD (at most 64), exactly as the
 * daemon does: notes become EVENT lines on stdout, each FW_OP_ALLOW is
 * re-checked and acked.  Returns 0, or -1 when the child closed its end. */
int fw_parent_handle(struct fw_parent *p);
void fw_parent_free(struct fw_parent *p);

/* Load the real ruleset shape into a scratch table and delete it in the same
 * transaction; prints "ok nftables" or "ERROR ...".  Returns 0 or 1. */
int fw_check(void);

#endif
