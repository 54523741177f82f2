/* Docker Engine API over its Unix socket (libcurl for ordinary and
 * streaming calls; hijack.c does the raw attach).  Every path carries the
 * API version negotiated in docker_open (apiversion.h): 1.41 on Engine
 * 20.10, up to 1.52 on Engine 29, which refuses anything below 1.44. */
#ifndef CS_DOCKER_API_H
#define CS_DOCKER_API_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runner/docker/apiversion.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/urlenc.h"

#define DOCKER_BODY_MAX (8u << 20)      /* any single JSON response */
#define DOCKER_LINE_MAX (1u << 20)      /* one line of a JSON stream */

struct docker {
	CURL *curl;
	char socket_path[108];
	struct api_version api;              /* the version every path uses */
	char api_version[APIV_TEXT_MAX];     /* the same as text; "" before docker_open chose */
	char engine_api_max[APIV_TEXT_MAX];  /* what the engine said it speaks */
	char engine_api_min[APIV_TEXT_MAX];
	char engine_version[64];
	/* Who listens on the socket (SO_PEERCRED): for a rootless engine, the
	 * host uid its containers' uid 0 is. */
	bool peer_known;
	uid_t peer_uid;
	gid_t peer_gid;
	/* true: a signal does not abort this handle's transfers (teardown's
	 * work on its own thread, docker_bg.h) */
	bool never_abort;
};

/* Resolve DOCKER_HOST (unix:// only), check the socket with a precise error
 * (missing, permission denied, daemon down), read the engine's versions and
 * choose the API version (DOCKER_API_VERSION pins it). */
int docker_open(struct docker *d, struct cs_err *err);
void docker_close(struct docker *d);
/* "/v1.44" + PATH into OUT, the path as the engine gets it.  Returns 0, or
 * -1 when it does not fit. */
int docker_api_path(const struct docker *d, const char *path, char *out, size_t outsz);

/* One request.  BODY (may be NULL) is sent as application/json.  The
 * response body goes into *OUT (bounded by DOCKER_BODY_MAX) when OUT is
 * non-NULL.  Returns the HTTP status, or -1 on transport failure. */
long docker_call(struct docker *d, const char *method, const char *path,
		 const char *body, struct buf *out, struct cs_err *err);

/* Same, parsing the response as JSON (*OUT may be NULL for empty bodies).
 * A status >= 400 becomes an error carrying the engine's "message". */
long docker_call_json(struct docker *d, const char *method, const char *path,
		      const cJSON *body, cJSON **out, struct cs_err *err);

/* The engine's {"message": "..."} from an error body, or the raw text. */
void docker_error_message(const struct buf *body, char *out, size_t outsz);

/* Streaming request (build, import, pull): uploads from READ (may be NULL)
 * with UPLOAD_SIZE bytes, calls ON_LINE for every newline-terminated line
 * of the response (each bounded by DOCKER_LINE_MAX).  ON_LINE returns <0 to
 * stop.  Returns the HTTP status or -1. */
typedef size_t (*docker_read_fn)(char *buf, size_t size, void *ctx);
typedef int (*docker_line_fn)(const char *line, size_t len, void *ctx);
long docker_stream(struct docker *d, const char *method, const char *path,
		   const char *content_type, docker_read_fn read, void *read_ctx,
		   curl_off_t upload_size, docker_line_fn on_line, void *line_ctx,
		   struct cs_err *err);

#endif
