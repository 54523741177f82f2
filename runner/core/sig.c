#include "runner/core/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "runner/docker/docker_api.h"

static int pipefd[2] = { -1, -1 };
static volatile sig_atomic_t winch;

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGWINCH)
		winch = 1;
	else if (!cs_terminating)
		cs_terminating = sig;
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
	return cs_terminating;
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
