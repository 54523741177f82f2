#include "runner/docker/docker_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/env.h"
#include "common/util.h"
#include "runner/core/sig.h"


#define DEFAULT_SOCKET "/var/run/docker.sock"

static size_t write_to_buf(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;

	if (!b)
		return n;
	if (buf_append(b, ptr, n) < 0)
		return 0;   /* makes curl fail with CURLE_WRITE_ERROR */
	return n;
}

static int abort_on_signal(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct docker *d = ctx;

	(void)dt; (void)dn; (void)ut; (void)un;
	return !d->never_abort && sig_abort_transfers() ? 1 : 0;
}

/* Connect once by hand: libcurl would only say "couldn't connect", and the
 * user needs to know which of the three usual problems it is. */
static int check_socket(struct docker *d, const char *path, struct cs_err *err)
{
	struct ucred cred;
	socklen_t clen = sizeof cred;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int fd = -1;
	struct stat st;

	if (stat(path, &st) < 0) {
		cs_fail(err, errno, "Docker engine socket %s", path);
		return cs_hint(err, "start the Docker engine (sudo systemctl start docker, or "
			       "'make setup' in the codex-sandbox tree), or set DOCKER_HOST=unix:///path/to/docker.sock");
	}
	if (!S_ISSOCK(st.st_mode)) {
		cs_fail(err, 0, "%s is not a socket", path);
		return cs_hint(err, "set DOCKER_HOST=unix:///path/to/docker.sock");
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cs_fail(err, errno, "socket");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		cs_fail(err, e, "cannot connect to the Docker engine at %s", path);
		if (e == EACCES || e == EPERM)
			return cs_hint(err, "add your user to the docker group (sudo usermod -aG docker $USER, "
				       "then log in again) or run as root");
		if (e == ECONNREFUSED)
			return cs_hint(err, "the engine is not running (stale socket): start dockerd "
				       "(sudo systemctl start docker, or 'make setup')");
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && clen == sizeof cred) {
		d->peer_known = true;
		d->peer_uid = cred.uid;
		d->peer_gid = cred.gid;
	}
	return 0;
}

static void copy_string(const cJSON *o, const char *key, char *out, size_t outsz)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v))
		snprintf(out, outsz, "%s", v->valuestring);
}

int docker_open(struct docker *d, struct cs_err *err)
{
	const char *host = cs_getenv("DOCKER_HOST");
	const char *path = DEFAULT_SOCKET;
	cleanup_json cJSON *v = NULL;
	long st;

	memset(d, 0, sizeof *d);
	if (host && *host) {
		if (strncmp(host, "unix://", 7) != 0) {
			cs_fail(err, 0, "DOCKER_HOST=%s is not supported", host);
			return cs_hint(err, "codex-sandbox talks to a local engine over its Unix socket: "
				       "use DOCKER_HOST=unix:///path/to/docker.sock");
		}
		path = host + 7;
	}
	if (strlen(path) >= sizeof d->socket_path)
		return cs_fail(err, ENAMETOOLONG, "DOCKER_HOST socket path");
	strcpy(d->socket_path, path);
	if (check_socket(d, d->socket_path, err) < 0)
		return -1;
	d->curl = curl_easy_init();
	if (!d->curl)
		return cs_fail(err, ENOMEM, "curl_easy_init");

	/* Unversioned (api_version is still ""): the engine answers in its own
	 * newest version, and says its oldest too (MinAPIVersion, since 1.25). */
	st = docker_call_json(d, "GET", "/version", NULL, &v, err);
	if (st < 0)
		return cs_wrap(err, "Docker engine at %s", d->socket_path);
	if (st != 200)
		return cs_fail(err, 0, "Docker engine at %s: /version returned %ld", d->socket_path, st);
	copy_string(v, "ApiVersion", d->engine_api_max, sizeof d->engine_api_max);
	copy_string(v, "MinAPIVersion", d->engine_api_min, sizeof d->engine_api_min);
	copy_string(v, "Version", d->engine_version, sizeof d->engine_version);
	if (apiv_negotiate(d->engine_api_max, d->engine_api_min, cs_getenv("DOCKER_API_VERSION"),
			   &d->api, err) < 0) {
		docker_close(d);
		return cs_wrap(err, "Docker %s at %s", d->engine_version[0] ? d->engine_version : "engine",
			       d->socket_path);
	}
	apiv_format(d->api, d->api_version, sizeof d->api_version);
	return 0;
}

void docker_close(struct docker *d)
{
	if (d->curl)
		curl_easy_cleanup(d->curl);
	d->curl = NULL;
}

