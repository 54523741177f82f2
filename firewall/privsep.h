/* Privilege separation between the CAP_NET_ADMIN parent and the DNS child.
 *
 * The child (unprivileged uid, parses every DNS packet) and the parent (keeps
 * only CAP_NET_ADMIN, never parses DNS) talk over a SOCK_SEQPACKET
 * socketpair with fixed-size messages; the parent rejects any message whose
 * size is not exactly sizeof(struct fw_msg) (or, during startup, a struct
 * cs_err from a child that failed to start).  Replies are struct fw_ack, one
 * per FW_OP_ALLOW, in order.
 */
#ifndef FW_PRIVSEP_H
#define FW_PRIVSEP_H

#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

enum fw_op {
	FW_OP_ALLOW = 1,    /* allow ADDR for TTL seconds because NAME resolved to it (acked) */
	FW_OP_REFUSED = 2,  /* NAME (qtype QTYPE) was refused: not on the allowlist */
	FW_OP_REBIND = 3,   /* allowed NAME resolved to guarded ADDR: dropped from the answer */
	FW_OP_READY = 4,    /* child is listening and confined */
	FW_OP_UPSTREAM = 5, /* NAME got SERVFAIL; TTL says why: 0 no answer, 1 malformed,
			       2 insert failed, 16+N upstream rcode N */
	FW_OP_CTL_ALLOW = 6, /* parent -> child: NAME (an entry) joins the allowlist */
	FW_OP_CTL_DENY = 7,  /* parent -> child: NAME leaves it; cached answers go too */
};

struct fw_msg {
	uint32_t op;
	uint32_t seq;       /* echoed in the ack */
	uint32_t family;    /* AF_INET / AF_INET6 */
	uint32_t ttl;       /* seconds, as answered */
	uint32_t qtype;
	uint8_t addr[16];   /* network order; IPv4 in the first 4 bytes, rest zero */
	char name[256];     /* NUL-terminated; text form (see dns_name_text/print) */
};

enum fw_ack_status {
	FW_ACK_OK = 0,        /* inserted (or covered by an explicit entry) */
	FW_ACK_GUARDED = 1,   /* in the rebinding guard: not inserted */
	FW_ACK_INVALID = 2,   /* malformed or name not allowed: not inserted */
	FW_ACK_FAILED = 3,    /* kernel refused (set full...): not inserted */
};

struct fw_ack {
	uint32_t seq;
	int32_t status;
};

/* Child: setgroups({}), setresgid, setresuid to UID/GID, then verify that
 * the ids stuck, that no capability is left and that uid 0 cannot be
 * regained; set no_new_privs.  Returns 0 or -1 with ERR. */
int privsep_drop_child(uid_t uid, gid_t gid, struct cs_err *err);

/* Parent: keep only CAP_NET_ADMIN (effective+permitted), clear inheritable
 * and ambient, drop every other capability from the bounding set where we
 * may (needs CAP_SETPCAP; under Docker the set is already NET_ADMIN,
 * SETUID, SETGID and exec is forbidden by seccomp), set no_new_privs,
 * verify.  Returns 0 or -1 with ERR. */
int privsep_drop_parent(struct cs_err *err);

/* Install the libseccomp allowlist for each side (default: kill the
 * process).  Returns 0 or -1 with ERR. */
int privsep_seccomp_parent(struct cs_err *err);
int privsep_seccomp_child(struct cs_err *err);

#endif
