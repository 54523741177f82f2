/* The init's confinement: the seccomp filter as the kernel will run it, PID 1
 * made non-dumpable, the hook's leftovers reaped, the status file written
 * without following anything planted.
 *
 * The filter is built by filter_build(), exported as the BPF program the
 * kernel would load, and run here by a small classic-BPF interpreter against
 * crafted struct seccomp_data: every argument the attacker controls, all 64
 * bits of it, exactly as the kernel hands it to the filter.  The rest runs
 * for real in forked children (a new PID namespace for the reaper).
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>

#include "runner/init/confine.h"
#include "runner/init/filter.h"
#include "runner/init/status.h"

#define MAX_INSNS 4096   /* BPF_MAXINSNS: the kernel loads no more */

static struct sock_filter prog[MAX_INSNS];
static size_t prog_len;
static uint32_t native_arch;

/* Export the built filter as the kernel would receive it. */
static int load_program(void)
{
	char why[256] = "";
	scmp_filter_ctx ctx = filter_build(why, sizeof why);
	int fd = memfd_create("bpf", MFD_CLOEXEC), rc = -1;
	ssize_t n;

	if (!ctx || fd < 0)
		goto out;
	if (seccomp_export_bpf(ctx, fd) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	n = read(fd, prog, sizeof prog);
	if (n <= 0 || n % (ssize_t)sizeof prog[0] != 0 || (size_t)n == sizeof prog)
		goto out;
	prog_len = (size_t)n / sizeof prog[0];
	native_arch = seccomp_arch_native();
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ctx)
		seccomp_release(ctx);
	return rc;
}

/* Classic BPF as seccomp allows it.  Returns the filter's action word, or
 * 0xdeadbeef for anything the kernel's checker would have refused. */
static uint32_t run_filter(const struct seccomp_data *d)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
	size_t pc = 0;

	for (int steps = 0; pc < prog_len && steps < MAX_INSNS; steps++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t k = f->k, src = BPF_SRC(f->code) == BPF_X ? X : k;
		bool cond;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (f->code == (BPF_LD | BPF_W | BPF_ABS) && k % 4 == 0 && k + 4 <= sizeof *d)
				memcpy(&A, (const char *)d + k, 4);
			else if (f->code == (BPF_LD | BPF_W | BPF_MEM) && k < BPF_MEMWORDS)
				A = M[k];
			else if (f->code == (BPF_LD | BPF_IMM))
				A = k;
			else if (f->code == (BPF_LD | BPF_W | BPF_LEN))
				A = sizeof *d;
			else
				return 0xdeadbeef;
			break;
		case BPF_LDX:
			if (f->code == (BPF_LDX | BPF_W | BPF_MEM) && k < BPF_MEMWORDS)
				X = M[k];
			else if (f->code == (BPF_LDX | BPF_IMM))
				X = k;
			else
				return 0xdeadbeef;
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return 0xdeadbeef;
			M[k] = BPF_CLASS(f->code) == BPF_ST ? A : X;
			break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_ADD: A += src; break;
			case BPF_SUB: A -= src; break;
			case BPF_MUL: A *= src; break;
			case BPF_OR: A |= src; break;
			case BPF_AND: A &= src; break;
			case BPF_XOR: A ^= src; break;
			case BPF_LSH: A = src < 32 ? A << src : 0; break;
			case BPF_RSH: A = src < 32 ? A >> src : 0; break;
			case BPF_NEG: A = -A; break;
			default: return 0xdeadbeef;
			}
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA) {
				pc += 1 + k;
				continue;
			}
			switch (BPF_OP(f->code)) {
			case BPF_JEQ: cond = A == src; break;
			case BPF_JGT: cond = A > src; break;
			case BPF_JGE: cond = A >= src; break;
			case BPF_JSET: cond = (A & src) != 0; break;
			default: return 0xdeadbeef;
			}
			pc += 1 + (cond ? f->jt : f->jf);
			continue;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? A : k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		default:
			return 0xdeadbeef;
		}
		pc++;
	}
	return 0xdeadbeef;   /* fell off the end: the kernel refuses such a program */
}

