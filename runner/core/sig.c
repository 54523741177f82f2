#include "runner/core/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2] = { -1, -1 };
static volatile sig_atomic_t winch;
static volatile sig_atomic_t terminating;

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGWINCH)
		winch = 1;
	else if (!terminating)
		terminating = sig;
	if (pipefd[1] >= 0)
		(void)!write(pipefd[1], &c, 1);
	errno = saved;
}

int sig_setup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
	struct sigaction sa;

	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	/* A closed stdout pipe (| head) must not kill us before cleanup. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int sig_fd(void)
{
	return pipefd[0];
}

void sig_drain(void)
{
	char b[64];

	while (read(pipefd[0], b, sizeof b) > 0)
		;
}

int sig_take_winch(void)
{
	int w = winch;

	winch = 0;
	return w;
}

int sig_terminating(void)
{
	return terminating;
}

/* ---- the one abort policy both HTTP clients ask ------------------------- */

static enum sig_abort abort_mode = SIG_ABORT_ON_SIGNAL;
static bool new_signal;

/* In SIG_ABORT_ON_NEW_SIGNAL mode nothing else reads the self-pipe (no
 * event loop runs while finishing), so it is drained here: every byte is
 * one signal, SIGWINCH aside. */
static void drain_new_signals(void)
{
	unsigned char b[64];
	ssize_t n;

	if (pipefd[0] < 0)
		return;
	while ((n = read(pipefd[0], b, sizeof b)) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (b[i] != SIGWINCH)
				new_signal = true;
}

void sig_set_abort(enum sig_abort mode)
{
	if (mode == SIG_ABORT_ON_NEW_SIGNAL) {
		if (pipefd[0] >= 0)
			sig_drain();
		new_signal = false;
	}
	abort_mode = mode;
}

enum sig_abort sig_swap_abort(enum sig_abort mode)
{
	enum sig_abort old = abort_mode;

	abort_mode = mode;
	return old;
}

bool sig_abort_transfers(void)
{
	switch (abort_mode) {
	case SIG_ABORT_ON_SIGNAL:
		return terminating != 0;
	case SIG_ABORT_ON_NEW_SIGNAL:
		drain_new_signals();
		return new_signal;
	case SIG_ABORT_NEVER:
		break;
	}
	return false;
}

int sig_sleep_ms(long ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		long left;

		if (sig_abort_transfers())
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return 0;
		if (abort_mode == SIG_ABORT_NEVER || pipefd[0] < 0) {
			struct timespec d = { left / 1000, left % 1000 * 1000000 };

			nanosleep(&d, NULL);
			continue;
		}
		if (poll(&pfd, 1, (int)left) > 0 && abort_mode == SIG_ABORT_ON_SIGNAL)
			sig_drain();   /* a SIGWINCH; the flags keep what matters */
	}
}

void sig_reset_for_child(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGPIPE };
	sigset_t none;

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
