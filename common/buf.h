/* Bounded growable buffer (curl's dynbuf idea): every buffer that holds data
 * read from outside (Docker, E2B, DNS, files) is created with an explicit
 * maximum, and an append past it fails with E2BIG and frees the buffer, so a
 * hostile or broken peer cannot make us grow without bound. */
#ifndef CS_BUF_H
#define CS_BUF_H

#include <stddef.h>

struct buf {
	char *data;  /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;  /* hard limit on len */
};

void buf_init(struct buf *b, size_t max);
/* Returns 0, or -1 with errno = E2BIG (limit) / ENOMEM; on failure the
 * buffer is freed and reset (still usable, empty). */
int buf_append(struct buf *b, const void *p, size_t n) __attribute__((warn_unused_result));
int buf_puts(struct buf *b, const char *s) __attribute__((warn_unused_result));
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), warn_unused_result));
/* Drop the first n bytes (consumed input). */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);  /* len = 0, keeps memory */
void buf_free(struct buf *b);
/* Hand the data out (caller frees); the buffer becomes empty. */
char *buf_steal(struct buf *b);

static inline void buf_freep(struct buf *b) { buf_free(b); }
#define cleanup_buf __attribute__((cleanup(buf_freep)))

#endif
