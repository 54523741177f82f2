#include "runner/e2b/e2b_envd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/urlenc.h"
#include "common/util.h"

#define RPC_TIMEOUT_MS 60000L
#define FEED_SLICE (64u << 10)
#define ERRBODY_MAX (16u << 10)

struct curl_slist *e2b_envd_headers(const struct e2b_sandbox *sb, const char *user,
				    const char *content_type, bool rpc)
{
	struct curl_slist *h = NULL;
	char line[700];

	snprintf(line, sizeof line, "E2b-Sandbox-Id: %s", sb->id);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "E2b-Sandbox-Port: %d", E2B_ENVD_PORT);
	h = curl_slist_append(h, line);
	if (sb->token) {
		snprintf(line, sizeof line, "X-Access-Token: %s", sb->token);
		h = curl_slist_append(h, line);
	}
	if (rpc) {
		h = curl_slist_append(h, "Connect-Protocol-Version: 1");
		if (user) {
			struct buf b;
			char up[128];

			/* envd picks the Unix user from Basic auth, empty password. */
			snprintf(up, sizeof up, "%s:", user);
			buf_init(&b, 512);
			if (b64_encode(&b, up, strlen(up)) == 0) {
				snprintf(line, sizeof line, "Authorization: Basic %s", b.data);
				h = curl_slist_append(h, line);
			}
			buf_free(&b);
		}
	}
	if (content_type) {
		snprintf(line, sizeof line, "Content-Type: %s", content_type);
		h = curl_slist_append(h, line);
	}
	return curl_slist_append(h, "Expect:");
}

int e2b_envd_fail(const char *what, const struct e2b_resp *r, struct cs_err *err)
{
	char text[512];

	e2b_error_text(r, text, sizeof text);
	switch (r->status) {
	case 401:
		cs_fail(err, 0, "%s: the sandbox refused the access token (%s)", what, text);
		return cs_hint(err, "the sandbox may have been restarted; reconnect with "
			       "codex-sandbox attach ID");
	case 502:
		cs_fail(err, 0, "%s: the sandbox is gone (killed or timed out) (%s)", what, text);
		return cs_hint(err, "start a new run; for long sessions raise CODEX_SANDBOX_E2B_TIMEOUT");
	case 507:
		cs_fail(err, 0, "%s: the sandbox's disk is full (%s)", what, text);
		return cs_hint(err, "upload less: add large files to .gitignore");
	default:
		return cs_fail(err, 0, "%s: envd answered HTTP %ld (%s)", what, r->status, text);
	}
}

bool e2b_multipart_safe(const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '%')
			return false;
	return true;
}

/* ---- upload ---------------------------------------------------------------- */

struct part_src {
	struct e2b_file *f;
	uint64_t sent;
	struct sha256 h;
	int failed;           /* errno of a short read */
};

static size_t part_read(char *buffer, size_t size, size_t nitems, void *arg)
{
	struct part_src *s = arg;
	uint64_t left = s->f->size - s->sent;
	size_t n = size * nitems < left ? size * nitems : (size_t)left;
	ssize_t r;

	if (n == 0)
		return 0;
	if (s->f->fd >= 0) {
		do
			r = read(s->f->fd, buffer, n);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			/* The file shrank (or vanished) after it was measured. */
			s->failed = r < 0 ? errno : ESTALE;
			return CURL_READFUNC_ABORT;
		}
	} else {
		memcpy(buffer, s->f->data + s->sent, n);
		r = (ssize_t)n;
	}
	sha256_update(&s->h, buffer, (size_t)r);
	s->sent += (uint64_t)r;
	if (s->sent == s->f->size)
		sha256_hex(&s->h, s->f->sha);
	return (size_t)r;
}

int e2b_upload(struct e2b_client *cl, const struct e2b_sandbox *sb, const char *user,
	       struct e2b_file *files, size_t n, bool one_by_path, struct cs_err *err)
{
	cleanup_free struct part_src *src = calloc(n ? n : 1, sizeof *src);
	struct curl_slist *hdrs = e2b_envd_headers(sb, NULL, NULL, false);
	char url[8192], what[600], enc[4096] = "";
	curl_mime *mime = NULL;
	struct e2b_resp r;
	CURLcode rc;
	int ret = -1;

