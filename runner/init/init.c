/* codex-sandbox-init: PID 1 of the sandbox container (tini's shape).
 *
 *   codex-sandbox-init [--status FILE] [--hook PATH] -- CMD [ARGS...]
 *
 * - Blocks asynchronous signals, forwards them to the running child, reaps
 *   every zombie (agent tool runs leave plenty), exits with the command's
 *   status or 128+signal.
 * - Confines itself first (confine.c): not dumpable, then the libseccomp
 *   filter, so the hook, the command and everything they start inherit it.
 * - Runs the project's init hook first (in the working directory, as the
 *   sandbox user, in the foreground of the terminal); a failing hook stops
 *   the run with the hook's status and the command is never started.  When
 *   the hook exits, every process it left behind is killed before the
 *   command starts (the hook is project content, as untrusted as the agent).
 * - Any failure before exec is written to the status FILE as key=value lines
 *   (stage, status, errno, msg) so the runner can print it as its one error
 *   line; exit 126/127 for exec failures as docker run does.  Only PID 1
 *   writes it, through a directory fd opened before anything else runs, and
 *   never opens what is already there (status.c).
 * - With a terminal, waits (briefly) for the runner's first resize, so the
 *   command never starts on a 0x0 terminal (API 1.41 ignores ConsoleSize).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/init/confine.h"
#include "runner/init/mountcheck.h"
#include "runner/init/status.h"

static int status_dir = -1;
static const char *status_name;

/* Signals the kernel sends to the thread that caused them; never blocked. */
static const int synchronous[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS,
				   SIGTTIN, SIGTTOU };

static void write_status(const char *stage, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void write_status(const char *stage, int status, int errnum, const char *fmt, ...)
{
	char msg[1024], text[1280];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	n = snprintf(text, sizeof text, "stage=%s\nstatus=%d\nerrno=%d\nmsg=%s\n", stage, status,
		     errnum, msg);
	if (status_dir >= 0 && n > 0 && (size_t)n < sizeof text &&
	    status_write(status_dir, status_name, text, (size_t)n) == 0)
		return;
	/* No status channel: say it on stderr, which the user sees. */
	fprintf(stderr, "codex-sandbox-init: %s%s%s\n", msg, errnum ? ": " : "",
		errnum ? strerror(errnum) : "");
}

/* The terminal's foreground goes to the child's process group, so ^C typed
 * by the user signals the program, not us (tini's behaviour). */
static void take_terminal(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	if (setpgid(0, 0) < 0 || !isatty(STDIN_FILENO))
		return;
	sigaction(SIGTTOU, &ign, &old);
	tcsetpgrp(STDIN_FILENO, getpid());
	sigaction(SIGTTOU, &old, NULL);
}

static void wait_for_size(void)
{
	struct winsize ws;
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	if (!isatty(STDIN_FILENO))
		return;
	for (int i = 0; i < 200; i++) {   /* at most ~1 s */
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
			return;
		nanosleep(&ts, NULL);
	}
}

/* Fork and exec ARGV.  *EXEC_ERR is 0 once the exec succeeded, else its
 * errno, sent back through a close-on-exec pipe: the child never writes the
 * status file, so nothing the hook plants there can pass for its report. */
static pid_t spawn(char **argv, const sigset_t *orig, bool is_hook, int *exec_err)
{
	int fds[2], e = 0;
	pid_t pid;

	*exec_err = 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		sigprocmask(SIG_SETMASK, orig, NULL);
		take_terminal();
		execvp(argv[0], argv);
		if (is_hook && errno == ENOEXEC) {
			/* A hook without a #! line: run it with sh, as a shell would. */
			char *sh[] = { "/bin/sh", argv[0], NULL };

			execv(sh[0], sh);
		}
		e = errno;
		if (write(fds[1], &e, sizeof e) != sizeof e)
			e = 0;
		_exit((e == ENOENT || e == ENOTDIR) ? 127 : 126);
	}
	close(fds[1]);
	if (pid > 0) {
		ssize_t r;

		while ((r = read(fds[0], &e, sizeof e)) < 0 && errno == EINTR)
			;
		*exec_err = r == (ssize_t)sizeof e ? e : 0;
	}
	close(fds[0]);
	return pid;
}

