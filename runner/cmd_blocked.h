/* codex-sandbox blocked ID [--follow]: what the firewall of a running
 * sandbox blocked (its RUN/etc-codex/blocked.jsonl, aggregated), each with
 * the `codex-sandbox allow` command that would open it. */
#ifndef CS_CMD_BLOCKED_H
#define CS_CMD_BLOCKED_H

#include "common/error.h"
#include "runner/core/cli.h"

extern const char cmd_blocked_usage[];

int cmd_blocked(const struct cs_opts *o, struct cs_err *err);

#endif
