/* The E2B control plane: create (v2, v1 fallback), connect, info, timeout,
 * kill, list; the retry policy (429 with Retry-After, 5xx with backoff,
 * bounded) and one error line per failure naming E2B's code and message. */
#include "runner/e2b/e2b_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/urlenc.h"
#include "runner/core/sig.h"
#include "common/util.h"

#define API_TIMEOUT_MS 60000L   /* the SDK's requestTimeoutMs */
#define API_ATTEMPTS 4          /* the first try and 3 retries, as the SDK's 429 retries */
#define RETRY_AFTER_MAX 60      /* never wait longer than this for one Retry-After */

/* Did the API answer with its own JSON error ({"code": N, ...}), rather than
 * the router's plain "404 page not found" of a route it does not have? */
static bool is_api_json_error(const struct e2b_resp *r)
{
	cJSON *j = r->body.len ? cJSON_ParseWithLength(r->body.data, r->body.len) : NULL;
	bool yes = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "code"));

	cJSON_Delete(j);
	return yes;
}

/* ---- control plane ---------------------------------------------------------- */

struct curl_slist *e2b_api_headers(const struct e2b_client *cl, bool json)
{
	struct curl_slist *h = NULL;
	char key[600];

	snprintf(key, sizeof key, "X-API-KEY: %s", cl->cfg->api_key ? cl->cfg->api_key : "");
	h = curl_slist_append(h, key);
	h = curl_slist_append(h, "Expect:");
	if (json)
		h = curl_slist_append(h, "Content-Type: application/json");
	return h;
}

static long backoff_ms(int attempt)
{
	return 500L << attempt;   /* 0.5, 1, 2 s */
}

/* One API call with the retry policy.  Returns the final status (the caller
 * maps it), or -1 with ERR set (transport failure or interrupted). */
static long api_call(struct e2b_client *cl, const char *method, const char *path,
		     const char *body, struct e2b_resp *r, int *retries, struct cs_err *err)
{
	struct curl_slist *hdrs = e2b_api_headers(cl, body != NULL);
	char url[2048];
	long st = -1;

	snprintf(url, sizeof url, "%s%s", cl->cfg->api_url, path);
	cl->ambiguous = false;
	for (int attempt = 0; attempt < API_ATTEMPTS; attempt++) {
		struct cs_err e = { 0 };
		long wait;

		st = e2b_http(cl->api, method, url, hdrs, body, body ? strlen(body) : 0, r,
			      API_TIMEOUT_MS, &e);
		if (retries)
			*retries = attempt;
		if (st < 0 || st >= 500)
			cl->ambiguous = true;
		if (st < 0) {
			if (sig_abort_transfers() || attempt + 1 == API_ATTEMPTS) {
				*err = err->set ? *err : e;
				break;
			}
			wait = backoff_ms(attempt);
		} else if (st == 429) {
			wait = r->retry_after >= 0 ? (r->retry_after > RETRY_AFTER_MAX ? RETRY_AFTER_MAX
							: r->retry_after) * 1000L
						   : backoff_ms(attempt) * 2;
		} else if (st >= 500 && st != 501 && st != 505) {
			wait = backoff_ms(attempt);
		} else {
			break;
		}
		if (attempt + 1 == API_ATTEMPTS)
			break;
		if (sig_sleep_ms(wait) < 0) {
			st = -1;
			cs_fail(err, EINTR, "interrupted");
			break;
		}
	}
	curl_slist_free_all(hdrs);
	return st;
}

/* The one-line error for a status the caller does not handle itself. */
static int api_fail(const char *what, const struct e2b_resp *r, int retries, struct cs_err *err)
{
	char text[512];

	e2b_error_text(r, text, sizeof text);
	switch (r->status) {
	case 401:
		cs_fail(err, 0, "%s: E2B rejected the API key (%s)", what, text);
		return cs_hint(err, "check E2B_API_KEY (a key from https://e2b.dev/dashboard?tab=keys)");
	case 403:
		cs_fail(err, 0, "%s: E2B refused it (%s)", what, text);
		return cs_hint(err, "check that E2B_API_KEY belongs to a team allowed to do this");
	case 429:
		cs_fail(err, 0, "%s: E2B's rate limit (%s), still limited after %d retries", what,
			text, retries);
		return cs_hint(err, "wait a moment and try again; see your E2B plan's limits");
	default:
		break;
	}
	if (r->status >= 500) {
		cs_fail(err, 0, "%s: E2B API error (%s) after %d attempts", what, text, retries + 1);
		return cs_hint(err, "E2B may be having trouble; try again later");
	}
	cs_fail(err, 0, "%s: E2B answered HTTP %ld (%s)", what, r->status, text);
	return -1;
}

