/* SHA-256 (FIPS 180-4), for content keys of cached images. */
#ifndef CS_SHA256_H
#define CS_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char blk[64];
	size_t n;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Hex of the final digest into OUT (65 bytes). */
void sha256_hex(struct sha256 *s, char out[65]);
/* Add a file's bytes; -1 with errno if it cannot be read. */
int sha256_file(struct sha256 *s, const char *path);

#endif