	if (!src)
		return cs_fail(err, ENOMEM, "out of memory");
	if (n == 1)
		snprintf(what, sizeof what, "uploading %s to the sandbox", files[0].remote);
	else
		snprintf(what, sizeof what, "uploading %zu files to the sandbox", n);
	if (one_by_path && (n != 1 || url_encode(files[0].remote, enc, sizeof enc) < 0)) {
		curl_slist_free_all(hdrs);
		return cs_fail(err, ENAMETOOLONG, "%s: path too long", what);
	}
	snprintf(url, sizeof url, "%s/files?username=%s%s%s", sb->envd_url, user,
		 one_by_path ? "&path=" : "", enc);
	e2b_resp_init(&r, E2B_BODY_MAX);
	e2b_curl_setup(cl->envd, "POST", url, hdrs, &r, 0);
	curl_easy_setopt(cl->envd, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(cl->envd, CURLOPT_LOW_SPEED_TIME, 120L);
	mime = curl_mime_init(cl->envd);
	for (size_t i = 0; i < n; i++) {
		curl_mimepart *part = curl_mime_addpart(mime);

		src[i].f = &files[i];
		sha256_init(&src[i].h);
		files[i].sha[0] = '\0';
		if (files[i].size == 0) {
			struct sha256 e;

			sha256_init(&e);
			sha256_hex(&e, files[i].sha);
		}
		curl_mime_name(part, "file");
		curl_mime_filename(part, one_by_path ? "file" : files[i].remote);
		curl_mime_type(part, "application/octet-stream");
		curl_mime_data_cb(part, (curl_off_t)files[i].size, part_read, NULL, NULL, &src[i]);
	}
	curl_easy_setopt(cl->envd, CURLOPT_MIMEPOST, mime);
	rc = curl_easy_perform(cl->envd);
	if (rc != CURLE_OK) {
		for (size_t i = 0; i < n; i++)
			if (src[i].failed) {
				cs_fail(err, src[i].failed, "%s changed while it was being uploaded",
					files[i].remote);
				cs_hint(err, "run again once the file stops changing");
				goto out;
			}
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			cs_fail(err, EINTR, "interrupted");
		else
			cs_fail(err, 0, "%s: %s", what, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(cl->envd, CURLINFO_RESPONSE_CODE, &r.status);
	if (r.status != 200) {
		e2b_envd_fail(what, &r, err);
		goto out;
	}
	{
		cJSON *j = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);
		int count = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1;

		cJSON_Delete(j);
		if (count != (int)n) {
			cs_fail(err, EPROTO, "%s: envd confirmed %d of %zu files", what, count, n);
			goto out;
		}
	}
	ret = 0;
out:
	curl_easy_setopt(cl->envd, CURLOPT_MIMEPOST, NULL);
	curl_mime_free(mime);
	curl_slist_free_all(hdrs);
	e2b_resp_free(&r);
	return ret;
}

/* ---- download ----------------------------------------------------------------- */

struct dl {
	CURL *h;
	int fd;
	uint64_t max, got;
	struct sha256 *hash;
	long status;
	bool checked, too_big;
	int werr;
	struct buf errbody;
};

static size_t dl_write(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct dl *d = ctx;
	size_t n = size * nmemb;

	if (!d->checked) {
		curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &d->status);
		d->checked = true;
	}
	if (d->status != 200) {
		(void)!buf_append(&d->errbody, p, n < ERRBODY_MAX - d->errbody.len ? n : 0);
		return n;
	}
	if (n > d->max - d->got) {
		d->too_big = true;
		return 0;
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = write(d->fd, p + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			d->werr = errno;
			return 0;
		}
		off += (size_t)w;
	}
	if (d->hash)
		sha256_update(d->hash, p, n);
	d->got += n;
	return n;
}

int e2b_download(struct e2b_client *cl, const struct e2b_sandbox *sb, const char *user,
		 const char *path, int fd, uint64_t max, uint64_t *got, struct sha256 *h,
		 struct cs_err *err)
{
	struct curl_slist *hdrs = e2b_envd_headers(sb, NULL, NULL, false);
	struct dl d = { .h = cl->envd, .fd = fd, .max = max, .hash = h };
	char url[8192], enc[4096], what[4200];
	CURLcode rc;
	int ret = -1;

