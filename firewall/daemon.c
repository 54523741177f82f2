#include "firewall/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "firewall/child.h"
#include "firewall/control_nft.h"
#include "firewall/emit.h"
#include "firewall/nl.h"
#include "firewall/parent.h"
#include "firewall/parent_nfq.h"
#include "firewall/privsep.h"
#include "firewall/table.h"
#include "common/fdio.h"
#include "common/util.h"

#define ROUTE4_MAX (1 << 16)
#define ROUTE6_MAX (1 << 18)
#define RESOLV_MAX (1 << 16)

static void emit_error(const struct cs_err *err)
{
	char line[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];

	cs_err_format(err, line, sizeof line);
	emit("ERROR %s", line);
}

int fw_check(void)
{
	struct cs_err err = { 0 };
	struct nl nl cleanup_nl = { 0 };
	struct allowlist al;
	struct fw_upstream up = { AF_INET, { 192, 0, 2, 53 }, 53 }, lis = { AF_INET, { 127, 0, 0, 1 }, 53 };
	struct fw_ruleset_cfg rc = { .table = FW_CHECK_TABLE, .dns_uid = 65353, .up = &up, .n_up = 1,
		.listen = &lis,
		.set_size = 16, .blocked_size = 16, .default_timeout_ms = 1000, .delete_after = true,
		.flow_check = true, .queue_num = FW_QUEUE_NUM };

	allowlist_init(&al);
	rc.al = &al;
	allowlist_add_text(&al, "192.0.2.0/24 2001:db8::/32", "check", &err);
	if (nl_open(&nl, &err) == 0)
		fw_table_load(&nl, &rc, &err);
	else
		fw_table_hint(&err);
	allowlist_free(&al);
	if (err.set) {
		emit_error(&err);
		return 1;
	}
	emit("ok nftables");
	return 0;
}

/* ---- serve: the steps before READY ------------------------------------- */

