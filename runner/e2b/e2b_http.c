/* E2B client plumbing: settings resolved as the official SDK resolves them,
 * libcurl handles with bounded bodies, aborting on signals, one-line error
 * texts.  The control plane is in e2b_api.c, envd in e2b_envd.c. */
#include "runner/e2b/e2b_http.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "runner/core/sig.h"
#include "common/util.h"

#define USER_AGENT "codex-sandbox/0.1 (e2b)"

char *e2b_envd_url(const struct e2b_cfg *c, const char *sandbox_id, const char *sandbox_domain)
{
	static const char *const shared[] = { "e2b.app", "e2b.dev", "e2b.pro", "e2b-staging.dev" };
	const char *dom = sandbox_domain && *sandbox_domain ? sandbox_domain : c->domain;
	char *url = NULL;

	if (c->sandbox_url)
		return strdup(c->sandbox_url);
	for (size_t i = 0; i < ARRAY_SIZE(shared); i++)
		if (strcmp(dom, shared[i]) == 0)
			return asprintf(&url, "https://sandbox.%s", dom) < 0 ? NULL : url;
	return asprintf(&url, "https://%d-%s.%s", E2B_ENVD_PORT, sandbox_id, dom) < 0 ? NULL : url;
}

void e2b_sandbox_free(struct e2b_sandbox *sb)
{
	free(sb->token);
	free(sb->domain);
	free(sb->envd_url);
	free(sb->traffic_token);
	sb->token = sb->domain = sb->envd_url = sb->traffic_token = NULL;
}

int e2b_client_init(struct e2b_client *cl, const struct e2b_cfg *cfg, struct cs_err *err)
{
	memset(cl, 0, sizeof *cl);
	cl->cfg = cfg;
	if (!cfg->api_key) {
		cs_fail(err, 0, "E2B_API_KEY is not set: the E2B backend needs an API key");
		return cs_hint(err, "export E2B_API_KEY=e2b_... (from https://e2b.dev/dashboard?tab=keys), "
			       "or run locally with --backend docker");
	}
	cl->api = curl_easy_init();
	cl->envd = curl_easy_init();
	if (!cl->api || !cl->envd)
		return cs_fail(err, ENOMEM, "curl_easy_init");
	/* Without it each handle opens its own connection (a TLS handshake
	 * on E2B) to a host another has just used. */
	cl->share = curl_share_init();
	if (cl->share && (curl_share_setopt(cl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) ||
			  curl_share_setopt(cl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
			  curl_share_setopt(cl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))) {
		curl_share_cleanup(cl->share);
		cl->share = NULL;
	}
	e2b_client_share(cl, cl->api);
	e2b_client_share(cl, cl->envd);
	return 0;
}

void e2b_client_share(const struct e2b_client *cl, CURL *h)
{
	if (cl->share && h)
		curl_easy_setopt(h, CURLOPT_SHARE, cl->share);
}

void e2b_client_free(struct e2b_client *cl)
{
	if (cl->api)
		curl_easy_cleanup(cl->api);
	if (cl->envd)
		curl_easy_cleanup(cl->envd);
	if (cl->share)
		curl_share_cleanup(cl->share);
	memset(cl, 0, sizeof *cl);
}

/* ---- signals ----------------------------------------------------------------- */

static int progress_cb(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)ctx; (void)dt; (void)dn; (void)ut; (void)un;
	return sig_abort_transfers() ? 1 : 0;
}

/* ---- HTTP ------------------------------------------------------------------- */

void e2b_resp_init(struct e2b_resp *r, size_t max)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->body, max);
	r->retry_after = -1;
	r->total_running = -1;
}

void e2b_resp_free(struct e2b_resp *r)
{
	buf_free(&r->body);
}

static void resp_reset(struct e2b_resp *r)
{
	buf_reset(&r->body);
	r->status = 0;
	r->retry_after = -1;
	r->total_running = -1;
	r->next_token[0] = '\0';
}

