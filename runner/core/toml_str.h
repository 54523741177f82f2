/* The value of one top-level string key of a config.toml (e.g. Codex's
 * developer_instructions), so our text can be appended to the user's
 * instead of replacing it.  Not a TOML parser: the four string forms
 * (basic, literal, and their multi-line kinds) with their escapes, found
 * before the first [table]; other values are skipped (strings, arrays and
 * inline tables, nested).  What it cannot read is reported as such, and the
 * caller then leaves the user's setting alone. */
#ifndef CS_TOML_STR_H
#define CS_TOML_STR_H

#include <stddef.h>

#include "common/buf.h"

/* 1: KEY is set at the top level to a string, its value (UTF-8 as written,
 * escapes decoded) appended to OUT; 0: KEY is not set at the top level;
 * -1: it is, but not to a string this reader understands (or OUT is full). */
int toml_top_string(const char *text, size_t len, const char *key, struct buf *out);

/* VALUE as a TOML basic string ("...", escapes for '"', '\\' and control
 * characters) appended to OUT.  0 or -1 (OUT full). */
int toml_quote(const char *value, struct buf *out);

#endif