static bool valid_sandbox_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool e2b_token_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > 1024)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._~+/=", s[i]))
			return false;
	return true;
}

bool e2b_domain_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    !(s[i] == '.' && i + 1 < n && s[i + 1] != '.'))
			return false;
	return true;
}

/* Absent (or null), or a string CHECK accepts. */
static bool field_ok(const cJSON *v, bool (*check)(const char *))
{
	return !v || cJSON_IsNull(v) || (cJSON_IsString(v) && check(v->valuestring));
}

/* The SDK refuses envd < 0.1.0 (no usable process API). */
static bool envd_too_old(const char *v)
{
	int maj = 0, min = 0;

	return sscanf(v, "%d.%d", &maj, &min) == 2 && maj == 0 && min < 1;
}

static int parse_sandbox(struct e2b_client *cl, const struct e2b_resp *r, struct e2b_sandbox *sb,
			 const char *what, struct cs_err *err)
{
	cJSON *j = cJSON_ParseWithLength(r->body.data ? r->body.data : "", r->body.len);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "sandboxID");
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "envdAccessToken");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "envdVersion");
	const cJSON *dom = cJSON_GetObjectItemCaseSensitive(j, "domain");
	const cJSON *trf = cJSON_GetObjectItemCaseSensitive(j, "trafficAccessToken");

	if (!cJSON_IsString(id) || !valid_sandbox_id(id->valuestring)) {
		cJSON_Delete(j);
		return cs_fail(err, EPROTO, "%s: E2B's answer has no valid sandboxID", what);
	}
	/* The tokens go into request headers, the domain into URLs (with the
	 * tokens sent there): a CR/LF, '@' or '/' from a hostile server
	 * would add headers or send them elsewhere. */
	if (!field_ok(tok, e2b_token_ok) || !field_ok(trf, e2b_token_ok) || !field_ok(dom, e2b_domain_ok)) {
		cJSON_Delete(j);
		return cs_fail(err, EPROTO, "%s: E2B's answer has a malformed access token or domain",
			       what);
	}
	snprintf(sb->id, sizeof sb->id, "%s", id->valuestring);
	free(sb->token);
	sb->token = cJSON_IsString(tok) && *tok->valuestring ? strdup(tok->valuestring) : NULL;
	snprintf(sb->envd_version, sizeof sb->envd_version, "%s",
		 cJSON_IsString(ver) ? ver->valuestring : "");
	free(sb->domain);
	sb->domain = cJSON_IsString(dom) && *dom->valuestring ? strdup(dom->valuestring) : NULL;
	free(sb->traffic_token);
	sb->traffic_token = cJSON_IsString(trf) && *trf->valuestring ? strdup(trf->valuestring) : NULL;
	free(sb->envd_url);
	sb->envd_url = e2b_envd_url(cl->cfg, sb->id, sb->domain);
	cJSON_Delete(j);
	if (!sb->envd_url)
		return cs_fail(err, ENOMEM, "out of memory");
	if (envd_too_old(sb->envd_version))
		return cs_fail(err, 0, "%s: the sandbox's envd %s is too old (0.1.0 or later needed)",
			       what, sb->envd_version);
	return 0;
}

int e2b_create(struct e2b_client *cl, const cJSON *body, struct e2b_sandbox *sb,
	       struct cs_err *err)
{
	const char *what = "creating the E2B sandbox";
	const cJSON *tpl = cJSON_GetObjectItemCaseSensitive(body, "templateID");
	cleanup_free char *text = NULL;
	struct e2b_resp r;
	int retries = 0;
	long st = 404;

