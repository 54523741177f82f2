/* The seccomp filter PID 1 installs on itself before the init hook, so the
 * hook, the command and everything they start inherit it.
 *
 * Defense in depth on top of Docker's default profile (whose contents vary
 * with the engine version) and CapDrop ALL: the kernel interfaces an agent
 * has no business with, the classic container-escape and kernel-exploit
 * surface, anything that could reach into another process (PID 1 above all),
 * and anything that could touch the network namespace's firewall even if a
 * capability leaked.  Default: allow.  Denied calls fail with EPERM; io_uring
 * gets ENOSYS so runtimes fall back to ordinary I/O, and clone3 gets ENOSYS
 * so glibc falls back to clone, whose flags we can check.  A call made
 * through another ABI (i386 `int $0x80`, x32 numbers on x86_64) kills the
 * process: the rules below are written for the native numbers only.
 *
 * Argument widths: the kernel reads socket()'s and ioctl()'s arguments as
 * int / unsigned int, so only their low 32 bits count; a 64-bit compare would
 * let (1 << 32) | AF_PACKET through.  Those compares mask with 0xffffffff.
 * clone()'s flags are an unsigned long and are tested on all 64 bits.
 */
#include "runner/init/filter.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#define LOW32 0xffffffffULL

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
	/* reaching into another process: its memory, its fds, its state.  PID 1
	 * is also not dumpable (confine.c); this covers every other process and
	 * debuggers (gdb, strace, LeakSanitizer) therefore do not work inside. */
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
	"kcmp", "pidfd_getfd",
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

/* The argument rules.  Each is one seccomp_rule_add; all fail with EPERM. */
static int add_arg_rules(scmp_filter_ctx ctx, char *why, size_t whysz)
{
	const unsigned long ns_flags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID |
				       CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int r;

	/* clone() that would create a namespace: one rule per flag, since a
	 * masked compare can only test "all bits of the mask set". */
	for (int bit = 0; bit < 64; bit++) {
		unsigned long f = 1UL << bit;

		if (!(ns_flags & f))
			continue;
		if ((r = seccomp_rule_add(ctx, eperm, SCMP_SYS(clone), 1,
					  SCMP_A0_64(SCMP_CMP_MASKED_EQ, f, f))) < 0) {
			snprintf(why, whysz, "clone flag rule");
			goto fail;
		}
	}
	/* Raw packets and the netfilter netlink family: no business of the
	 * agent's, and the firewall lives in this network namespace. */
	if ((r = seccomp_rule_add(ctx, eperm, SCMP_SYS(socket), 1,
				  SCMP_A0_64(SCMP_CMP_MASKED_EQ, LOW32, AF_PACKET))) < 0 ||
	    (r = seccomp_rule_add(ctx, eperm, SCMP_SYS(socket), 2,
				  SCMP_A0_64(SCMP_CMP_MASKED_EQ, LOW32, AF_NETLINK),
				  SCMP_A2_64(SCMP_CMP_MASKED_EQ, LOW32, NETLINK_NETFILTER))) < 0) {
		snprintf(why, whysz, "socket rules");
		goto fail;
	}
	/* Typing into the terminal's input queue (bubblewrap's CVE-2017-5226):
	 * the sandbox's terminal is the engine's pty today, but nothing inside
	 * needs to fake keystrokes. */
	if ((r = seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1,
				  SCMP_A1_64(SCMP_CMP_MASKED_EQ, LOW32, TIOCSTI))) < 0 ||
	    (r = seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1,
				  SCMP_A1_64(SCMP_CMP_MASKED_EQ, LOW32, TIOCLINUX))) < 0) {
		snprintf(why, whysz, "ioctl rules");
		goto fail;
	}
	return 0;
fail:
	errno = -r;
	return -1;
}

scmp_filter_ctx filter_build(char *why, size_t whysz)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx) {
		snprintf(why, whysz, "seccomp_init failed");
		errno = ENOMEM;
		return NULL;
	}
	/* Only the native ABI is described by the rules; any other kills.
	 * Killing the whole process needs Linux 4.14 (libseccomp API level 3);
	 * before that the calling thread dies: the call never runs either way. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 &&
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_THREAD)) < 0) {
		snprintf(why, whysz, "bad-arch action");
		errno = -r;
		goto fail;
	}
	if (add_list(ctx, denied, SCMP_ACT_ERRNO(EPERM), why, whysz) < 0 ||
	    add_list(ctx, enosys, SCMP_ACT_ERRNO(ENOSYS), why, whysz) < 0 ||
	    add_arg_rules(ctx, why, whysz) < 0)
		goto fail;
	return ctx;
fail:
	{
		int e = errno;

		seccomp_release(ctx);
		errno = e;
	}
	return NULL;
}

int filter_install(char *why, size_t whysz)
{
	scmp_filter_ctx ctx = filter_build(why, whysz);
	int r;

	if (!ctx)
		return -1;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		snprintf(why, whysz, "seccomp_load");
		errno = -r;
		return -1;
	}
	return 0;
}
