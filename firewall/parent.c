#include "firewall/parent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "firewall/dns.h"
#include "firewall/emit.h"
#include "firewall/parent_nfq.h"
#include "firewall/privsep.h"
#include "firewall/ruleset.h"

#define NAMES_MAX 4096
#define BURST 64
#define EVENTS_PER_SEC 20

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool may_emit_cb(void *pp);

int fw_parent_init(struct fw_parent *pp, struct fw_config *cfg, int priv_fd, fw_insert_fn insert,
		   void *ctx)
{
	pp->cfg = cfg;
	pp->priv_fd = priv_fd;
	pp->insert = insert;
	pp->insert_ctx = ctx;
	pp->guard = cfg->guard;         /* the host's addresses (--guard-host) */
	fw_control_init(&pp->ctl);
	if (tally_init(&pp->refused, NAMES_MAX) < 0 || tally_init(&pp->rebind, 1024) < 0 ||
	    tally_init(&pp->upfail, 1024) < 0 || tally_init(&pp->names, NAMES_MAX) < 0 ||
	    addrmap_init(&pp->amap, pp->cfg->set_size * 2u) < 0 ||
	    parent_conn_init(&pp->conn, &pp->nl, &pp->amap, &pp->names, may_emit_cb, pp) < 0)
		return -1;
	return 0;
}

void fw_parent_fini(struct fw_parent *pp)
{
	fw_control_close(&pp->ctl);
	tally_free(&pp->refused);
	tally_free(&pp->rebind);
	tally_free(&pp->upfail);
	tally_free(&pp->names);
	addrmap_free(&pp->amap);
	parent_conn_fini(&pp->conn);
	fw_nfq_free(pp->nfq);
	pp->nfq = NULL;
}

bool fw_parent_may_emit(struct fw_parent *pp, enum fw_ev_class cls)
{
	int64_t now = mono_ms();

	if (now - pp->tok_ms >= 1000) {
		pp->tok_ms = now;
		for (int c = 0; c < FW_EV_CLASSES; c++)
			pp->tokens[c] = EVENTS_PER_SEC;
	}
	if (pp->tokens[cls] > 0) {
		pp->tokens[cls]--;
		return true;
	}
	pp->suppressed++;
	return false;
}

static bool may_emit(struct fw_parent *pp)
{
	return fw_parent_may_emit(pp, FW_EV_DNS);
}

static bool may_emit_cb(void *pp)
{
	return fw_parent_may_emit(pp, FW_EV_CONN);
}

/* An element lives for the answer's TTL, but at least min_ttl, at most
 * max_ttl seconds (the grace comes on top). */
static uint64_t clamp_ttl(const struct fw_config *cfg, uint32_t ttl)
{
	return ttl < cfg->min_ttl ? cfg->min_ttl : ttl > cfg->max_ttl ? cfg->max_ttl : ttl;
}