	e2b_resp_init(&r, E2B_BODY_MAX);
	if (!cl->v1) {
		text = cJSON_PrintUnformatted(body);
		st = api_call(cl, "POST", "/v2/sandboxes", text, &r, &retries, err);
		cl->create_ambiguous |= cl->ambiguous;
		if ((st == 404 || st == 405) && !is_api_json_error(&r))
			cl->v1 = true;   /* an API without /v2 routes (docs/E2B-PROTOCOL.md 6.1) */
	}
	if (cl->v1) {
		cJSON *b1 = cJSON_Duplicate(body, 1);

		cJSON_AddBoolToObject(b1, "secure", true);
		free(text);
		text = cJSON_PrintUnformatted(b1);
		cJSON_Delete(b1);
		st = api_call(cl, "POST", "/sandboxes", text, &r, &retries, err);
		cl->create_ambiguous |= cl->ambiguous;
	}
	if (st < 0)
		goto fail;
	if (st == 200 || st == 201) {
		int rc = parse_sandbox(cl, &r, sb, what, err);

		e2b_resp_free(&r);
		return rc;
	}
	if (st == 404) {
		char t[512];

		e2b_error_text(&r, t, sizeof t);
		cs_fail(err, 0, "%s: E2B template '%s' not found (%s)", what,
			cJSON_IsString(tpl) ? tpl->valuestring : "?", t);
		cs_hint(err, "pass --template NAME or set E2B_TEMPLATE_ID to a template your team "
			"can use (default: codex)");
		goto fail;
	}
	if (st == 400) {
		char t[512];

		e2b_error_text(&r, t, sizeof t);
		cs_fail(err, 0, "%s: E2B refused the request (%s)", what, t);
		cs_hint(err, "check --template, the allowlist and CODEX_SANDBOX_E2B_TIMEOUT "
			"(at most your plan's session length)");
		goto fail;
	}
	api_fail(what, &r, retries, err);
fail:
	e2b_resp_free(&r);
	return -1;
}

int e2b_connect(struct e2b_client *cl, const char *id, int timeout, struct e2b_sandbox *sb,
		struct cs_err *err)
{
	char path[200], body[64], what[160];
	struct e2b_resp r;
	int retries = 0, rc = -1;
	long st = 404;

	snprintf(what, sizeof what, "connecting to E2B sandbox %s", id);
	if (!valid_sandbox_id(id)) {
		cs_fail(err, 0, "'%s' is not an E2B sandbox id", id);
		return cs_hint(err, "pass the id printed by --keep (lowercase letters and digits)");
	}
	snprintf(body, sizeof body, "{\"timeout\":%d}", timeout);
	e2b_resp_init(&r, E2B_BODY_MAX);
	if (!cl->v1) {
		snprintf(path, sizeof path, "/v2/sandboxes/%s/connect", id);
		st = api_call(cl, "POST", path, body, &r, &retries, err);
		if ((st == 404 || st == 405) && !is_api_json_error(&r))
			cl->v1 = true;
	}
	if (cl->v1) {
		snprintf(path, sizeof path, "/sandboxes/%s/connect", id);
		st = api_call(cl, "POST", path, body, &r, &retries, err);
	}
	if (st == 200 || st == 201) {
		rc = parse_sandbox(cl, &r, sb, what, err);
	} else if (st == 404) {
		cs_fail(err, 0, "%s: no such sandbox (it was killed or timed out)", what);
		cs_hint(err, "a sandbox kept with --keep expires when its timeout runs out; start a new run");
	} else if (st == 409) {
		cs_fail(err, 0, "%s: the sandbox is changing state (pausing or resuming)", what);
		cs_hint(err, "try again in a few seconds");
	} else if (st > 0) {
		api_fail(what, &r, retries, err);
	}
	e2b_resp_free(&r);
	return rc;
}

