#ifndef CS_CMD_RUN_H
#define CS_CMD_RUN_H

#include "common/error.h"
#include "runner/core/cli.h"

/* codex-sandbox [run] / exec / shell (and --dry-run of each) */
int cmd_run(const struct cs_opts *o, struct cs_err *err);

#endif
