#include "common/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int fd_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { .fd = fd, .events = POLLOUT };

				poll(&pf, 1, 1000);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int fd_read_max(int fd, size_t max, char **out, size_t *len)
{
	char *data = malloc(max + 2);
	size_t n = 0;
	int tries = 0;

	if (!data)
		return -1;
	/* One byte past MAX tells "exactly MAX" from "more than MAX". */
	while (n <= max) {
		ssize_t r = read(fd, data + n, max + 1 - n);

		if (r == 0)
			break;
		if (r < 0) {
			if ((errno == EINTR || errno == EAGAIN) && ++tries < 4)
				continue;
			free(data);
			return -1;
		}
		n += (size_t)r;
	}
	if (n > max) {
		free(data);
		errno = EFBIG;
		return -1;
	}
	data[n] = '\0';
	*out = data;
	if (len)
		*len = n;
	return 0;
}

static int read_regular(const char *path, int follow, size_t max, char **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | follow);
	int rc, e;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		rc = -1;
	} else if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		rc = -1;
	} else {
		rc = fd_read_max(fd, max, out, len);
	}
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int read_small_file(const char *path, size_t max, char **out, size_t *len)
{
	return read_regular(path, O_NOFOLLOW, max, out, len);
}

int read_system_file(const char *path, size_t max, char **out, size_t *len)
{
	return read_regular(path, 0, max, out, len);
}

DIR *fd_opendir(int fd)
{
	int dfd = dup(fd);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);

	if (!d && dfd >= 0) {
		int e = errno;

		close(dfd);
		errno = e;
	}
	return d;
}