static uint32_t call(uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2 } };

	return run_filter(&d);
}

#define NATIVE(nr, a0, a1, a2) call(native_arch, (nr), (a0), (a1), (a2))
#define EPERM_RET (SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_RET (SECCOMP_RET_ERRNO | ENOSYS)
#define HI (1ULL << 32)

/* Names the filter must refuse outright with EPERM: this test's own list,
 * not the filter's table. */
static const char *const must_deny[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
	"pidfd_getfd", "unshare", "setns", "mount", "bpf", "keyctl", "userfaultfd",
	"open_by_handle_at", "fsopen", "move_mount",
};

static void test_filter_program(void)
{
	ok(load_program() == 0, "filter builds and exports as BPF (%zu instructions)", prog_len);

	/* Positive controls: ordinary calls pass. */
	is_int(NATIVE(SYS_getpid, 0, 0, 0), SECCOMP_RET_ALLOW, "getpid allowed");
	is_int(NATIVE(SYS_socket, AF_INET, SOCK_STREAM, 0), SECCOMP_RET_ALLOW, "AF_INET socket allowed");
	is_int(NATIVE(SYS_socket, HI | AF_INET, SOCK_STREAM, 0), SECCOMP_RET_ALLOW,
	       "AF_INET with high bits allowed (the kernel sees AF_INET)");
	is_int(NATIVE(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), SECCOMP_RET_ALLOW,
	       "NETLINK_ROUTE socket allowed");
	is_int(NATIVE(SYS_ioctl, 0, TIOCGWINSZ, 0), SECCOMP_RET_ALLOW, "ioctl TIOCGWINSZ allowed");
	is_int(NATIVE(SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		      CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, 0, 0),
	       SECCOMP_RET_ALLOW, "clone for a thread allowed");
	is_int(NATIVE(SYS_clone, SIGCHLD, 0, 0), SECCOMP_RET_ALLOW, "clone for fork allowed");

	/* Argument rules, at the width the kernel reads them. */
	is_int(NATIVE(SYS_socket, AF_PACKET, SOCK_RAW, 0), EPERM_RET, "AF_PACKET socket: EPERM");
	is_int(NATIVE(SYS_socket, HI | AF_PACKET, SOCK_RAW, 0), EPERM_RET,
	       "(1<<32)|AF_PACKET socket: EPERM");
	is_int(NATIVE(SYS_socket, 0xffffffff00000000ULL | AF_PACKET, SOCK_RAW, 0), EPERM_RET,
	       "all high bits | AF_PACKET socket: EPERM");
	is_int(NATIVE(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER), EPERM_RET,
	       "NETLINK_NETFILTER socket: EPERM");
	is_int(NATIVE(SYS_socket, HI | AF_NETLINK, SOCK_RAW, HI | NETLINK_NETFILTER), EPERM_RET,
	       "NETLINK_NETFILTER with high bits in family and protocol: EPERM");
	is_int(NATIVE(SYS_ioctl, 0, TIOCSTI, 0), EPERM_RET, "ioctl TIOCSTI: EPERM");
	is_int(NATIVE(SYS_ioctl, 0, HI | TIOCSTI, 0), EPERM_RET, "ioctl (1<<32)|TIOCSTI: EPERM");
	is_int(NATIVE(SYS_ioctl, 0, TIOCLINUX, 0), EPERM_RET, "ioctl TIOCLINUX: EPERM");
	is_int(NATIVE(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0), EPERM_RET, "clone(CLONE_NEWUSER): EPERM");
	is_int(NATIVE(SYS_clone, (1ULL << 40) | CLONE_NEWNET | CLONE_VM, 0, 0), EPERM_RET,
	       "clone(CLONE_NEWNET with other bits): EPERM");
	for (size_t i = 0; i < sizeof must_deny / sizeof must_deny[0]; i++) {
		int nr = seccomp_syscall_resolve_name(must_deny[i]);

		is_int(NATIVE(nr, 1, 0, 0), EPERM_RET, "%s: EPERM", must_deny[i]);
	}
	is_int(NATIVE(SYS_clone3, 0, 0, 0), ENOSYS_RET, "clone3: ENOSYS (glibc falls back to clone)");
	is_int(NATIVE(SYS_io_uring_setup, 0, 0, 0), ENOSYS_RET, "io_uring_setup: ENOSYS");

	/* Foreign ABIs: the rules name native numbers only, so any other
	 * ABI kills the process (the thread where the kernel, or valgrind's
	 * view of it, predates SECCOMP_RET_KILL_PROCESS: API level < 3). */
	const uint32_t kill = seccomp_api_get() >= 3 ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_KILL_THREAD;
#if defined(__x86_64__)
	is_int(call(AUDIT_ARCH_I386, 20 /* i386 getpid */, 0, 0, 0), kill,
	       "i386 ABI (int $0x80): kills the process");
	is_int(NATIVE(0x40000000 | SYS_getpid, 0, 0, 0), kill,
	       "x32 ABI (0x40000000 | nr): kills the process");
#else
	is_int(call(AUDIT_ARCH_X86_64, SYS_getpid, 0, 0, 0), kill,
	       "a foreign ABI kills the process");
	ok(1, "# SKIP x32 exists only on x86_64");
#endif
}

