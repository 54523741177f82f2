/* The network side of the plan (plan_network.h). */
#include "runner/core/plan_network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/env.h"
#include "common/fdio.h"
#include "common/util.h"
#include "runner/core/plan_paths.h"
#include "runner/core/plan_saved.h"

#define RESOLV_CONF_MAX 65536

/* One "nameserver ADDR" line's address, if usable from a container. */
static bool usable_nameserver(const char *line, char *addr, size_t addrsz)
{
	unsigned char bin[16];
	char a[64];

	if (sscanf(line, " nameserver %63s", a) != 1 || strchr(a, '%'))
		return false;   /* '%': a scoped IPv6 address */
	snprintf(addr, addrsz, "%s", a);
	if (inet_pton(AF_INET, a, bin) == 1)
		return bin[0] != 127;
	return inet_pton(AF_INET6, a, bin) == 1 && !IN6_IS_ADDR_LOOPBACK((struct in6_addr *)bin) &&
	       !IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)bin);
}

int resolv_conf_nameservers(const char *text, struct strv *out)
{
	int added = 0;

	while (text && *text) {
		const char *eol = strchr(text, '\n');
		size_t len = eol ? (size_t)(eol - text) : strlen(text);
		char line[256], addr[64];

		if (len < sizeof line && out->n < 3) {
			memcpy(line, text, len);
			line[len] = '\0';
			if (usable_nameserver(line, addr, sizeof addr)) {
				if (strv_push(out, addr) < 0)
					return -1;
				added++;
			}
		}
		text = eol ? eol + 1 : text + len;
	}
	return added;
}

/* The host's resolv.conf: a system file, often a link to the resolver's
 * own (followed), but a regular file and bounded -- a bigger one is read
 * as none, never cut short. */
static char *read_resolv_conf(const char *path)
{
	char *text = NULL;

	return read_system_file(path, RESOLV_CONF_MAX, &text, NULL) < 0 ? NULL : text;
}

/* The DNS filter's upstream: --dns, else the host's resolvers (a
 * systemd-resolved stub is looked through), else what Docker gives the
 * owner container. */
static int plan_upstreams(struct sandbox_plan *p, struct cs_err *err)
{
	static const char *const files[] = { "/etc/resolv.conf", "/run/systemd/resolve/resolv.conf" };

	if (p->dns && strcmp(p->dns, "127.0.0.11") == 0) {
		/* Docker's embedded resolver: container names of a user-defined
		 * network, filtered like any other name. */
		if (!p->network || strcmp(p->network, "bridge") == 0) {
			cs_fail(err, 0, "--dns 127.0.0.11 (Docker's embedded resolver) exists only on "
				"user-defined networks");
			return cs_hint(err, "add --network NAME, or give another resolver");
		}
		p->upstream_docker_dns = true;
	}
	if (p->dns)
		return strv_push(&p->upstreams, p->dns) < 0 ? cs_fail(err, ENOMEM, "out of memory") : 0;
	for (size_t i = 0; i < ARRAY_SIZE(files) && p->upstreams.n == 0; i++) {
		cleanup_free char *text = read_resolv_conf(files[i]);

		if (text && resolv_conf_nameservers(text, &p->upstreams) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
	/* None usable: the owner reads the resolv.conf Docker generated for
	 * it.  On a user-defined network that is Docker's embedded resolver
	 * (127.0.0.11), which forwards from inside the namespace as root. */
	p->upstream_docker_dns = p->upstreams.n == 0 && p->network && strcmp(p->network, "bridge") != 0;
	return 0;
}

static int plan_allowlist(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	const char *extra = cs_getenv("OPENAI_ALLOWED_DOMAINS");
	cleanup_buf struct buf b;

	buf_init(&b, 1u << 20);
	allowlist_init(&p->allow);
	if (allowlist_add_defaults(&p->allow) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (extra && allowlist_add_text(&p->allow, extra, "OPENAI_ALLOWED_DOMAINS", err) < 0)
		return -1;
	for (size_t i = 0; i < o->allow.n; i++)
		if (allowlist_add_text(&p->allow, o->allow.v[i], "--allow", err) < 0)
			return -1;
	if (plan_saved(p, err) < 0)     /* allow --save, in the user's own config */
		return -1;
	for (size_t i = 0; i < p->allow.n; i++) {
		char e[300];

		allow_entry_format(&p->allow.v[i], e, sizeof e);
		if (buf_printf(&b, "%s\n", e) < 0)
			return cs_fail(err, errno, "allowlist too large");
	}
	p->allow_text = b.data ? buf_steal(&b) : strdup("");
	return p->allow_text ? 0 : cs_fail(err, ENOMEM, "out of memory");
}

static int plan_dns(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	const char *mt = cs_getenv("CODEX_SANDBOX_DNS_MIN_TTL");

	if (o->dns) {
		unsigned char a[16];

		if (inet_pton(AF_INET, o->dns, a) != 1 && inet_pton(AF_INET6, o->dns, a) != 1) {
			cs_fail(err, 0, "invalid --dns '%s'", o->dns);
			return cs_hint(err, "give the resolver's IP address, e.g. --dns 192.0.2.53");
		}
		p->dns = strdup(o->dns);
	}
	if (o->network)
		p->network = strdup(o->network);
	if ((o->dns && !p->dns) || (o->network && !p->network))
		return cs_fail(err, ENOMEM, "out of memory");
	if (plan_upstreams(p, err) < 0)
		return -1;
	p->dns_min_ttl = -1;
	if (mt && *mt) {
		char *end;
		long v = strtol(mt, &end, 10);

		if (*end || v < 0 || v > 86400) {
			cs_fail(err, 0, "invalid CODEX_SANDBOX_DNS_MIN_TTL '%s'", mt);
			return cs_hint(err, "give seconds from 0 to 86400");
		}
		p->dns_min_ttl = (int)v;
	}
	return 0;
}

/* --publish PORT[:HOSTPORT], kept as "PORT:HOSTPORT". */
static int plan_publish(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	for (size_t i = 0; i < o->publish.n; i++) {
		const char *s = o->publish.v[i];
		char *end, norm[32];
		unsigned long port, host;

		errno = 0;
		port = strtoul(s, &end, 10);
		host = port;
		if (end != s && *end == ':') {
			const char *h = end + 1;

			host = strtoul(h, &end, 10);
			if (end == h)
				host = 0;
		}
		if (errno || *end || port < 1 || port > 65535 || host < 1 || host > 65535) {
			cs_fail(err, 0, "invalid --publish '%s'", s);
			return cs_hint(err, "use PORT or PORT:HOSTPORT (1-65535), e.g. --publish 3000:8080");
		}
		snprintf(norm, sizeof norm, "%lu:%lu", port, host);
		if (strv_push(&p->publish, norm) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	}
	return 0;
}

int plan_network(const struct cs_opts *o, const struct plan_env *env,
		 struct sandbox_plan *p, struct cs_err *err)
{
	bool exists;

	if (plan_allowlist(o, p, err) < 0 || plan_dns(o, p, err) < 0 || plan_publish(o, p, err) < 0)
		return -1;
	if (!o->log_blocked)
		return 0;
	/* The runner writes it (as root with sudo): inside the project no
	 * link may redirect it, as for every other path there. */
	p->log_blocked = plan_resolve_user(env, p, o->log_blocked, &exists);
	if (!p->log_blocked) {
		plan_path_fail(err, errno, "--log-blocked", o->log_blocked);
		return cs_hint(err, "its directory must exist; inside the project no component "
			       "may be a symbolic link");
	}
	return 0;
}
