#include "runner/docker/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tar_init(struct tar_stream *t)
{
	memset(t, 0, sizeof *t);
	t->fd = -1;
}

static int add(struct tar_stream *t, const char *name, struct cs_err *err)
{
	if (t->n >= sizeof t->e / sizeof t->e[0])
		return cs_fail(err, E2BIG, "too many build context entries");
	if (strlen(name) >= sizeof t->e[0].name)
		return cs_fail(err, ENAMETOOLONG, "build context name '%s'", name);
	memset(&t->e[t->n], 0, sizeof t->e[0]);
	snprintf(t->e[t->n].name, sizeof t->e[0].name, "%s", name);
	return 0;
}

int tar_add_file(struct tar_stream *t, const char *name, const char *path, unsigned int mode,
		 struct cs_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return cs_fail(err, errno, "build context file %s", path);
	if (!S_ISREG(st.st_mode))
		return cs_fail(err, EINVAL, "build context file %s is not a regular file", path);
	if (add(t, name, err) < 0)
		return -1;
	t->e[t->n].path = strdup(path);
	if (!t->e[t->n].path)
		return cs_fail(err, ENOMEM, "out of memory");
	t->e[t->n].size = (uint64_t)st.st_size;
	t->e[t->n].mode = mode;
	t->n++;
	return 0;
}

int tar_add_data(struct tar_stream *t, const char *name, const char *data, size_t len,
		 unsigned int mode, struct cs_err *err)
{
	if (add(t, name, err) < 0)
		return -1;
	t->e[t->n].data = data;
	t->e[t->n].size = len;
	t->e[t->n].mode = mode;
	t->n++;
	return 0;
}

static uint64_t padded(uint64_t n)
{
	return (n + 511) / 512 * 512;
}

uint64_t tar_size(const struct tar_stream *t)
{
	uint64_t total = 1024;

	for (size_t i = 0; i < t->n; i++)
		total += 512 + padded(t->e[i].size);
	return total;
}

void tar_header(unsigned char blk[512], const char *name, uint64_t size, unsigned int mode)
{
	unsigned int sum = 0;

	memset(blk, 0, 512);
	snprintf((char *)blk, 100, "%s", name);
	snprintf((char *)blk + 100, 8, "%07o", mode & 07777);
	snprintf((char *)blk + 108, 8, "%07o", 0);
	snprintf((char *)blk + 116, 8, "%07o", 0);
	snprintf((char *)blk + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)blk + 136, 12, "%011o", 0);
	memset(blk + 148, ' ', 8);
	blk[156] = '0';
	memcpy(blk + 257, "ustar", 6);
	memcpy(blk + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += blk[i];
	snprintf((char *)blk + 148, 8, "%06o", sum);
	blk[155] = ' ';
}

size_t tar_read(struct tar_stream *t, char *buf, size_t len)
{
	size_t out = 0;

	while (out < len) {
		struct tar_entry *e;
		uint64_t data_end;

		if (t->cur >= t->n) {
			/* two zero blocks end the archive */
			uint64_t end_off = t->off, left = 1024 - end_off;
			size_t take = left < len - out ? (size_t)left : len - out;

			if (end_off >= 1024)
				break;
			memset(buf + out, 0, take);
			out += take;
			t->off += take;
			continue;
		}
		e = &t->e[t->cur];
		data_end = 512 + e->size;
		if (t->off < 512) {
			unsigned char blk[512];
			size_t take = 512 - (size_t)t->off < len - out ? 512 - (size_t)t->off : len - out;

			tar_header(blk, e->name, e->size, e->mode);
			memcpy(buf + out, blk + t->off, take);
			out += take;
			t->off += take;
			continue;
		}
		if (t->off < data_end) {
			uint64_t left = data_end - t->off;
			size_t take = left < len - out ? (size_t)left : len - out;

			if (e->path) {
				ssize_t r;

				if (t->fd < 0) {
					t->fd = open(e->path, O_RDONLY | O_CLOEXEC);
					if (t->fd < 0)
						return (size_t)-1;
				}
				r = read(t->fd, buf + out, take);
				if (r <= 0)
					return (size_t)-1;   /* file shrank or read error */
				take = (size_t)r;
			} else {
				memcpy(buf + out, e->data + (t->off - 512), take);
			}
			out += take;
			t->off += take;
			continue;
		}
		if (t->off < 512 + padded(e->size)) {
			uint64_t left = 512 + padded(e->size) - t->off;
			size_t take = left < len - out ? (size_t)left : len - out;

			memset(buf + out, 0, take);
			out += take;
			t->off += take;
			continue;
		}
		if (t->fd >= 0) {
			close(t->fd);
			t->fd = -1;
		}
		t->cur++;
		t->off = 0;
	}
	t->sent += out;
	return out;
}

void tar_close(struct tar_stream *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].path);
		t->e[i].path = NULL;
	}
}
