/* The control channel: how the runner changes the allowlist of a running
 * sandbox (REQUIREMENTS R5.30-R5.36).
 *
 * The privileged parent listens on a SOCK_SEQPACKET unix socket at a path
 * (`serve --control PATH`, in the owner container's private tmpfs
 * /run/codex-firewall, mode 0700): never an abstract socket and never a
 * port, because the sandbox shares the owner's network namespace but not its
 * mount namespace.  The runner reaches it only by an Engine API exec of
 * `codex-firewall ctl allow|deny|list ENTRY...` in the owner container.
 *
 * Messages have a fixed size, one entry each; every request gets one reply
 * (list: one FW_CTL_MORE reply per entry, then FW_CTL_OK).  A message of
 * another size, an unknown op or an unterminated entry is answered
 * FW_CTL_BAD and changes nothing; the entry itself is parsed by the same
 * allowlist parser as --allow.  At most FW_CTL_CLIENTS connections at once.
 */
#ifndef FW_CONTROL_H
#define FW_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <stdbool.h>

#include "firewall/allowlist.h"
#include "common/error.h"

#define FW_CTL_PATH "/run/codex-firewall/control.sock"
#define FW_CTL_CLIENTS 4
#define FW_CTL_TEXT 256
#define FW_CTL_POLLFDS (1 + FW_CTL_CLIENTS)
#define FW_CTL_REPLY_MS 3000
#define FW_CTL_SEND_MS 1000      /* the longest the parent waits for a client to read */

enum fw_ctl_op { FW_CTL_ALLOW = 1, FW_CTL_DENY = 2, FW_CTL_LIST = 3 };

enum fw_ctl_status {
	FW_CTL_OK = 0,        /* applied (TEXT says "added", "removed", "already allowed"...) */
	FW_CTL_BAD = 1,       /* malformed message or invalid entry: nothing changed */
	FW_CTL_FAILED = 2,    /* valid, but the kernel or the DNS filter refused: nothing changed */
	FW_CTL_MORE = 3,      /* list: TEXT is one entry, more replies follow */
};

struct fw_ctl_req {
	uint32_t op;
	uint32_t seq;
	char entry[FW_CTL_TEXT];   /* NUL-terminated */
};

struct fw_ctl_reply {
	uint32_t seq;
	int32_t status;
	char text[FW_CTL_TEXT];    /* NUL-terminated: the reason, or the entry (list) */
};

/* Replace the IP/CIDR entries of the live table (allow4_net/allow6_net)
 * with those of AL, in one transaction.  0 or -1 with ERR. */
typedef int (*fw_ctl_net_fn)(void *ctx, const struct allowlist *al, struct cs_err *err);
/* Remove one DNS-learned element (allow4/allow6); an element already gone
 * is not an error.  0 or -1 with ERR. */
typedef int (*fw_ctl_drop_fn)(void *ctx, int family, const uint8_t *addr, struct cs_err *err);

/* Apply REQ (decoded) for ARG; fill REPLY; a list calls EACH per entry
 * (false: that entry did not reach the client, and the list's final reply
 * must say so rather than look complete). */
typedef void (*fw_ctl_apply_fn)(void *arg, const struct fw_ctl_req *req, struct fw_ctl_reply *reply,
				bool (*each)(void *each_arg, const struct fw_ctl_reply *r),
				void *each_arg);

struct fw_control {
	int listen_fd;               /* -1: no control channel */
	int client[FW_CTL_CLIENTS];  /* -1: free */
	fw_ctl_net_fn set_net;
	fw_ctl_drop_fn drop;
	void *ctx;
	fw_ctl_apply_fn apply;       /* firewall/control_apply.h, for the parent APPLY_ARG */
	void *apply_arg;
	uint64_t changes;            /* applied allow/deny requests */
};

/* ---- the codec (pure) ---------------------------------------------------- */

/* Fill R; -1 when ENTRY does not fit (FW_CTL_TEXT - 1 bytes at most). */
int fw_ctl_req_encode(struct fw_ctl_req *r, uint32_t op, uint32_t seq, const char *entry);
/* Check a received request of LEN bytes in BUF into OUT.  Returns 0, or -1
 * with WHY (a short reason for the reply). */
int fw_ctl_req_decode(const void *buf, ssize_t len, struct fw_ctl_req *out, char *why, size_t whysz);
/* Check a received reply; 0 or -1.  Control characters of TEXT become '?'. */
int fw_ctl_reply_decode(const void *buf, ssize_t len, struct fw_ctl_reply *out);

/* ---- the parent's side --------------------------------------------------- */

/* Every fd -1. */
void fw_control_init(struct fw_control *c);
/* Listen on PATH (an old socket there is replaced; the directory must be
 * private).  Returns 0 or -1 with ERR. */
int fw_control_open(struct fw_control *c, const char *path, struct cs_err *err);
void fw_control_close(struct fw_control *c);
/* The FW_CTL_POLLFDS slots to poll (unused ones have fd -1). */
void fw_control_pollfds(const struct fw_control *c, struct pollfd *pfd);

/* Serve what PFD (filled by fw_control_pollfds, after poll) reports:
 * accept, read requests, hand each to C->apply, reply. */
void fw_control_serve(struct fw_control *c, const struct pollfd *pfd);

#endif
