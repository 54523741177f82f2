#include "runner/e2b/e2b_session.h"
#include "common/fdio.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner/core/sig.h"
#include "runner/core/tty.h"
#include "common/util.h"

#define PENDING_MAX (1u << 20)       /* typed but not yet sent */
#define INPUT_CHUNK (48u << 10)      /* bytes per SendInput (64 KiB of base64) */
#define RECONNECT_TRIES 5
#define CALL_TIMEOUT_MS 30000L

struct call {
	CURL *h;
	struct curl_slist *hdrs;
	char *body;
	struct e2b_resp resp;
	bool busy;
};

struct sess {
	struct e2b_client *cl;
	const struct e2b_sandbox *sb;
	const struct e2b_session_opts *o;
	CURLM *m;
	/* the stream */
	CURL *sh;
	struct e2b_stream st;
	bool st_init;
	struct curl_slist *shdrs;
	struct buf sbody;
	bool stream_on, connecting;
	uint32_t pid;
	int attempts;
	long long reconnect_at;     /* ms; 0: none pending */
	/* calls */
	struct call input, resize, ttl;
	struct buf pending;
	bool stdin_open, stdin_eof, close_sent, input_dead;
	int nudge;                  /* 1: send a size one column off, 2: the real one */
	bool nudging;               /* until the real size is set: input waits */
	bool resize_wanted;
	/* timers */
	long long last_rx_ms, next_ttl_ms;
	unsigned long long last_rx;
	bool out_broken;
	/* result */
	bool done;
	int status;
};

