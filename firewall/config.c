#include "firewall/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void fw_config_defaults(struct fw_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	allowlist_init(&cfg->al);
	guard_init(&cfg->guard);
	cfg->dns_uid = cfg->dns_gid = 65353;
	cfg->min_ttl = 60;
	cfg->max_ttl = 86400;
	cfg->grace = 60;
	cfg->max_addrs = 32;
	cfg->set_size = 65536;
	cfg->flow_check = true;
	cfg->listen.family = AF_INET;
	cfg->listen.addr[0] = 127;
	cfg->listen.addr[3] = 1;
	cfg->listen.port = 53;
}

int fw_parse_hostport(const char *s, uint16_t defport, const char *what, struct fw_upstream *out,
		      struct cs_err *err)
{
	char host[64];
	const char *hash = strchr(s, '#');
	size_t hl = hash ? (size_t)(hash - s) : strlen(s);
	long port = defport;

	memset(out, 0, sizeof *out);
	if (hl == 0 || hl >= sizeof host)
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		if (out->addr[0] == 0 || out->addr[0] >= 224)
			goto bad;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		static const uint8_t zero[16];

		out->family = AF_INET6;
		if (memcmp(out->addr, zero, 16) == 0 || out->addr[0] == 0xff)
			goto bad;
	} else {
		goto bad;
	}
	if (hash) {
		char *end;

		errno = 0;
		port = strtol(hash + 1, &end, 10);
		if (!hash[1] || *end || errno || port < 1 || port > 65535)
			goto bad;
	}
	out->port = (uint16_t)port;
	return 0;
bad:
	cs_fail(err, 0, "invalid %s '%.80s'", what, s);
	return cs_hint(err, "give an IP address, optionally with #PORT (192.0.2.53, 2001:db8::53#5353)");
}

int fw_parse_guard_host(const char *s, struct fw_config *cfg, struct cs_err *err)
{
	unsigned char a[16] = { 0 };
	int family = inet_pton(AF_INET, s, a) == 1 ? AF_INET : inet_pton(AF_INET6, s, a) == 1 ? AF_INET6 : 0;

	if (!family) {
		cs_fail(err, 0, "invalid --guard-host '%.80s'", s);
		return cs_hint(err, "give one IPv4 or IPv6 address of the host");
	}
	if (guard_add_host(&cfg->guard, family, a) < 0) {
		cs_fail(err, 0, "more than %d --guard-host addresses of one family", GUARD_MAX_HOST);
		return cs_hint(err, "the rebinding guard cannot hold them all; nothing was started");
	}
	return 0;
}

size_t fw_parse_resolv(const char *text, const struct fw_upstream *listen, struct fw_upstream *out,
		       size_t max)
{
	size_t n = 0;

	for (const char *l = text; l && *l && n < max; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char word[16], addr[64];
		struct cs_err tmp = { 0 };
		struct fw_upstream u;

		if (sscanf(l, "%15s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0)
			continue;
		if (strchr(addr, '%') || fw_parse_hostport(addr, 53, "nameserver", &u, &tmp) < 0)
			continue;
		if (u.family == listen->family && memcmp(u.addr, listen->addr, 16) == 0 &&
		    u.port == listen->port)
			continue;       /* that is us: forwarding there would loop */
		out[n++] = u;
	}
	return n;
}

void fw_upstream_format(const struct fw_upstream *u, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(u->family, u->addr, a, sizeof a);
	if (u->port == 53)
		snprintf(out, outsz, "%s", a);
	else
		snprintf(out, outsz, "%s#%u", a, u->port);
}

int fw_parse_sandbox_id(const char *s, struct fw_config *cfg, struct cs_err *err)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof cfg->sandbox_id || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n) {
		cs_fail(err, 0, "invalid --sandbox-id '%.80s'", s);
		return cs_hint(err, "give 1 to %zu letters, digits, '_', '.' or '-'",
			       sizeof cfg->sandbox_id - 1);
	}
	memcpy(cfg->sandbox_id, s, n + 1);
	return 0;
}
