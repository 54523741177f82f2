/* The plan translated for E2B (e2b_setup.c):
 * the remote layout, the tuning knobs and the create request. */
#ifndef CS_E2B_SETUP_H
#define CS_E2B_SETUP_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "runner/e2b/e2b_xfer.h"
#include "runner/core/plan.h"

/* The layout in the sandbox mirrors the local one: the project at
 * /app$WORK_DIR, the Codex home at /codex_home (CODEX_HOME, also
 * SANDBOX_ENV_DIR), the effective allowlist at /etc/codex/allowed_domains.txt.
 * /codex_home belongs to root with mode 1777 (like /tmp): the sandbox user
 * creates its files there, but cannot replace or change root's auth.json
 * (0444), which is what keeps the credentials read-only. */
#define E2B_REMOTE_CODEX_HOME "/codex_home"
#define E2B_REMOTE_ALLOWED    "/etc/codex/allowed_domains.txt"
#define E2B_PROC_TAG          "codex-sandbox"       /* the command; attach finds it by tag */
#define E2B_HOOK_TAG          "codex-sandbox-hook"

/* The create request.  With HIDE, values of --env variables are "(hidden)". */
cJSON *e2b_create_body(const struct sandbox_plan *p, const struct e2b_egress *eg,
		       const char *run_id, int ttl, bool hide);

/* argv of a process run as the sandbox user through our wrapper: MODE is
 * "hook" or "cmd" (then ARGV follows). */
int e2b_wrapper_argv(struct strv *out, const char *mode, const char *workdir, const char *run_id,
		     const struct strv *argv);

/* The project and Codex-home files to upload. */
int e2b_scan_codex_home(const struct sandbox_plan *p, struct sync_scan *out, struct cs_err *err);
/* Relative paths inside the work dir that are not part of the project
 * upload (the Codex home, sessions, auth.json). */
int e2b_project_excludes(const struct sandbox_plan *p, struct strv *out);
/* The --sessions-path directory when it is not inside the Codex home. */
const char *e2b_sessions_path(const struct sandbox_plan *p);

#endif
