/* The stdout protocol's writer (the lines are listed in firewall/daemon.h):
 * one line per call, flushed at once (the runner reads them as they come),
 * never longer than EMIT_LINE_MAX, whatever a message held. */
#ifndef FW_EMIT_H
#define FW_EMIT_H

#include <stddef.h>

#define EMIT_LINE_MAX 4000

/* One protocol line on stdout: FMT's text with CR/LF turned into spaces,
 * cut at EMIT_LINE_MAX, then "\n". */
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* IN as the body of a JSON string, into OUT (cut to fit OUTSZ): quotes,
 * backslashes and control bytes escaped, anything outside printable ASCII
 * '?' (names are ASCII by construction).  Returns OUT. */
const char *emit_json_str(const char *in, char *out, size_t outsz);

#endif
