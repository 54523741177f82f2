#include "runner/core/sandbox_id.h"

#include <string.h>

int sandbox_id_check(const char *id, struct cs_err *err)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > SANDBOX_ID_MAX || strspn(id, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n) {
		cs_fail_status(err, CS_EXIT_FAIL, 0, "'%.80s' is not a sandbox id", id ? id : "");
		return cs_hint(err, "codex-sandbox ps lists the running sandboxes and their ids");
	}
	return 0;
}

int sandbox_id_match(const char *prefix, const struct strv *ids, const char **out,
		     struct cs_err *err)
{
	size_t len = strlen(prefix), hits = 0;

	*out = NULL;
	for (size_t i = 0; i < ids->n; i++) {
		if (strcmp(ids->v[i], prefix) == 0) {
			*out = ids->v[i];       /* a whole id wins over prefixes */
			return 1;
		}
		if (strncmp(ids->v[i], prefix, len) == 0 && hits++ == 0)
			*out = ids->v[i];
	}
	if (hits > 1) {
		*out = NULL;
		cs_fail_status(err, CS_EXIT_FAIL, 0, "'%s' matches %zu running sandboxes", prefix, hits);
		return cs_hint(err, "give more of the id (codex-sandbox ps lists them)");
	}
	return *out ? 1 : 0;
}
