/* The seccomp filter the init installs before exec'ing the command.
 *
 * Defense in depth on top of Docker's default profile (whose contents vary
 * with the engine version) and CapDrop ALL: the kernel interfaces an agent
 * has no business with, the classic container-escape and kernel-exploit
 * surface, and anything that could touch the network namespace's firewall
 * even if a capability leaked.  Default: allow.  Denied calls fail with
 * EPERM; io_uring gets ENOSYS so runtimes fall back to ordinary I/O, and
 * clone3 gets ENOSYS so glibc falls back to clone, whose flags we can check.
 */
#include "runner/init/filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

static const char *const denied[] = {
	/* kernel keyrings, BPF, perf, userfaultfd: common exploit primitives */
	"add_key", "request_key", "keyctl", "bpf", "perf_event_open", "userfaultfd",
	/* kernel/module/system administration */
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "vhangup",
	/* mounts and namespaces: the container is the sandbox */
	"mount", "umount2", "pivot_root", "chroot", "setns", "unshare",
	"open_by_handle_at", "name_to_handle_at", "fsopen", "fsmount", "fsconfig",
	"move_mount", "open_tree", "mount_setattr",
	NULL,
};

static const char *const enosys[] = {
	"io_uring_setup", "io_uring_enter", "io_uring_register", "clone3", NULL,
};

static int add_list(scmp_filter_ctx ctx, const char *const *names, uint32_t action,
		    char *why, size_t whysz)
{
	for (const char *const *n = names; *n; n++) {
		int nr = seccomp_syscall_resolve_name(*n), r;

		if (nr == __NR_SCMP_ERROR)
			continue;   /* not on this architecture */
		if ((r = seccomp_rule_add(ctx, action, nr, 0)) < 0) {
			snprintf(why, whysz, "rule for %s", *n);
			errno = -r;
			return -1;
		}
	}
	return 0;
}

int filter_install(char *why, size_t whysz)
{
	const unsigned long ns_flags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID |
				       CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = -1, r;

	if (!ctx) {
		snprintf(why, whysz, "seccomp_init failed");
		errno = ENOMEM;
		return -1;
	}
	if (add_list(ctx, denied, SCMP_ACT_ERRNO(EPERM), why, whysz) < 0 ||
	    add_list(ctx, enosys, SCMP_ACT_ERRNO(ENOSYS), why, whysz) < 0)
		goto out;
	/* clone() that would create a namespace: one rule per flag, since a
	 * masked compare can only test "all bits of the mask set". */
	for (int bit = 0; bit < 64; bit++) {
		unsigned long f = 1UL << bit;

		if (!(ns_flags & f))
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					  SCMP_A0(SCMP_CMP_MASKED_EQ, f, f))) < 0) {
			snprintf(why, whysz, "clone flag rule");
			errno = -r;
			goto out;
		}
	}
	/* Raw packets and the netfilter netlink family: no business of the
	 * agent's, and the firewall lives in this network namespace. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, AF_PACKET))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2,
				  SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
				  SCMP_A2(SCMP_CMP_EQ, NETLINK_NETFILTER))) < 0) {
		snprintf(why, whysz, "socket rules");
		errno = -r;
		goto out;
	}
	if ((r = seccomp_load(ctx)) < 0) {
		snprintf(why, whysz, "seccomp_load");
		errno = -r;
		goto out;
	}
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}