int docker_api_path(const struct docker *d, const char *path, char *out, size_t outsz)
{
	int n = d->api_version[0] ? snprintf(out, outsz, "/v%s%s", d->api_version, path)
				  : snprintf(out, outsz, "%s", path);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static int reset_handle(struct docker *d, const char *method, const char *path,
			struct curl_slist **hdrs, struct cs_err *err)
{
	char url[8192], vpath[8000];

	curl_easy_reset(d->curl);
	if (docker_api_path(d, path, vpath, sizeof vpath) < 0)
		return cs_fail(err, E2BIG, "Docker engine request path too long");
	snprintf(url, sizeof url, "http://docker%s", vpath);
	curl_easy_setopt(d->curl, CURLOPT_UNIX_SOCKET_PATH, d->socket_path);
	curl_easy_setopt(d->curl, CURLOPT_URL, url);
	curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(d->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(d->curl, CURLOPT_XFERINFOFUNCTION, abort_on_signal);
	curl_easy_setopt(d->curl, CURLOPT_XFERINFODATA, d);
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	return 0;
}

static int transport_error(struct docker *d, CURLcode rc, struct cs_err *err)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return cs_fail(err, EINTR, "interrupted");
	if (rc == CURLE_WRITE_ERROR)
		return cs_fail(err, E2BIG, "Docker engine response larger than allowed");
	cs_fail(err, 0, "Docker engine request failed: %s", curl_easy_strerror(rc));
	(void)d;
	return -1;
}

long docker_call(struct docker *d, const char *method, const char *path,
		 const char *body, struct buf *out, struct cs_err *err)
{
	cleanup_slist struct curl_slist *hdrs = NULL;
	CURLcode rc;
	long status = 0;

	if (reset_handle(d, method, path, &hdrs, err) < 0)
		return -1;
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, write_to_buf);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, out);
	rc = curl_easy_perform(d->curl);
	if (rc != CURLE_OK)
		return transport_error(d, rc, err);
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

void docker_error_message(const struct buf *body, char *out, size_t outsz)
{
	cleanup_json cJSON *j = body && body->data ? cJSON_ParseWithLength(body->data, body->len) : NULL;
	cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");

	if (cJSON_IsString(m))
		snprintf(out, outsz, "%s", m->valuestring);
	else if (body && body->len)
		snprintf(out, outsz, "%.*s", (int)(body->len > 300 ? 300 : body->len), body->data);
	else
		snprintf(out, outsz, "(no message)");
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

long docker_call_json(struct docker *d, const char *method, const char *path,
		      const cJSON *body, cJSON **out, struct cs_err *err)
{
	cleanup_free char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	cleanup_buf struct buf resp;
	long st;

	if (out)
		*out = NULL;
	buf_init(&resp, DOCKER_BODY_MAX);
	st = docker_call(d, method, path, text, &resp, err);
	if (st < 0)
		return -1;
	if (st >= 400) {
		char msg[512];

		docker_error_message(&resp, msg, sizeof msg);
		cs_fail(err, 0, "%s %s: %s (HTTP %ld)", method, path, msg, st);
		return st;
	}
	if (out && resp.len) {
		*out = cJSON_ParseWithLength(resp.data, resp.len);
		if (!*out)
			return cs_fail(err, EPROTO, "%s %s: the engine sent invalid JSON", method, path);
	}
	return st;
}

struct stream_ctx {
	struct buf *line;
	docker_line_fn on_line;
	void *ctx;
	int stopped;
};

static size_t stream_write(char *ptr, size_t size, size_t nmemb, void *vctx)
{
	struct stream_ctx *s = vctx;
	size_t n = size * nmemb;

	for (size_t i = 0; i < n; i++) {
		if (ptr[i] == '\n') {
			if (s->line->len && s->on_line(s->line->data, s->line->len, s->ctx) < 0) {
				s->stopped = 1;
				return 0;
			}
			buf_reset(s->line);
			continue;
		}
		if (buf_append(s->line, ptr + i, 1) < 0)
			return 0;
	}
	return n;
}

struct upload_ctx {
	docker_read_fn read;
	void *ctx;
};

static size_t stream_read(char *buf, size_t size, size_t nitems, void *vctx)
{
	struct upload_ctx *u = vctx;

	if (sig_abort_transfers())
		return CURL_READFUNC_ABORT;
	return u->read(buf, size * nitems, u->ctx);
}

long docker_stream(struct docker *d, const char *method, const char *path,
		   const char *content_type, docker_read_fn read, void *read_ctx,
		   curl_off_t upload_size, docker_line_fn on_line, void *line_ctx,
		   struct cs_err *err)
{
	cleanup_buf struct buf line;
	struct stream_ctx s = { .line = &line, .on_line = on_line, .ctx = line_ctx };
	struct upload_ctx u = { .read = read, .ctx = read_ctx };
	cleanup_slist struct curl_slist *hdrs = NULL;
	char ct[128];
	CURLcode rc;
	long status = 0;

	buf_init(&line, DOCKER_LINE_MAX);
	if (reset_handle(d, method, path, &hdrs, err) < 0)
		return -1;
	if (read) {
		snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, ct);
		curl_easy_setopt(d->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(d->curl, CURLOPT_READFUNCTION, stream_read);
		curl_easy_setopt(d->curl, CURLOPT_READDATA, &u);
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE_LARGE, upload_size);
		curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(d->curl);
	if (rc == CURLE_OK && line.len)
		on_line(line.data, line.len, line_ctx);
	if (rc != CURLE_OK) {
		if (s.stopped)
			return -1;  /* the line callback recorded the error */
		return transport_error(d, rc, err);
	}
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}
