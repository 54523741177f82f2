/* codex-sandbox ps [--json]: the user's running sandboxes, both backends;
 * and the id resolution `allow`, `deny` and `blocked` share. */
#ifndef CS_CMD_PS_H
#define CS_CMD_PS_H

#include <stddef.h>

#include "common/error.h"
#include "runner/core/cli.h"
#include "runner/docker/docker.h"

extern const char cmd_ps_usage[];

int cmd_ps(const struct cs_opts *o, struct cs_err *err);

enum ps_backend { PS_NONE = 0, PS_LOCAL = 1, PS_E2B = 2 };

/* Which running sandbox ID (whole or a unique prefix) names: local run ids
 * and E2B's in one id space (a prefix matching one of each is ambiguous).  PS_LOCAL fills S, PS_E2B copies the id into E2B_ID;
 * -1 with ERR (exit 125) when it is malformed, ambiguous or names none. */
int ps_resolve(const char *id, struct docker_sandbox *s, char *e2b_id, size_t e2b_idsz,
	       struct cs_err *err);

#endif
