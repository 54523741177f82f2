/* Percent-encoding for URL paths and query values (RFC 3986 unreserved
 * characters pass, every other byte becomes %XX), used by both HTTP clients. */
#ifndef CS_URLENC_H
#define CS_URLENC_H

#include <stddef.h>

/* Encode S into OUT (OUTSZ bytes, NUL-terminated).  0, or -1 when it does
 * not fit (OUT is then unspecified). */
int url_encode(const char *s, char *out, size_t outsz);

#endif
