/* Docker's multiplexed attach stream (non-TTY): frames of an 8-byte header
 * [stream, 0, 0, 0, size (big-endian u32)] and SIZE payload bytes.  A pure
 * state machine fed arbitrary chunks; payload goes to CB per stream
 * (1 stdout, 2 stderr, 3 the engine's own error stream). */
#ifndef CS_MUX_H
#define CS_MUX_H

#include <stddef.h>

struct mux {
	unsigned char hdr[8];
	size_t have;
	size_t left;
	int stream;
	void (*cb)(void *ctx, int stream, const char *data, size_t len);
	void *ctx;
};

void mux_init(struct mux *m, void (*cb)(void *, int, const char *, size_t), void *ctx);
void mux_feed(struct mux *m, const char *data, size_t len);

#endif
