/* Engine API versions: parse, compare, and choose the one to speak
 * (what the docker CLI calls version negotiation).  Pure: no I/O, so the
 * choice is unit-tested against every engine policy we know of.
 *
 * codex-sandbox speaks API 1.41 (Engine 20.10) to 1.52 (Engine 29).  An
 * engine states its newest version (ApiVersion) and, since 1.25, its oldest
 * (MinAPIVersion); Engine 29 refuses anything below 1.44.  We use the newest
 * version both sides support; DOCKER_API_VERSION pins one instead. */
#ifndef CS_APIVERSION_H
#define CS_APIVERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct api_version {
	unsigned major, minor;
};

#define APIV_OURS_MIN ((struct api_version){ 1, 41 })
#define APIV_OURS_MAX ((struct api_version){ 1, 52 })
/* HostConfig.ConsoleSize is applied by the engine at start (Engine 23). */
#define APIV_CONSOLE_SIZE ((struct api_version){ 1, 42 })

#define APIV_TEXT_MAX 16   /* "MMMM.NNNN" and a NUL, with room */

/* "1.44" -> {1,44}.  Strict: digits, one dot, digits, nothing else, each
 * part at most 4 digits.  Returns 0 or -1. */
int apiv_parse(const char *s, struct api_version *v);
/* <0, 0, >0 like strcmp. */
int apiv_cmp(struct api_version a, struct api_version b);
bool apiv_at_least(struct api_version v, struct api_version want);
/* "1.44" into OUT (at least APIV_TEXT_MAX bytes). */
void apiv_format(struct api_version v, char *out, size_t outsz);

/* Choose the version to speak.  ENGINE_MAX: the engine's ApiVersion
 * (required); ENGINE_MIN: its MinAPIVersion (NULL or "" when the engine
 * does not say: then it takes anything up to its maximum); PINNED:
 * DOCKER_API_VERSION (NULL or "" when unset).  Returns 0 with *OUT set, or
 * -1 with ERR saying which side is too old and what to do. */
int apiv_negotiate(const char *engine_max, const char *engine_min, const char *pinned,
		   struct api_version *out, struct cs_err *err);

#endif
