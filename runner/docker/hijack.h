/* The hijacked attach (and exec start) over a raw AF_UNIX socket: we write
 * the HTTP request ourselves, accept 101 (Upgrade) or 200 (proxies that
 * downgrade), and from then on the socket is the container's stdio.
 * Bytes that arrive in the same read as the headers are kept in EARLY. */
#ifndef CS_HIJACK_H
#define CS_HIJACK_H

#include "common/buf.h"
#include "runner/docker/docker_api.h"
#include "common/error.h"

#define HIJACK_HEADER_MAX 16384

/* POST PATH (under D's API version) on a new connection to D's socket.
 * Returns the connected fd (>= 0) or -1. */
int docker_hijack(const struct docker *d, const char *path, const char *json_body,
		  struct buf *early, struct cs_err *err);

/* Parse an HTTP status line + headers block (pure; for tests). Returns the
 * header length including the blank line, 0 if incomplete, -1 if invalid;
 * *STATUS gets the code. */
long http_parse_head(const char *data, size_t len, int *status);

#endif
