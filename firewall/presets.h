/* Egress presets: `--allow @NAME` (also in OPENAI_ALLOWED_DOMAINS) stands
 * for the hosts one ecosystem's standard tools need, so nobody hunts domains
 * one blocked request at a time.  The lists are data, versioned together
 * (PRESETS_VERSION), each host with the reason it is there; docs/PRESETS.md
 * is held to this table by tests/unit/test_presets.c.
 *
 * Pure: no I/O, no global state. */
#ifndef FW_PRESETS_H
#define FW_PRESETS_H

#include <stddef.h>

#include "common/error.h"

#define PRESETS_VERSION "2026.12"

struct preset_host {
	const char *host;
	const char *why;
};

struct preset {
	const char *name;            /* without the '@' */
	const char *what;            /* one line: the ecosystem */
	const char *includes;        /* another preset it extends, or NULL */
	const struct preset_host *hosts;   /* terminated by { NULL, NULL } */
};

/* All presets, terminated by an entry with name NULL. */
extern const struct preset presets[];

/* The preset called WORD ("@npm"), or NULL. */
const struct preset *preset_find(const char *word);
/* "@npm, @pypi, ..." into OUT (for messages). */
void presets_names(char *out, size_t outsz);
/* Call FN for every host of P, its included preset's first.  Stops at and
 * returns the first negative result of FN, else 0. */
int preset_each_host(const struct preset *p, int (*fn)(const char *host, void *ctx), void *ctx);

#endif