static bool msg_name_ok(struct fw_msg *m)
{
	if (!memchr(m->name, '\0', sizeof m->name))
		return false;
	for (char *c = m->name; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	return true;
}

static void on_note(struct fw_parent *pp, struct fw_msg *m)
{
	char name[600], a[INET6_ADDRSTRLEN] = "", key[320], tn[16];
	bool first;

	if (!msg_name_ok(m))
		return;
	emit_json_str(m->name, name, sizeof name);
	if (m->op == FW_OP_REFUSED) {
		if (tally_hit(&pp->refused, m->name, m->qtype, &first) && first && may_emit(pp))
			emit("EVENT {\"type\":\"dns-refused\",\"name\":\"%s\",\"qtype\":\"%s\"}", name,
			     dns_type_name((uint16_t)m->qtype, tn, sizeof tn));
	} else if (m->op == FW_OP_UPSTREAM) {
		static const char *const rc[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
						  "NOTIMP", "REFUSED" };
		char why[32];

		if (m->ttl >= 16)
			snprintf(why, sizeof why, "upstream %s", m->ttl - 16 < 6 ? rc[m->ttl - 16] : "error");
		else
			snprintf(why, sizeof why, "%s", m->ttl == 0 ? "no answer" : m->ttl == 1 ?
				 "malformed answer" : "insert failed");
		if (tally_hit(&pp->upfail, m->name, m->qtype, &first) && first && may_emit(pp))
			emit("EVENT {\"type\":\"dns-upstream-failed\",\"name\":\"%s\",\"reason\":\"%s\"}",
			     name, why);
	} else if (m->op == FW_OP_REBIND && (m->family == AF_INET || m->family == AF_INET6)) {
		const char *why = guard_check(&pp->guard, (int)m->family, m->addr);
		struct addr_ent *e;
		struct tally_ent *ne;

		inet_ntop((int)m->family, m->addr, a, sizeof a);
		snprintf(key, sizeof key, "%s %s", m->name, a);
		if (tally_hit(&pp->rebind, key, m->qtype, &first) && first && may_emit(pp))
			emit("EVENT {\"type\":\"dns-rebind\",\"name\":\"%s\",\"addr\":\"%s\",\"reason\":\"%s\"}",
			     name, a, why ? why : "guarded");
		/* remember who led there, for the connection summary */
		ne = tally_hit(&pp->names, m->name, 0, &first);
		e = addrmap_get(&pp->amap, (int)m->family, m->addr, true, mono_ms());
		if (e && ne && e->name < 0)
			e->name = (int32_t)(ne - pp->names.v);
	}
}

/* Validate one FW_OP_ALLOW; on FW_ACK_OK with *NEED set, E holds the element
 * to insert. */
static int check_allow(struct fw_parent *pp, struct fw_msg *m, struct fw_elem *el, bool *need)
{
	const struct fw_config *cfg = pp->cfg;
	static const uint8_t zero[12];
	uint64_t secs;

	*need = false;
	if (m->family != AF_INET && m->family != AF_INET6)
		return FW_ACK_INVALID;
	if (m->family == AF_INET && memcmp(m->addr + 4, zero, 12) != 0)
		return FW_ACK_INVALID;
	if (!msg_name_ok(m) || !allowlist_match_name(&cfg->al, m->name))
		return FW_ACK_INVALID;
	if (allowlist_match_addr(&cfg->al, (int)m->family, m->addr))
		return FW_ACK_OK;       /* already open through an explicit entry */
	if (guard_check(&pp->guard, (int)m->family, m->addr)) {
		m->op = FW_OP_REBIND;
		on_note(pp, m);
		m->op = FW_OP_ALLOW;
		return FW_ACK_GUARDED;
	}
	secs = clamp_ttl(cfg, m->ttl);
	secs += cfg->grace;
	memcpy(el->addr, m->addr, 16);
	el->timeout_ms = secs * 1000;
	*need = true;
	return FW_ACK_OK;
}

/* Read what is waiting, at most BURST messages, into M; returns how many,
 * or -1 when the child closed its end.  (Messages read just before the end
 * are dropped, as they always were: the next poll reports the end.) */
static int recv_burst(struct fw_parent *pp, struct fw_msg *m)
{
	size_t nm = 0;

	while (nm < BURST) {
		ssize_t r = recv(pp->priv_fd, &m[nm], sizeof m[nm], MSG_DONTWAIT | MSG_TRUNC);

		if (r < 0)
			break;
		if (r == 0)
			return nm ? 0 : -1;
		if (r != (ssize_t)sizeof m[nm]) {
			fprintf(stderr, "codex-firewall: dropped a %zd-byte message from the DNS filter\n", r);
			continue;
		}
		nm++;
	}
	return (int)nm;
}

/* The element of an inserted M now lives until NOW + its lifetime, and M's
 * name led there (for the connection summary). */
static void remember_insert(struct fw_parent *pp, const struct fw_msg *m, int64_t now)
{
	const struct fw_config *cfg = pp->cfg;
	bool first;
	struct tally_ent *ne = tally_hit(&pp->names, m->name, 0, &first);
	struct addr_ent *a = addrmap_get(&pp->amap, (int)m->family, m->addr, true, now);

	if (a) {
		a->expires_ms = now + (int64_t)(clamp_ttl(cfg, m->ttl) + cfg->grace) * 1000;
		/* unknown (-1) when the tally is full: a deny then closes it */
		a->name = ne ? (int32_t)(ne - pp->names.v) : -1;
	}
}

/* Insert what NEED marks (E4/E6, one call) and settle STATUS for them. */
static void insert_burst(struct fw_parent *pp, const struct fw_msg *m, size_t nm, const bool *need,
			 int *status, const struct fw_elem *e4, size_t n4, const struct fw_elem *e6,
			 size_t n6, int64_t now)
{
	struct cs_err err = { 0 };
	bool ok = pp->insert(pp->insert_ctx, e4, n4, e6, n6, &err) == 0;

	if (!ok) {
		char line[CS_ERR_MSG_MAX + 300], j[CS_ERR_MSG_MAX * 2 + 600];

		cs_err_format(&err, line, sizeof line);
		if (may_emit(pp))
			emit("EVENT {\"type\":\"insert-failed\",\"message\":\"%s\"}",
			     emit_json_str(line, j, sizeof j));
	}
	for (size_t i = 0; i < nm; i++) {
		if (!need[i])
			continue;
		if (!ok)
			status[i] = FW_ACK_FAILED;
		else
			remember_insert(pp, &m[i], now);
	}
}

static int on_burst(struct fw_parent *pp)
{
	struct fw_msg m[BURST];
	struct fw_elem e4[BURST], e6[BURST];
	int status[BURST];
	bool need[BURST];
	size_t n4 = 0, n6 = 0;
	int64_t now = mono_ms();
	int got = recv_burst(pp, m);
	size_t nm = got > 0 ? (size_t)got : 0;

	if (got < 0)
		return -1;
	for (size_t i = 0; i < nm; i++) {
		struct fw_elem el;

		need[i] = false;
		status[i] = FW_ACK_INVALID;
		if (m[i].op != FW_OP_ALLOW) {
			on_note(pp, &m[i]);
			continue;
		}
		status[i] = check_allow(pp, &m[i], &el, &need[i]);
		if (need[i]) {
			/* never shorten an element another answer still needs */
			struct addr_ent *a = addrmap_get(&pp->amap, (int)m[i].family, m[i].addr, false, now);

			if (a && a->expires_ms >= now + (int64_t)el.timeout_ms)
				need[i] = false;
			else if (m[i].family == AF_INET)
				e4[n4++] = el;
			else
				e6[n6++] = el;
		}
	}
	if (n4 + n6)
		insert_burst(pp, m, nm, need, status, e4, n4, e6, n6, now);
	for (size_t i = 0; i < nm; i++) {
		struct fw_ack ack = { m[i].seq, status[i] };

		if (m[i].op != FW_OP_ALLOW)     /* notes get no ack */
			continue;
		if (status[i] == FW_ACK_OK)     /* this name may now serve on this address */
			fw_nfq_learn(pp->nfq, m[i].name, (int)m[i].family, m[i].addr, now +
				     (int64_t)(clamp_ttl(pp->cfg, m[i].ttl) + pp->cfg->grace) * 1000, now);
		/* blocking, and no deadlock: the child waits for these acks and
		 * has at most DNS_MAX_ADDRS (64) asks outstanding, far below what
		 * either socket buffer holds (~200 messages); notes and list
		 * changes to the child never block (MSG_DONTWAIT) */
		(void)send(pp->priv_fd, &ack, sizeof ack, MSG_NOSIGNAL);
	}
	return 0;
}

static void conn_cb(void *ctx, int family, const unsigned char *addr, uint8_t proto, uint16_t port,
		    uint64_t packets)
{
	parent_conn_emit(&((struct fw_parent *)ctx)->conn, "SUMMARY", family, addr, proto, port, packets);
}

static void summary(struct fw_parent *pp)
{
	struct cs_err err = { 0 };
	char j[600], tn[16];
	uint64_t over = pp->refused.overflow + pp->rebind.overflow + pp->upfail.overflow;

	for (size_t i = 0; i < pp->refused.n; i++)
		emit("SUMMARY {\"type\":\"dns-refused\",\"name\":\"%s\",\"qtype\":\"%s\",\"count\":%llu}",
		     emit_json_str(pp->refused.v[i].key, j, sizeof j),
		     dns_type_name((uint16_t)pp->refused.v[i].qtype, tn, sizeof tn),
		     (unsigned long long)pp->refused.v[i].count);
	for (size_t i = 0; i < pp->rebind.n; i++) {
		char name[300], *sp;

		snprintf(name, sizeof name, "%s", pp->rebind.v[i].key);
		sp = strrchr(name, ' ');
		if (sp)
			*sp++ = '\0';
		emit("SUMMARY {\"type\":\"dns-rebind\",\"name\":\"%s\",\"addr\":\"%s\",\"count\":%llu}",
		     emit_json_str(name, j, sizeof j), sp ? sp : "", (unsigned long long)pp->rebind.v[i].count);
	}
	for (size_t i = 0; i < pp->upfail.n; i++)
		emit("SUMMARY {\"type\":\"dns-upstream-failed\",\"name\":\"%s\",\"count\":%llu}",
		     emit_json_str(pp->upfail.v[i].key, j, sizeof j), (unsigned long long)pp->upfail.v[i].count);
	if (nl_dump_blocked(&pp->nl, FW_TABLE, conn_cb, pp, &err) < 0) {
		char line[CS_ERR_MSG_MAX + 300], jj[CS_ERR_MSG_MAX * 2 + 600];

		cs_err_format(&err, line, sizeof line);
		emit("EVENT {\"type\":\"summary-failed\",\"message\":\"%s\"}",
		     emit_json_str(line, jj, sizeof jj));
	}
	fw_nfq_summary(pp->nfq);
	if (over || pp->suppressed)
		emit("SUMMARY {\"type\":\"overflow\",\"dropped\":%llu,\"events_suppressed\":%llu}",
		     (unsigned long long)over, (unsigned long long)pp->suppressed);
}

/* The parent holds no CAP_KILL and the child runs as another uid, so it
 * cannot be signalled: closing the channel makes it exit (it treats EOF as
 * "parent gone"), and PDEATHSIG covers our own exit. */
void fw_parent_stop_child(struct fw_parent *pp)
{
	if (pp->priv_fd >= 0) {
		close(pp->priv_fd);
		pp->priv_fd = -1;
	}
	for (int i = 0; pp->child > 0 && i < 200; i++) {
		if (waitpid(pp->child, NULL, WNOHANG) == pp->child) {
			pp->child = -1;
			break;
		}
		poll(NULL, 0, 10);
	}
	if (pp->child > 0)
		kill(pp->child, SIGKILL);   /* works when we still have CAP_KILL/same uid */
}

/* Read one signal: true for SIGTERM/SIGINT (stop); a reaped child is
 * written into WHY. */
static bool on_signal(struct fw_parent *pp, char *why, size_t whysz)
{
	struct signalfd_siginfo si;
	int st;

	if (read(pp->sig_fd, &si, sizeof si) != (ssize_t)sizeof si)
		return false;
	if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
		return true;
	if (si.ssi_signo == SIGCHLD && waitpid(pp->child, &st, WNOHANG) == pp->child) {
		pp->child = -1;
		snprintf(why, whysz, "the DNS filter exited (%s %d)", WIFSIGNALED(st) ? "signal" : "status",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
	return false;
}

int fw_parent_loop(struct fw_parent *pp)
{
	for (;;) {
		struct pollfd pfd[3 + FW_CTL_POLLFDS] = { { pp->sig_fd, POLLIN, 0 },
							  { pp->priv_fd, POLLIN, 0 },
							  { fw_nfq_fd(pp->nfq), POLLIN, 0 } };
		char why[200] = "", j[500];

		fw_control_pollfds(&pp->ctl, pfd + 3);
		if (poll(pfd, 3 + FW_CTL_POLLFDS, parent_conn_timeout(&pp->conn, mono_ms())) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, sizeof why, "poll: %s", strerror(errno));
		}
		if ((pfd[0].revents & POLLIN) && on_signal(pp, why, sizeof why)) {
			/* notes already queued still count */
			on_burst(pp);
			fw_parent_stop_child(pp);
			summary(pp);
			emit("BYE");
			return 0;
		}
		if (!why[0] && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && on_burst(pp) < 0)
			snprintf(why, sizeof why, "the DNS filter closed its channel");
		if (!why[0] && (pfd[2].revents & POLLIN))
			fw_nfq_poll(pp->nfq);
		if (!why[0])
			fw_control_serve(&pp->ctl, pfd + 3);
		if (!why[0])
			parent_conn_tick(&pp->conn, mono_ms());
		if (why[0]) {
			emit("EVENT {\"type\":\"fatal\",\"message\":\"%s; DNS is down, egress stays denied\"}",
			     emit_json_str(why, j, sizeof j));
			fw_parent_stop_child(pp);
			summary(pp);
			return 1;
		}
	}
}

int fw_parent_handle(struct fw_parent *pp)
{
	return on_burst(pp);
}

/* ---- the unit tests' door ------------------------------------------------ */

struct fw_parent *fw_parent_new(struct fw_config *cfg, int priv_fd, fw_insert_fn insert, void *ctx)
{
	struct fw_parent *pp = calloc(1, sizeof *pp);

	if (!pp)
		return NULL;
	pp->sig_fd = -1;
	pp->child = -1;
	if (fw_parent_init(pp, cfg, priv_fd, insert, ctx) < 0) {
		fw_parent_free(pp);
		return NULL;
	}
	return pp;
}

struct guard *fw_parent_guard(struct fw_parent *pp)
{
	return &pp->guard;
}

void fw_parent_free(struct fw_parent *pp)
{
	if (!pp)
		return;
	fw_parent_fini(pp);
	free(pp);
}