/* SIGTERM, SIGINT and SIGCHLD arrive on a signalfd the parent polls. */
static int serve_signals(struct fw_parent *pp, struct cs_err *err)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((pp->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return cs_fail(err, errno, "signalfd");
	return 0;
}

/* One of this namespace's routing tables, handed to PARSE.  A kernel
 * without IPv6 has no ipv6_route: nothing to add.  A table we cannot read
 * whole fails the start: its gateways would be missing from the guard. */
static int guard_routes(struct guard *g, const char *path, size_t max,
			int (*parse)(struct guard *, const char *), struct cs_err *err)
{
	char *text cleanup_free = NULL;

	if (read_small_file(path, max, &text, NULL) < 0) {
		if (errno == ENOENT)
			return 0;
		cs_fail(err, errno, "reading %s (at most %zu bytes) for the gateways", path, max);
		return cs_hint(err, "the rebinding guard needs this namespace's gateways; nothing was "
			       "started");
	}
	parse(g, text);
	return 0;
}

/* /etc/resolv.conf, followed where it is a link (as the C library's
 * resolver does: systemd-resolved and `ip netns exec` put links or mounts
 * there).  NULL with errno when it cannot be read whole. */
static char *read_resolv_conf(void)
{
	char *text = NULL;

	return read_system_file("/etc/resolv.conf", RESOLV_MAX, &text, NULL) < 0 ? NULL : text;
}

/* Without --upstream, the nameservers of resolv.conf other than ourselves. */
static int serve_upstreams(struct fw_config *cfg, struct cs_err *err)
{
	char *text cleanup_free = NULL;

	if (cfg->n_up)
		return 0;
	text = read_resolv_conf();
	if (!text && errno != ENOENT) {
		cs_fail(err, errno, "reading /etc/resolv.conf (at most %d bytes)", RESOLV_MAX);
		return cs_hint(err, "pass --upstream IP (the resolver the DNS filter should ask)");
	}
	cfg->n_up = text ? fw_parse_resolv(text, &cfg->listen, cfg->up, FW_MAX_UPSTREAMS) : 0;
	if (cfg->n_up == 0) {
		cs_fail(err, 0, "no usable upstream resolver: /etc/resolv.conf has no nameserver "
			"other than the filter's own address");
		return cs_hint(err, "pass --upstream IP (the resolver the DNS filter should ask)");
	}
	return 0;
}

/* What needs no privilege yet: signals, the parent's tables, the guard
 * (the host's addresses, then this namespace's gateways), the upstreams. */
static int serve_prepare(struct fw_parent *pp, struct fw_config *cfg, struct cs_err *err)
{
	if (serve_signals(pp, err) < 0)
		return -1;
	if (fw_parent_init(pp, cfg, -1, fw_table_insert, &pp->nl) < 0)
		return cs_fail(err, ENOMEM, "allocating tables");
	if (guard_routes(&pp->guard, "/proc/net/route", ROUTE4_MAX, guard_parse_route4, err) < 0 ||
	    guard_routes(&pp->guard, "/proc/net/ipv6_route", ROUTE6_MAX, guard_parse_route6, err) < 0)
		return -1;
	return serve_upstreams(cfg, err);
}

static bool parent_may_emit(void *pp)
{
	return fw_parent_may_emit(pp, FW_EV_FLOW);
}

/* Bind, load the table, fork the child, drop to CAP_NET_ADMIN, wait for
 * the child's READY.  *LOADED tells whether the table went in. */
static int serve_start(struct fw_parent *pp, struct fw_config *cfg, bool *loaded,
		       struct cs_err *err)
{
	struct fw_ruleset_cfg rc = { .table = FW_TABLE, .al = &cfg->al, .dns_uid = cfg->dns_uid,
		.up = cfg->up, .n_up = cfg->n_up, .listen = &cfg->listen,
		.set_size = cfg->set_size, .blocked_size = 4096,
		.default_timeout_ms = ((uint64_t)cfg->max_ttl + cfg->grace) * 1000,
		.extra_dns = cfg->extra_dns, .extra_dns_uid = cfg->extra_dns_uid,
		.flow_check = cfg->flow_check, .queue_num = FW_QUEUE_NUM };
	int udp cleanup_close = -1, tcp cleanup_close = -1;

	/* Bind first: a second instance (address in use) must fail before it
	 * touches the table the first one is enforcing. */
	if ((udp = fw_listen_socket(&cfg->listen, SOCK_DGRAM, err)) < 0 ||
	    (tcp = fw_listen_socket(&cfg->listen, SOCK_STREAM, err)) < 0)
		return -1;
	if (nl_open(&pp->nl, err) < 0) {
		fw_table_hint(err);
		return -1;
	}
	/* the queue is bound before the rules that feed it exist */
	if (fw_nfq_start(&pp->nfq, cfg, parent_may_emit, pp, err) < 0 ||
	    fw_table_load(&pp->nl, &rc, err) < 0)
		return -1;
	*loaded = true;
	if (fw_child_start(pp, cfg, udp, tcp, err) < 0)
		return -1;
	/* the sockets are the child's now */
	close(steal_fd(&udp));
	close(steal_fd(&tcp));
	/* after the fork (the child never holds it), before the seccomp filter */
	if (fw_control_start(&pp->ctl, pp, &pp->nl, cfg->control_path, err) < 0)
		return -1;
	if (privsep_drop_parent(err) < 0 || privsep_seccomp_parent(err) < 0)
		return cs_hint(err, "the network owner needs CAP_NET_ADMIN, CAP_SETUID and CAP_SETGID");
	return fw_child_wait_ready(pp, err);
}

static void ready_line(const struct fw_config *cfg)
{
	char ups[FW_MAX_UPSTREAMS * 60 + 8] = "", one[64], l[64];
	size_t o = 0;
	struct timespec ts;

	for (size_t i = 0; i < cfg->n_up; i++) {
		fw_upstream_format(&cfg->up[i], one, sizeof one);
		o += (size_t)snprintf(ups + o, sizeof ups - o, "%s\"%s\"", i ? "," : "", one);
	}
	fw_upstream_format(&cfg->listen, l, sizeof l);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	emit("READY {\"ms\":%.2f,\"entries\":%zu,\"upstreams\":[%s],\"listen\":\"%s\"}",
	     (double)((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - cfg->t0_us) / 1000.0,
	     cfg->al.n, ups, l);
}

int fw_serve(struct fw_config *cfg)
{
	struct fw_parent pp = { .cfg = cfg, .priv_fd = -1, .sig_fd = -1, .child = -1 };
	struct cs_err err = { 0 };
	bool loaded = false;
	int status;

	fw_control_init(&pp.ctl);
	if (serve_prepare(&pp, cfg, &err) == 0 && serve_start(&pp, cfg, &loaded, &err) == 0) {
		ready_line(cfg);
		status = fw_parent_loop(&pp);
	} else {
		fw_parent_stop_child(&pp);
		if (loaded)
			fw_table_delete(&pp.nl, FW_TABLE);
		emit_error(&err);
		status = 1;
	}
	if (pp.priv_fd >= 0)
		close(pp.priv_fd);
	if (pp.sig_fd >= 0)
		close(pp.sig_fd);
	nl_close(&pp.nl);
	fw_parent_fini(&pp);
	return status;
}
