/* codex-sandbox allow ID ENTRY... [--save] and deny ID ENTRY...: change
 * the allowlist of a running sandbox (locally over the firewall's control
 * channel, on E2B with the network update). */
#ifndef CS_CMD_ALLOW_H
#define CS_CMD_ALLOW_H

#include "common/error.h"
#include "runner/core/cli.h"

extern const char cmd_allow_usage[];
extern const char cmd_deny_usage[];

/* O->command is CMD_ALLOW or CMD_DENY. */
int cmd_allow(const struct cs_opts *o, struct cs_err *err);

#endif
