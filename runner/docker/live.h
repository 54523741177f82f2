/* The running local sandboxes, as `ps`, `allow`, `deny` and `blocked` see
 * them: a network owner (label role=firewall) that is running, whose runner
 * is alive and whose run dir is this user's own. */
#ifndef CS_LIVE_H
#define CS_LIVE_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/strv.h"
#include "runner/docker/docker.h"
#include "runner/docker/docker_api.h"

#define LIVE_CTL_OUT_MAX (64u << 10)   /* what `codex-firewall ctl` may print */
#define LIVE_CTL_MS 5000

typedef int (*live_fn)(void *ctx, const struct docker_sandbox *s);

/* Call FN for each live sandbox (FN returns <0 to stop).  Returns how many
 * were seen, or -1 with ERR. */
int live_each(struct docker *d, live_fn fn, void *ctx, struct cs_err *err);

/* Exec `codex-firewall ctl OP ENTRIES...` in OWNER as root; its stdout and
 * stderr (at most LIVE_CTL_OUT_MAX) into OUT.  Returns its exit status, or
 * -1 with ERR. */
int live_fw_ctl(struct docker *d, const char *owner, const char *op, const struct strv *entries,
		struct buf *out, struct cs_err *err);

#endif
