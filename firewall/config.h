/* codex-firewall's configuration: what `serve` was told on its command line
 * (firewall/main.c fills it), with the defaults, and the pure parsers for
 * IP[#PORT], --guard-host and resolv.conf.  No I/O. */
#ifndef FW_CONFIG_H
#define FW_CONFIG_H

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
	bool flow_check;                /* --flow-check on|off (default on): rules F0-F6, Q */
	struct guard guard;             /* the host's addresses (--guard-host); gateways join at start */
	char sandbox_id[65];            /* --sandbox-id: what `codex-sandbox allow` takes; "" unknown */
	const char *control_path;       /* --control: the runner's channel (firewall/control.h) */
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

/* --sandbox-id ID: 1-64 of [A-Za-z0-9_.-] (it is printed in DNS answers and
 * events).  Returns 0 or -1 with ERR. */
int fw_parse_sandbox_id(const char *s, struct fw_config *cfg, struct cs_err *err);

/* "192.0.2.53" or "2001:db8::1#5353" (port shown when not 53). */
void fw_upstream_format(const struct fw_upstream *u, char *out, size_t outsz);

#endif