cJSON *e2b_connect_request(uint32_t pid, const char *tag)
{
	cJSON *msg = cJSON_CreateObject();
	cJSON *p = cJSON_AddObjectToObject(msg, "process");

	if (pid)
		cJSON_AddNumberToObject(p, "pid", pid);
	else
		cJSON_AddStringToObject(p, "tag", tag);
	return msg;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A line for the user, also readable when the terminal is raw. */
static void say(const struct sess *x, const char *fmt, const char *a)
{
	fprintf(stderr, x->o->tty ? "\r\ncodex-sandbox: " : "codex-sandbox: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, x->o->tty ? "\r\n" : "\n");
}


static int sink(void *ctx, enum connect_stream s, const unsigned char *d, size_t n)
{
	struct sess *x = ctx;

	if (!x->out_broken && fd_write_all(s == CSTREAM_STDERR ? STDERR_FILENO : STDOUT_FILENO, d, n) < 0)
		x->out_broken = true;   /* | head: keep the process going, drop its output */
	return 0;
}

/* ---- the stream ----------------------------------------------------------------- */

static int stream_open(struct sess *x, struct cs_err *err)
{
	cJSON *msg;
	char *json;
	const char *method;

	if (x->st_init)
		e2b_stream_free(&x->st);
	e2b_stream_init(&x->st, x->sh);
	x->st_init = true;
	x->st.on_data = sink;
	x->st.ctx = x;
	x->connecting = !x->o->start || x->pid;
	if (x->connecting) {
		msg = e2b_connect_request(x->pid, x->o->connect_tag);
		method = "process.Process/Connect";
	} else {
		msg = e2b_start_request(x->o->start);
		method = "process.Process/Start";
	}
	json = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	buf_reset(&x->sbody);
	if (!json || connect_envelope(&x->sbody, 0, json, strlen(json)) < 0) {
		free(json);
		return cs_fail(err, ENOMEM, "out of memory");
	}
	free(json);
	curl_slist_free_all(x->shdrs);
	e2b_stream_setup(&x->st, x->sb, method, x->connecting ? NULL : x->o->start->user,
			 &x->sbody, x->o->keepalive, &x->shdrs);
	if (curl_multi_add_handle(x->m, x->sh) != CURLM_OK)
		return cs_fail(err, 0, "curl_multi_add_handle");
	x->stream_on = true;
	x->last_rx_ms = now_ms();
	x->last_rx = 0;
	return 0;
}

static void stream_close(struct sess *x)
{
	if (x->stream_on)
		curl_multi_remove_handle(x->m, x->sh);
	x->stream_on = false;
}

static int schedule_reconnect(struct sess *x, const char *why, struct cs_err *err)
{
	if (!x->pid && x->o->start) {
		cs_fail(err, 0, "starting %s in the sandbox: %s", x->o->label, why);
		return cs_hint(err, "check E2B's status; the sandbox was removed");
	}
	if (++x->attempts > RECONNECT_TRIES) {
		cs_fail(err, 0, "lost the connection to %s in the sandbox: %s", x->o->label, why);
		return cs_hint(err, "check the network; with --keep the sandbox stays for "
			       "codex-sandbox attach ID");
	}
	if (x->attempts == 1)
		say(x, "connection to the sandbox lost (%s); reconnecting...", why);
	x->reconnect_at = now_ms() + (100LL << x->attempts);   /* 0.2 s .. 3.2 s */
	return 0;
}

/* The stream's transfer finished: the process ended, or we reconnect, or
 * it is over. */
static int stream_done(struct sess *x, CURLcode rc, struct cs_err *err)
{
	char why[400];

	stream_close(x);
	if (!x->st.checked)
		curl_easy_getinfo(x->sh, CURLINFO_RESPONSE_CODE, &x->st.status);
	if (x->st.got_start)
		x->pid = x->st.pid;
	if (x->st.got_end) {
		x->done = true;
		x->status = x->st.exit_status;
		return 0;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && sig_terminating())
		return 0;   /* the loop sees the signal */
	e2b_stream_problem(&x->st, why, sizeof why);
	if (x->st.status == 502 || x->st.status == 401 || x->st.status == 404) {
		struct e2b_resp r = { .status = x->st.status, .body = x->st.errbody };
		char what[200];

		snprintf(what, sizeof what, "%s %s", x->connecting ? "reconnecting to" : "starting",
			 x->o->label);
		return e2b_envd_fail(what, &r, err);
	}
	if (x->st.got_trailer && x->st.err_code[0]) {
		if (x->connecting && strcmp(x->st.err_code, "not_found") == 0) {
			cs_fail(err, 0, "%s is not running in the sandbox any more (it ended while "
				"we were away; its exit status is lost)", x->o->label);
			return cs_hint(err, "its files were still brought back; rerun to continue");
		}
		cs_fail(err, 0, "%s in the sandbox: %s", x->o->label, why);
		return -1;
	}
	if (rc != CURLE_OK)
		snprintf(why, sizeof why, "%s", curl_easy_strerror(rc));
	return schedule_reconnect(x, why, err);
}

/* ---- unary calls -------------------------------------------------------------------- */

static int call_start(struct sess *x, struct call *c, const char *url, struct curl_slist *hdrs,
		      char *body)
{
	c->hdrs = hdrs;
	c->body = body;
	e2b_curl_setup(c->h, "POST", url, hdrs, &c->resp, CALL_TIMEOUT_MS);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
	if (curl_multi_add_handle(x->m, c->h) != CURLM_OK)
		return -1;
	c->busy = true;
	return 0;
}

static void call_done(struct sess *x, struct call *c)
{
	curl_multi_remove_handle(x->m, c->h);
	curl_slist_free_all(c->hdrs);
	free(c->body);
	c->hdrs = NULL;
	c->body = NULL;
	c->busy = false;
}

static int rpc_start(struct sess *x, struct call *c, const char *method, cJSON *msg)
{
	char url[1024];
	char *body = cJSON_PrintUnformatted(msg);

	cJSON_Delete(msg);
	if (!body)
		return -1;
	snprintf(url, sizeof url, "%s/%s", x->sb->envd_url, method);
	return call_start(x, c, url, e2b_envd_headers(x->sb, NULL, "application/json", true), body);
}

static cJSON *proc_msg(const struct sess *x)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddNumberToObject(cJSON_AddObjectToObject(m, "process"), "pid", x->pid);
	return m;
}

static void send_input(struct sess *x)
{
	size_t n = x->pending.len < INPUT_CHUNK ? x->pending.len : INPUT_CHUNK;
	cJSON *m = proc_msg(x);
	struct buf b;

	buf_init(&b, INPUT_CHUNK * 2);
	if (b64_encode(&b, x->pending.data, n) < 0) {
		cJSON_Delete(m);
		return;
	}
	cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "input"), x->o->tty ? "pty" : "stdin",
				b.data);
	buf_free(&b);
	if (rpc_start(x, &x->input, "process.Process/SendInput", m) == 0)
		buf_consume(&x->pending, n);
}

