#include "runner/docker/hijack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runner/docker/docker_api.h"
#include "common/fdio.h"
#include "common/util.h"

long http_parse_head(const char *data, size_t len, int *status)
{
	const char *end = memmem(data, len, "\r\n\r\n", 4);
	int maj, min, code;

	if (!end)
		return len >= HIJACK_HEADER_MAX ? -1 : 0;
	if (sscanf(data, "HTTP/%d.%d %3d", &maj, &min, &code) != 3 || code < 100 || code > 599)
		return -1;
	*status = code;
	return (long)(end - data) + 4;
}

int docker_hijack(const struct docker *d, const char *path, const char *json_body,
		  struct buf *early, struct cs_err *err)
{
	const char *socket_path = d->socket_path;
	char vpath[1024];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;
	char head[HIJACK_HEADER_MAX];
	size_t have = 0;
	cleanup_free char *req = NULL;
	size_t blen = json_body ? strlen(json_body) : 0;
	int n, status = 0;
	long hl;

	if (docker_api_path(d, path, vpath, sizeof vpath) < 0)
		return cs_fail(err, E2BIG, "attach: request path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cs_fail(err, errno, "socket");
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", socket_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return cs_fail(err, errno, "connect %s", socket_path);
	n = asprintf(&req,
		     "POST %s HTTP/1.1\r\n"
		     "Host: docker\r\n"
		     "Upgrade: tcp\r\n"
		     "Connection: Upgrade\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     vpath, blen, json_body ? json_body : "");
	if (n < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (fd_write_all(fd, req, (size_t)n) < 0)
		return cs_fail(err, errno, "attach request");
	for (;;) {
		ssize_t r = read(fd, head + have, sizeof head - 1 - have);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return cs_fail(err, errno, "attach response");
		}
		if (r == 0)
			return cs_fail(err, ECONNRESET, "attach: the engine closed the connection");
		have += (size_t)r;
		head[have] = '\0';
		hl = http_parse_head(head, have, &status);
		if (hl < 0)
			return cs_fail(err, EPROTO, "attach: invalid HTTP response from the engine");
		if (hl > 0)
			break;
	}
	if (status != 101 && status != 200) {
		const char *body = head + hl;
		struct buf b = { .data = (char *)body, .len = have - (size_t)hl };
		char msg[512];

		docker_error_message(&b, msg, sizeof msg);
		return cs_fail(err, 0, "attach %s: %s (HTTP %d)", path, msg, status);
	}
	if (have > (size_t)hl && buf_append(early, head + hl, have - (size_t)hl) < 0)
		return cs_fail(err, errno, "attach: early bytes");
	return steal_fd(&fd);
}