/* Report an exec failure of ARGV0 (errno E) and return the exit status. */
static int exec_failed(const char *argv0, bool is_hook, int e)
{
	int st = (e == ENOENT || e == ENOTDIR) ? 127 : 126;

	if (is_hook)
		write_status("hook", st, e, "cannot run the init hook %s", argv0);
	else if (st == 127)
		write_status("exec", st, e, "command '%s' not found in the sandbox", argv0);
	else
		write_status("exec", st, e, "cannot execute '%s' in the sandbox", argv0);
	return st;
}

static int exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 125;
}

/* Wait for CHILD, forwarding signals and reaping everything else. */
static int supervise(pid_t child, const sigset_t *blocked)
{
	struct timespec tick = { 1, 0 };

	for (;;) {
		siginfo_t si;
		int sig = sigtimedwait(blocked, &si, &tick);

		if (sig > 0 && sig != SIGCHLD) {
			/* Forward to the child's group: the command and what it
			 * started in its job get the stop request. */
			if (kill(-child, sig) < 0)
				kill(child, sig);
		}
		for (;;) {
			int ws;
			pid_t p = waitpid(-1, &ws, WNOHANG);

			if (p <= 0)
				break;
			if (p == child)
				return exit_code(ws);
		}
	}
}

int main(int argc, char **argv)
{
	const char *hook = NULL, *status_file = NULL;
	sigset_t blocked, orig;
	char **cmd = NULL;
	char why[256];
	pid_t child;
	int rc, e;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) {
			status_file = argv[++i];
		} else if (strcmp(argv[i], "--hook") == 0 && i + 1 < argc) {
			hook = argv[++i];
		} else if (strcmp(argv[i], "--") == 0) {
			cmd = argv + i + 1;
			break;
		} else {
			write_status("init", 125, 0, "codex-sandbox-init: unknown argument '%s'", argv[i]);
			return 125;
		}
	}
	if (!cmd || !cmd[0]) {
		write_status("init", 125, 0, "codex-sandbox-init: no command given");
		return 125;
	}
	if (status_file) {
		/* Pinned now, before anything from the sandbox runs. */
		if ((status_dir = status_dir_open(status_file, &status_name)) < 0) {
			write_status("init", 125, errno, "codex-sandbox-init: status file %s", status_file);
			return 125;
		}
		/* a stale status from an earlier run means nothing */
		status_clear(status_dir, status_name);
	}
	{
		char mwhy[PATH_MAX + 128];

		/* What is mounted is what the runner checked, before anything runs. */
		if (mountcheck_env(mwhy, sizeof mwhy) < 0) {
			write_status("mounts", 125, 0, "%s", mwhy);
			return 125;
		}
	}

	/* tini: block everything but the synchronous signals. */
	sigfillset(&blocked);
	for (size_t i = 0; i < sizeof synchronous / sizeof synchronous[0]; i++)
		sigdelset(&blocked, synchronous[i]);
	sigprocmask(SIG_SETMASK, &blocked, &orig);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	/* No privileges to gain (Docker sets it too), not traceable, and our
	 * filter on us, inherited by all that follows. */
	if (confine_self(why, sizeof why) < 0) {
		write_status("seccomp", 125, errno, "installing the seccomp filter: %s", why);
		return 125;
	}

	wait_for_size();
	if (hook) {
		char *hargv[] = { (char *)hook, NULL };

		child = spawn(hargv, &orig, true, &e);
		if (child < 0) {
			write_status("hook", 125, errno, "fork for the init hook");
			return 125;
		}
		rc = supervise(child, &blocked);
		if (e)
			return exec_failed(hook, true, e);
		if (rc != 0) {
			write_status("hook", rc, 0, "the init hook %s failed with status %d", hook, rc);
			return rc;
		}
		/* Nothing the hook started lives on into the command's run. */
		if (reap_all(5000) < 0) {
			write_status("init", 125, errno, "stopping what the init hook left running");
			return 125;
		}
	}
	child = spawn(cmd, &orig, false, &e);
	if (child < 0) {
		write_status("init", 125, errno, "fork");
		return 125;
	}
	if (e)
		return exec_failed(cmd[0], false, e);
	return supervise(child, &blocked);
}