	snprintf(what, sizeof what, "downloading %s from the sandbox", path);
	if (url_encode(path, enc, sizeof enc) < 0) {
		curl_slist_free_all(hdrs);
		return cs_fail(err, ENAMETOOLONG, "%s: path too long", what);
	}
	buf_init(&d.errbody, ERRBODY_MAX);
	snprintf(url, sizeof url, "%s/files?path=%s&username=%s", sb->envd_url, enc, user);
	e2b_curl_setup(cl->envd, "GET", url, hdrs, NULL, 0);
	curl_easy_setopt(cl->envd, CURLOPT_WRITEFUNCTION, dl_write);
	curl_easy_setopt(cl->envd, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(cl->envd, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(cl->envd, CURLOPT_LOW_SPEED_TIME, 120L);
	if (cl->deadline_ms)
		curl_easy_setopt(cl->envd, CURLOPT_TIMEOUT_MS, e2b_deadline_left(cl));
	rc = curl_easy_perform(cl->envd);
	if (!d.checked)
		curl_easy_getinfo(cl->envd, CURLINFO_RESPONSE_CODE, &d.status);
	*got = d.got;
	if (rc != CURLE_OK) {
		if (d.too_big)
			cs_fail(err, E2BIG, "%s: larger than the %llu bytes left of the sync limit",
				what, (unsigned long long)max);
		else if (d.werr)
			cs_fail(err, d.werr, "%s: writing the local copy", what);
		else if (rc == CURLE_OPERATION_TIMEDOUT && cl->deadline_ms)
			cs_fail(err, ETIMEDOUT, "%s: not done within the time limit", what);
		else if (rc == CURLE_ABORTED_BY_CALLBACK)
			cs_fail(err, EINTR, "interrupted");
		else
			cs_fail(err, 0, "%s: %s", what, curl_easy_strerror(rc));
		goto out;
	}
	if (d.status == 200) {
		ret = 1;
	} else if (d.status == 404) {
		ret = 0;
	} else {
		struct e2b_resp r = { .status = d.status, .body = d.errbody };

		e2b_envd_fail(what, &r, err);
	}
out:
	buf_free(&d.errbody);
	curl_slist_free_all(hdrs);
	return ret;
}

/* ---- unary RPC ------------------------------------------------------------------- */

int e2b_rpc(struct e2b_client *cl, const struct e2b_sandbox *sb, const char *method,
	    const char *user, const cJSON *req, cJSON **resp, char *code, size_t codesz,
	    struct cs_err *err)
{
	struct curl_slist *hdrs = e2b_envd_headers(sb, user, "application/json", true);
	cleanup_free char *body = cJSON_PrintUnformatted(req);
	char url[1024];
	struct e2b_resp r;
	long st;
	int ret = -1;

	if (resp)
		*resp = NULL;
	if (code && codesz)
		code[0] = '\0';
	snprintf(url, sizeof url, "%s/%s", sb->envd_url, method);
	e2b_resp_init(&r, E2B_BODY_MAX);
	st = e2b_http(cl->envd, "POST", url, hdrs, body ? body : "{}", body ? strlen(body) : 2,
		      &r, RPC_TIMEOUT_MS, err);
	if (st == 200) {
		if (resp) {
			*resp = cJSON_ParseWithLength(r.body.data ? r.body.data : "{}",
						      r.body.len ? r.body.len : 2);
			if (!*resp) {
				cs_fail(err, EPROTO, "%s: the answer is not JSON", method);
				goto out;
			}
		}
		ret = 0;
	} else if (st > 0) {
		cJSON *j = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "code");

		if (code && cJSON_IsString(c))
			snprintf(code, codesz, "%s", c->valuestring);
		cJSON_Delete(j);
		e2b_envd_fail(method, &r, err);
	}
out:
	e2b_resp_free(&r);
	curl_slist_free_all(hdrs);
	return ret;
}

/* ---- streams ----------------------------------------------------------------------- */

cJSON *e2b_start_request(const struct e2b_proc *p)
{
	cJSON *root = cJSON_CreateObject(), *proc, *args;

	proc = cJSON_AddObjectToObject(root, "process");
	cJSON_AddStringToObject(proc, "cmd", p->argv[0]);
	args = cJSON_AddArrayToObject(proc, "args");
	for (size_t i = 1; p->argv[i]; i++)
		cJSON_AddItemToArray(args, cJSON_CreateString(p->argv[i]));
	if (p->cwd)
		cJSON_AddStringToObject(proc, "cwd", p->cwd);
	if (p->pty) {
		cJSON *size = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "pty"), "size");

