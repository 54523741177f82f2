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

#include <limits.h>
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

/* --save as a transaction around the live change: saved_begin takes the
 * lock on the configuration directory (two saves at once keep both),
 * checks everything (the path is not inside WORK_DIR, the directory is
 * writable, the file is a regular file, well formed, within the limits) and
 * prepares the new text; saved_commit writes it (atomic replace);
 * saved_end releases the lock.  A --save that would be refused is refused
 * by saved_begin, before anything changed. */
struct saved_tx {
	char path[PATH_MAX];
	int lock;
	char *new_text;
};
int saved_begin(const char *work_dir, const struct strv *entries, struct saved_tx *tx,
		struct cs_err *err);
int saved_commit(struct saved_tx *tx, struct cs_err *err);
void saved_end(struct saved_tx *tx);
/* All three at once; the file's path into PATH. */
int saved_record(const char *work_dir, const struct strv *entries, char *path, size_t pathsz,
		 struct cs_err *err);

#endif
