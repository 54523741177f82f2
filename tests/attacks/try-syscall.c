/* try-syscall: attempt each call the sandbox's seccomp layer must refuse,
 * with the arguments an attacker would craft, and print one line per probe:
 *
 *   NAME ok            the call succeeded
 *   NAME EPERM         it failed with that errno
 *   NAME signal:SIGSYS the probe was killed by that signal
 *
 *   try-syscall [--target PID|child] [PROBE...]     (default: all probes)
 *
 * Every probe runs in its own forked child, so a kill or a stopped tracee
 * stays contained.  Calls are made so that an *allowed* call fails harmlessly
 * or does nothing lasting: an invalid fd (ioctl -> EBADF), an address below
 * mmap_min_addr that no process maps (process_vm_* -> EFAULT once the
 * permission check has passed), an immediate detach after a successful
 * attach.  The caller compares the lines with what it expects where it runs
 * (tests/attacks/30-seccomp.sh); this program judges nothing.
 *
 * --target child: probe a child this program forks (same uid, dumpable) for
 * the positive controls; default --target 1 (the sandbox's PID 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <linux/netlink.h>

#define HI (1UL << 32)
#define UNMAPPED ((void *)0x1000)   /* below mmap_min_addr in every process */

static pid_t target = 1;

static long r_getpid(void) { return syscall(SYS_getpid); }
static long r_socket_inet(void) { return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); }
static long r_socket_inet_hi(void) { return syscall(SYS_socket, HI | AF_INET, SOCK_STREAM, 0); }
static long r_socket_packet(void) { return syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0); }
static long r_socket_packet_hi(void) { return syscall(SYS_socket, HI | AF_PACKET, SOCK_RAW, 0); }
static long r_socket_nfnetlink(void)
{
	return syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
}
static long r_socket_nfnetlink_hi(void)
{
	return syscall(SYS_socket, HI | AF_NETLINK, SOCK_RAW, HI | NETLINK_NETFILTER);
}
/* fd -1: allowed means EBADF, and no byte is ever pushed anywhere. */
static long r_ioctl_tiocsti(void) { char c = 'x'; return syscall(SYS_ioctl, -1, TIOCSTI, &c); }
static long r_ioctl_tiocsti_hi(void)
{
	char c = 'x';

	return syscall(SYS_ioctl, -1, HI | TIOCSTI, &c);
}

static long r_ptrace_attach(void)
{
	long r = syscall(SYS_ptrace, PTRACE_ATTACH, target, 0, 0);

	if (r == 0) {   /* undo at once: wait for the stop, let it go */
		int st;

		waitpid(target, &st, __WALL);
		ptrace(PTRACE_DETACH, target, 0, 0);
	}
	return r;
}

static long vm_rw(long nr)
{
	char buf[8];
	struct iovec local = { buf, sizeof buf }, remote = { UNMAPPED, sizeof buf };

	return syscall(nr, target, &local, 1UL, &remote, 1UL, 0UL);
}
static long r_process_vm_readv(void) { return vm_rw(SYS_process_vm_readv); }
static long r_process_vm_writev(void) { return vm_rw(SYS_process_vm_writev); }

static long r_kcmp(void) { return syscall(SYS_kcmp, getpid(), target, KCMP_VM, 0, 0); }

static long r_pidfd_open(void) { return syscall(SYS_pidfd_open, target, 0); }

static long r_pidfd_getfd(void)
{
	long pfd = syscall(SYS_pidfd_open, target, 0);

	if (pfd < 0)
		return pfd;
	return syscall(SYS_pidfd_getfd, pfd, 0, 0);   /* the target's fd 0 */
}

static long r_process_madvise(void)
{
	struct iovec iov = { UNMAPPED, 4096 };
	long pfd = syscall(SYS_pidfd_open, target, 0);

	if (pfd < 0)
		return pfd;
	return syscall(SYS_process_madvise, pfd, &iov, 1UL, MADV_COLD, 0U);
}

static long open_proc(const char *what)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/%s", (int)target, what);
	return open(path, O_RDONLY | O_CLOEXEC);
}
static long r_proc_mem(void) { return open_proc("mem"); }
static long r_proc_environ(void) { return open_proc("environ"); }

static long r_unshare_user(void) { return syscall(SYS_unshare, CLONE_NEWUSER); }

