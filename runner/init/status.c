/* The init's status file, written without following anything the sandbox
 * may have planted: see status.h. */
#include "runner/init/status.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int status_dir_open(const char *file, const char **base)
{
	const char *slash = strrchr(file, '/');
	char dir[4096];
	size_t n;

	*base = slash ? slash + 1 : file;
	if (!**base || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (!slash)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = (size_t)(slash - file);
	if (n == 0)
		n = 1;   /* "/status": the root directory */
	if (n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, file, n);
	dir[n] = '\0';
	return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int status_clear(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int status_create(int dirfd, const char *name)
{
	/* O_EXCL: whatever is there (a link too, dangling or not) fails with
	 * EEXIST instead of being opened.  O_NONBLOCK: never wait on anything. */
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		      0644);
}

int status_write(int dirfd, const char *name, const char *text, size_t len)
{
	int fd, e;

	if (status_clear(dirfd, name) < 0 || (fd = status_create(dirfd, name)) < 0)
		return -1;
	while (len > 0) {
		ssize_t w = write(fd, text, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			close(fd);
			errno = e;
			return -1;
		}
		text += w;
		len -= (size_t)w;
	}
	return close(fd);
}
