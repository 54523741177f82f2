#include "runner/docker/proc.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "runner/core/sig.h"

int proc_run(char *const argv[], const char *label, struct cs_err *err)
{
	static const char spin[] = "|/-\\";
	bool tty = isatty(STDERR_FILENO);
	struct timespec t0, now, tick = { 0, 200 * 1000 * 1000 };
	cleanup_pid pid_t pid = -1;
	int ws, i = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return cs_fail(err, errno, "fork");
	if (pid == 0) {
		sig_reset_for_child();
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "codex-sandbox: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &ws, WNOHANG);

		if (r == pid) {
			steal_pid(&pid);  /* reaped */
			break;
		}
		if (r < 0 && errno != EINTR)
			return cs_fail(err, errno, "waitpid");
		if (sig_terminating()) {
			kill(pid, SIGTERM);
			waitpid(steal_pid(&pid), &ws, 0);
			return cs_fail(err, EINTR, "interrupted while %s", label);
		}
		if (tty && label) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			fprintf(stderr, "\r%c %s (%lds) ", spin[i++ % 4], label, (long)(now.tv_sec - t0.tv_sec));
			fflush(stderr);
		}
		nanosleep(&tick, NULL);
	}
	if (tty && label)
		fprintf(stderr, "\r\033[K");
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	return 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}
