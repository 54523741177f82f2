#include "runner/docker/pod.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "firewall/guard.h"
#include "common/atomic.h"
#include "common/fdio.h"
#include "runner/core/blocked_log.h"
#include "runner/docker/ctr_ops.h"
#include "runner/docker/hijack.h"
#include "runner/core/sig.h"
#include "common/util.h"

#define POD_LINE_MAX 8192
#define POD_ERR_TAIL 4096
#define POD_STOP_TIMEOUT_MS 4000

/* The owner's privileges: uid 0 with nothing but CAP_NET_ADMIN
 * (+SETUID/SETGID to drop its DNS child to an unprivileged uid): Docker
 * gives added capabilities to root only (docs/DOCKER-NFT-NOTES.md 3.4). */
static const char *const owner_caps[] = { "NET_ADMIN", "SETUID", "SETGID", NULL };
#define OWNER_PIDS_LIMIT 16

cJSON *pod_owner_body(const struct sandbox_plan *p, const struct runner_identity *id)
{
	struct ctr_base base = { .image = p->image, .user = "0:0", .role = "firewall",
				 .network_mode = p->network ? p->network : "bridge",
				 .cap_add = owner_caps, .pids_limit = OWNER_PIDS_LIMIT };
	cJSON *b = ctr_base_body(p, id, &base), *cmd, *ep, *exposed = NULL, *bindings = NULL;
	cJSON *hc = cJSON_GetObjectItemCaseSensitive(b, "HostConfig");

	cJSON_AddBoolToObject(b, "AttachStdout", true);
	cJSON_AddBoolToObject(b, "AttachStderr", true);
	cJSON_AddBoolToObject(b, "Tty", false);
	cJSON_AddStringToObject(b, "Hostname", "codex-sandbox");
	ep = cJSON_AddArrayToObject(b, "Entrypoint");
	cJSON_AddItemToArray(ep, cJSON_CreateString(SANDBOX_FIREWALL));
	cmd = cJSON_AddArrayToObject(b, "Cmd");
	cJSON_AddItemToArray(cmd, cJSON_CreateString("serve"));
	for (size_t i = 0; i < p->allow.n; i++) {
		char e[300];

		allow_entry_format(&p->allow.v[i], e, sizeof e);
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--allow"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(e));
	}
	for (size_t i = 0; i < p->upstreams.n; i++) {
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--upstream"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(p->upstreams.v[i]));
	}
	if (p->upstream_docker_dns) {
		/* Docker's embedded resolver sends its queries from inside this
		 * namespace as root; the sandbox can never be uid 0. */
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--extra-dns-uid"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString("0"));
	}
	if (p->dns_min_ttl >= 0) {
		char ttl[16];

		snprintf(ttl, sizeof ttl, "%d", p->dns_min_ttl);
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--min-ttl"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(ttl));
	}
	/* the runner's control channel: a private tmpfs of the owner's own mount
	 * namespace, which the sandbox (sharing only the network) never sees */
	cJSON_AddStringToObject(cJSON_AddObjectToObject(hc, "Tmpfs"), FIREWALL_CTL_DIR,
				"rw,nosuid,nodev,noexec,mode=0700,size=64k");
	cJSON_AddItemToArray(cmd, cJSON_CreateString("--control"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(FIREWALL_CTL_DIR "/control.sock"));
	{
		char uid[16];

		snprintf(uid, sizeof uid, "%d", FIREWALL_DNS_UID);
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--dns-uid"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(uid));
	}
	/* named in the DNS filter's refusals: `codex-sandbox allow ID NAME` */
	cJSON_AddItemToArray(cmd, cJSON_CreateString("--sandbox-id"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(id->run_id));
	/* Preview ports are published on the owner: it holds the namespace.
	 * Loopback of the host only; replies leave as established traffic. */
	for (size_t i = 0; i < p->publish.n; i++) {
		char port[16], key[24], host[16];
		cJSON *arr, *hb;

		sscanf(p->publish.v[i], "%15[^:]:%15s", port, host);
		snprintf(key, sizeof key, "%s/tcp", port);
		if (!exposed) {
			exposed = cJSON_AddObjectToObject(b, "ExposedPorts");
			bindings = cJSON_AddObjectToObject(hc, "PortBindings");
		}
		cJSON_AddItemToObject(exposed, key, cJSON_CreateObject());
		arr = cJSON_AddArrayToObject(bindings, key);
		hb = cJSON_CreateObject();
		cJSON_AddStringToObject(hb, "HostIp", "127.0.0.1");
		cJSON_AddStringToObject(hb, "HostPort", host);
		cJSON_AddItemToArray(arr, hb);
	}
	return b;
}

cJSON *pod_check_body(const char *image, const struct runner_identity *id)
{
	struct ctr_base base = { .image = image, .user = "0:0", .role = "doctor",
				 .network_mode = "none", .cap_add = owner_caps,
				 .pids_limit = OWNER_PIDS_LIMIT };
	cJSON *b = ctr_base_body(NULL, id, &base), *a;

	a = cJSON_AddArrayToObject(b, "Entrypoint");
	cJSON_AddItemToArray(a, cJSON_CreateString(SANDBOX_FIREWALL));
	a = cJSON_AddArrayToObject(b, "Cmd");
	cJSON_AddItemToArray(a, cJSON_CreateString("check"));
	return b;
}

cJSON *pod_create_body(const struct sandbox_plan *p, const struct runner_identity *id,
		       struct cs_err *err)
{
	cJSON *body = pod_owner_body(p, id);

	if (pod_host_addrs(cJSON_GetObjectItemCaseSensitive(body, "Cmd"), err) < 0) {
		cJSON_Delete(body);
		cs_wrap(err, "configuring the sandbox's firewall");
		return NULL;
	}
	return body;
}

void pod_owner_name(const struct sandbox_plan *p, const struct runner_identity *id, char *out,
		    size_t outsz)
{
	snprintf(out, outsz, "%s-%.8s-fw", p->name_base, id->run_id);
}

/* The host's own addresses (every interface) as --guard-host options: the
 * firewall runs in the sandbox's namespace and cannot see them, and no DNS
 * answer may point at them.  Addresses the guard refuses by range anyway
 * (loopback, private, link-local) are left out.  Fails closed. */
int pod_host_addrs(cJSON *cmd, struct cs_err *err)
{
	struct ifaddrs *ifa, *i;
	struct guard seen;

	if (getifaddrs(&ifa) < 0)
		return cs_fail(err, errno, "listing the host's addresses (getifaddrs)");
	guard_init(&seen);
	for (i = ifa; i; i = i->ifa_next) {
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;
		const unsigned char *a;
		char text[INET6_ADDRSTRLEN];
		int r;

		if (fam == AF_INET)
			a = (const unsigned char *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		else if (fam == AF_INET6)
			a = (const unsigned char *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (guard_check(&seen, fam, a) || !inet_ntop(fam, a, text, sizeof text))
			continue;               /* refused by range, or already passed */
		if ((r = guard_add_host(&seen, fam, a)) < 0) {
			freeifaddrs(ifa);
			cs_fail(err, 0, "the host has more than %d public IPv%c addresses", GUARD_MAX_HOST,
				fam == AF_INET ? '4' : '6');
			return cs_hint(err, "the firewall's rebinding guard cannot hold them all");
		}
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--guard-host"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(text));
	}
	freeifaddrs(ifa);
	return 0;
}

void pod_handle_line(struct pod *pod, const char *line, size_t len)
{
	char text[POD_LINE_MAX + 1];
	const char *sp;
	cJSON *j;

	if (len > POD_LINE_MAX)
		len = POD_LINE_MAX;
	memcpy(text, line, len);
	text[len] = '\0';
	sp = strchr(text, ' ');
	if (strncmp(text, "READY", 5) == 0 && (text[5] == ' ' || !text[5])) {
		pod->ready = true;
		if (sp && (j = cJSON_Parse(sp + 1))) {
			cleanup_json cJSON *ready = j;
			cJSON *ms = cJSON_GetObjectItemCaseSensitive(ready, "ms");

			if (cJSON_IsNumber(ms))
				pod->ready_ms = ms->valuedouble;
		}
	} else if (strncmp(text, "ERROR ", 6) == 0) {
		pod->failed = true;
		snprintf(pod->error, sizeof pod->error, "%s", text + 6);
	} else if ((strncmp(text, "EVENT ", 6) == 0 || strncmp(text, "SUMMARY ", 8) == 0) && sp &&
		   (j = cJSON_Parse(sp + 1))) {
		size_t *kept = text[0] == 'E' ? &pod->n_events : &pod->n_summaries;

		if (text[0] == 'E')
			blocked_log_event(&pod->blog, j);
		if (*kept >= POD_MAX_RECORDS) {
			cJSON_Delete(j);
			return;
		}
		(*kept)++;
		cJSON_AddStringToObject(j, "record", text[0] == 'E' ? "event" : "summary");
		cJSON_AddItemToArray(pod->records, j);
	}
}

static void on_stream(void *ctx, int stream, const char *data, size_t len)
{
	struct pod *pod = ctx;

	if (stream == 2 || stream == 3) {
		if (pod->err_tail.len + len > POD_ERR_TAIL)
			buf_consume(&pod->err_tail, pod->err_tail.len + len > POD_ERR_TAIL * 2 ?
				    pod->err_tail.len : pod->err_tail.len / 2);
		if (len > POD_ERR_TAIL) {
			data += len - POD_ERR_TAIL;
			len = POD_ERR_TAIL;
		}
		(void)!buf_append(&pod->err_tail, data, len);
		return;
	}
	if (stream != 1)
		return;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			pod_handle_line(pod, pod->line.data ? pod->line.data : "", pod->line.len);
			buf_reset(&pod->line);
		} else if (pod->line.len < POD_LINE_MAX && buf_append(&pod->line, data + i, 1) < 0) {
			buf_init(&pod->line, POD_LINE_MAX + 1);
		}
	}
}

int pod_drain(struct pod *pod)
{
	char b[16384];

	for (;;) {
		ssize_t r = read(pod->sock, b, sizeof b);

		if (r > 0) {
			mux_feed(&pod->mux, b, (size_t)r);
			continue;
		}
		if (r == 0) {
			pod->eof = true;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		pod->eof = true;
		return -1;
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read until COND or the deadline, the stream's end or a signal. */
static void read_until(struct pod *pod, bool (*cond)(const struct pod *), long timeout_ms,
		       bool stop_on_signal)
{
	long deadline = now_ms() + timeout_ms;

	while (!cond(pod) && !pod->eof) {
		struct pollfd pf[2] = { { .fd = pod->sock, .events = POLLIN },
					{ .fd = sig_fd(), .events = POLLIN } };
		long left = deadline - now_ms();

		if (left <= 0 || (stop_on_signal && sig_terminating()))
			return;
		if (poll(pf, 2, (int)left) < 0 && errno != EINTR)
			return;
		if (pf[1].revents)
			sig_drain();
		if (pf[0].revents)
			pod_drain(pod);
	}
}

static bool is_decided(const struct pod *pod)
{
	return pod->ready || pod->failed;
}

static bool never(const struct pod *pod)
{
	(void)pod;
	return false;
}

void pod_init(struct pod *pod)
{
	memset(pod, 0, sizeof *pod);
	pod->sock = -1;
	pod->records = cJSON_CreateArray();
	buf_init(&pod->line, POD_LINE_MAX + 1);
	buf_init(&pod->err_tail, POD_ERR_TAIL * 2 + 1);
	mux_init(&pod->mux, on_stream, pod);
}

int pod_open_blocked_log(struct pod *pod, const char *path, const char *sandbox_id,
			 struct cs_err *err)
{
	return blocked_log_open(&pod->blog, path, sandbox_id, err);
}

int pod_create(struct pod *pod, struct docker *d, const struct sandbox_plan *p,
	       const struct runner_identity *id, struct cs_err *err)
{
	cleanup_json cJSON *body = pod_create_body(p, id, err);
	long st;

	if (!body)
		return -1;
	pod_owner_name(p, id, pod->owner_name, sizeof pod->owner_name);
	st = ctr_create(d, pod->owner_name, body, pod->owner_id, sizeof pod->owner_id, err);
	if (st == 201)
		return 0;
	if (st >= 400 && p->network)
		cs_hint(err, "check that the Docker network '%s' exists (--network)", p->network);
	return cs_wrap(err, "creating the sandbox's network owner");
}

int pod_attach(struct pod *pod, struct docker *d, struct cs_err *err)
{
	cleanup_buf struct buf early;
	char path[400], tail[128];

	buf_init(&early, 1u << 16);
	ctr_attach_tail(tail, sizeof tail, false, false);
	if (ctr_path(path, sizeof path, pod->owner_id, tail) < 0)
		return cs_fail(err, ENAMETOOLONG, "container id");
	pod->sock = docker_hijack(d, path, NULL, &early, err);
	if (pod->sock < 0)
		return cs_wrap(err, "attaching to the sandbox's network owner");
	fcntl(pod->sock, F_SETFL, fcntl(pod->sock, F_GETFL) | O_NONBLOCK);
	if (early.len)
		mux_feed(&pod->mux, early.data, early.len);
	return 0;
}

/* Why the owner never said READY, for the error message. */
static void not_ready(const struct pod *pod, struct cs_err *err)
{
	char tail[600] = "";

	if (pod->err_tail.len) {
		const char *t = pod->err_tail.data;
		size_t n = pod->err_tail.len;

		if (n > 500) {
			t += n - 500;
			n = 500;
		}
		snprintf(tail, sizeof tail, ": %.*s", (int)n, t);
		for (char *c = tail; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
	}
	cs_fail(err, 0, "the sandbox's firewall %s before it was ready%s",
		pod->eof ? "exited" : "did not answer", tail);
}

int pod_start(struct pod *pod, struct docker *d, const struct sandbox_plan *p, struct cs_err *err)
{
	if (ctr_start(d, pod->owner_id, err) < 0) {
		if (p->publish.n)
			cs_hint(err, "is a published host port (--publish) already in use?");
		return cs_wrap(err, "starting the sandbox's network owner");
	}
	read_until(pod, is_decided, POD_READY_TIMEOUT_MS, true);
	if (pod->ready)
		return 0;
	if (sig_terminating())
		return cs_fail(err, EINTR, "interrupted while the firewall started");
	if (pod->failed) {
		cs_fail(err, 0, "the sandbox's firewall failed to start: %s", pod->error);
		return cs_hint(err, "nothing was started (fail closed); 'codex-sandbox doctor' checks nftables support");
	}
	not_ready(pod, err);
	return cs_hint(err, "nothing was started (fail closed); run 'codex-sandbox doctor'");
}

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The first-bytes check's records (REQUIREMENTS R5.20): a flow to an
 * opened address that named another site (or none), QUIC to a learned
 * address, refusals the firewall could not count. */
static int flow_summary_line(const cJSON *r, const char *type, long count, struct buf *out)
{
	const char *name = str_of(r, "name"), *addr = str_of(r, "addr"), *why = str_of(r, "reason");
	const char *fix;
	long port = (long)num_of(r, "port");

	if (strcmp(type, "flow-overflow") == 0)
		return buf_printf(out, "  (more connections were refused than counted: %.0f)\n",
				  num_of(r, "refusals_uncounted"));
	if (!addr)
		addr = "?";
	if (strcmp(type, "quic-refused") == 0)
		return buf_printf(out, "  blocked: QUIC (udp/443) to %s%s%s \xc3\x97%ld \xe2\x80\x94 clients "
				  "fall back to TCP, where the name is checked\n", addr,
				  name ? " via " : "", name ? name : "", count);
	/* Named but refused: either the name is not on the list, or it never
	 * resolved to this address (a shared edge asked for another site). */
	fix = name ? blocked_allow_for(type, name, NULL) : NULL;
	return buf_printf(out, "  blocked: %s port %ld/tcp (%s) \xc3\x97%ld \xe2\x80\x94 %s%s\n", addr,
			  port, why ? why : "first bytes refused", count,
			  fix ? "add with --allow " : name ? "the name it gave is no host name" :
			  "a connection must name its site (SNI or Host)", fix ? fix : "");
}

int pod_summary_text(const cJSON *records, struct buf *out)
{
	const cJSON *r;
	int lines = 0;

	cJSON_ArrayForEach(r, records) {
		const char *rec = str_of(r, "record"), *type = str_of(r, "type");
		const char *name = str_of(r, "name"), *addr = str_of(r, "addr");
		const char *proto = str_of(r, "proto");
		long count = (long)num_of(r, "count"), port = (long)num_of(r, "port");
		/* never a name the agent chose that is no valid entry */
		const char *fix = blocked_allow_for(type, name, addr);
		char what[400];

		if (!rec || strcmp(rec, "summary") != 0 || !type)
			continue;
		if (strcmp(type, "overflow") == 0) {
			/* The firewall's tables filled up: the list above is
			 * not everything that was blocked. */
			if (buf_printf(out, "  (more was blocked than recorded: %.0f records dropped)\n",
				       num_of(r, "dropped")) < 0)
				return lines;
			lines++;
			continue;
		}
		if (count < 1)
			count = 1;
		if (strcmp(type, "flow-refused") == 0 || strcmp(type, "quic-refused") == 0 ||
		    strcmp(type, "flow-overflow") == 0) {
			if (flow_summary_line(r, type, count, out) < 0)
				return lines;
		} else if (strcmp(type, "conn") == 0 && addr) {
			if (name)
				snprintf(what, sizeof what, "%s port %ld/%s (via %s)", addr, port,
					 proto ? proto : "?", name);
			else
				snprintf(what, sizeof what, "%s port %ld/%s", addr, port, proto ? proto : "?");
			if (buf_printf(out, "  blocked: %s \xc3\x97%ld \xe2\x80\x94 %s%s\n", what, count,
				       fix ? "add with --allow " : "not a host name: cannot be allowed",
				       fix ? fix : "") < 0)
				return lines;
		} else if (name && strcmp(type, "dns-upstream-failed") == 0) {
			/* Not a block: the name was allowed, the resolver failed. */
			if (buf_printf(out, "  upstream resolver failed for %s \xc3\x97%ld (allowed; check --dns)\n",
				       name, count) < 0)
				return lines;
		} else if (name && strcmp(type, "dns-rebind") == 0) {
			/* The name is allowed; its answer pointed into a guarded
			 * range, which only an explicit address entry opens. */
			if (buf_printf(out, "  blocked: %s \xe2\x86\x92 %s (private or local address) \xc3\x97%ld"
				       " \xe2\x80\x94 add with --allow %s if intended\n",
				       name, addr ? addr : "?", count, addr ? addr : "ADDRESS") < 0)
				return lines;
		} else if (name && strcmp(type, "dns-refused") == 0) {
			if (buf_printf(out, "  blocked: %s \xc3\x97%ld \xe2\x80\x94 %s%s\n", name, count,
				       fix ? "add with --allow " : "not a host name: cannot be allowed",
				       fix ? fix : "") < 0)
				return lines;
		} else {
			continue;
		}
		lines++;
	}
	return lines;
}

/* --log-blocked: one JSON record a line.  The name is guessable and may sit
 * in the project the sandbox writes: atomic.h creates the temporary afresh,
 * never through a link or a FIFO planted there, and replaces only the
 * name's own directory entry. */
static void write_log(const cJSON *records, const char *path)
{
	cleanup_atomic struct atomic_file f = { .fd = -1, .dirfd = -1 };
	struct atomic_opts o = { .mode = 0644 };
	struct cs_err e = { 0 };
	const cJSON *r;

	if (atomic_begin_path(&f, path, &e) < 0)
		goto fail;
	cJSON_ArrayForEach(r, records) {
		cleanup_free char *line = cJSON_PrintUnformatted(r);

		if (line && (fd_write_all(f.fd, line, strlen(line)) < 0 || fd_write_all(f.fd, "\n", 1) < 0)) {
			cs_fail(&e, errno, "writing %s", path);
			goto fail;
		}
	}
	if (atomic_commit(&f, &o, &e) == 0)
		return;
fail:
	cs_wrap(&e, "cannot write --log-blocked %s", path);
	cs_err_print(&e, "codex-sandbox");
}

void pod_ask_summary(struct pod *pod, struct docker *d)
{
	enum sig_abort saved_abort;
	struct cs_err e = { 0 };
	char path[200];

	if (!pod->owner_id[0] || !pod->ready || pod->eof || pod->sock < 0)
		return;
	saved_abort = sig_swap_abort(SIG_ABORT_NEVER);
	/* SIGTERM: the firewall prints its SUMMARY lines and exits. */
	if (ctr_path(path, sizeof path, pod->owner_id, CTR_KILL_TERM) == 0)
		docker_call(d, "POST", path, NULL, NULL, &e);
	read_until(pod, never, POD_STOP_TIMEOUT_MS, false);
	sig_swap_abort(saved_abort);
}

void pod_finish(struct pod *pod, struct docker *d, const struct sandbox_plan *p)
{
	if (pod->owner_id[0]) {
		ctr_remove(d, pod->owner_id, false);
		pod->owner_id[0] = '\0';
	}
	if (pod->sock >= 0)
		close(pod->sock);
	pod->sock = -1;
	if (pod->records && pod->ready) {
		cleanup_buf struct buf text;

		buf_init(&text, 1u << 20);
		if (pod_summary_text(pod->records, &text) > 0)
			fprintf(stderr, "codex-sandbox: network summary:\n%s", text.data);
		if (p->log_blocked)
			write_log(pod->records, p->log_blocked);
	}
	blocked_log_close(&pod->blog);
	cJSON_Delete(pod->records);
	pod->records = NULL;
	buf_free(&pod->line);
	buf_free(&pod->err_tail);
}