		cJSON_AddNumberToObject(size, "cols", p->cols ? p->cols : 80);
		cJSON_AddNumberToObject(size, "rows", p->rows ? p->rows : 24);
	}
	if (p->tag)
		cJSON_AddStringToObject(root, "tag", p->tag);
	if (!p->pty)
		cJSON_AddBoolToObject(root, "stdin", p->stdin_open);
	return root;
}

void e2b_stream_init(struct e2b_stream *s, CURL *h)
{
	memset(s, 0, sizeof *s);
	s->h = h;
	connect_decoder_init(&s->dec, CONNECT_MSG_MAX);
	buf_init(&s->errbody, ERRBODY_MAX);
	s->exit_status = -1;
}

void e2b_stream_free(struct e2b_stream *s)
{
	connect_decoder_free(&s->dec);
	buf_free(&s->errbody);
}

static int handle_envelope(struct e2b_stream *s, uint8_t flags, const char *payload, size_t len)
{
	struct connect_event ev;
	int rc = 0;

	if (s->got_trailer)
		return -1;   /* nothing may follow the end-stream envelope */
	if (flags & CONNECT_FLAG_END_STREAM) {
		s->got_trailer = true;
		return connect_parse_end(payload, len, s->err_code, sizeof s->err_code, s->err_msg,
					 sizeof s->err_msg) < 0 ? -1 : 0;
	}
	if (connect_parse_event(payload, len, &ev) < 0)
		return -1;
	switch (ev.kind) {
	case CEV_START:
		s->got_start = true;
		s->pid = ev.pid;
		break;
	case CEV_DATA:
		if (!s->got_start)
			rc = -1;   /* the SDK too insists on `start` first */
		else if (s->on_data && s->on_data(s->ctx, ev.stream, ev.data, ev.len) < 0)
			rc = -2;
		break;
	case CEV_END:
		s->got_end = true;
		s->exit_status = connect_end_status(&ev);
		snprintf(s->end_status, sizeof s->end_status, "%s", ev.status);
		break;
	default:
		break;
	}
	connect_event_free(&ev);
	return rc;
}

size_t e2b_stream_write(char *p, size_t size, size_t n, void *ctx)
{
	struct e2b_stream *s = ctx;
	size_t len = size * n;

	if (!s->checked) {
		char *ct = NULL;

		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
		curl_easy_getinfo(s->h, CURLINFO_CONTENT_TYPE, &ct);
		s->bad_type = s->status == 200 &&
			      (!ct || strncasecmp(ct, "application/connect+json", 24) != 0);
		s->checked = true;
	}
	s->rx += len;
	if (s->status != 200 || s->bad_type) {
		size_t room = ERRBODY_MAX - s->errbody.len;

		(void)!buf_append(&s->errbody, p, len < room ? len : room);
		return len;
	}
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < FEED_SLICE ? len - off : FEED_SLICE;
		uint8_t flags;
		const char *payload;
		size_t plen;
		int r;

		if (connect_decoder_feed(&s->dec, p + off, chunk) < 0) {
			s->proto_error = true;
			return 0;
		}
		off += chunk;
		while ((r = connect_decoder_next(&s->dec, &flags, &payload, &plen)) == 1) {
			int h = handle_envelope(s, flags, payload, plen);

			if (h == -2)
				return 0;          /* the sink gave up */
			if (h < 0) {
				s->proto_error = true;
				return 0;
			}
		}
		if (r < 0) {
			s->proto_error = true;
			return 0;
		}
	}
	return len;
}

void e2b_stream_problem(const struct e2b_stream *s, char *out, size_t outsz)
{
	if (s->status && s->status != 200) {
		struct e2b_resp r = { .status = s->status, .body = s->errbody };
		char t[400];

		e2b_error_text(&r, t, sizeof t);
		snprintf(out, outsz, "HTTP %ld (%s)", s->status, t);
	} else if (s->bad_type) {
		snprintf(out, outsz, "the answer is not a Connect stream");
	} else if (s->proto_error) {
		snprintf(out, outsz, "malformed Connect stream");
	} else if (s->got_trailer && s->err_code[0]) {
		snprintf(out, outsz, "%s: %s", s->err_code, s->err_msg);
	} else if (!s->got_start) {
		snprintf(out, outsz, "the stream ended before the process started");
	} else if (!s->got_end) {
		snprintf(out, outsz, "the stream ended before the process did");
	} else if (!s->got_trailer || connect_decoder_pending(&s->dec)) {
		snprintf(out, outsz, "the stream was cut short");
	} else {
		snprintf(out, outsz, "no problem");
	}
}

