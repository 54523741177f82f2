/* libFuzzer: the sandbox's file listing (find + sha256sum output), which
 * the sandbox's own programs produce and so is untrusted, and the path
 * rules applied to every name it carries. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/e2b/e2b_xfer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[4] = { "0", "1", "2", NULL };
	struct sync_list out[4] = { 0 };
	struct cs_err e = { 0 };
	size_t rejected;

	if (sync_parse_listing((const char *)data, size, names, out, &rejected, &e) == 0) {
		for (int i = 0; i < 4; i++)
			for (size_t k = 0; k < out[i].n; k++) {
				char clean[SYNC_PATH_MAX];
				const struct sync_entry *x = &out[i].v[k];

				/* every path that survives is clean and findable */
				if (sync_path_clean(x->path, clean, sizeof clean) < 0 ||
				    sync_list_find(&out[i], x->path) != x)
					abort();
			}
	}
	for (int i = 0; i < 4; i++)
		sync_list_free(&out[i]);
	return 0;
}
