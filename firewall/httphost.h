/* The Host of an HTTP/1.x request at the start of a TCP stream.  Pure and
 * bounded: reads at most HTTP_HEAD_MAX of the bytes it is given.
 *
 * Strict on purpose, so the name judged is the name the server routes by:
 *   - request line METHOD SP TARGET SP HTTP/1.0|HTTP/1.1 CRLF, METHOD of
 *     1-20 of [A-Z-]; TARGET in origin form ("/...") or "*" only: the
 *     absolute form ("http://other/") and CONNECT's authority form name a
 *     host the server must prefer over Host, so they are refused;
 *   - every line ends in CRLF (a bare CR or LF is refused), no control bytes
 *     but HTAB in a field value, no whitespace before a field's colon;
 *   - obsolete line folding (a line starting with SP or HTAB) is refused;
 *   - exactly one Host field (name in any case), value NAME or NAME:PORT
 *     (1-5 digits), optional whitespace around it; an IP literal or
 *     bracketed IPv6 is not a name;
 *   - at most HTTP_FIELDS_MAX fields and HTTP_HEAD_MAX bytes up to the empty
 *     line.
 */
#ifndef FW_HTTPHOST_H
#define FW_HTTPHOST_H

#include <stddef.h>
#include <stdint.h>

#include "firewall/flowname.h"

#define HTTP_HEAD_MAX 8192
#define HTTP_FIELDS_MAX 100

/* Parse the first LEN bytes of the client's stream.  Returns 1 with HOST
 * (canonical, flow_name_canon) once the empty line ending the header is
 * there, 0 when more bytes are needed, or -reason (enum flow_reason). */
int http_host_parse(const uint8_t *stream, size_t len, char host[FLOW_NAME_MAX + 1]);

#endif
