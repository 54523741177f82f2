/* An attached process in the E2B sandbox: its output stream, our input,
 * resizes, keepalives, the sandbox's timeout, reconnects.
 *
 * One thread, one curl multi handle, one poll: curl_multi_poll() waits on
 * curl's sockets plus our stdin and the signal self-pipe.  The stream
 * (Start or Connect) writes straight to our stdout/stderr from curl's
 * write callback; input is coalesced and sent as unary SendInput calls
 * with at most one in flight, so the order of keystrokes is kept (the SDK
 * sends calls concurrently and cannot promise that); Update (resize) and
 * the sandbox's timeout extension are unary calls of their own.  No
 * threads means no locks and no races with the terminal's state, and
 * signals are handled in the same loop that owns every transfer. */
#ifndef CS_E2B_SESSION_H
#define CS_E2B_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "runner/e2b/e2b_envd.h"

struct e2b_session_opts {
	const struct e2b_proc *start;   /* Start this process, or */
	const char *connect_tag;        /* Connect to the running process with this tag */
	bool tty;                       /* a PTY: forward resizes (the caller sets raw mode) */
	bool forward_stdin;             /* our stdin -> the process (CloseStdin at EOF without a PTY) */
	bool redraw;                    /* once attached, nudge the size so a TUI redraws */
	int keepalive;                  /* Keepalive-Ping-Interval (s); silence of 3x: reconnect */
	int ttl;                        /* keep extending the sandbox's timeout to this (s); 0: no */
	const char *label;              /* for messages: "the init hook", "the command" */
};

/* Run until the process ends: 0 and *STATUS its exit status (as a shell
 * reports it), or the number of a terminating signal that arrived
 * (SIGINT/SIGTERM/SIGHUP/SIGQUIT), or -1 with ERR. */
int e2b_session_run(struct e2b_client *cl, const struct e2b_sandbox *sb,
		    const struct e2b_session_opts *o, int *status, struct cs_err *err);

/* The body of process.Process/Connect: to the process PID, or (0) to the
 * one with TAG. */
cJSON *e2b_connect_request(uint32_t pid, const char *tag);

#endif
