#ifndef CS_E2B_STATE_H
#define CS_E2B_STATE_H

#include <stdbool.h>

#include "runner/core/plan_attach.h"
#include "runner/e2b/e2b_xfer.h"

/* Remember the trees' manifests for sandbox ID (it is left running). */
int e2b_state_save(const char *id, const struct sync_tree *trees, size_t n, struct cs_err *err);
/* Load the manifests of trees that match by name, root and remote from the
 * state the planning phase read (plan_attach.h: the file is read there).
 * Returns 1 when something was found, 0 when there is nothing (no file),
 * -1 (ERR, with the fix) when it is not exactly what e2b_state_save writes. */
int e2b_state_load(const struct plan_attach *a, struct sync_tree *trees, size_t n,
		   struct cs_err *err);
/* The parser of the file's contents (fuzzed: tests/fuzz/fuzz_e2b_state.c).
 * All or nothing: on -1 no manifest is left loaded. */
int e2b_state_parse(const char *data, size_t len, const char *id, struct sync_tree *trees,
		    size_t n, struct cs_err *err);
/* Forget sandbox ID: its manifests and its live record (e2b_live.h). */
/* The lock of sandbox ID's record (its lock file, created; MAKE_DIRS: the
 * state directory too): one change of the record at a time, `allow`s and
 * the end of the run alike (two `allow`s at once would each send their own
 * list and the last would drop the other's entry).  Taken again when the
 * file it locked is no longer the one at its path (the end of the run
 * removes it under the lock).  The fd, or -1 with ERR. */
int e2b_state_lock(const char *id, bool make_dirs, struct cs_err *err);
void e2b_state_remove(const char *id);
/* The path of sandbox ID's file with SUFFIX in the state directory
 * ($XDG_STATE_HOME or ~/.local/state, codex-sandbox/e2b/), the directories
 * made (0700) with MAKE_DIRS.  -1 when ID is not a plain id or there is no
 * home. */
#define E2B_LIVE_SUFFIX ".live.json"
#define E2B_LOCK_SUFFIX ".lock"        /* e2b_network.c: one change at a time */
int e2b_state_file(const char *id, const char *suffix, char *out, size_t outsz, bool make_dirs);

#endif