int e2b_info(struct e2b_client *cl, const char *id, cJSON **detail, struct cs_err *err)
{
	char path[200], what[160];
	struct e2b_resp r;
	int retries = 0, rc = -1;
	long st;

	*detail = NULL;
	snprintf(path, sizeof path, "/sandboxes/%s", id);
	snprintf(what, sizeof what, "reading E2B sandbox %s", id);
	e2b_resp_init(&r, E2B_BODY_MAX);
	st = api_call(cl, "GET", path, NULL, &r, &retries, err);
	if (st == 200) {
		*detail = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);
		if (cJSON_IsObject(*detail))
			rc = 0;
		else
			cs_fail(err, EPROTO, "%s: E2B's answer is not a JSON object", what);
	} else if (st == 404) {
		cs_fail(err, 0, "%s: no such sandbox (it was killed or timed out)", what);
	} else if (st > 0) {
		api_fail(what, &r, retries, err);
	}
	if (rc < 0) {
		cJSON_Delete(*detail);
		*detail = NULL;
	}
	e2b_resp_free(&r);
	return rc;
}

/* One call on a running sandbox whose answer carries nothing we read:
 * 0 on 2xx; 404 says the sandbox is gone; anything else E2B's error. */
static int sandbox_call(struct e2b_client *cl, const char *method, const char *path,
			const char *body, const char *what, struct cs_err *err)
{
	struct e2b_resp r;
	int retries = 0, rc = -1;
	long st;

	e2b_resp_init(&r, 1u << 16);
	st = api_call(cl, method, path, body, &r, &retries, err);
	if (st >= 200 && st < 300)
		rc = 0;
	else if (st == 404)
		cs_fail(err, 0, "%s: the sandbox is gone (killed or timed out)", what);
	else if (st > 0)
		api_fail(what, &r, retries, err);
	e2b_resp_free(&r);
	return rc;
}

int e2b_set_timeout(struct e2b_client *cl, const char *id, int seconds, struct cs_err *err)
{
	char path[200], body[64], what[160];

	snprintf(path, sizeof path, "/sandboxes/%s/timeout", id);
	snprintf(body, sizeof body, "{\"timeout\":%d}", seconds);
	snprintf(what, sizeof what, "extending E2B sandbox %s's timeout", id);
	return sandbox_call(cl, "POST", path, body, what, err);
}

int e2b_kill(struct e2b_client *cl, const char *id, struct cs_err *err)
{
	char path[200], what[160];
	struct e2b_resp r;
	int retries = 0, rc = -1;
	enum sig_abort saved = sig_swap_abort(SIG_ABORT_NEVER);
	long st;

	snprintf(path, sizeof path, "/sandboxes/%s", id);
	snprintf(what, sizeof what, "killing E2B sandbox %s", id);
	e2b_resp_init(&r, 1u << 16);
	st = api_call(cl, "DELETE", path, NULL, &r, &retries, err);
	if (st == 204 || st == 200 || st == 404)
		rc = 0;
	else if (st > 0)
		api_fail(what, &r, retries, err);
	e2b_resp_free(&r);
	sig_swap_abort(saved);
	return rc;
}

static int collect_ids(const struct e2b_resp *r, struct strv *ids, struct cs_err *err)
{
	cJSON *j = cJSON_ParseWithLength(r->body.data ? r->body.data : "", r->body.len);
	const cJSON *it;

	if (!cJSON_IsArray(j)) {
		cJSON_Delete(j);
		return cs_fail(err, EPROTO, "listing E2B sandboxes: the answer is not a JSON array");
	}
	cJSON_ArrayForEach(it, j) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "sandboxID");

		if (cJSON_IsString(id) && valid_sandbox_id(id->valuestring) &&
		    strv_push(ids, id->valuestring) < 0) {
			cJSON_Delete(j);
			return cs_fail(err, ENOMEM, "out of memory");
		}
	}
	cJSON_Delete(j);
	return 0;
}

/* One page of the v2 listing after TOKEN ("" for the first) into IDS;
 * the next page's token into R->next_token.  The status. */
