#ifndef CS_CMD_BUILD_H
#define CS_CMD_BUILD_H

#include "common/error.h"
#include "runner/core/cli.h"

/* codex-sandbox build [--codex-version V] [--build-arg K=V] [--no-cache] */
int cmd_build(const struct cs_opts *o, struct cs_err *err);

#endif
