#include "firewall/privsep.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(struct fw_msg) == 20 + 16 + 256, "fw_msg is a fixed wire layout");

static int cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capget, &h, d);
}

static int cap_set(const struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capset, &h, d);
}

static int last_cap(void)
{
	int last = CAP_LAST_CAP;

	/* the running kernel may know more caps than our headers */
	while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
		last++;
	return last;
}

int privsep_drop_child(uid_t uid, gid_t gid, struct cs_err *err)
{
	struct __user_cap_data_struct d[2];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	/* groups first: after setresuid we could no longer change them */
	if (setgroups(0, NULL) < 0)
		return cs_fail(err, errno, "DNS filter: setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return cs_fail(err, errno, "DNS filter: setresgid(%u)", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return cs_fail(err, errno, "DNS filter: setresuid(%u)", (unsigned)uid);
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return cs_fail(err, 0, "DNS filter: uid/gid did not change to %u:%u", (unsigned)uid,
			       (unsigned)gid);
	/* leaving uid 0 without KEEPCAPS clears the capability sets; check */
	if (cap_get(d) < 0)
		return cs_fail(err, errno, "DNS filter: capget");
	if (d[0].effective || d[0].permitted || d[1].effective || d[1].permitted ||
	    d[0].inheritable || d[1].inheritable)
		return cs_fail(err, 0, "DNS filter: capabilities left after dropping to uid %u",
			       (unsigned)uid);
	if (uid != 0 && setuid(0) == 0)
		return cs_fail(err, 0, "DNS filter: could regain uid 0");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return cs_fail(err, errno, "DNS filter: clearing ambient capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cs_fail(err, errno, "DNS filter: no_new_privs");
	return 0;
}

int privsep_drop_parent(struct cs_err *err)
{
	struct __user_cap_data_struct d[2];
	int last = last_cap();
	const unsigned keep = CAP_NET_ADMIN;

	if (cap_get(d) < 0)
		return cs_fail(err, errno, "capget");
	if (!(d[keep / 32].effective & (1u << (keep % 32))))
		return cs_fail(err, EPERM, "CAP_NET_ADMIN is not in the effective set");
	/* Bounding set: needs CAP_SETPCAP, which a Docker owner container
	 * does not have; there the set already is NET_ADMIN+SETUID+SETGID and
	 * exec is forbidden below, so a failure here is not a hole. */
	if (d[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32)))
		for (int c = 0; c <= last; c++)
			if ((unsigned)c != keep && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
				return cs_fail(err, errno, "dropping capability %d from the bounding set", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return cs_fail(err, errno, "clearing ambient capabilities");
	memset(d, 0, sizeof(struct __user_cap_data_struct) * 2);
	d[keep / 32].effective = d[keep / 32].permitted = 1u << (keep % 32);
	if (cap_set(d) < 0)
		return cs_fail(err, errno, "capset(CAP_NET_ADMIN only)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cs_fail(err, errno, "no_new_privs");
	if (cap_get(d) < 0)
		return cs_fail(err, errno, "capget");
	for (int i = 0; i < 2; i++) {
		uint32_t want = (unsigned)i == keep / 32 ? 1u << (keep % 32) : 0;

		if (d[i].effective != want || d[i].permitted != want || d[i].inheritable)
			return cs_fail(err, 0, "capabilities other than CAP_NET_ADMIN remain");
	}
	return 0;
}

/* Syscalls both sides need: memory, signals' return path, time, exit. */
static const int common_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(getpid), SCMP_SYS(futex),
};

/* Parent: netlink I/O (already-open socket), the socketpair, stdout,
 * the signalfd, and ending/reaping the child. */
static const int parent_calls[] = {
	SCMP_SYS(setsockopt), SCMP_SYS(kill), SCMP_SYS(wait4), SCMP_SYS(lseek),
	SCMP_SYS(accept4),      /* the control channel (firewall/control.h) */
};

/* Child: new upstream sockets (AF_INET/AF_INET6 only, see below), clients. */
static const int child_calls[] = {
	SCMP_SYS(connect), SCMP_SYS(accept4), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(getrandom), SCMP_SYS(shutdown), SCMP_SYS(fcntl), SCMP_SYS(getsockname),
};

static int load(const int *a, size_t na, const int *b, size_t nb, bool child, struct cs_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = 0;

	if (!ctx)
		return cs_fail(err, ENOMEM, "seccomp_init");
	for (size_t i = 0; i < na && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, a[i], 0);
	for (size_t i = 0; i < nb && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, b[i], 0);
	for (int fam = 0; child && fam < 2 && r == 0; fam++) {
		/* spelled out: SCMP_A0() leaves datum_b to the compiler */
		struct scmp_arg_cmp c = { .arg = 0, .op = SCMP_CMP_EQ,
					  .datum_a = fam ? AF_INET6 : AF_INET, .datum_b = 0 };

		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &c);
	}
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return cs_fail(err, -r, "installing the %s seccomp filter", child ? "DNS filter" : "firewall");
	return 0;
}

int privsep_seccomp_parent(struct cs_err *err)
{
	return load(common_calls, sizeof common_calls / sizeof common_calls[0], parent_calls,
		    sizeof parent_calls / sizeof parent_calls[0], false, err);
}

int privsep_seccomp_child(struct cs_err *err)
{
	return load(common_calls, sizeof common_calls / sizeof common_calls[0], child_calls,
		    sizeof child_calls / sizeof child_calls[0], true, err);
}
