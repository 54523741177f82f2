#include "firewall/control.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

/* ---- the codec ----------------------------------------------------------- */

int fw_ctl_req_encode(struct fw_ctl_req *r, uint32_t op, uint32_t seq, const char *entry)
{
	size_t len = entry ? strlen(entry) : 0;

	memset(r, 0, sizeof *r);
	r->op = op;
	r->seq = seq;
	if (len >= sizeof r->entry)
		return -1;
	memcpy(r->entry, entry ? entry : "", len);
	return 0;
}

int fw_ctl_req_decode(const void *buf, ssize_t len, struct fw_ctl_req *out, char *why, size_t whysz)
{
	memset(out, 0, sizeof *out);
	if (len != (ssize_t)sizeof *out) {
		snprintf(why, whysz, "message of %zd bytes (expected %zu)", len, sizeof *out);
		return -1;
	}
	memcpy(out, buf, sizeof *out);
	if (out->op != FW_CTL_ALLOW && out->op != FW_CTL_DENY && out->op != FW_CTL_LIST) {
		snprintf(why, whysz, "unknown operation %u", out->op);
		return -1;
	}
	if (!memchr(out->entry, '\0', sizeof out->entry)) {
		snprintf(why, whysz, "entry not terminated");
		return -1;
	}
	for (const char *c = out->entry; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c > 0x7e || *c == ',') {
			snprintf(why, whysz, "one entry per message, printable, without spaces or commas");
			return -1;
		}
	if (out->op != FW_CTL_LIST && !out->entry[0]) {
		snprintf(why, whysz, "empty entry");
		return -1;
	}
	return 0;
}

int fw_ctl_reply_decode(const void *buf, ssize_t len, struct fw_ctl_reply *out)
{
	memset(out, 0, sizeof *out);
	if (len != (ssize_t)sizeof *out)
		return -1;
	memcpy(out, buf, sizeof *out);
	if (!memchr(out->text, '\0', sizeof out->text) || out->status < FW_CTL_OK ||
	    out->status > FW_CTL_MORE)
		return -1;
	for (char *c = out->text; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	return 0;
}

/* ---- the parent's socket ------------------------------------------------- */

void fw_control_init(struct fw_control *c)
{
	c->listen_fd = -1;
	for (int i = 0; i < FW_CTL_CLIENTS; i++)
		c->client[i] = -1;
}

void fw_control_close(struct fw_control *c)
{
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	for (int i = 0; i < FW_CTL_CLIENTS; i++)
		if (c->client[i] >= 0)
			close(c->client[i]);
	fw_control_init(c);
}

int fw_control_open(struct fw_control *c, const char *path, struct cs_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;

	/* a path, never the abstract namespace: the sandbox shares our netns */
	if (!path || path[0] != '/' || strlen(path) >= sizeof sa.sun_path)
		return cs_fail(err, 0, "--control needs an absolute path under %zu bytes",
			       sizeof sa.sun_path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cs_fail(err, errno, "control socket");
	if (unlink(path) < 0 && errno != ENOENT)
		return cs_fail(err, errno, "removing the old %s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, FW_CTL_CLIENTS) < 0)
		return cs_fail(err, errno, "listening on %s", path);
	c->listen_fd = steal_fd(&fd);
	return 0;
}

void fw_control_pollfds(const struct fw_control *c, struct pollfd *pfd)
{
	pfd[0] = (struct pollfd){ c->listen_fd, POLLIN, 0 };
	for (int i = 0; i < FW_CTL_CLIENTS; i++)
		pfd[1 + i] = (struct pollfd){ c->client[i], POLLIN, 0 };
}

struct ctl_sender {
	int fd;
	int64_t start_ms;
};

static int64_t ctl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One reply to the client on *ARG.  A long list outruns the socket buffer
 * (a few hundred replies): wait for room, but never more than
 * FW_CTL_SEND_MS from S->start_ms — this loop also serves the DNS filter's
 * inserts, and a client that stops reading must not stall them.  A
 * request's entries share one such budget, its final reply (which says
 * whether they all went) has one of its own. */
static bool send_reply(void *arg, const struct fw_ctl_reply *r)
{
	struct ctl_sender *s = arg;

	for (;;) {
		struct pollfd p = { s->fd, POLLOUT, 0 };
		int64_t left = FW_CTL_SEND_MS - (ctl_mono_ms() - s->start_ms);

		if (send(s->fd, r, sizeof *r, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof *r)
			return true;
		if ((errno != EAGAIN && errno != EINTR) || left <= 0 ||
		    (poll(&p, 1, (int)left) <= 0 && errno != EINTR))
			return false;
	}
}

/* One request from client I; a closed or broken connection frees its slot. */
static void serve_client(struct fw_control *c, int i)
{
	struct fw_ctl_req raw = { 0 }, req;
	struct fw_ctl_reply reply;
	struct ctl_sender snd;
	ssize_t r = recv(c->client[i], &raw, sizeof raw, MSG_DONTWAIT | MSG_TRUNC);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		close(c->client[i]);
		c->client[i] = -1;
		return;
	}
	memset(&reply, 0, sizeof reply);
	snd = (struct ctl_sender){ c->client[i], ctl_mono_ms() };
	reply.seq = raw.seq;            /* 0 when the message was too short to carry one */
	if (fw_ctl_req_decode(&raw, r, &req, reply.text, sizeof reply.text) < 0) {
		reply.status = FW_CTL_BAD;
	} else if (c->apply) {
		c->apply(c->apply_arg, &req, &reply, send_reply, &snd);
	} else {
		reply.status = FW_CTL_FAILED;
		snprintf(reply.text, sizeof reply.text, "no firewall behind this channel");
	}
	snd.start_ms = ctl_mono_ms();
	(void)send_reply(&snd, &reply);
}

void fw_control_serve(struct fw_control *c, const struct pollfd *pfd)
{
	for (int i = 0; i < FW_CTL_CLIENTS; i++)
		if (c->client[i] >= 0 && pfd[1 + i].fd == c->client[i] && pfd[1 + i].revents)
			serve_client(c, i);
	if (c->listen_fd >= 0 && (pfd[0].revents & POLLIN)) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int slot = -1;

		for (int i = 0; fd >= 0 && i < FW_CTL_CLIENTS && slot < 0; i++)
			if (c->client[i] < 0)
				slot = i;
		if (slot >= 0)
			c->client[slot] = fd;
		else if (fd >= 0)
			close(fd);      /* bounded: the client sees EOF and says so */
	}
}
