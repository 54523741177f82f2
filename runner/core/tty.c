#include "runner/core/tty.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static volatile int saved_valid;

void tty_restore(void)
{
	if (saved_valid) {
		/* TCSADRAIN: the bytes already written still reach the
		 * screen with the settings they were meant for. */
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
		saved_valid = 0;
	}
}

int tty_raw(struct cs_err *err)
{
	struct termios raw;
	static int registered;

	if (saved_valid)
		return 0;
	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return cs_fail(err, errno, "reading terminal settings");
	raw = saved;
	/* As docker's raw mode (cfmakeraw): every byte, ^C and ^Z included,
	 * goes to the sandbox's own terminal, whose line discipline turns
	 * them into signals for the program there. */
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (!registered) {
		atexit(tty_restore);
		registered = 1;
	}
	saved_valid = 1;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0) {
		saved_valid = 0;
		return cs_fail(err, errno, "setting the terminal to raw mode");
	}
	return 0;
}

int tty_size(unsigned short *rows, unsigned short *cols)
{
	struct winsize ws = { 0 };

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return ws.ws_row && ws.ws_col ? 0 : -1;
}
