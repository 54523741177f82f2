/* libFuzzer: the E2B state file (runner/e2b/e2b_state.c) that `attach` reads
 * back.  It is ours, but a parser that trusts a file on disk is one bug
 * away from trusting an attacker's: it must refuse or load, never crash,
 * and what it loads must obey the sync's path rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/e2b/e2b_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sync_tree t[2] = {
		{ .name = "project", .root = "/p", .remote = "/app/p" },
		{ .name = "Codex home", .root = "/p/.codex/.environment", .remote = "/codex_home" },
	};
	struct cs_err e = { 0 };
	int r = e2b_state_parse((const char *)data, size, "isandbox", t, 2, &e);

	for (int i = 0; i < 2; i++) {
		if (r < 0 && t[i].manifest.n)
			abort();   /* all or nothing */
		for (size_t k = 0; k < t[i].manifest.n; k++) {
			const struct sync_entry *x = &t[i].manifest.v[k];
			char clean[SYNC_PATH_MAX];

			if (sync_path_clean(x->path, clean, sizeof clean) < 0 || x->mode > 07777 ||
			    (x->type == SYNC_LINK) != (x->link != NULL) ||
			    sync_list_find(&t[i].manifest, x->path) != x)
				abort();
		}
		sync_list_free(&t[i].manifest);
	}
	return 0;
}
