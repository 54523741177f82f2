/* envd, the daemon inside an E2B sandbox: HTTP /files (upload, download)
 * and the Connect-RPC process service (unary calls and server streams),
 * always with E2b-Sandbox-Id, E2b-Sandbox-Port and X-Access-Token
 * (docs/E2B-PROTOCOL.md 2 and 3). */
#ifndef CS_E2B_ENVD_H
#define CS_E2B_ENVD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "runner/e2b/connect.h"
#include "runner/e2b/e2b_api.h"
#include "common/sha256.h"

/* Headers for an envd request.  USER (may be NULL) selects the Unix user
 * (Basic auth with an empty password, for RPCs); CONTENT_TYPE may be NULL;
 * RPC adds Connect-Protocol-Version. */
struct curl_slist *e2b_envd_headers(const struct e2b_sandbox *sb, const char *user,
				    const char *content_type, bool rpc);

/* One file to upload: bytes from FD (read exactly SIZE bytes) or DATA. */
struct e2b_file {
	const char *remote;    /* absolute sandbox path */
	int fd;                /* -1: use data */
	const char *data;
	uint64_t size;
	char sha[65];          /* out: sha256 of the bytes sent */
};

/* POST /files as USER, one multipart request for all N files (the SDK's
 * multi-file write: each part's filename is the target path).  With
 * ONE_BY_PATH (N must be 1) the target goes in the `path` query parameter
 * instead, for names a multipart header cannot carry safely. */
int e2b_upload(struct e2b_client *cl, const struct e2b_sandbox *sb, const char *user,
	       struct e2b_file *files, size_t n, bool one_by_path, struct cs_err *err);
/* True when PATH can travel as a multipart filename unambiguously. */
bool e2b_multipart_safe(const char *path);

/* GET /files?path= into FD, at most MAX bytes, hashing into H (may be
 * NULL).  Returns 1 (done, *GOT bytes), 0 (no such file), -1 (ERR; errno
 * E2BIG when larger than MAX). */
int e2b_download(struct e2b_client *cl, const struct e2b_sandbox *sb, const char *user,
		 const char *path, int fd, uint64_t max, uint64_t *got, struct sha256 *h,
		 struct cs_err *err);

/* A unary process/filesystem RPC ("process.Process/SendInput").  *RESP may
 * be NULL.  On a Connect error, CODE gets its code ("not_found", ...). */
int e2b_rpc(struct e2b_client *cl, const struct e2b_sandbox *sb, const char *method,
	    const char *user, const cJSON *req, cJSON **resp, char *code, size_t codesz,
	    struct cs_err *err);

/* A process to start. */
struct e2b_proc {
	const char *user;
	const char *const *argv;   /* cmd, args...; NULL-terminated */
	const char *cwd;           /* NULL: the user's home */
	const char *tag;           /* NULL: none */
	bool pty;
	unsigned rows, cols;
	bool stdin_open;
	const char *label;         /* for messages (e2b_run); NULL: argv[0] */
};
/* The Start request message (caller frees). */
cJSON *e2b_start_request(const struct e2b_proc *p);

/* The receiving side of a server stream (Start / Connect): envelopes are
 * decoded, events dispatched.  Used by e2b_run and by the session loop. */
struct e2b_stream {
	CURL *h;
	struct connect_decoder dec;
	struct buf errbody;         /* a non-200 answer's body */
	long status;                /* HTTP status once known */
	bool checked;               /* status and content type looked at */
	bool bad_type;
	bool got_start, got_end, got_trailer;
	uint32_t pid;
	int exit_status;            /* from END, as a shell reports it */
	char end_status[64];
	char err_code[64];          /* from the end-stream envelope */
	char err_msg[256];
	bool proto_error;
	unsigned long long rx;      /* bytes received (keepalives count) */
	/* data sink: return <0 to abort the transfer */
	int (*on_data)(void *ctx, enum connect_stream s, const unsigned char *d, size_t n);
	void *ctx;
};
void e2b_stream_init(struct e2b_stream *s, CURL *h);
void e2b_stream_free(struct e2b_stream *s);
size_t e2b_stream_write(char *p, size_t size, size_t n, void *ctx);
/* Describe why a finished stream did not end with END + a clean trailer. */
void e2b_stream_problem(const struct e2b_stream *s, char *out, size_t outsz);

/* Set H up for a server stream (METHOD "process.Process/Start" or
 * ".../Connect") with body BODYBUF (an envelope, kept by the caller).
 * KEEPALIVE: Keepalive-Ping-Interval in seconds.  No Connect-Timeout-Ms:
 * on Start envd would kill the process when it runs out. */
void e2b_stream_setup(struct e2b_stream *s, const struct e2b_sandbox *sb, const char *method,
		      const char *user, const struct buf *bodybuf, int keepalive,
		      struct curl_slist **hdrs);

/* Run a process to the end (setup scripts, the file listing): stdout into
 * OUT, stderr into ERROUT (both bounded; either may be NULL to drop).
 * Returns 0 with *STATUS the exit status, -1 with ERR. */
int e2b_run(struct e2b_client *cl, const struct e2b_sandbox *sb, const struct e2b_proc *p,
	    struct buf *out, struct buf *errout, int *status, struct cs_err *err);

/* The envd error of a failed request as one line, with the fix. */
int e2b_envd_fail(const char *what, const struct e2b_resp *r, struct cs_err *err);

#endif
