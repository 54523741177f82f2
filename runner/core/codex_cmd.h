#ifndef CS_CODEX_CMD_H
#define CS_CODEX_CMD_H

#include <stddef.h>

#include "runner/core/cli.h"

/* Build the default command: `codex`, our -c overrides, then the user's
 * arguments.  CONFIG_TEXT (may be NULL) is the config.toml Codex will read:
 * an override is only added when the user's config does not decide that
 * setting itself.  SANDBOX_WORKDIR is the project dir inside the sandbox
 * (trusted, so no trust screen blocks a project the user chose). */
int codex_command(struct strv *out, const char *config_text, size_t config_len,
		  const char *sandbox_workdir, const char *const *user_args, size_t n_user);

#endif
