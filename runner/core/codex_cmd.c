/* The Codex invocation inside the sandbox (facts: docs/CODEX-LOCAL.md). */
#include "runner/core/codex_cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "runner/core/sandbox_plan.h"
#include "runner/core/toml_keys.h"
#include "runner/core/toml_str.h"

/* One execve argument may be at most MAX_ARG_STRLEN (32 pages, 128 KiB on
 * x86-64): the whole "developer_instructions=..." must stay under it, or
 * Codex would not start (E2BIG inside the sandbox). */
#define INSTRUCTIONS_MAX (96u << 10)
#define INSTRUCTIONS_ARG_MAX (120u << 10)

struct override {
	const char *key;     /* dotted key checked in the user's config */
	const char *value;   /* TOML value */
	const char *why;
};

/* Applied unless the user's config.toml sets the key. */
static const struct override soft[] = {
	/* The TUI's background daemon copies the ~300 MB binary into
	 * CODEX_HOME (the user's project dir by default) and leaves two
	 * processes running after /quit. */
	{ "features.daemon_auto_start", "false", "no background daemon" },
	/* Update checks and the release feed reach hosts that are not on the
	 * allowlist; in the sandbox they can only fail. */
	{ "check_for_update_on_startup", "false", "no update check" },
};

static int push_c(struct strv *out, const char *kv)
{
	return strv_push(out, "-c") < 0 || strv_push(out, kv) < 0 ? -1 : 0;
}

void codex_told_text(const struct codex_told *told, char *out, size_t outsz)
{
	char id[120];

	if (told->sandbox_id)
		snprintf(id, sizeof id, "%s", told->sandbox_id);
	else
		snprintf(id, sizeof id, "<sandbox id, as codex-sandbox ps lists it>");
	snprintf(out, outsz,
		 "You are running inside codex-sandbox. Network egress is allowlisted: only the "
		 "hosts listed in " SANDBOX_ALLOWED_FILE " can be reached; everything else is "
		 "blocked by policy. A blocked host name resolves to NXDOMAIN carrying an Extended "
		 "DNS Error (RFC 8914, code 15 Blocked) whose text names codex-sandbox, and "
		 "connections to other addresses are rejected. %s"
		 "When a command fails because a host is blocked, do not look for a way around the "
		 "policy: tell the user which host was blocked and ask them to run, on their own "
		 "machine: codex-sandbox allow %s NAME (NAME = the host), then retry.",
		 told->blocked_log ? "What was blocked is logged, one JSON object a line, in "
		 SANDBOX_BLOCKED_FILE " (read-only, updated live). " :
		 "This sandbox keeps no log of what was blocked (there is no " SANDBOX_BLOCKED_FILE
		 "). ", id);
}

/* -c developer_instructions="<the user's>\n\n<ours>": a -c value replaces
 * the config's, so the user's own text is carried over first. */
static int push_told(struct strv *out, const char *config_text, size_t config_len,
		     const struct codex_told *told)
{
	cleanup_buf struct buf theirs, kv;
	char ours[2048];
	int r = 0;

	buf_init(&theirs, INSTRUCTIONS_MAX);
	buf_init(&kv, INSTRUCTIONS_ARG_MAX);
	if (config_text)
		r = toml_top_string(config_text, config_len, "developer_instructions", &theirs);
	if (r < 0)
		return 0;       /* theirs, unread, stays in force; the DNS answers still tell */
	codex_told_text(told, ours, sizeof ours);
	/* Theirs too long (or too many characters that quoting widens) to be
	 * carried in one argument with ours: theirs stays in force as their
	 * config says, ours is not added (the DNS answers still tell). */
	if ((r == 1 && theirs.len && (buf_puts(&theirs, "\n\n") < 0)) || buf_puts(&theirs, ours) < 0 ||
	    buf_puts(&kv, "developer_instructions=") < 0 || toml_quote(theirs.data, &kv) < 0)
		return 0;
	return push_c(out, kv.data);
}

int codex_command(struct strv *out, const char *config_text, size_t config_len,
		  const char *sandbox_workdir, const struct codex_told *told,
		  const char *const *user_args, size_t n_user)
{
	char kv[4200];

	if (strv_push(out, "codex") < 0)
		return -1;
	/* The container is the sandbox: Codex's own (bubblewrap/landlock)
	 * cannot create namespaces in an unprivileged container, so every
	 * tool call would fail.  Not negotiable by config. */
	if (push_c(out, "sandbox_mode=\"danger-full-access\"") < 0)
		return -1;
	for (size_t i = 0; i < sizeof soft / sizeof soft[0]; i++) {
		if (config_text && toml_sets_key(config_text, config_len, soft[i].key))
			continue;
		snprintf(kv, sizeof kv, "%s=%s", soft[i].key, soft[i].value);
		if (push_c(out, kv) < 0)
			return -1;
	}
	/* The user chose this project by running the sandbox on it: no trust
	 * screen.  Codex 0.169 splits -c keys on every dot and keeps quotes,
	 * so `projects."/x".trust_level=...` never matches; only an inline
	 * table works (measured; tests/model-server/README.md).  It replaces
	 * the config's whole projects table, which is fine inside the sandbox
	 * (host paths mean nothing there) unless the user's config already
	 * decides about this very directory.  Paths needing TOML escapes are
	 * skipped rather than mis-quoted. */
	if (sandbox_workdir && !strpbrk(sandbox_workdir, "\"\\\n")) {
		snprintf(kv, sizeof kv, "projects.\"%s\".trust_level", sandbox_workdir);
		if (!(config_text && toml_sets_key(config_text, config_len, kv))) {
			snprintf(kv, sizeof kv, "projects={\"%s\"={trust_level=\"trusted\"}}", sandbox_workdir);
			if (push_c(out, kv) < 0)
				return -1;
		}
	}
	if (told && push_told(out, config_text, config_len, told) < 0)
		return -1;
	for (size_t i = 0; i < n_user; i++)
		if (strv_push(out, user_args[i]) < 0)
			return -1;
	return 0;
}
