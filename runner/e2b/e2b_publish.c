/* --publish on E2B: the local forwarder (e2b_publish.h). */
#include "runner/e2b/e2b_publish.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/fdio.h"
#include "common/util.h"
#include "runner/core/sig.h"

#define IDLE_MS (10 * 60 * 1000)     /* a connection silent this long is closed */
#define CHUNK 65536
#define FD_SCAN_MAX 4096             /* inherited descriptors closed in the forwarder */

int e2b_publish_bind(struct e2b_publish *pub, const struct strv *publish, struct cs_err *err)
{
	memset(pub, 0, sizeof *pub);
	if (publish->n > PUBLISH_MAX)
		return cs_fail(err, 0, "at most %d --publish ports with --backend e2b", PUBLISH_MAX);
	for (size_t i = 0; i < publish->n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int port = 0, host = 0, one = 1, fd, e;

		if (sscanf(publish->v[i], "%d:%d", &port, &host) != 2 || port < 1 || port > 65535 ||
		    host < 1 || host > 65535) {
			e2b_publish_stop(pub);
			return cs_fail(err, 0, "invalid --publish '%s'", publish->v[i]);
		}
		sin.sin_port = htons((uint16_t)host);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 64) < 0) {
			e = errno;
			if (fd >= 0)
				close(fd);
			e2b_publish_stop(pub);
			cs_fail(err, e, "--publish %d:%d: cannot listen on 127.0.0.1:%d", port, host, host);
			return cs_hint(err, "is that host port already in use? choose another one "
				       "(--publish %d:OTHERPORT)", port);
		}
		pub->port[pub->n] = port;
		pub->host_port[pub->n] = host;
		pub->fd[pub->n++] = fd;
	}
	return 0;
}

