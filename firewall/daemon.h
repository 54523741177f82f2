/* codex-firewall serve/check: startup in the order that keeps egress denied
 * at every step, then the privileged parent's loop (firewall/parent.h) with
 * the DNS child (firewall/child.h) forked off.  Everything printed on stdout
 * is one line of the protocol (below, written by firewall/emit.h), every
 * line < 4 KiB; stderr is for humans.  EVENT lines share one rate limit (20
 * a second; what it swallows is counted in SUMMARY overflow's
 * events_suppressed, conn deltas are carried to a later line instead).
 *
 *   READY {"ms":2.41,"entries":N,"upstreams":["192.0.2.53","::1#5353"],"listen":"127.0.0.1"}
 *   ERROR <one line: cause and fix>               (before READY; exit 1)
 *   EVENT {"type":"dns-refused","name":"x.org","qtype":"A"}        first per name
 *   EVENT {"type":"dns-rebind","name":"n","addr":"10.0.0.1","reason":"..."}
 *   EVENT {"type":"dns-upstream-failed","name":"n","reason":"no answer"}   first per name
 *         (reason: "no answer", "malformed answer", "insert failed", "upstream REFUSED"...)
 *   EVENT {"type":"conn","addr":"203.0.113.5","proto":"tcp","port":443,"count":2[,"name":"n"]}
 *         a rejected connection, live: the blocked sets are read every second
 *         (firewall/parent_conn.h); a line per new key or grown counter,
 *         count = packets since that key's previous line
 *   EVENT {"type":"insert-failed","message":"..."}                 (set full...)
 *   EVENT {"type":"flow-refused","addr":"198.51.100.10","port":443,"proto":"tcp",
 *          "name":"other.test","reason":"TLS name other.test not allowed"}
 *         (first-bytes check, firewall/parent_nfq.h; "name" absent when the flow
 *         named none: "no SNI", "no Host header", "malformed"...)
 *   EVENT {"type":"fatal","message":"..."}      the DNS filter died; exit 1
 *   SUMMARY {"type":"dns-refused","name":"x.org","qtype":"A","count":3}
 *   SUMMARY {"type":"dns-rebind","name":"n","addr":"10.0.0.1","count":1}
 *   SUMMARY {"type":"dns-upstream-failed","name":"n","count":2}
 *   SUMMARY {"type":"conn","addr":"203.0.113.5","proto":"tcp","port":443,"count":3[,"name":"n"]}
 *           (type "quic-refused" for udp/443 to a DNS-learned address)
 *   SUMMARY {"type":"flow-refused","addr":..,"port":443,"proto":"tcp"[,"name":..],"reason":..,"count":2}
 *   SUMMARY {"type":"flow-overflow","refusals_uncounted":N,"pairs_dropped":M}
 *   SUMMARY {"type":"overflow","dropped":N}     keys that did not fit the tables
 *   BYE                                         after SIGTERM/SIGINT, exit 0
 */
#ifndef FW_DAEMON_H
#define FW_DAEMON_H

#include "firewall/config.h"

/* Run the daemon; returns the exit status (0 after SIGTERM, 1 on failure). */
int fw_serve(struct fw_config *cfg);

/* Load the real ruleset shape into a scratch table and delete it in the same
 * transaction; prints "ok nftables" or "ERROR ...".  Returns 0 or 1. */
int fw_check(void);

#endif