static long r_clone_newuser(void)
{
	long r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, 0UL, 0UL, 0UL);

	if (r == 0)
		syscall(SYS_exit, 0);   /* the new child: leave at once */
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

static long r_clone3(void) { return syscall(SYS_clone3, NULL, 0UL); }
static long r_io_uring_setup(void) { return syscall(SYS_io_uring_setup, 1U, NULL); }
static long r_keyctl(void) { return syscall(SYS_keyctl, 0x7fffffffL, 0L, 0L, 0L, 0L); }

#if defined(__x86_64__)
/* getpid through the i386 ABI (int $0x80, i386 number 20). */
static long r_abi_i386(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}
/* getpid through the x32 ABI (the 0x40000000 bit on the native number). */
static long r_abi_x32(void) { return syscall(0x40000000L | SYS_getpid); }
#endif

static const struct probe {
	const char *name;
	long (*run)(void);
} probes[] = {
	{ "getpid", r_getpid },
	{ "socket_inet", r_socket_inet },
	{ "socket_inet_hi", r_socket_inet_hi },
	{ "socket_packet", r_socket_packet },
	{ "socket_packet_hi", r_socket_packet_hi },
	{ "socket_nfnetlink", r_socket_nfnetlink },
	{ "socket_nfnetlink_hi", r_socket_nfnetlink_hi },
	{ "ioctl_tiocsti", r_ioctl_tiocsti },
	{ "ioctl_tiocsti_hi", r_ioctl_tiocsti_hi },
	{ "ptrace_attach", r_ptrace_attach },
	{ "process_vm_readv", r_process_vm_readv },
	{ "process_vm_writev", r_process_vm_writev },
	{ "process_madvise", r_process_madvise },
	{ "kcmp", r_kcmp },
	{ "pidfd_open", r_pidfd_open },
	{ "pidfd_getfd", r_pidfd_getfd },
	{ "proc_mem", r_proc_mem },
	{ "proc_environ", r_proc_environ },
	{ "unshare_user", r_unshare_user },
	{ "clone_newuser", r_clone_newuser },
	{ "clone3", r_clone3 },
	{ "io_uring_setup", r_io_uring_setup },
	{ "keyctl", r_keyctl },
#if defined(__x86_64__)
	{ "abi_i386", r_abi_i386 },
	{ "abi_x32", r_abi_x32 },
#endif
};

static void errno_name(int e, char *out, size_t outsz)
{
	const char *n = strerrorname_np(e);

	if (n)
		snprintf(out, outsz, "%s", n);
	else
		snprintf(out, outsz, "E%d", e);
}

/* Run one probe in a child; print its line. */
static void run_probe(const struct probe *p)
{
	int fds[2], st;
	char res[64] = "";
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		printf("%s error:fork\n", p->name);
		return;
	}
	if (pid == 0) {
		long r;

		close(fds[0]);
		errno = 0;
		r = p->run();
		if (r >= 0)
			snprintf(res, sizeof res, "ok");
		else
			errno_name(errno, res, sizeof res);
		_exit(write(fds[1], res, strlen(res)) > 0 ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof res - 1) < 0)
		res[0] = '\0';
	close(fds[0]);
	if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st)) {
		const char *s = sigabbrev_np(WTERMSIG(st));

		printf("%s signal:SIG%s\n", p->name, s ? s : "?");
	} else {
		printf("%s %s\n", p->name, res[0] ? res : "error:no-result");
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	pid_t victim = 0;
	int i = 1, ran = 0;

	if (i + 1 < argc && strcmp(argv[i], "--target") == 0) {
		if (strcmp(argv[i + 1], "child") == 0) {
			victim = fork();
			if (victim < 0)
				return 2;
			if (victim == 0)
				for (;;)
					pause();
			target = victim;
		} else {
			char *end;
			long t = strtol(argv[i + 1], &end, 10);

			if (*end || t <= 0 || t > 4194304) {
				fprintf(stderr, "try-syscall: bad --target '%s'\n", argv[i + 1]);
				return 2;
			}
			target = (pid_t)t;
		}
		i += 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
		int wanted = i >= argc;

		for (int j = i; j < argc && !wanted; j++)
			wanted = strcmp(argv[j], probes[k].name) == 0;
		if (wanted) {
			run_probe(&probes[k]);
			ran++;
		}
	}
	if (victim > 0) {
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
	}
	if (ran == 0) {
		fprintf(stderr, "try-syscall: no such probe\n");
		return 2;
	}
	return 0;
}
