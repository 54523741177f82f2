#ifndef CS_TOML_KEYS_H
#define CS_TOML_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* True when the TOML text sets DOTTED (e.g. "features.daemon_auto_start"),
 * through a [table] header, a dotted key, or an inline table.  Heuristic and
 * conservative: see toml_keys.c. */
bool toml_sets_key(const char *text, size_t len, const char *dotted);

#endif
