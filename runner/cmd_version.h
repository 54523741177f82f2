#ifndef CS_CMD_VERSION_H
#define CS_CMD_VERSION_H

#include "runner/core/cli.h"

#define CS_VERSION "0.1.0"

/* Ours, then the image's Codex when the engine answers (never an error). */
int cmd_version(const struct cs_opts *o);

#endif
