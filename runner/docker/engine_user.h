/* Whose files does the sandbox write?
 *
 * A rootful engine runs the sandbox as the plan's uid:gid and files land as
 * that user.  A rootless engine (dockerd in a user namespace) maps the
 * container's uid 0 to the uid that runs the engine and every other
 * container uid to a subordinate uid: there the sandbox must run as 0:0
 * inside, and only when the engine belongs to the plan's user.  With
 * userns-remap, container uids map to subordinate uids: no uid inside
 * writes as the user, so the run is refused.  The decision is pure and
 * unit-tested; engine_facts_read asks the engine. */
#ifndef CS_ENGINE_USER_H
#define CS_ENGINE_USER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runner/docker/docker_api.h"
#include "common/error.h"

struct engine_facts {
	bool rootless;      /* /info SecurityOptions has name=rootless */
	bool userns_remap;  /* ... has name=userns */
	bool owner_known;   /* the socket's peer credentials were read */
	uid_t owner_uid;    /* who listens on the socket: the rootless engine's user */
};

/* Who the sandbox is inside its container. */
struct sandbox_ids {
	uid_t uid;
	gid_t gid;
	bool userns_root;   /* 0:0 inside a rootless engine = the user outside */
};

/* Fill F from an /info answer and the socket's peer (pure). */
void engine_facts_parse(const cJSON *info, bool peer_known, uid_t peer_uid,
			struct engine_facts *f);
/* GET /info and parse it.  Returns 0 or -1 (the engine must answer: a run
 * never guesses). */
int engine_facts_read(struct docker *d, struct engine_facts *f, struct cs_err *err);

/* Decide the sandbox's ids for files that must belong to WANT_UID:WANT_GID
 * (WHY: where that uid came from, for the message).  DOCKER_DNS_AS_ROOT:
 * the firewall lets uid 0 reach Docker's embedded resolver (plan's
 * upstream_docker_dns), which a sandbox at uid 0 must not inherit.
 * Returns 0 with *OUT, or -1 with ERR (exit 125, what to do). */
int engine_user_decide(const struct engine_facts *f, uid_t want_uid, gid_t want_gid,
		       const char *why, bool docker_dns_as_root, struct sandbox_ids *out,
		       struct cs_err *err);

#endif