void e2b_publish_stop(struct e2b_publish *pub)
{
	if (pub->pid > 0) {
		kill(pub->pid, SIGTERM);
		while (waitpid(pub->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	pub->pid = 0;
	for (size_t i = 0; i < pub->n; i++)
		if (pub->fd[i] >= 0) {
			close(pub->fd[i]);
			pub->fd[i] = -1;
		}
	pub->n = 0;
}

char *e2b_publish_url(const struct e2b_cfg *cfg, const char *id, const char *domain, int port)
{
	char *url = NULL;

	/* One endpoint for every sandbox (the emulator, debug): the headers
	 * route.  Else E2B's per-port host. */
	if (cfg->sandbox_url)
		return strdup(cfg->sandbox_url);
	if (asprintf(&url, "https://%d-%s.%s", port, id, domain && *domain ? domain : cfg->domain) < 0)
		return NULL;
	return url;
}

static bool header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && line[k] == ':' && strncasecmp(line, name, k) == 0;
}

/* Headers the client may not set: the forwarder's own, and the hop ones. */
static bool dropped(const char *line, size_t n)
{
	static const char *const names[] = { "host", "connection", "keep-alive", "proxy-connection",
		"e2b-traffic-access-token", "e2b-sandbox-id", "e2b-sandbox-port", NULL };

	for (size_t i = 0; names[i]; i++)
		if (header_is(line, n, names[i]))
			return true;
	return false;
}

/* A header name is an RFC 9110 token: anything else ("Host : x") could be
 * read as a header we drop by a lenient server. */
static bool header_name_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);

	if (!colon || colon == s)
		return false;
	for (const char *c = s; c < colon; c++)
		if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-.^_`|~", *c))
			return false;
	return true;
}

/* METHOD SP origin-form-or-* SP HTTP/1.x: an absolute-form target
 * ("GET http://other/") would let servers route by its host instead of the
 * Host we set. */
static bool request_line_ok(const char *s, size_t n)
{
	const char *sp = memchr(s, ' ', n);

	if (!sp || sp == s || n < 14 || memcmp(s + n - 9, " HTTP/1.", 8) != 0)
		return false;
	if (sp[1] != '/' && !(sp[1] == '*' && sp[2] == ' '))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

char *e2b_publish_head(const char *head, size_t len, const char *host, const char *id, int port,
		       const char *token)
{
	char *out = NULL, *line_end;
	size_t outlen = 0, n;
	const char *p = head, *end = head + len;
	bool upgrade = false, first = true;
	FILE *f;

	if (len < 4 || memcmp(end - 4, "\r\n\r\n", 4) != 0 || memchr(head, '\0', len))
		return NULL;
	f = open_memstream(&out, &outlen);
	if (!f)
		return NULL;
	for (; p < end - 2; p = line_end + 2) {
		line_end = memmem(p, (size_t)(end - p), "\r\n", 2);
		n = (size_t)(line_end - p);
		if (first) {
			if (!request_line_ok(p, n))
				goto bad;
			fprintf(f, "%.*s\r\nHost: %s\r\n", (int)n, p, host);
			first = false;
			continue;
		}
		/* No folded lines, no bare CR/LF, a name before the colon. */
		if (n == 0 || !header_name_ok(p, n) || memchr(p, '\n', n) || memchr(p, '\r', n))
			goto bad;
		upgrade |= header_is(p, n, "upgrade");
		if (!dropped(p, n))
			fprintf(f, "%.*s\r\n", (int)n, p);
	}
	/* One request per connection: a second one on a kept-alive connection
	 * would not carry the token the forwarder adds to the first. */
	fprintf(f, "Connection: %s\r\n", upgrade ? "Upgrade" : "close");
	if (token)
		fprintf(f, "e2b-traffic-access-token: %s\r\n", token);
	fprintf(f, "E2b-Sandbox-Id: %s\r\nE2b-Sandbox-Port: %d\r\n\r\n", id, port);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
bad:
	fclose(f);
	free(out);
	return NULL;
}

/* ---- one connection (its own process) ------------------------------------ */

struct upstream {
	const struct e2b_cfg *cfg;
	const struct e2b_sandbox *sb;
	int port;
};

static void answer(int c, const char *status)
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n", status,
			 strlen(status) + 1, status);

	fd_write_all(c, msg, (size_t)n);
}

/* The request head, at most PUBLISH_HEAD_MAX bytes; what came after it
 * (the start of a body) stays in BUF after *HEAD_LEN. */
static int read_head(int c, char *buf, size_t *len, size_t *head_len)
{
	*len = 0;
	for (;;) {
		struct pollfd pf = { .fd = c, .events = POLLIN };
		char *e;
		ssize_t r;

		if (poll(&pf, 1, 30000) <= 0)
			return -1;
		r = read(c, buf + *len, PUBLISH_HEAD_MAX - *len);
		if (r <= 0)
			return -1;
		*len += (size_t)r;
		e = memmem(buf, *len, "\r\n\r\n", 4);
		if (e) {
			*head_len = (size_t)(e + 4 - buf);
			return 0;
		}
		if (*len == PUBLISH_HEAD_MAX)
			return -2;
	}
}

static int up_send(CURL *h, curl_socket_t s, const char *p, size_t n)
{
	while (n) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(h, p, n, &sent);
		struct pollfd pf = { .fd = s, .events = POLLOUT };

		if (rc == CURLE_AGAIN) {
			if (poll(&pf, 1, IDLE_MS) <= 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return -1;
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Everything E2B sends, until it closes; 1 when it did, -1 on error. */
static int up_drain(CURL *h, int c, char *buf)
{
	for (;;) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(h, buf, CHUNK, &got);

		if (rc == CURLE_AGAIN)
			return 0;
		if (rc != CURLE_OK)
			return -1;
		if (got == 0)
			return 1;
		if (fd_write_all(c, buf, got) < 0)
			return -1;
	}
}

static void relay(CURL *h, curl_socket_t s, int c)
{
	char buf[CHUNK];
	struct pollfd pf[2] = { { .fd = c, .events = POLLIN }, { .fd = s, .events = POLLIN } };

	/* TLS may hold decrypted bytes the socket no longer signals: read
	 * until curl says there is nothing more, every time. */
	if (up_drain(h, c, buf) != 0)
		return;
	while (poll(pf, 2, IDLE_MS) > 0) {
		if (pf[0].revents) {
			ssize_t r = read(c, buf, sizeof buf);

			if (r < 0 && errno != EINTR)
				return;
			if (r == 0)
				pf[0].fd = -1;   /* the client is done sending; the answer may follow */
			else if (r > 0 && up_send(h, s, buf, (size_t)r) < 0)
				return;
		}
		if (pf[1].revents && up_drain(h, c, buf) != 0)
			return;
	}
}

/* Host of URL: what the Host header names (E2B's per-port host routes by it). */
static void url_host(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	snprintf(out, outsz, "%.*s", (int)n, p);
}

static void handle(int c, const struct upstream *u)
{
	static char buf[PUBLISH_HEAD_MAX];
	cleanup_free char *url = e2b_publish_url(u->cfg, u->sb->id, u->sb->domain, u->port);
	cleanup_free char *head = NULL;
	char host[300];
	size_t len = 0, head_len = 0;
	curl_socket_t s = CURL_SOCKET_BAD;
	CURL *h;
	int r = read_head(c, buf, &len, &head_len);

	if (r == -2)
		answer(c, "431 Request Header Fields Too Large");
	if (r < 0 || !url)
		return;
	url_host(url, host, sizeof host);
	head = e2b_publish_head(buf, head_len, host, u->sb->id, u->port, u->sb->traffic_token);
	if (!head) {
		answer(c, "400 Bad Request");
		return;
	}
	h = curl_easy_init();
	if (!h)
		return;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(h) != CURLE_OK ||
	    curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD) {
		answer(c, "502 Bad Gateway");
	} else if (up_send(h, s, head, strlen(head)) == 0 &&
		   up_send(h, s, buf + head_len, len - head_len) == 0) {
		relay(h, s, c);
	}
	curl_easy_cleanup(h);
}

/* ---- the forwarder -------------------------------------------------------- */

/* The runner's other descriptors (its API connections, the terminal's
 * pipes) are none of the forwarder's business. */
static void keep_only(const struct e2b_publish *pub)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	for (int fd = 3; fd < FD_SCAN_MAX; fd++) {
		bool keep = false;

		for (size_t i = 0; i < pub->n; i++)
			keep |= pub->fd[i] == fd;
		if (!keep)
			close(fd);
	}
}

/* Die with PARENT (checked after the request: it may be gone already). */
static void die_with(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
}

static void accept_one(const struct e2b_publish *pub, size_t i, const struct upstream *base,
		       int *active)
{
	struct upstream u = *base;
	int c = accept4(pub->fd[i], NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = 60 };
	pid_t me = getpid(), pid;

	if (c < 0)
		return;
	if (*active >= PUBLISH_CONNS) {
		answer(c, "503 Service Unavailable");
		close(c);
		return;
	}
	pid = fork();
	if (pid == 0) {
		die_with(me);
		for (size_t k = 0; k < pub->n; k++)
			close(pub->fd[k]);
		/* A client that stops reading cannot hold the process forever. */
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		u.port = pub->port[i];
		handle(c, &u);
		_exit(0);
	}
	if (pid > 0)
		(*active)++;
	close(c);
}

static void forwarder(const struct e2b_publish *pub, const struct upstream *u, pid_t parent)
{
	struct pollfd pf[PUBLISH_MAX];
	int active = 0;

	die_with(parent);
	setsid();   /* the terminal's ^C is the runner's, not ours */
	sig_reset_for_child();
	signal(SIGPIPE, SIG_IGN);
	keep_only(pub);
	for (size_t i = 0; i < pub->n; i++)
		pf[i] = (struct pollfd){ .fd = pub->fd[i], .events = POLLIN };
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			active--;
		if (poll(pf, pub->n, 500) < 0 && errno != EINTR)
			_exit(1);
		for (size_t i = 0; i < pub->n; i++)
			if (pf[i].revents & POLLIN)
				accept_one(pub, i, u, &active);
	}
}

int e2b_publish_start(struct e2b_publish *pub, const struct e2b_cfg *cfg,
		      const struct e2b_sandbox *sb, struct cs_err *err)
{
	struct upstream u = { .cfg = cfg, .sb = sb };
	pid_t parent = getpid();

	if (pub->n == 0)
		return 0;
	if (!sb->traffic_token) {
		cs_fail(err, 0, "E2B gave no traffic access token for sandbox %s: its ports may be "
			"open to anyone; refusing --publish", sb->id);
		return cs_hint(err, "this E2B API does not support allowPublicTraffic; run without "
			       "--publish or locally (--backend docker)");
	}
	fflush(NULL);
	pub->pid = fork();
	if (pub->pid < 0) {
		pub->pid = 0;
		return cs_fail(err, errno, "starting the --publish forwarder");
	}
	if (pub->pid == 0)
		forwarder(pub, &u, parent);
	for (size_t i = 0; i < pub->n; i++)
		fprintf(stderr, "codex-sandbox: http://127.0.0.1:%d forwards to the sandbox's port %d\n",
			pub->host_port[i], pub->port[i]);
	return 0;
}

cJSON *e2b_publish_describe(const struct e2b_cfg *cfg, const struct strv *publish)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < publish->n; i++) {
		cJSON *o = cJSON_CreateObject();
		int port = 0, host = 0;
		cleanup_free char *url = NULL;
		char local[64];

		sscanf(publish->v[i], "%d:%d", &port, &host);
		url = e2b_publish_url(cfg, "<sandboxID>", NULL, port);
		snprintf(local, sizeof local, "127.0.0.1:%d", host);
		cJSON_AddStringToObject(o, "listen", local);
		cJSON_AddNumberToObject(o, "sandbox_port", port);
		cJSON_AddStringToObject(o, "to", url ? url : "?");
		cJSON_AddStringToObject(o, "headers", "e2b-traffic-access-token: (hidden), "
					"E2b-Sandbox-Id, E2b-Sandbox-Port; Connection: close");
		cJSON_AddItemToArray(a, o);
	}
	return a;
}
