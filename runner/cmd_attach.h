#ifndef CS_CMD_ATTACH_H
#define CS_CMD_ATTACH_H

#include "common/error.h"
#include "runner/core/cli.h"

int cmd_attach(const struct cs_opts *o, struct cs_err *err);

#endif