/* confine_self() for real, in a child: what PID 1 becomes. */
static void test_confine_self(void)
{
	int fds[2], res[5] = { -1, -1, -1, -1, -1 }, st;
	pid_t pid;

	fflush(stdout);   /* a child must not repeat what is buffered */
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		for (int i = 0; i < 5; i++)
			ok(0, "confine_self: cannot fork");
		return;
	}
	if (pid == 0) {
		char why[256], line[256];
		FILE *f;

		close(fds[0]);
		res[0] = confine_self(why, sizeof why);
		res[1] = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		res[2] = syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0 ? errno : 0;
		res[3] = syscall(SYS_socket, HI | AF_PACKET, SOCK_RAW, 0) < 0 ? errno : 0;
		if ((f = fopen("/proc/self/status", "re"))) {
			while (fgets(line, sizeof line, f))
				if (strncmp(line, "Seccomp:", 8) == 0)
					res[4] = atoi(line + 8);
			fclose(f);
		}
		_exit(write(fds[1], res, sizeof res) == sizeof res ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof res) != sizeof res)
		res[0] = -2;
	close(fds[0]);
	waitpid(pid, &st, 0);
	is_int(res[0], 0, "confine_self succeeds");
	is_int(res[1], 0, "... PID 1 is not dumpable (its /proc files are root's, no ptrace)");
	is_int(res[2], EPERM, "... ptrace refused by the filter");
	is_int(res[3], EPERM, "... a high-bit AF_PACKET socket refused by the kernel-loaded filter");
	is_int(res[4], 2, "... seccomp filter mode");
}

/* A leftover that forks an orphan and keeps forking: what a hostile hook
 * leaves behind. */
static void leftovers(void)
{
	if (fork() == 0) {
		if (fork() == 0) {
			setsid();
			for (;;)
				if (fork() == 0)
					pause();
				else
					sleep(1);
		}
		_exit(0);   /* the grandchild becomes an orphan of PID 1 */
	}
	if (fork() == 0)
		for (;;)
			pause();
}