static void send_resize(struct sess *x)
{
	unsigned short rows, cols;
	cJSON *m, *size;

	if (tty_size(&rows, &cols) < 0) {
		x->nudge = 0;
		x->resize_wanted = false;
		return;
	}
	if (x->nudge == 1) {
		cols = cols > 1 ? cols - 1 : cols + 1;
		x->nudge = 2;
	} else {
		x->nudge = 0;
		x->resize_wanted = false;
	}
	m = proc_msg(x);
	size = cJSON_AddObjectToObject(cJSON_AddObjectToObject(m, "pty"), "size");
	cJSON_AddNumberToObject(size, "cols", cols);
	cJSON_AddNumberToObject(size, "rows", rows);
	rpc_start(x, &x->resize, "process.Process/Update", m);
}

static void send_ttl(struct sess *x)
{
	char url[1024], *body = NULL;

	snprintf(url, sizeof url, "%s/sandboxes/%s/timeout", x->cl->cfg->api_url, x->sb->id);
	if (asprintf(&body, "{\"timeout\":%d}", x->o->ttl) < 0)
		return;
	call_start(x, &x->ttl, url, e2b_api_headers(x->cl, true), body);
}

static void input_done(struct sess *x)
{
	char code[64] = "";
	long st = x->input.resp.status;

	if (st != 200) {
		cJSON *j = cJSON_ParseWithLength(x->input.resp.body.data ? x->input.resp.body.data : "",
						 x->input.resp.body.len);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "code");

		if (cJSON_IsString(c))
			snprintf(code, sizeof code, "%s", c->valuestring);
		cJSON_Delete(j);
		/* The process ended (not_found) or closed its input: stop
		 * sending; the stream tells how it ended. */
		if (strcmp(code, "not_found") == 0 || strcmp(code, "internal") == 0) {
			x->input_dead = true;
			buf_reset(&x->pending);
		}
	}
	call_done(x, &x->input);
}

/* ---- the loop ------------------------------------------------------------------------- */

static void read_stdin(struct sess *x)
{
	char b[16384];
	ssize_t n = read(STDIN_FILENO, b, sizeof b);

	if (n > 0) {
		if (!x->input_dead && buf_append(&x->pending, b, (size_t)n) < 0)
			buf_reset(&x->pending);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		x->stdin_open = false;
		x->stdin_eof = true;
	}
}

static long poll_timeout(const struct sess *x, long long now, long long dead_ms)
{
	long long t = now + 1000;

	if (x->stream_on && x->last_rx_ms + dead_ms < t)
		t = x->last_rx_ms + dead_ms;
	if (x->o->ttl && x->next_ttl_ms < t)
		t = x->next_ttl_ms;
	if (x->reconnect_at && x->reconnect_at < t)
		t = x->reconnect_at;
	return t > now ? (long)(t - now) : 0;
}

