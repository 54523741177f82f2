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
#include "runner/docker/docker.h"
#include "runner/docker/hijack.h"
#include "runner/core/sig.h"
#include "common/util.h"

#define POD_LINE_MAX 8192
#define POD_ERR_TAIL 4096
#define POD_STOP_TIMEOUT_MS 4000

cJSON *pod_owner_body(const struct sandbox_plan *p, const struct runner_identity *id,
		      const char *resolv_conf)
{
	cJSON *b = cJSON_CreateObject(), *hc, *a, *cmd, *ep, *exposed = NULL, *bindings = NULL;

	(void)resolv_conf;
	cJSON_AddStringToObject(b, "Image", p->image);
	/* uid 0 with nothing but CAP_NET_ADMIN (+SETUID/SETGID to drop its
	 * DNS child to an unprivileged uid): Docker gives added capabilities
	 * to root only (docs/DOCKER-NFT-NOTES.md 3.4). */
	cJSON_AddStringToObject(b, "User", "0:0");
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
	{
		char uid[16];

		snprintf(uid, sizeof uid, "%d", FIREWALL_DNS_UID);
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--dns-uid"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(uid));
	}
	cJSON_AddItemToObject(b, "Labels", ctr_labels(p, id, "firewall"));

	hc = cJSON_AddObjectToObject(b, "HostConfig");
	cJSON_AddStringToObject(hc, "NetworkMode", p->network ? p->network : "bridge");
	a = cJSON_AddArrayToObject(hc, "CapDrop");
	cJSON_AddItemToArray(a, cJSON_CreateString("ALL"));
	a = cJSON_AddArrayToObject(hc, "CapAdd");
	cJSON_AddItemToArray(a, cJSON_CreateString("NET_ADMIN"));
	cJSON_AddItemToArray(a, cJSON_CreateString("SETUID"));
	cJSON_AddItemToArray(a, cJSON_CreateString("SETGID"));
	a = cJSON_AddArrayToObject(hc, "SecurityOpt");
	cJSON_AddItemToArray(a, cJSON_CreateString("no-new-privileges"));
	cJSON_AddBoolToObject(hc, "ReadonlyRootfs", true);
	cJSON_AddNumberToObject(hc, "PidsLimit", 16);
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
			cJSON *ms = cJSON_GetObjectItemCaseSensitive(j, "ms");

			if (cJSON_IsNumber(ms))
				pod->ready_ms = ms->valuedouble;
			cJSON_Delete(j);
		}
	} else if (strncmp(text, "ERROR ", 6) == 0) {
		pod->failed = true;
		snprintf(pod->error, sizeof pod->error, "%s", text + 6);
	} else if ((strncmp(text, "EVENT ", 6) == 0 || strncmp(text, "SUMMARY ", 8) == 0) && sp) {
		if (cJSON_GetArraySize(pod->records) < POD_MAX_RECORDS && (j = cJSON_Parse(sp + 1))) {
			cJSON_AddStringToObject(j, "record", text[0] == 'E' ? "event" : "summary");
			cJSON_AddItemToArray(pod->records, j);
		}
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

int pod_start(struct pod *pod, struct docker *d, const struct sandbox_plan *p,
	      const struct runner_identity *id, const struct rundir *rd, struct cs_err *err)
{
	char path[400];
	cJSON *body, *resp = NULL, *cid;
	struct buf early;
	long st;

	(void)rd;
	memset(pod, 0, sizeof *pod);
	pod->sock = -1;
	pod->records = cJSON_CreateArray();
	buf_init(&pod->line, POD_LINE_MAX + 1);
	buf_init(&pod->err_tail, POD_ERR_TAIL * 2 + 1);
	mux_init(&pod->mux, on_stream, pod);
	buf_init(&early, 1u << 16);

	body = pod_owner_body(p, id, NULL);
	if (pod_host_addrs(cJSON_GetObjectItemCaseSensitive(body, "Cmd"), err) < 0) {
		cJSON_Delete(body);
		buf_free(&early);
		return cs_wrap(err, "configuring the sandbox's firewall");
	}
	snprintf(pod->owner_name, sizeof pod->owner_name, "%s-%.8s-fw", p->name_base, id->run_id);
	snprintf(path, sizeof path, "/containers/create?name=%s", pod->owner_name);
	st = docker_call_json(d, "POST", path, body, &resp, err);
	cJSON_Delete(body);
	if (st != 201) {
		cJSON_Delete(resp);
		if (st >= 400 && p->network)
			cs_hint(err, "check that the Docker network '%s' exists (--network)", p->network);
		return cs_wrap(err, "creating the sandbox's network owner");
	}
	cid = cJSON_GetObjectItemCaseSensitive(resp, "Id");
	if (cJSON_IsString(cid))
		snprintf(pod->owner_id, sizeof pod->owner_id, "%s", cid->valuestring);
	cJSON_Delete(resp);
	if (!pod->owner_id[0])
		return cs_fail(err, EPROTO, "creating the network owner: no Id in the answer");

	snprintf(path, sizeof path, "/containers/%s/attach?stream=1&stdin=0&stdout=1&stderr=1",
		 pod->owner_id);
	pod->sock = docker_hijack(d, path, NULL, &early, err);
	if (pod->sock < 0) {
		buf_free(&early);
		return cs_wrap(err, "attaching to the sandbox's network owner");
	}
	fcntl(pod->sock, F_SETFL, fcntl(pod->sock, F_GETFL) | O_NONBLOCK);
	if (early.len)
		mux_feed(&pod->mux, early.data, early.len);
	buf_free(&early);
	snprintf(path, sizeof path, "/containers/%s/start", pod->owner_id);
	st = docker_call_json(d, "POST", path, NULL, NULL, err);
	if (st < 0 || st >= 300) {
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

int pod_summary_text(const cJSON *records, struct buf *out)
{
	const cJSON *r;
	int lines = 0;

	cJSON_ArrayForEach(r, records) {
		const char *rec = str_of(r, "record"), *type = str_of(r, "type");
		const char *name = str_of(r, "name"), *addr = str_of(r, "addr");
		const char *proto = str_of(r, "proto");
		long count = (long)num_of(r, "count"), port = (long)num_of(r, "port");
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
		if (strcmp(type, "conn") == 0 && addr) {
			if (name)
				snprintf(what, sizeof what, "%s port %ld/%s (via %s)", addr, port,
					 proto ? proto : "?", name);
			else
				snprintf(what, sizeof what, "%s port %ld/%s", addr, port, proto ? proto : "?");
			if (buf_printf(out, "  blocked: %s \xc3\x97%ld \xe2\x80\x94 add with --allow %s\n",
				       what, count, name ? name : addr) < 0)
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
			if (buf_printf(out, "  blocked: %s \xc3\x97%ld \xe2\x80\x94 add with --allow %s\n",
				       name, count, name) < 0)
				return lines;
		} else {
			continue;
		}
		lines++;
	}
	return lines;
}

static void write_log(const cJSON *records, const char *path)
{
	char tmp[4200];
	const cJSON *r;
	FILE *f;

	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	/* The name is guessable and may sit in the project the sandbox writes:
	 * create it afresh, never through a link or a FIFO planted there. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "codex-sandbox: cannot write --log-blocked %s: %s\n", path, strerror(errno));
		return;
	}
	cJSON_ArrayForEach(r, records) {
		char *line = cJSON_PrintUnformatted(r);

		if (line) {
			fprintf(f, "%s\n", line);
			free(line);
		}
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "codex-sandbox: cannot write --log-blocked %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
}

void pod_stop(struct pod *pod, struct docker *d, const struct sandbox_plan *p)
{
	char path[200];
	struct cs_err e = { 0 };

	if (pod->owner_id[0]) {
		enum sig_abort saved_abort = sig_swap_abort(SIG_ABORT_NEVER);

		if (pod->ready && !pod->eof && pod->sock >= 0) {
			/* SIGTERM: the firewall prints its SUMMARY lines and exits. */
			snprintf(path, sizeof path, "/containers/%s/kill?signal=SIGTERM", pod->owner_id);
			docker_call(d, "POST", path, NULL, NULL, &e);
			read_until(pod, never, POD_STOP_TIMEOUT_MS, false);
		}
		sig_swap_abort(saved_abort);
		docker_remove_container(d, pod->owner_id, false);
		pod->owner_id[0] = '\0';
	}
	if (pod->sock >= 0)
		close(pod->sock);
	pod->sock = -1;
	if (pod->records && pod->ready) {
		struct buf text;

		buf_init(&text, 1u << 20);
		if (pod_summary_text(pod->records, &text) > 0)
			fprintf(stderr, "codex-sandbox: network summary:\n%s", text.data);
		buf_free(&text);
		if (p->log_blocked)
			write_log(pod->records, p->log_blocked);
	}
	cJSON_Delete(pod->records);
	pod->records = NULL;
	buf_free(&pod->line);
	buf_free(&pod->err_tail);
}
