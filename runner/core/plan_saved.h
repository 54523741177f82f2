/* Entries saved with `codex-sandbox allow ID ENTRY --save`: per project
 * (its work_dir), in the user's own configuration
 * ($XDG_CONFIG_HOME/codex-sandbox/saved-allow.json, else
 * ~/.config/codex-sandbox/...), never in the project directory (a
 * repository must not widen its own egress).  The plan adds them as a
 * source of their own, shown by --dry-run.  The file is read as untrusted:
 * bounded, every entry validated by the allowlist parser.
 *
 *   {"version":1,"projects":{"/abs/work_dir":{"allow":["pypi.org", ...]}}}
 */
#ifndef CS_PLAN_SAVED_H
#define CS_PLAN_SAVED_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/strv.h"
#include "firewall/allowlist.h"

#define SAVED_FILE_MAX (1u << 20)
#define SAVED_PER_PROJECT_MAX 4096

struct sandbox_plan;

/* The file's path into OUT; -1 when neither XDG_CONFIG_HOME nor HOME is
 * set (absolute). */
int saved_path(char *out, size_t outsz);

/* Pure: the entries TEXT (the file, FILE names it in messages) records for
 * WORK_DIR, validated, appended to AL and (canonical) to OUT.  Returns the
 * number of entries, or -1 with ERR (malformed file, a bad entry, too
 * many: exit 125 naming the file). */
int saved_parse(const char *text, const char *work_dir, const char *file, struct allowlist *al,
		struct strv *out, struct cs_err *err);

/* Pure: TEXT (may be NULL: no file yet) with ENTRIES added for WORK_DIR,
 * into *OUT (free()).  0, or -1 with ERR. */
int saved_add(const char *text, const char *work_dir, const struct strv *entries, char **out,
	      struct cs_err *err);

/* The plan's source: the saved entries of P->work_dir join P->allow;
 * P->saved_file / P->saved_allow record them for --dry-run.  A missing
 * file is no error. */
int plan_saved(struct sandbox_plan *p, struct cs_err *err);

/* --save: record ENTRIES for WORK_DIR (atomic replace, under a lock on
 * the configuration directory); the file's path into PATH.  Refused when
 * the file would lie inside WORK_DIR, is not a regular file, or would
 * break (malformed, over the limits).  CHECK_ONLY: every check, nothing
 * written (run before the live change, so a refused --save changes
 * nothing). */
int saved_record(const char *work_dir, const struct strv *entries, bool check_only, char *path,
		 size_t pathsz, struct cs_err *err);

#endif
