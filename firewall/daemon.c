#include "firewall/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "firewall/dns.h"
#include "firewall/dnsfilter.h"
#include "firewall/guard.h"
#include "firewall/nl.h"
#include "firewall/privsep.h"
#include "firewall/tally.h"
#include "common/util.h"

#define LINE_MAX_OUT 4000
#define NAMES_MAX 4096
#define BURST 64
#define CHILD_READY_MS 5000
#define EVENTS_PER_SEC 20

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One protocol line on stdout, flushed, never longer than LINE_MAX_OUT. */
static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	char line[LINE_MAX_OUT + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	for (int i = 0; i < n; i++)   /* one line, whatever a message held */
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stdout);
	fflush(stdout);
}

/* JSON string body: quotes, backslashes and control bytes escaped; anything
 * outside printable ASCII becomes '?' (names are ASCII by construction). */
static const char *js(const char *in, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *in && o + 7 < outsz; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, outsz - o, "\\u%04x", c);
		} else {
			out[o++] = c < 0x7f ? (char)c : '?';
		}
	}
	out[o] = '\0';
	return out;
}

static char *read_small_file(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t len = 0;

	if (fd < 0)
		return NULL;
	buf = malloc(max + 1);
	while (buf && len < max) {
		ssize_t r = read(fd, buf + len, max - len);

		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* ---- the ruleset ------------------------------------------------------ */

static void table_hint(struct cs_err *err)
{
	if (err->errnum == EPERM || err->errnum == EACCES)
		cs_hint(err, "run codex-firewall as uid 0 with CAP_NET_ADMIN in the sandbox's network "
			     "namespace (Docker: User 0, CapAdd NET_ADMIN)");
	else if (err->errnum == ENOENT || err->errnum == EOPNOTSUPP || err->errnum == EAFNOSUPPORT)
		cs_hint(err, "the kernel lacks an nf_tables feature this ruleset needs "
			     "(nf_tables, nft_ct, nft_reject_inet, nft_dynset)");
	else
		cs_hint(err, "run 'codex-firewall check' in the same namespace to diagnose");
}

static int send_table(struct nl *nl, const struct fw_ruleset_cfg *rc, struct cs_err *err)
{
	struct fw_batch fb;
	int ret = -1;

	if (fw_batch_init(&fb, nl->seq, err) < 0)
		return -1;
	if (ruleset_build(&fb, rc, err) == 0 && fw_batch_finish(&fb, err) == 0 &&
	    nl_send_batch(nl, &fb, err) == 0)
		ret = 0;
	fw_batch_free(&fb);
	if (ret < 0) {
		cs_wrap(err, "loading the nftables ruleset (table inet %s)", rc->table);
		table_hint(err);
	}
	return ret;
}

/* Best effort: a start that failed leaves no half-configured table. */
static void delete_table(struct nl *nl)
{
	struct cs_err tmp = { 0 };
	struct fw_batch fb;

	if (fw_batch_init(&fb, nl->seq, &tmp) == 0 && ruleset_delete_table(&fb, FW_TABLE, &tmp) == 0 &&
	    fw_batch_finish(&fb, &tmp) == 0)
		nl_send_batch(nl, &fb, &tmp);
	fw_batch_free(&fb);
}

int fw_check(void)
{
	struct cs_err err = { 0 };
	struct nl nl;
	struct allowlist al;
	struct fw_upstream up = { AF_INET, { 192, 0, 2, 53 }, 53 }, lis = { AF_INET, { 127, 0, 0, 1 }, 53 };
	struct fw_ruleset_cfg rc = { .table = FW_CHECK_TABLE, .dns_uid = 65353, .up = &up, .n_up = 1,
		.listen = &lis,
		.set_size = 16, .blocked_size = 16, .default_timeout_ms = 1000, .delete_after = true };
	char line[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];

	allowlist_init(&al);
	rc.al = &al;
	allowlist_add_text(&al, "192.0.2.0/24 2001:db8::/32", "check", &err);
	if (nl_open(&nl, &err) == 0) {
		send_table(&nl, &rc, &err);
		nl_close(&nl);
	} else {
		table_hint(&err);
	}
	allowlist_free(&al);
	if (err.set) {
		cs_err_format(&err, line, sizeof line);
		emit("ERROR %s", line);
		return 1;
	}
	emit("ok nftables");
	return 0;
}

/* ---- the privileged parent ------------------------------------------------ */

struct parent {
	struct fw_config *cfg;
	struct guard guard;
	struct nl nl;
	int priv_fd, sig_fd;
	pid_t child;
	struct tally refused, rebind, upfail, names;
	struct addrmap amap;
	int64_t tok_ms;
	int tokens;
	uint64_t suppressed;
	fw_insert_fn insert;            /* nl_insert, or a test's recorder */
	void *insert_ctx;
};

/* The real insert: one netlink batch for both sets (one transaction). */
static int nl_insert(void *ctx, const struct fw_elem *e4, size_t n4, const struct fw_elem *e6,
		     size_t n6, struct cs_err *err)
{
	struct nl *nl = ctx;
	struct fw_batch fb;
	bool ok = fw_batch_init(&fb, nl->seq, err) == 0 &&
		  (!n4 || ruleset_add_elems(&fb, FW_TABLE, "allow4", AF_INET, e4, n4, err) == 0) &&
		  (!n6 || ruleset_add_elems(&fb, FW_TABLE, "allow6", AF_INET6, e6, n6, err) == 0) &&
		  fw_batch_finish(&fb, err) == 0 && nl_send_batch(nl, &fb, err) == 0;

	if (fb.b)
		fw_batch_free(&fb);
	return ok ? 0 : -1;
}

static int parent_tables(struct parent *pp)
{
	return tally_init(&pp->refused, NAMES_MAX) < 0 || tally_init(&pp->rebind, 1024) < 0 ||
	       tally_init(&pp->upfail, 1024) < 0 || tally_init(&pp->names, NAMES_MAX) < 0 ||
	       addrmap_init(&pp->amap, pp->cfg->set_size * 2u) < 0 ? -1 : 0;
}

static void parent_tables_free(struct parent *pp)
{
	tally_free(&pp->refused);
	tally_free(&pp->rebind);
	tally_free(&pp->upfail);
	tally_free(&pp->names);
	addrmap_free(&pp->amap);
}

static bool may_emit(struct parent *pp)
{
	int64_t now = mono_ms();

	if (now - pp->tok_ms >= 1000) {
		pp->tok_ms = now;
		pp->tokens = EVENTS_PER_SEC;
	}
	if (pp->tokens > 0) {
		pp->tokens--;
		return true;
	}
	pp->suppressed++;
	return false;
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

static void on_note(struct parent *pp, struct fw_msg *m)
{
	char name[600], a[INET6_ADDRSTRLEN] = "", key[320], tn[16];
	bool first;

	if (!msg_name_ok(m))
		return;
	js(m->name, name, sizeof name);
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
static int check_allow(struct parent *pp, struct fw_msg *m, struct fw_elem *el, bool *need)
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
	secs = m->ttl < cfg->min_ttl ? cfg->min_ttl : m->ttl > cfg->max_ttl ? cfg->max_ttl : m->ttl;
	secs += cfg->grace;
	memcpy(el->addr, m->addr, 16);
	el->timeout_ms = secs * 1000;
	*need = true;
	return FW_ACK_OK;
}

static int on_burst(struct parent *pp)
{
	struct fw_msg m[BURST];
	struct fw_elem e4[BURST], e6[BURST];
	int status[BURST];
	bool need[BURST];
	size_t nm = 0, n4 = 0, n6 = 0;
	int64_t now = mono_ms();

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
	for (size_t i = 0; i < nm; i++) {
		need[i] = false;
		status[i] = FW_ACK_INVALID;
		if (m[i].op != FW_OP_ALLOW) {
			on_note(pp, &m[i]);
			continue;
		}
		struct fw_elem el;

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
	if (n4 + n6) {
		struct cs_err err = { 0 };
		bool ok = pp->insert(pp->insert_ctx, e4, n4, e6, n6, &err) == 0;

		if (!ok) {
			char line[CS_ERR_MSG_MAX + 300], j[CS_ERR_MSG_MAX * 2 + 600];

			cs_err_format(&err, line, sizeof line);
			if (may_emit(pp))
				emit("EVENT {\"type\":\"insert-failed\",\"message\":\"%s\"}", js(line, j, sizeof j));
		}
		for (size_t i = 0; i < nm; i++) {
			if (!need[i])
				continue;
			if (!ok) {
				status[i] = FW_ACK_FAILED;
				continue;
			}
			bool first;
			struct tally_ent *ne = tally_hit(&pp->names, m[i].name, 0, &first);
			struct addr_ent *a = addrmap_get(&pp->amap, (int)m[i].family, m[i].addr, true, now);
			uint64_t secs = m[i].ttl < pp->cfg->min_ttl ? pp->cfg->min_ttl :
					m[i].ttl > pp->cfg->max_ttl ? pp->cfg->max_ttl : m[i].ttl;

			if (a) {
				a->expires_ms = now + (int64_t)(secs + pp->cfg->grace) * 1000;
				if (ne)
					a->name = (int32_t)(ne - pp->names.v);
			}
		}
	}
	for (size_t i = 0; i < nm; i++) {
		struct fw_ack ack = { m[i].seq, status[i] };

		if (m[i].op == FW_OP_ALLOW)
			(void)send(pp->priv_fd, &ack, sizeof ack, MSG_NOSIGNAL);
	}
	return 0;
}

static void conn_cb(void *ctx, int family, const unsigned char *addr, uint8_t proto, uint16_t port,
		    uint64_t packets)
{
	struct parent *pp = ctx;
	char a[INET6_ADDRSTRLEN] = "?", pr[8], name[600] = "";
	const char *pn = proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 ? "icmp" :
			 proto == 58 ? "icmpv6" : NULL;
	uint8_t key[16] = { 0 };
	struct addr_ent *e;

	memcpy(key, addr, family == AF_INET ? 4 : 16);
	inet_ntop(family, key, a, sizeof a);
	if (!pn) {
		snprintf(pr, sizeof pr, "%u", proto);
		pn = pr;
	}
	e = addrmap_get(&pp->amap, family, key, false, mono_ms());
	if (e && e->name >= 0 && (size_t)e->name < pp->names.n) {
		char j[600];

		snprintf(name, sizeof name, ",\"name\":\"%s\"", js(pp->names.v[e->name].key, j, sizeof j));
	}
	emit("SUMMARY {\"type\":\"conn\",\"addr\":\"%s\",\"proto\":\"%s\",\"port\":%u,\"count\":%llu%s}", a,
	     pn, port, (unsigned long long)packets, name);
}

static void summary(struct parent *pp)
{
	struct cs_err err = { 0 };
	char j[600], tn[16];
	uint64_t over = pp->refused.overflow + pp->rebind.overflow + pp->upfail.overflow;

	for (size_t i = 0; i < pp->refused.n; i++)
		emit("SUMMARY {\"type\":\"dns-refused\",\"name\":\"%s\",\"qtype\":\"%s\",\"count\":%llu}",
		     js(pp->refused.v[i].key, j, sizeof j),
		     dns_type_name((uint16_t)pp->refused.v[i].qtype, tn, sizeof tn),
		     (unsigned long long)pp->refused.v[i].count);
	for (size_t i = 0; i < pp->rebind.n; i++) {
		char name[300], *sp;

		snprintf(name, sizeof name, "%s", pp->rebind.v[i].key);
		sp = strrchr(name, ' ');
		if (sp)
			*sp++ = '\0';
		emit("SUMMARY {\"type\":\"dns-rebind\",\"name\":\"%s\",\"addr\":\"%s\",\"count\":%llu}",
		     js(name, j, sizeof j), sp ? sp : "", (unsigned long long)pp->rebind.v[i].count);
	}
	for (size_t i = 0; i < pp->upfail.n; i++)
		emit("SUMMARY {\"type\":\"dns-upstream-failed\",\"name\":\"%s\",\"count\":%llu}",
		     js(pp->upfail.v[i].key, j, sizeof j), (unsigned long long)pp->upfail.v[i].count);
	if (nl_dump_blocked(&pp->nl, FW_TABLE, conn_cb, pp, &err) < 0) {
		char line[CS_ERR_MSG_MAX + 300], jj[CS_ERR_MSG_MAX * 2 + 600];

		cs_err_format(&err, line, sizeof line);
		emit("EVENT {\"type\":\"summary-failed\",\"message\":\"%s\"}", js(line, jj, sizeof jj));
	}
	if (over || pp->suppressed)
		emit("SUMMARY {\"type\":\"overflow\",\"dropped\":%llu,\"events_suppressed\":%llu}",
		     (unsigned long long)over, (unsigned long long)pp->suppressed);
}

/* The parent holds no CAP_KILL and the child runs as another uid, so it
 * cannot be signalled: closing the channel makes it exit (it treats EOF as
 * "parent gone"), and PDEATHSIG covers our own exit. */
static void stop_child(struct parent *pp)
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

static int parent_loop(struct parent *pp)
{
	for (;;) {
		struct pollfd pfd[2] = { { pp->sig_fd, POLLIN, 0 }, { pp->priv_fd, POLLIN, 0 } };
		char why[200] = "";

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, sizeof why, "poll: %s", strerror(errno));
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(pp->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
					/* notes already queued still count */
					on_burst(pp);
					stop_child(pp);
					summary(pp);
					emit("BYE");
					return 0;
				}
				if (si.ssi_signo == SIGCHLD) {
					int st;

					if (waitpid(pp->child, &st, WNOHANG) == pp->child) {
						pp->child = -1;
						snprintf(why, sizeof why, "the DNS filter exited (%s %d)",
							 WIFSIGNALED(st) ? "signal" : "status",
							 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
					}
				}
			}
		}
		if (!why[0] && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && on_burst(pp) < 0)
			snprintf(why, sizeof why, "the DNS filter closed its channel");
		if (why[0]) {
			char j[500];

			emit("EVENT {\"type\":\"fatal\",\"message\":\"%s; DNS is down, egress stays denied\"}",
			     js(why, j, sizeof j));
			stop_child(pp);
			summary(pp);
			return 1;
		}
	}
}

/* ---- startup -------------------------------------------------------------- */

static int listen_socket(const struct fw_upstream *l, int type, struct cs_err *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int one = 1, fd = socket(l->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return cs_fail(err, errno, "DNS listener socket");
	if (l->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(l->port);
		memcpy(&s->sin_addr, l->addr, 4);
		sl = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(l->port);
		memcpy(&s->sin6_addr, l->addr, 16);
		sl = sizeof *s;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	/* TCP only: on UDP, SO_REUSEADDR would let a second instance share
	 * the port instead of failing */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		char a[80];

		fw_upstream_format(l, a, sizeof a);
		cs_fail(err, errno, "binding the DNS filter to %s (%s)", a,
			type == SOCK_STREAM ? "tcp" : "udp");
		cs_hint(err, "is another resolver listening there? use --listen IP[#PORT]");
		close(fd);
		return -1;
	}
	return fd;
}

static void __attribute__((noreturn)) child_main(struct fw_config *cfg, struct parent *pp, int fd,
						 int udp, int tcp)
{
	struct cs_err err = { 0 };
	struct fw_msg ready = { .op = FW_OP_READY };
	struct dnsf_cfg dc = { .al = &cfg->al, .guard = &pp->guard, .up = cfg->up, .n_up = cfg->n_up,
		.udp_fd = udp, .tcp_fd = tcp, .priv_fd = fd, .ttl_cap = cfg->max_ttl,
		.max_addrs = cfg->max_addrs };
	sigset_t all;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	nl_close(&pp->nl);      /* the privileged socket stays with the parent */
	close(pp->sig_fd);
	if (privsep_drop_child(cfg->dns_uid, cfg->dns_gid, &err) < 0 ||
	    privsep_seccomp_child(&err) < 0) {
		(void)send(fd, &err, sizeof err, MSG_NOSIGNAL);
		_exit(1);
	}
	(void)send(fd, &ready, sizeof ready, MSG_NOSIGNAL);
	_exit(dnsfilter_run(&dc, &err) < 0 ? 1 : 0);
}

/* Wait for the child's READY (or its startup error). */
static int wait_child(struct parent *pp, struct cs_err *err)
{
	union { struct fw_msg m; struct cs_err e; } u;
	struct pollfd pfd = { pp->priv_fd, POLLIN, 0 };
	ssize_t r;

	if (poll(&pfd, 1, CHILD_READY_MS) <= 0)
		return cs_fail(err, ETIMEDOUT, "the DNS filter did not start");
	r = recv(pp->priv_fd, &u, sizeof u, MSG_TRUNC);
	if (r == (ssize_t)sizeof u.m && u.m.op == FW_OP_READY)
		return 0;
	if (r == (ssize_t)sizeof u.e) {
		u.e.msg[sizeof u.e.msg - 1] = u.e.hint[sizeof u.e.hint - 1] = '\0';
		cs_fail(err, u.e.errnum, "%s", u.e.msg);
		if (u.e.hint[0])
			cs_hint(err, "%s", u.e.hint);
		else
			cs_hint(err, "the DNS filter runs as uid %u: the owner needs CAP_SETUID and CAP_SETGID",
				(unsigned)pp->cfg->dns_uid);
		return -1;
	}
	return cs_fail(err, 0, "the DNS filter exited during startup");
}

static void ready_line(struct fw_config *cfg)
{
	char ups[FW_MAX_UPSTREAMS * 60 + 8] = "", one[64], l[64];
	size_t o = 0;

	for (size_t i = 0; i < cfg->n_up; i++) {
		fw_upstream_format(&cfg->up[i], one, sizeof one);
		o += (size_t)snprintf(ups + o, sizeof ups - o, "%s\"%s\"", i ? "," : "", one);
	}
	fw_upstream_format(&cfg->listen, l, sizeof l);
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	emit("READY {\"ms\":%.2f,\"entries\":%zu,\"upstreams\":[%s],\"listen\":\"%s\"}",
	     (double)((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - cfg->t0_us) / 1000.0,
	     cfg->al.n, ups, l);
}

int fw_serve(struct fw_config *cfg)
{
	struct parent pp = { .cfg = cfg, .priv_fd = -1, .sig_fd = -1, .child = -1 };
	struct cs_err err = { 0 };
	struct fw_ruleset_cfg rc = { .table = FW_TABLE, .al = &cfg->al, .dns_uid = cfg->dns_uid,
		.listen = &cfg->listen,
		.set_size = cfg->set_size, .blocked_size = 4096,
		.default_timeout_ms = ((uint64_t)cfg->max_ttl + cfg->grace) * 1000,
		.extra_dns = cfg->extra_dns,
		.extra_dns_uid = cfg->extra_dns_uid };
	bool loaded = false;
	int sp[2] = { -1, -1 }, udp = -1, tcp = -1, status = 1;
	sigset_t mask;
	char *text;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((pp.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		cs_fail(&err, errno, "signalfd");
		goto fail;
	}
	pp.insert = nl_insert;
	pp.insert_ctx = &pp.nl;
	if (parent_tables(&pp) < 0) {
		cs_fail(&err, ENOMEM, "allocating tables");
		goto fail;
	}
	/* The gateways of this namespace join the rebinding guard. */
	pp.guard = cfg->guard;          /* the host's addresses (--guard-host) */
	if ((text = read_small_file("/proc/net/route", 1 << 16))) {
		guard_parse_route4(&pp.guard, text);
		free(text);
	}
	if ((text = read_small_file("/proc/net/ipv6_route", 1 << 18))) {
		guard_parse_route6(&pp.guard, text);
		free(text);
	}
	if (cfg->n_up == 0) {
		text = read_small_file("/etc/resolv.conf", 1 << 16);
		cfg->n_up = text ? fw_parse_resolv(text, &cfg->listen, cfg->up, FW_MAX_UPSTREAMS) : 0;
		free(text);
		if (cfg->n_up == 0) {
			cs_fail(&err, 0, "no usable upstream resolver: /etc/resolv.conf has no nameserver "
				"other than the filter's own address");
			cs_hint(&err, "pass --upstream IP (the resolver the DNS filter should ask)");
			goto fail;
		}
	}
	rc.up = cfg->up;
	rc.n_up = cfg->n_up;
	/* Bind first: a second instance (address in use) must fail before it
	 * touches the table the first one is enforcing. */
	if ((udp = listen_socket(&cfg->listen, SOCK_DGRAM, &err)) < 0 ||
	    (tcp = listen_socket(&cfg->listen, SOCK_STREAM, &err)) < 0)
		goto fail;
	if (nl_open(&pp.nl, &err) < 0) {
		table_hint(&err);
		goto fail;
	}
	if (send_table(&pp.nl, &rc, &err) < 0)
		goto fail;
	loaded = true;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		cs_fail(&err, errno, "socketpair");
		goto fail;
	}
	fflush(stdout);
	pp.child = fork();
	if (pp.child < 0) {
		cs_fail(&err, errno, "fork");
		goto fail;
	}
	if (pp.child == 0) {
		close(sp[0]);
		child_main(cfg, &pp, sp[1], udp, tcp);
	}
	close(sp[1]);
	close(udp);
	close(tcp);
	udp = tcp = -1;
	pp.priv_fd = sp[0];
	if (privsep_drop_parent(&err) < 0 || privsep_seccomp_parent(&err) < 0) {
		cs_hint(&err, "the network owner needs CAP_NET_ADMIN, CAP_SETUID and CAP_SETGID");
		goto fail;
	}
	if (wait_child(&pp, &err) < 0)
		goto fail;
	ready_line(cfg);
	status = parent_loop(&pp);
	goto out;
fail:
	{
		char line[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];

		stop_child(&pp);
		if (loaded)
			delete_table(&pp.nl);
		cs_err_format(&err, line, sizeof line);
		emit("ERROR %s", line);
		status = 1;
	}
out:
	if (udp >= 0)
		close(udp);
	if (tcp >= 0)
		close(tcp);
	if (pp.priv_fd >= 0)
		close(pp.priv_fd);
	if (pp.sig_fd >= 0)
		close(pp.sig_fd);
	nl_close(&pp.nl);
	parent_tables_free(&pp);
	return status;
}

/* ---- the parent without its privileged surroundings (unit tests) ---------- */

struct fw_parent *fw_parent_new(struct fw_config *cfg, int priv_fd, fw_insert_fn insert, void *ctx)
{
	struct parent *pp = calloc(1, sizeof *pp);

	if (!pp)
		return NULL;
	pp->cfg = cfg;
	pp->priv_fd = priv_fd;
	pp->sig_fd = -1;
	pp->child = -1;
	pp->insert = insert;
	pp->insert_ctx = ctx;
	pp->guard = cfg->guard;          /* as fw_serve: the host's addresses too */
	if (parent_tables(pp) < 0) {
		parent_tables_free(pp);
		free(pp);
		return NULL;
	}
	return (struct fw_parent *)pp;
}

struct guard *fw_parent_guard(struct fw_parent *p)
{
	return &((struct parent *)p)->guard;
}

int fw_parent_handle(struct fw_parent *p)
{
	return on_burst((struct parent *)p);
}

void fw_parent_free(struct fw_parent *p)
{
	if (!p)
		return;
	parent_tables_free((struct parent *)p);
	free(p);
}
