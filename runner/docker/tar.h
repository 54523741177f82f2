/* A streaming ustar writer for build contexts: entries are files on disk or
 * bytes in memory; the archive is produced on demand by tar_read() (libcurl
 * read callback), so a 300 MB Codex binary is never held in memory, and its
 * total size is known up front (Content-Length). */
#ifndef CS_TAR_H
#define CS_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct tar_entry {
	char name[100];
	char *path;             /* file on disk (our copy), or NULL */
	const char *data;       /* in-memory bytes when path is NULL */
	uint64_t size;
	unsigned int mode;
};

struct tar_stream {
	struct tar_entry e[16];
	size_t n;
	/* reader state */
	size_t cur;
	uint64_t off;            /* offset within the current entry's block sequence */
	int fd;
	uint64_t total;
	uint64_t sent;
};

void tar_init(struct tar_stream *t);
/* PATH is copied (the caller's buffer may go); its size is taken now. */
int tar_add_file(struct tar_stream *t, const char *name, const char *path, unsigned int mode,
		 struct cs_err *err);
int tar_add_data(struct tar_stream *t, const char *name, const char *data, size_t len,
		 unsigned int mode, struct cs_err *err);
/* Total archive size (headers, data, padding, two zero blocks). */
uint64_t tar_size(const struct tar_stream *t);
/* Fill up to LEN bytes; returns bytes written, 0 at the end, (size_t)-1 on
 * a read error. */
size_t tar_read(struct tar_stream *t, char *buf, size_t len);
/* Closes the open file and frees the entries' paths. */
void tar_close(struct tar_stream *t);
/* Build one ustar header block (pure; tests). */
void tar_header(unsigned char blk[512], const char *name, uint64_t size, unsigned int mode);

#endif