static long list_page(struct e2b_client *cl, const char *q, const char *token, struct e2b_resp *r,
		      int *retries, struct cs_err *err)
{
	char t[800] = "", path[2900];

	if (token[0] && url_encode(token, t, sizeof t) < 0)
		return cs_fail(err, E2BIG, "listing E2B sandboxes: the next-page token is too long");
	snprintf(path, sizeof path, "/v2/sandboxes?metadata=%s&state=running,paused&limit=%u%s%s", q,
		 E2B_LIST_PAGE, t[0] ? "&nextToken=" : "", t);
	return api_call(cl, "GET", path, NULL, r, retries, err);
}

int e2b_list_by_metadata(struct e2b_client *cl, const char *key, const char *value,
			 unsigned max_pages, struct strv *ids, struct cs_err *err)
{
	char k[256], v[256], kv[600], q[1800], path[2000], token[256] = "";   /* e2b_resp's next_token */
	struct e2b_resp r;
	int retries = 0, rc = -1;
	long st = 404;

	/* The SDK encodes key and value, joins them with '=', and encodes the
	 * whole again as the `metadata` query value. */
	if (url_encode(key, k, sizeof k) < 0 || url_encode(value, v, sizeof v) < 0)
		return cs_fail(err, E2BIG, "metadata filter too long");
	snprintf(kv, sizeof kv, "%s=%s", k, v);
	if (url_encode(kv, q, sizeof q) < 0)
		return cs_fail(err, E2BIG, "metadata filter too long");
	e2b_resp_init(&r, E2B_BODY_MAX);
	/* every page (X-Next-Token), bounded: a server that never stops
	 * paging is refused, never a listing that looks whole and is not */
	for (unsigned page = 0; !cl->v1; page++) {
		if (page == max_pages) {
			cs_fail(err, EPROTO, "listing E2B sandboxes: more than %u pages of %u", max_pages,
				E2B_LIST_PAGE);
			goto out;
		}
		st = list_page(cl, q, token, &r, &retries, err);
		if (page == 0 && (st == 404 || st == 405) && !is_api_json_error(&r))
			cl->v1 = true;
		else if (st != 200 || collect_ids(&r, ids, err) < 0 || !r.next_token[0])
			break;
		snprintf(token, sizeof token, "%s", r.next_token);
		e2b_resp_free(&r);
		e2b_resp_init(&r, E2B_BODY_MAX);
	}
	if (cl->v1) {
		snprintf(path, sizeof path, "/sandboxes?metadata=%s", q);
		st = api_call(cl, "GET", path, NULL, &r, &retries, err);
		if (st == 200 && collect_ids(&r, ids, err) < 0)
			goto out;
	}
	if (err->set)
		goto out;
	if (st == 200)
		rc = 0;
	else if (st > 0)
		api_fail("listing E2B sandboxes", &r, retries, err);
out:
	e2b_resp_free(&r);
	return rc;
}

long e2b_check_key(struct e2b_client *cl, long *running, struct cs_err *err)
{
	struct e2b_resp r;
	int retries = 0;
	long st = 404;

	*running = -1;
	e2b_resp_init(&r, E2B_BODY_MAX);
	if (!cl->v1) {
		st = api_call(cl, "GET", "/v2/sandboxes?limit=1", NULL, &r, &retries, err);
		if ((st == 404 || st == 405) && !is_api_json_error(&r))
			cl->v1 = true;
	}
	if (cl->v1)
		st = api_call(cl, "GET", "/sandboxes", NULL, &r, &retries, err);
	if (st == 200) {
		cJSON *j = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);

		*running = r.total_running >= 0 ? r.total_running
			 : cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1;
		cJSON_Delete(j);
	} else if (st > 0) {
		api_fail("checking the E2B API key", &r, retries, err);
	}
	e2b_resp_free(&r);
	return st;
}

int e2b_update_network(struct e2b_client *cl, const char *id, const char *body, struct cs_err *err)
{
	char path[200], what[160];

	if (!valid_sandbox_id(id))
		return cs_fail(err, EINVAL, "'%.80s' is not an E2B sandbox id", id);
	snprintf(path, sizeof path, "/sandboxes/%s/network", id);
	snprintf(what, sizeof what, "changing E2B sandbox %s's egress rules", id);
	return sandbox_call(cl, "PUT", path, body, what, err);
}
