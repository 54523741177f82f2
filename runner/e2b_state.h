#ifndef CS_E2B_STATE_H
#define CS_E2B_STATE_H

#include "runner/e2b_sync.h"

/* Remember the trees' manifests for sandbox ID (it is left running). */
int e2b_state_save(const char *id, const struct sync_tree *trees, size_t n, struct cs_err *err);
/* Load the manifests of trees that match by name, root and remote.
 * Returns 1 when something was found, 0 otherwise. */
int e2b_state_load(const char *id, struct sync_tree *trees, size_t n);
void e2b_state_remove(const char *id);

#endif
