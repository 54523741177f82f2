/* Reading RUN/etc-codex/blocked.jsonl (the format is in
 * docs/ and REQUIREMENTS R5.33): one JSON object a line, appended by the
 * runner from the firewall's EVENT lines.  It lives where the sandbox can
 * read it, so it is read as hostile: bounded in bytes, lines and rows,
 * never through a link, odd lines skipped, strings made printable. */
#ifndef CS_BLOCKED_LOG_H
#define CS_BLOCKED_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define BLOCKED_LOG_MAX ((4u << 20) + (64u << 10))  /* 4 MiB, then one log-full line */
#define BLOCKED_LINE_MAX 4096
#define BLOCKED_ROWS_MAX 4096

struct blocked_row {
	char type[24];
	char name[256];
	char addr[64];
	char proto[12];
	char reason[200];
	int port;                   /* -1: none */
	uint64_t count;
};

struct blocked_agg {
	struct blocked_row *v;
	size_t n, cap;
	uint64_t total;             /* every count, also of rows that did not fit */
	uint64_t skipped;           /* lines that were not a blocked record */
	bool full;                  /* the log said log-full */
};

void blocked_agg_init(struct blocked_agg *a);
void blocked_agg_free(struct blocked_agg *a);
/* Add one line (LEN bytes, no newline): aggregated by (type, name, addr,
 * port, proto), counts summed (missing = 1).  Returns 1 when it was a
 * record, 0 when skipped. */
int blocked_agg_line(struct blocked_agg *a, const char *line, size_t len);
/* Every complete line of TEXT; returns the bytes consumed (up to and with
 * the last newline). */
size_t blocked_agg_text(struct blocked_agg *a, const char *text, size_t len);
/* Read PATH from *OFFSET (regular file, no link, at most BLOCKED_LOG_MAX in
 * all) and aggregate its complete lines; *OFFSET moves past them.  Returns
 * 0, or -1 with ERR. */
int blocked_read(const char *path, uint64_t *offset, struct blocked_agg *a, struct cs_err *err);
/* The entry `codex-sandbox allow ID X` would need for R: its name, else its
 * address; "" when neither. */
const char *blocked_target(const struct blocked_row *r);
/* The entry `codex-sandbox allow ID X` would take for a record of TYPE with
 * NAME/ADDR (either may be NULL or ""): the address for a rebinding drop
 * (only an explicit address opens a guarded one), else the name, else the
 * address (never for flow-refused/quic-refused: an explicit address is
 * exempt from the first-bytes check, so it would open every site on a
 * shared edge); NULL when there is nothing to allow (a failed upstream:
 * the name was allowed) or when it is not a valid allowlist entry.  Names come from
 * DNS queries the agent chose ("$(curl ...|sh)" is a query name): a command
 * we print for the user to run must never carry one. */
const char *blocked_allow_for(const char *type, const char *name, const char *addr);

#endif
