#ifndef CS_E2B_STATE_H
#define CS_E2B_STATE_H

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
void e2b_state_remove(const char *id);

#endif
