/* E2B client: the control-plane API
 * (create / connect / info / timeout / kill / list) with v2 routes and the
 * v1 fallback, retries and one-line errors.  envd calls live in
 * e2b_envd.c.  Protocol facts: docs/E2B-PROTOCOL.md. */
#ifndef CS_E2B_API_H
#define CS_E2B_API_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>

#include "common/error.h"
#include "runner/core/cli.h"
#include "runner/e2b/e2b_http.h"

/* The API's headers (X-API-KEY, and the JSON content type with JSON). */
struct curl_slist *e2b_api_headers(const struct e2b_client *cl, bool json);

/* Control plane.  Every call retries 429 (Retry-After honoured, bounded)
 * and 5xx (bounded backoff), then fails with one line naming E2B's code and
 * message and the fix. */
/* What E2B's answers may carry (a hostile server's too): an access token
 * goes into request headers, so only token characters, at most 1024; a
 * domain goes into URLs the tokens are sent to, so only a host name. */
bool e2b_token_ok(const char *s);
bool e2b_domain_ok(const char *s);
int e2b_create(struct e2b_client *cl, const cJSON *body, struct e2b_sandbox *sb,
	       struct cs_err *err);
/* Reconnect: fresh token, version, domain; extends the timeout to at least
 * TIMEOUT seconds.  404: no such sandbox (ERR says so). */
int e2b_connect(struct e2b_client *cl, const char *id, int timeout, struct e2b_sandbox *sb,
		struct cs_err *err);
int e2b_info(struct e2b_client *cl, const char *id, cJSON **detail, struct cs_err *err);
int e2b_set_timeout(struct e2b_client *cl, const char *id, int seconds, struct cs_err *err);
/* 204 and 404 both mean gone.  Never aborted by signals. */
int e2b_kill(struct e2b_client *cl, const char *id, struct cs_err *err);
/* Sandboxes whose metadata has KEY=VALUE (running or paused), reading at
 * most MAX_PAGES pages of E2B_LIST_PAGE (more is an error, never a short
 * list): E2B_LIST_PAGES_MAX for the user's listing, 1 for a run's own
 * sandbox (one id; a server that pages it is not believed). */
int e2b_list_by_metadata(struct e2b_client *cl, const char *key, const char *value,
			 unsigned max_pages, struct strv *ids, struct cs_err *err);
/* PUT /sandboxes/ID/network with BODY (JSON): replaces the whole egress
 * configuration. */
int e2b_update_network(struct e2b_client *cl, const char *id, const char *body,
		       struct cs_err *err);
/* Doctor: GET /v2/sandboxes?limit=1 (or v1).  Returns the HTTP status,
 * -1 on transport failure; *RUNNING from X-Total-Running or the count. */
long e2b_check_key(struct e2b_client *cl, long *running, struct cs_err *err);

#endif
