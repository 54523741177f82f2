#include "runner/docker/session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fdio.h"
#include "runner/core/sig.h"

static void demuxed(void *ctx, int stream, const char *data, size_t len);

void session_init(struct session *s, int sock, bool tty, bool attach_stdin)
{
	memset(s, 0, sizeof *s);
	s->sock = sock;
	s->tty = tty;
	s->in_fd = attach_stdin ? STDIN_FILENO : -1;
	s->in_open = attach_stdin;
	s->out_fd = STDOUT_FILENO;
	s->err_fd = STDERR_FILENO;
	s->extra_fd = -1;
	mux_init(&s->mux, demuxed, s);
}

static void out_all(struct session *s, int fd, const char *p, size_t n)
{
	if (s->out_broken && fd == s->out_fd)
		return;
	/* Reader gone (| head): drop the rest, keep running so the sandbox
	 * still ends and is cleaned up. */
	if (fd_write_all(fd, p, n) < 0 && fd == s->out_fd)
		s->out_broken = true;
}

static void demuxed(void *ctx, int stream, const char *data, size_t len)
{
	struct session *s = ctx;

	/* 1 stdout, 2 stderr, 3 the engine's own errors; others dropped. */
	if (stream == 1)
		out_all(s, s->out_fd, data, len);
	else if (stream == 2 || stream == 3)
		out_all(s, s->err_fd, data, len);
}

void session_feed(struct session *s, const char *data, size_t len)
{
	if (s->tty)
		out_all(s, s->out_fd, data, len);
	else
		mux_feed(&s->mux, data, len);
}

static void close_input(struct session *s)
{
	s->in_open = false;
	/* Without a TTY, EOF on our stdin is EOF for the command.  With a TTY
	 * a half-close would make the engine end the output stream. */
	if (!s->tty && s->tosock_len == 0)
		shutdown(s->sock, SHUT_WR);
}

int session_pump(struct session *s, struct cs_err *err)
{
	char buf[65536];
	bool half_closed = false;

	fcntl(s->sock, F_SETFL, fcntl(s->sock, F_GETFL) | O_NONBLOCK);
	if (!s->in_open && !s->tty) {
		shutdown(s->sock, SHUT_WR);
		half_closed = true;
	}
	for (;;) {
		struct pollfd pf[4];
		int n = 0, sigi, socki, ini = -1, exi = -1;

		if (sig_terminating())
			return sig_terminating();
		pf[n] = (struct pollfd){ .fd = sig_fd(), .events = POLLIN };
		sigi = n++;
		pf[n] = (struct pollfd){ .fd = s->sock,
					 .events = POLLIN | (s->tosock_len ? POLLOUT : 0) };
		socki = n++;
		if (s->in_open && s->tosock_len < sizeof s->tosock) {
			pf[n] = (struct pollfd){ .fd = s->in_fd, .events = POLLIN };
			ini = n++;
		}
		if (s->extra_fd >= 0) {
			pf[n] = (struct pollfd){ .fd = s->extra_fd, .events = POLLIN };
			exi = n++;
		}
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cs_fail(err, errno, "poll");
		}
		if (pf[sigi].revents) {
			sig_drain();
			if (sig_terminating())
				return sig_terminating();
			if (sig_take_winch() && s->tty && s->on_resize)
				s->on_resize(s->ctx);
		}
		if (exi >= 0 && (pf[exi].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    s->on_extra(s->ctx) < 0)
			return SESSION_EXTRA_GONE;
		if (pf[socki].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(s->sock, buf, sizeof buf);

			if (r == 0)
				return 0;
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				if (errno == ECONNRESET)
					return 0;
				return cs_fail(err, errno, "reading the sandbox's output");
			}
			if (r > 0)
				session_feed(s, buf, (size_t)r);
		}
		if ((pf[socki].revents & POLLOUT) && s->tosock_len) {
			ssize_t w = write(s->sock, s->tosock, s->tosock_len);

			if (w > 0) {
				memmove(s->tosock, s->tosock + w, s->tosock_len - (size_t)w);
				s->tosock_len -= (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				/* The sandbox no longer reads input; keep its output. */
				s->in_open = false;
				s->tosock_len = 0;
			}
			if (!s->in_open && !s->tty && !half_closed && s->tosock_len == 0) {
				shutdown(s->sock, SHUT_WR);
				half_closed = true;
			}
		}
		if (ini >= 0 && (pf[ini].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = read(s->in_fd, s->tosock + s->tosock_len,
					 sizeof s->tosock - s->tosock_len);

			if (r > 0) {
				s->tosock_len += (size_t)r;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close_input(s);
				if (!s->tty && s->tosock_len == 0)
					half_closed = true;
			}
		}
	}
}