static size_t write_cb(char *p, size_t size, size_t n, void *ctx)
{
	struct e2b_resp *r = ctx;

	if (!r)
		return size * n;
	return buf_append(&r->body, p, size * n) < 0 ? 0 : size * n;
}

static bool header_is(const char *line, size_t len, const char *name, const char **value,
		      size_t *vlen)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	line += nl + 1;
	len -= nl + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	*value = line;
	*vlen = len;
	return true;
}

static long parse_long(const char *v, size_t n)
{
	char tmp[32];
	char *end;
	long x;

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	errno = 0;
	x = strtol(tmp, &end, 10);
	return errno || *end || x < 0 ? -1 : x;
}

static size_t header_cb(char *line, size_t size, size_t n, void *ctx)
{
	struct e2b_resp *r = ctx;
	size_t len = size * n, vlen;
	const char *v;

	if (!r)
		return len;
	if (header_is(line, len, "Retry-After", &v, &vlen))
		r->retry_after = parse_long(v, vlen);  /* an HTTP-date is ignored, as by the SDK */
	else if (header_is(line, len, "X-Next-Token", &v, &vlen))
		snprintf(r->next_token, sizeof r->next_token, "%.*s", (int)vlen, v);
	else if (header_is(line, len, "X-Total-Running", &v, &vlen))
		r->total_running = parse_long(v, vlen);
	return len;
}

long e2b_deadline_left(const struct e2b_client *cl)
{
	struct timespec t;
	long long left;

	if (!cl->deadline_ms)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t);
	left = cl->deadline_ms - ((long long)t.tv_sec * 1000 + t.tv_nsec / 1000000);
	return left > 0 ? (long)left : 1;
}

void e2b_curl_setup(CURL *h, const char *method, const char *url, struct curl_slist *hdrs,
		    struct e2b_resp *resp, long total_ms)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	if (resp)
		resp_reset(resp);
}

static int transport_fail(CURLcode rc, const char *url, struct cs_err *err)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return cs_fail(err, EINTR, "interrupted");
	if (rc == CURLE_WRITE_ERROR)
		return cs_fail(err, E2BIG, "the answer from %s is larger than allowed", url);
	cs_fail(err, 0, "cannot reach %s: %s", url, curl_easy_strerror(rc));
	return cs_hint(err, "check the network, E2B_API_URL / E2B_SANDBOX_URL and E2B's status");
}

long e2b_http(CURL *h, const char *method, const char *url, struct curl_slist *hdrs,
	      const char *body, size_t body_len, struct e2b_resp *resp, long total_ms,
	      struct cs_err *err)
{
	CURLcode rc;
	long status = 0;

	e2b_curl_setup(h, method, url, hdrs, resp, total_ms);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		if (resp)
			resp->status = -1;
		return transport_fail(rc, url, err);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (resp)
		resp->status = status;
	return status;
}

static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t' || (unsigned char)*s < 0x20)
			*s = ' ';
}

void e2b_error_text(const struct e2b_resp *r, char *out, size_t outsz)
{
	cJSON *j = r->body.len ? cJSON_ParseWithLength(r->body.data, r->body.len) : NULL;
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
	const cJSON *ec = cJSON_GetObjectItemCaseSensitive(j, "error_code");
	char c[32] = "";

	if (cJSON_IsNumber(code))
		snprintf(c, sizeof c, "%d", code->valueint);
	else if (cJSON_IsString(code))
		snprintf(c, sizeof c, "%s", code->valuestring);
	else
		snprintf(c, sizeof c, "%ld", r->status);
	if (cJSON_IsString(msg))
		snprintf(out, outsz, "code %s: %.300s%s%.60s%s", c, msg->valuestring,
			 cJSON_IsString(ec) ? " [" : "", cJSON_IsString(ec) ? ec->valuestring : "",
			 cJSON_IsString(ec) ? "]" : "");
	else if (r->body.len)
		snprintf(out, outsz, "HTTP %ld: %.200s", r->status, r->body.data);
	else
		snprintf(out, outsz, "HTTP %ld", r->status);
	one_line(out);
	cJSON_Delete(j);
}

