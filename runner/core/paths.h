/* Where our data files live: the source tree (bin/../) when run from it,
 * else the install prefix (PREFIX/share/codex-sandbox, PREFIX/lib/codex-sandbox). */
#ifndef CS_PATHS_H
#define CS_PATHS_H

#include <limits.h>

#include "common/error.h"

struct cs_paths {
	char data[PATH_MAX];     /* Dockerfile.codex-sandbox, images/ */
	char libexec[PATH_MAX];  /* codex-sandbox-init, codex-firewall */
};

int paths_find(struct cs_paths *p, struct cs_err *err);

#endif
