#ifndef CS_CODEX_CMD_H
#define CS_CODEX_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "runner/core/cli.h"

/* Build the default command: `codex`, our -c overrides, then the user's
 * arguments.  CONFIG_TEXT (may be NULL) is the config.toml Codex will read:
 * an override is only added when the user's config does not decide that
 * setting itself.  SANDBOX_WORKDIR is the project dir inside the sandbox
 * (trusted, so no trust screen blocks a project the user chose). */
struct codex_told {
	const char *sandbox_id;   /* what `codex-sandbox allow` takes; NULL: unknown here */
	bool blocked_log;         /* SANDBOX_BLOCKED_FILE exists (local backend) */
};

/* TOLD (NULL: nothing) adds `-c developer_instructions=...`: egress is
 * allowlisted, where the list (and the log) are, that a blocked name
 * answers NXDOMAIN with an Extended DNS Error, and to ask the user for
 * `codex-sandbox allow ID NAME`.  The user's own developer_instructions
 * (config.toml, top level) come first, ours appended; one we cannot read
 * is left alone, without ours. */
int codex_command(struct strv *out, const char *config_text, size_t config_len,
		  const char *sandbox_workdir, const struct codex_told *told,
		  const char *const *user_args, size_t n_user);

/* The instructions text alone (tests, docs). */
void codex_told_text(const struct codex_told *told, char *out, size_t outsz);

#endif
