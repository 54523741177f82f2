/* E2B client plumbing (e2b_http.c): the sandbox and client handles, the
 * settings the plan resolved, libcurl handles with bounded bodies, aborting
 * on signals, one-line error texts. */
#ifndef CS_E2B_HTTP_H
#define CS_E2B_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "runner/core/plan_e2b.h"

#define E2B_BODY_MAX (4u << 20)      /* any JSON answer */
#define E2B_LIST_PAGE 100            /* sandboxes per page of a listing */
#define E2B_LIST_PAGES_MAX 100       /* pages of one listing, at most */
#define E2B_ENVD_PORT 49983

/* envd's base URL for a sandbox (SDK order: E2B_SANDBOX_URL, debug, the
 * shared sandbox.<domain> host for E2B's own domains, else
 * https://49983-<id>.<domain>).  SANDBOX_DOMAIN is the create/connect
 * answer's `domain` (may be NULL). */
char *e2b_envd_url(const struct e2b_cfg *c, const char *sandbox_id, const char *sandbox_domain);

/* A live (or to-be-reached) sandbox. */
struct e2b_sandbox {
	char id[64];
	char *token;          /* envdAccessToken (NULL: unsecured) */
	char *domain;
	char *envd_url;
	char envd_version[32];
	char *traffic_token;  /* trafficAccessToken: its ports' key when public traffic is off */
};
void e2b_sandbox_free(struct e2b_sandbox *sb);

struct e2b_client {
	const struct e2b_cfg *cfg;  /* the plan's (or doctor's): not owned */
	CURL *api;            /* one keep-alive handle for the API */
	CURL *envd;           /* and one for envd's unary calls and files */
	CURLSH *share;        /* their connections (and those of e2b_client_share's
			       * handles): kept alive, reused by the next request to
			       * the same host; NULL: none.  One thread only. */
	bool v1;              /* the API has no /v2 routes */
	bool ambiguous;       /* the last call saw a lost answer or a 5xx */
	bool create_ambiguous;/* ... during create: a sandbox may exist we never heard of */
	long long deadline_ms;/* CLOCK_MONOTONIC ms, 0 none: e2b_run and e2b_download stop
			       * there (the sync back: a hostile envd that keeps a stream
			       * alive with keepalives, or drips bytes, cannot hold us) */
};
/* Milliseconds left before CL's deadline (at least 1), 0 when there is none. */
long e2b_deadline_left(const struct e2b_client *cl);

int e2b_client_init(struct e2b_client *cl, const struct e2b_cfg *cfg, struct cs_err *err);
void e2b_client_free(struct e2b_client *cl);
/* H (of CL's thread) takes its connections from CL's, and leaves them there. */
void e2b_client_share(const struct e2b_client *cl, CURL *h);


struct e2b_resp {
	long status;          /* HTTP status, -1 on transport failure */
	struct buf body;      /* bounded */
	long retry_after;     /* seconds from Retry-After, -1 if absent */
	char next_token[256]; /* X-Next-Token */
	long total_running;   /* X-Total-Running, -1 if absent */
};
void e2b_resp_init(struct e2b_resp *r, size_t max);
void e2b_resp_free(struct e2b_resp *r);

/* Common curl setup: URL, method, headers, bounded response, abort on
 * signal, timeouts (TOTAL_MS 0: none, for streams), keep-alive. */
void e2b_curl_setup(CURL *h, const char *method, const char *url, struct curl_slist *hdrs,
		    struct e2b_resp *resp, long total_ms);
/* One HTTP exchange on H (no retries).  BODY may be NULL.  Returns the
 * status, or -1 with ERR set on transport failure. */
long e2b_http(CURL *h, const char *method, const char *url, struct curl_slist *hdrs,
	      const char *body, size_t body_len, struct e2b_resp *resp, long total_ms,
	      struct cs_err *err);
/* E2B's error body {"code","message"[,"error_code"]} as one short text. */
void e2b_error_text(const struct e2b_resp *r, char *out, size_t outsz);

#endif