/* Runs as PID 1 of a fresh PID namespace; exit code: bit flags of failures. */
static int as_pid1(void)
{
	int bad = 0, st;
	pid_t p;

	if (getpid() != 1)
		return 64;
	/* PID 2 must be refused, and must not signal anything. */
	p = fork();
	if (p == 0)
		_exit(reap_all(100) < 0 && errno == EPERM ? 0 : 1);
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		bad |= 1;
	leftovers();
	if (kill(-1, 0) != 0)   /* the leftovers exist (the control) */
		bad |= 2;
	if (reap_all(2000) != 0)
		bad |= 4;
	if (kill(-1, 0) == 0 || errno != ESRCH)   /* none left, not even a zombie */
		bad |= 8;
	return bad;
}

static void test_reap_all(void)
{
	int st = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();

	if (pid == 0) {
		/* Root may make a PID namespace; anyone else needs a user one. */
		if (unshare(CLONE_NEWPID) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWPID) < 0)
			_exit(100);
		pid = fork();
		if (pid == 0)
			_exit(as_pid1());
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			_exit(101);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 102);
	}
	waitpid(pid, &st, 0);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 103;
	if (st == 100) {
		for (int i = 0; i < 4; i++)
			ok(1, "# SKIP no PID namespace available here");
		return;
	}
	ok(st < 64 && !(st & 1), "reap_all refuses anywhere but PID 1 (status %d)", st);
	ok(st < 64 && !(st & 2), "the hook's leftovers were running before (control)");
	ok(st < 64 && !(st & 4), "reap_all returns success");
	ok(st < 64 && !(st & 8), "no process is left in the namespace, orphans and forkers included");
}

static void test_status(void)
{
	char dir[] = "/tmp/cs-status.XXXXXX", path[64], target[64], buf[256] = "";
	const char *base = NULL;
	struct stat sb;
	int dfd, fd;
	ssize_t n;

	if (!mkdtemp(dir)) {
		for (int i = 0; i < 10; i++)
			ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/status", dir);
	snprintf(target, sizeof target, "%s/victim", dir);
	dfd = status_dir_open(path, &base);
	ok(dfd >= 0 && strcmp(base, "status") == 0, "status_dir_open: the directory and the last component");

	fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	if (symlinkat("victim", dfd, "status") < 0)
		ok(0, "symlink");
	errno = 0;
	ok(status_create(dfd, "status") < 0 && errno == EEXIST, "a planted link is not opened");
	if (unlinkat(dfd, "status", 0) < 0 || mkfifoat(dfd, "status", 0600) < 0)
		ok(0, "mkfifo");
	ok(status_create(dfd, "status") < 0, "a planted FIFO is not opened (and nothing blocks)");
	unlinkat(dfd, "status", 0);
	fd = openat(dfd, "status", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	ok(status_create(dfd, "status") < 0, "a planted regular file is not reused");

	/* The write replaces what was planted, never writes through it. */
	unlinkat(dfd, "status", 0);
	if (symlinkat("victim", dfd, "status") < 0)
		ok(0, "symlink");
	ok(status_write(dfd, "status", "stage=x\n", 8) == 0, "status_write over a planted link succeeds");
	ok(fstatat(dfd, "status", &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode),
	   "... the status is now a regular file");
	fd = openat(dfd, "status", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "stage=x\n", "... holding the text");
	ok(stat(target, &sb) == 0 && sb.st_size == 0, "... and the link's target is untouched");

	/* A directory given as a link is refused. */
	snprintf(path, sizeof path, "%s/dirlink", dir);
	if (symlink(dir, path) < 0)
		ok(0, "symlink");
	snprintf(path, sizeof path, "%s/dirlink/status", dir);
	errno = 0;
	fd = status_dir_open(path, &base);
	ok(fd < 0 && (errno == ELOOP || errno == ENOTDIR), "a link as the status directory is refused (%s)", strerror(errno));
	if (fd >= 0)
		close(fd);
	close(dfd);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	plan(55);
	test_filter_program();
	test_confine_self();
	test_reap_all();
	test_status();
	return tap_done();
}
