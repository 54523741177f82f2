/* codex-firewall ctl: the client of the control channel (firewall/control.h),
 * run by the runner through an Engine API exec in the owner container. */
#include "firewall/control_client.h"

#include "firewall/control.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	return steal_fd(&fd);
}

/* One reply for SEQ into R; -1 on timeout, EOF or a malformed reply. */
static int ctl_recv(int fd, uint32_t seq, struct fw_ctl_reply *r)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct fw_ctl_reply raw;
	ssize_t n;

	if (poll(&pfd, 1, FW_CTL_REPLY_MS) <= 0)
		return -1;
	n = recv(fd, &raw, sizeof raw, MSG_TRUNC);
	if (fw_ctl_reply_decode(&raw, n, r) < 0 || r->seq != seq)
		return -1;
	return 0;
}

/* Send one request and print its replies; returns the status of the last
 * one, or -1 when the channel failed. */
static int ctl_one(int fd, uint32_t op, uint32_t seq, const char *entry)
{
	struct fw_ctl_req req;
	struct fw_ctl_reply r;

	if (fw_ctl_req_encode(&req, op, seq, entry) < 0) {
		printf("refused %.60s...: longer than %d bytes\n", entry, FW_CTL_TEXT - 1);
		return FW_CTL_BAD;
	}
	if (send(fd, &req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req)
		return -1;
	do {
		if (ctl_recv(fd, seq, &r) < 0)
			return -1;
		if (r.status == FW_CTL_MORE)
			printf("%s\n", r.text);
	} while (r.status == FW_CTL_MORE);
	if (op != FW_CTL_LIST)
		printf("%s %s: %s\n", r.status == FW_CTL_OK ? "ok" : "refused", entry, r.text);
	else if (r.status != FW_CTL_OK)
		fprintf(stderr, "codex-firewall ctl: the list is incomplete: %s\n", r.text);
	return r.status;
}

int fw_ctl_main(int argc, char **argv)
{
	const char *path = FW_CTL_PATH;
	int i = 2, worst = 0, fd;
	uint32_t op;

	if (i + 1 < argc && strcmp(argv[i], "--control") == 0) {
		path = argv[i + 1];
		i += 2;
	}
	op = i >= argc ? 0 : !strcmp(argv[i], "allow") ? FW_CTL_ALLOW : !strcmp(argv[i], "deny") ?
	     FW_CTL_DENY : !strcmp(argv[i], "list") ? FW_CTL_LIST : 0;
	if (!op || (op != FW_CTL_LIST && i + 1 >= argc) || (op == FW_CTL_LIST && i + 1 != argc)) {
		fputs("usage: codex-firewall ctl [--control PATH] allow|deny ENTRY... | list\n", stderr);
		return 2;
	}
	fd = ctl_connect(path);
	if (fd < 0) {
		fprintf(stderr, "codex-firewall ctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int k = i + 1, seq = 1; k < argc || (op == FW_CTL_LIST && k == i + 1); k++, seq++) {
		int st = ctl_one(fd, op, (uint32_t)seq, op == FW_CTL_LIST ? "" : argv[k]);

		if (st < 0) {
			fprintf(stderr, "codex-firewall ctl: no answer from the firewall\n");
			worst = 1;
			break;
		}
		if (st == FW_CTL_BAD && worst != 1)
			worst = 125;
		else if (st == FW_CTL_FAILED)
			worst = 1;
		if (op == FW_CTL_LIST)
			break;
	}
	close(fd);
	return worst;
}
