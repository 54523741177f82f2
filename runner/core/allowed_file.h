/* The effective allowlist the sandbox reads at /etc/codex/allowed_domains.txt
 * (RUN/etc-codex/allowed_domains.txt, one canonical entry a line): its new
 * text after `allow` or `deny` changed a running sandbox.  Pure. */
#ifndef CS_ALLOWED_FILE_H
#define CS_ALLOWED_FILE_H

#include <stdbool.h>

#include "common/error.h"
#include "common/strv.h"
#include "firewall/allowlist.h"

#define ALLOWED_FILE_MAX (4u << 20)

/* OLD's entries (invalid lines dropped) with CHANGE's added (ADD) or
 * removed, one canonical entry a line, into *OUT (free()).  0, or -1 with
 * ERR (out of memory, too large). */
int allowed_text_change(const char *old, const struct allowlist *change, bool add, char **out,
			struct cs_err *err);

/* CHANGE's entries, canonical, into OUT (for the firewall and E2B). */
int allowed_entries(const struct allowlist *change, struct strv *out, struct cs_err *err);

#endif