static int loop(struct sess *x, struct cs_err *err)
{
	const long long dead_ms = (long long)x->o->keepalive * 3000 + 2000;

	if (stream_open(x, err) < 0)
		return -1;
	for (;;) {
		struct curl_waitfd extra[2];
		unsigned n = 0;
		int running, left;
		long long now = now_ms();
		CURLMsg *msg;

		extra[n++] = (struct curl_waitfd){ .fd = sig_fd(), .events = CURL_WAIT_POLLIN };
		if (x->stdin_open && x->pending.len < PENDING_MAX)
			extra[n++] = (struct curl_waitfd){ .fd = STDIN_FILENO, .events = CURL_WAIT_POLLIN };
		if (curl_multi_poll(x->m, extra, n, (int)poll_timeout(x, now, dead_ms), NULL) != CURLM_OK)
			return cs_fail(err, 0, "curl_multi_poll failed");
		if (extra[0].revents)
			sig_drain();
		if (sig_terminating())
			return sig_terminating();
		if (sig_take_winch() && x->o->tty)
			x->resize_wanted = true;
		if (n > 1 && extra[1].revents)
			read_stdin(x);
		curl_multi_perform(x->m, &running);
		while ((msg = curl_multi_info_read(x->m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->easy_handle == x->input.h)
				curl_easy_getinfo(x->input.h, CURLINFO_RESPONSE_CODE, &x->input.resp.status);
			if (msg->easy_handle == x->sh) {
				if (stream_done(x, msg->data.result, err) < 0)
					return -1;
			} else if (msg->easy_handle == x->input.h) {
				input_done(x);
			} else if (msg->easy_handle == x->resize.h) {
				call_done(x, &x->resize);
				if (!x->nudge)
					x->nudging = false;
			} else if (msg->easy_handle == x->ttl.h) {
				call_done(x, &x->ttl);
			}
		}
		if (sig_terminating())
			return sig_terminating();
		now = now_ms();
		if (x->stream_on && x->st.got_start && x->pid != x->st.pid) {
			x->pid = x->st.pid;
		}
		if (x->stream_on && x->st.got_start && x->attempts) {
			if (x->o->tty)
				x->nudge = 1;   /* output in between is lost: make it redraw */
			x->nudging = x->nudge != 0;
			say(x, "%s", "reconnected (output while disconnected is lost)");
			x->attempts = 0;
		}
		if (x->done || (x->stream_on && x->st.got_end)) {
			x->status = x->st.exit_status;
			return 0;
		}
		if (x->stream_on) {
			if (x->st.rx != x->last_rx) {
				x->last_rx = x->st.rx;
				x->last_rx_ms = now;
			} else if (now - x->last_rx_ms > dead_ms) {
				char why[100];

				stream_close(x);
				snprintf(why, sizeof why, "no data or keepalive for %lld s",
					 (now - x->last_rx_ms) / 1000);
				if (schedule_reconnect(x, why, err) < 0)
					return -1;
			}
		}
		if (!x->stream_on && x->reconnect_at && now >= x->reconnect_at) {
			x->reconnect_at = 0;
			if (stream_open(x, err) < 0)
				return -1;
		}
		if (x->pid && !x->input.busy && !x->input_dead && !x->nudging) {
			if (x->pending.len)
				send_input(x);
			else if (x->stdin_eof && !x->close_sent && !x->o->tty && x->o->forward_stdin) {
				x->close_sent = true;
				rpc_start(x, &x->input, "process.Process/CloseStdin", proc_msg(x));
			}
		}
		if (x->o->tty && x->pid && !x->resize.busy && (x->resize_wanted || x->nudge))
			send_resize(x);
		if (!x->resize.busy && !x->nudge)
			x->nudging = false;   /* no size to send (no terminal here) */
		if (x->o->ttl && now >= x->next_ttl_ms && !x->ttl.busy) {
			send_ttl(x);
			x->next_ttl_ms = now + (x->o->ttl * 1000LL / 3 > 1000 ? x->o->ttl * 1000LL / 3 : 1000);
		}
	}
}

int e2b_session_run(struct e2b_client *cl, const struct e2b_sandbox *sb,
		    const struct e2b_session_opts *o, int *status, struct cs_err *err)
{
	struct sess x = { .cl = cl, .sb = sb, .o = o };
	int rc;

	x.m = curl_multi_init();
	x.sh = curl_easy_init();
	x.input.h = curl_easy_init();
	x.resize.h = curl_easy_init();
	x.ttl.h = curl_easy_init();
	e2b_client_share(cl, x.sh);
	e2b_client_share(cl, x.input.h);
	e2b_client_share(cl, x.resize.h);
	e2b_client_share(cl, x.ttl.h);
	buf_init(&x.sbody, CONNECT_MSG_MAX + 5);
	buf_init(&x.pending, PENDING_MAX + 16384);
	e2b_resp_init(&x.input.resp, 1u << 16);
	e2b_resp_init(&x.resize.resp, 1u << 16);
	e2b_resp_init(&x.ttl.resp, 1u << 16);
	x.stdin_open = o->forward_stdin;
	x.nudge = o->redraw && o->tty ? 1 : 0;
	x.nudging = x.nudge != 0;
	x.next_ttl_ms = now_ms() + o->ttl * 1000LL / 3;
	if (!x.m || !x.sh || !x.input.h || !x.resize.h || !x.ttl.h) {
		rc = cs_fail(err, ENOMEM, "curl init");
	} else {
		rc = loop(&x, err);
		if (rc == 0)
			*status = x.status;
	}
	stream_close(&x);
	if (x.input.busy)
		call_done(&x, &x.input);
	if (x.resize.busy)
		call_done(&x, &x.resize);
	if (x.ttl.busy)
		call_done(&x, &x.ttl);
	if (x.st_init)
		e2b_stream_free(&x.st);
	curl_slist_free_all(x.shdrs);
	buf_free(&x.sbody);
	buf_free(&x.pending);
	e2b_resp_free(&x.input.resp);
	e2b_resp_free(&x.resize.resp);
	e2b_resp_free(&x.ttl.resp);
	if (x.sh)
		curl_easy_cleanup(x.sh);
	if (x.input.h)
		curl_easy_cleanup(x.input.h);
	if (x.resize.h)
		curl_easy_cleanup(x.resize.h);
	if (x.ttl.h)
		curl_easy_cleanup(x.ttl.h);
	if (x.m)
		curl_multi_cleanup(x.m);
	return rc;
}
