/* The interactive session: bytes between the local terminal (or pipes) and
 * the hijacked stream.  With a TTY the stream is raw in both directions;
 * without one, output is multiplexed (8-byte frame headers) and demuxed to
 * our stdout/stderr, and stdin EOF is delivered by half-closing the socket.
 * With a TTY we never half-close: the engine would close the output too
 * (docs/DOCKER-NFT-NOTES.md 1.4). */
#ifndef CS_SESSION_H
#define CS_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "runner/docker/mux.h"

#define SESSION_OUTBUF 65536

struct session {
	int sock;
	int in_fd;           /* usually 0; -1: no stdin */
	int out_fd, err_fd;  /* usually 1 and 2 */
	bool tty;
	/* called on SIGWINCH (TTY only) */
	void (*on_resize)(void *ctx);
	void *ctx;
	/* Another stream to drain while the session runs (the firewall's
	 * events).  on_extra returns <0 when that stream ended: the pump
	 * then stops with SESSION_EXTRA_GONE. */
	int extra_fd;
	int (*on_extra)(void *ctx);
	/* state */
	bool in_open;
	bool out_broken;
	struct mux mux;
	char tosock[SESSION_OUTBUF];
	size_t tosock_len;
};

void session_init(struct session *s, int sock, bool tty, bool attach_stdin);
/* Feed bytes that arrived with the attach headers. */
void session_feed(struct session *s, const char *data, size_t len);
#define SESSION_EXTRA_GONE 1000

/* Pump until the stream ends (returns 0), a terminating signal arrives
 * (returns the signal number), or the extra stream ends (returns
 * SESSION_EXTRA_GONE); -1 on error. */
int session_pump(struct session *s, struct cs_err *err);


#endif
