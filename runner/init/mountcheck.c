#include "runner/init/mountcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PINS_MAX_BYTES (64u << 10)
#define PINS_ENV "CODEX_SANDBOX_MOUNT_PINS"

/* Open TARGET from / without following any link: a link inside the
 * container cannot make the check look at another place than the mount. */
static int open_nofollow(const char *target, struct stat *st)
{
	char buf[PATH_MAX];
	int cur, nfd;
	char *comp, *save = NULL;

	if (strlen(target) >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, target, strlen(target) + 1);
	cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (comp = strtok_r(buf, "/", &save); cur >= 0 && comp; comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, "..") == 0) {
			close(cur);
			errno = EXDEV;
			return -1;
		}
		nfd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = nfd;
		if (cur >= 0 && (fstat(cur, st) < 0 || S_ISLNK(st->st_mode))) {
			close(cur);
			errno = ELOOP;
			return -1;
		}
	}
	if (cur >= 0 && fstat(cur, st) < 0) {
		close(cur);
		return -1;
	}
	return cur;
}

int mountcheck_verify(const char *text, char *why, size_t whysz)
{
	const char *line = text;

	if (strlen(text) > PINS_MAX_BYTES) {
		snprintf(why, whysz, "the runner's mount list is too long");
		return -1;
	}
	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		unsigned long long dev, ino;
		char target[PATH_MAX];
		struct stat st;
		char *end;
		int fd;

		if (len == 0) {
			line += 1;
			continue;
		}
		errno = 0;
		dev = strtoull(line, &end, 10);
		if (end == line || *end != ' ' || errno)
			goto bad;
		line = end + 1;
		ino = strtoull(line, &end, 10);
		if (end == line || *end != ' ' || errno)
			goto bad;
		line = end + 1;
		len = eol ? (size_t)(eol - line) : strlen(line);
		if (len == 0 || len >= sizeof target || line[0] != '/')
			goto bad;
		memcpy(target, line, len);
		target[len] = '\0';
		fd = open_nofollow(target, &st);
		if (fd < 0) {
			snprintf(why, whysz, "the mount at %s cannot be checked (%s); refusing to start",
				 target, strerror(errno));
			return -1;
		}
		close(fd);
		if ((unsigned long long)st.st_dev != dev || (unsigned long long)st.st_ino != ino) {
			snprintf(why, whysz, "the mount at %s is not what the runner checked (a link was "
				 "swapped in on the host?); refusing to start", target);
			return -1;
		}
		line += len;
	}
	return 0;
bad:
	snprintf(why, whysz, "the runner's mount list is malformed");
	return -1;
}

int mountcheck_env(char *why, size_t whysz)
{
	const char *v = getenv(PINS_ENV);
	int rc;

	if (!v)
		return 0;
	rc = mountcheck_verify(v, why, whysz);
	unsetenv(PINS_ENV);
	return rc;
}
