#include "firewall/child.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firewall/dnsfilter.h"
#include "firewall/parent_nfq.h"
#include "firewall/privsep.h"
#include "common/util.h"

#define CHILD_READY_MS 5000

int fw_listen_socket(const struct fw_upstream *l, int type, struct cs_err *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int one = 1, fd cleanup_close = socket(l->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

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
		return cs_hint(err, "is another resolver listening there? use --listen IP[#PORT]");
	}
	return steal_fd(&fd);
}

static void __attribute__((noreturn)) child_main(const struct fw_config *cfg, struct fw_parent *pp,
						 int fd, int udp, int tcp)
{
	struct cs_err err = { 0 };
	struct fw_msg ready = { .op = FW_OP_READY };
	/* the child's own copy of the list (after fork): only the parent changes it */
	struct dnsf_cfg dc = { .al = (struct allowlist *)&cfg->al, .guard = &pp->guard,
		.up = cfg->up, .n_up = cfg->n_up, .udp_fd = udp, .tcp_fd = tcp, .priv_fd = fd, .ttl_cap = cfg->max_ttl,
		.max_addrs = cfg->max_addrs, .sandbox_id = cfg->sandbox_id };
	sigset_t all;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	nl_close(&pp->nl);      /* the privileged sockets stay with the parent */
	fw_nfq_close(pp->nfq);
	close(pp->sig_fd);
	if (privsep_drop_child(cfg->dns_uid, cfg->dns_gid, &err) < 0 ||
	    privsep_seccomp_child(&err) < 0) {
		(void)send(fd, &err, sizeof err, MSG_NOSIGNAL);
		_exit(1);
	}
	(void)send(fd, &ready, sizeof ready, MSG_NOSIGNAL);
	_exit(dnsfilter_run(&dc, &err) < 0 ? 1 : 0);
}

int fw_child_start(struct fw_parent *pp, const struct fw_config *cfg, int udp, int tcp,
		   struct cs_err *err)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return cs_fail(err, errno, "socketpair");
	fflush(stdout);
	pp->child = fork();
	if (pp->child < 0) {
		int e = errno;

		close(sp[0]);
		close(sp[1]);
		return cs_fail(err, e, "fork");
	}
	if (pp->child == 0) {
		close(sp[0]);
		child_main(cfg, pp, sp[1], udp, tcp);
	}
	close(sp[1]);
	pp->priv_fd = sp[0];
	return 0;
}

/* Wait for the child's READY (or its startup error). */
int fw_child_wait_ready(struct fw_parent *pp, struct cs_err *err)
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