void e2b_stream_setup(struct e2b_stream *s, const struct e2b_sandbox *sb, const char *method,
		      const char *user, const struct buf *bodybuf, int keepalive,
		      struct curl_slist **hdrs)
{
	char url[1024], ka[64];

	*hdrs = e2b_envd_headers(sb, user, "application/connect+json", true);
	snprintf(ka, sizeof ka, "Keepalive-Ping-Interval: %d", keepalive);
	*hdrs = curl_slist_append(*hdrs, ka);
	snprintf(url, sizeof url, "%s/%s", sb->envd_url, method);
	e2b_curl_setup(s->h, "POST", url, *hdrs, NULL, 0);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodybuf->len);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, bodybuf->data);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, e2b_stream_write);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
}

struct run_sink {
	struct buf *out, *err;
	bool overflow;
};

static int run_data(void *ctx, enum connect_stream st, const unsigned char *d, size_t n)
{
	struct run_sink *k = ctx;
	struct buf *b = st == CSTREAM_STDERR ? k->err : k->out;

	if (!b)
		return 0;
	if (buf_append(b, d, n) < 0) {
		k->overflow = true;
		return -1;
	}
	return 0;
}

int e2b_run(struct e2b_client *cl, const struct e2b_sandbox *sb, const struct e2b_proc *p,
	    struct buf *out, struct buf *errout, int *status, struct cs_err *err)
{
	cJSON *req = e2b_start_request(p);
	cleanup_free char *json = cJSON_PrintUnformatted(req);
	struct run_sink sink = { .out = out, .err = errout };
	struct curl_slist *hdrs = NULL;
	struct e2b_stream s;
	struct buf env;
	CURLcode rc;
	int ret = -1;
	const int keepalive = 20;
	const char *what = p->label ? p->label : p->argv[0];

	cJSON_Delete(req);
	buf_init(&env, CONNECT_MSG_MAX + 5);
	if (!json || connect_envelope(&env, 0, json, strlen(json)) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	e2b_stream_init(&s, cl->envd);
	s.on_data = run_data;
	s.ctx = &sink;
	e2b_stream_setup(&s, sb, "process.Process/Start", p->user, &env, keepalive, &hdrs);
	/* A silent stream is dead after three missed keepalives; one kept
	 * alive by keepalives alone ends at the client's deadline, if any. */
	curl_easy_setopt(cl->envd, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(cl->envd, CURLOPT_LOW_SPEED_TIME, (long)keepalive * 3 + 10);
	if (cl->deadline_ms)
		curl_easy_setopt(cl->envd, CURLOPT_TIMEOUT_MS, e2b_deadline_left(cl));
	rc = curl_easy_perform(cl->envd);
	if (rc != CURLE_OK && !(s.got_end && s.got_trailer)) {
		if (sink.overflow)
			cs_fail(err, E2BIG, "%s in the sandbox: its output is larger than allowed", what);
		else if (rc == CURLE_OPERATION_TIMEDOUT && cl->deadline_ms)
			cs_fail(err, ETIMEDOUT, "%s in the sandbox: not done within the time limit", what);
		else if (rc == CURLE_ABORTED_BY_CALLBACK)
			cs_fail(err, EINTR, "interrupted");
		else if (s.proto_error)
			cs_fail(err, EPROTO, "%s in the sandbox: malformed Connect stream", what);
		else
			cs_fail(err, 0, "%s in the sandbox: %s", what, curl_easy_strerror(rc));
		goto out;
	}
	if (!s.checked)
		curl_easy_getinfo(cl->envd, CURLINFO_RESPONSE_CODE, &s.status);
	if (s.status != 200) {
		struct e2b_resp r = { .status = s.status, .body = s.errbody };
		char w[200];

		snprintf(w, sizeof w, "%s in the sandbox", what);
		e2b_envd_fail(w, &r, err);
		goto out;
	}
	if (!s.got_end || (s.got_trailer && s.err_code[0])) {
		char why[400];

		e2b_stream_problem(&s, why, sizeof why);
		cs_fail(err, 0, "%s in the sandbox: %s", what, why);
		goto out;
	}
	*status = s.exit_status;
	ret = 0;
out:
	e2b_stream_free(&s);
	buf_free(&env);
	curl_slist_free_all(hdrs);
	return ret;
}
