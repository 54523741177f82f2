/* RUN/etc-codex/blocked.jsonl: what the firewall blocked, one JSON object a
 * line, appended while the sandbox runs (it sees the file read-only at
 * /etc/codex/blocked.jsonl, live).  The firewall's EVENT lines are the
 * source; each line gets the time, a count and the `codex-sandbox allow`
 * command that would open it.  Bounded: at BLOCKED_LOG_CAP bytes one
 * {"type":"log-full"} line, then nothing more. */
#ifndef CS_DOCKER_BLOCKED_LOG_H
#define CS_DOCKER_BLOCKED_LOG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/error.h"

#define BLOCKED_LOG_CAP (4u << 20)

struct blocked_log {
	bool open;                /* a zeroed struct writes nothing */
	bool full;
	int fd;
	size_t size;              /* bytes in the file */
	char id[80];              /* the sandbox id the allow command names */
};

/* Open PATH for appending (a regular file, not through a link: it was
 * created empty in our private run dir).  Returns 0 or -1 with ERR. */
int blocked_log_open(struct blocked_log *l, const char *path, const char *sandbox_id,
		     struct cs_err *err);
/* Append the line for one EVENT object (other types than those of a block
 * are skipped).  Never fails the run: a write error closes the log. */
void blocked_log_event(struct blocked_log *l, const cJSON *ev);
void blocked_log_close(struct blocked_log *l);

/* The line for EV at NOW (pure; tests): NULL when EV is not a block.
 * Free the result. */
char *blocked_log_line(const cJSON *ev, const char *sandbox_id, time_t now);

#endif
