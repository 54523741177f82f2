#include "firewall/guard.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall/allowlist.h"

struct range {
	unsigned char net[16];
	int prefix;
	const char *why;
};

/* IANA special-purpose registries (RFC 6890 and successors), minus the
 * documentation ranges (see guard.h). */
static const struct range v4_ranges[] = {
	{ {0}, 8, "this-network (0.0.0.0/8)" },
	{ {10}, 8, "private (RFC 1918)" },
	{ {100, 64}, 10, "CGNAT (100.64.0.0/10)" },
	{ {127}, 8, "loopback" },
	{ {168, 63, 129, 16}, 32, "cloud metadata (Azure wire server)" },
	{ {169, 254}, 16, "link-local / cloud metadata" },
	{ {172, 16}, 12, "private (RFC 1918)" },
	{ {192, 0, 0}, 24, "IETF protocol assignments (192.0.0.0/24)" },
	{ {192, 88, 99}, 24, "6to4 relay anycast" },
	{ {192, 168}, 16, "private (RFC 1918)" },
	{ {198, 18}, 15, "benchmarking (198.18.0.0/15)" },
	{ {224}, 4, "multicast" },
	{ {240}, 4, "reserved / broadcast (240.0.0.0/4)" },
};

static const struct range v6_ranges[] = {
	{ {0}, 96, "IPv4-compatible / unspecified / loopback (::/96)" },
	{ {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, "IPv4-mapped (::ffff:0:0/96)" },
	{ {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, "IPv4-translated (::ffff:0:0:0/96)" },
	/* Teredo embeds its server's and (obfuscated) the client's IPv4
	 * address: refused whole rather than decoded. */
	{ {0x20, 0x01, 0, 0}, 32, "Teredo (2001::/32)" },
	{ {0, 0x64, 0xff, 0x9b, 0, 1}, 48, "local-use NAT64 (64:ff9b:1::/48)" },
	{ {0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64, "discard-only (100::/64)" },
	{ {0xfc}, 7, "unique local (fc00::/7)" },
	{ {0xfe, 0x80}, 10, "link-local (fe80::/10)" },
	{ {0xfe, 0xc0}, 10, "site-local (fec0::/10)" },
	{ {0xff}, 8, "multicast (ff00::/8)" },
};

void guard_init(struct guard *g)
{
	memset(g, 0, sizeof *g);
}

void guard_add_gateway(struct guard *g, int family, const unsigned char *addr)
{
	size_t alen = family == AF_INET ? 4 : 16;
	size_t *n = family == AF_INET ? &g->n4 : &g->n6;

	for (size_t i = 0; i < *n; i++)
		if (memcmp(family == AF_INET ? g->gw4[i] : g->gw6[i], addr, alen) == 0)
			return;
	if (*n >= GUARD_MAX_GW)
		return;
	memcpy(family == AF_INET ? g->gw4[*n] : g->gw6[*n], addr, alen);
	(*n)++;
}

int guard_add_host(struct guard *g, int family, const unsigned char *addr)
{
	size_t alen = family == AF_INET ? 4 : 16;
	size_t *n = family == AF_INET ? &g->nh4 : &g->nh6;

	for (size_t i = 0; i < *n; i++)
		if (memcmp(family == AF_INET ? g->host4[i] : g->host6[i], addr, alen) == 0)
			return 0;
	if (*n >= GUARD_MAX_HOST)
		return -1;
	memcpy(family == AF_INET ? g->host4[*n] : g->host6[*n], addr, alen);
	(*n)++;
	return 1;
}

static const char *check4(const struct guard *g, const unsigned char *a)
{
	for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++)
		if (addr_in_prefix(AF_INET, a, v4_ranges[i].net, v4_ranges[i].prefix))
			return v4_ranges[i].why;
	for (size_t i = 0; i < g->n4; i++)
		if (memcmp(g->gw4[i], a, 4) == 0)
			return "gateway of the sandbox network";
	for (size_t i = 0; i < g->nh4; i++)
		if (memcmp(g->host4[i], a, 4) == 0)
			return "an address of the host";
	return NULL;
}

const char *guard_check(const struct guard *g, int family, const unsigned char *addr)
{
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const unsigned char six2four[2] = {0x20, 0x02};

	if (family == AF_INET)
		return check4(g, addr);
	if (family != AF_INET6)
		return "unknown address family";
	for (size_t i = 0; i < sizeof v6_ranges / sizeof v6_ranges[0]; i++)
		if (addr_in_prefix(AF_INET6, addr, v6_ranges[i].net, v6_ranges[i].prefix))
			return v6_ranges[i].why;
	/* Translated forms carry an IPv4 address that a NAT64 or 6to4 relay
	 * would reach: judge the embedded address. */
	if (memcmp(addr, nat64, sizeof nat64) == 0 && check4(g, addr + 12))
		return "NAT64 address of a guarded IPv4 address";
	if (memcmp(addr, six2four, sizeof six2four) == 0 && check4(g, addr + 2))
		return "6to4 address of a guarded IPv4 address";
	for (size_t i = 0; i < g->n6; i++)
		if (memcmp(g->gw6[i], addr, 16) == 0)
			return "gateway of the sandbox network";
	for (size_t i = 0; i < g->nh6; i++)
		if (memcmp(g->host6[i], addr, 16) == 0)
			return "an address of the host";
	return NULL;
}

static int hexbytes(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char b[3] = { s[2 * i], s[2 * i + 1], 0 };
		char *end;

		if (!b[0] || !b[1])
			return -1;
		out[i] = (unsigned char)strtoul(b, &end, 16);
		if (*end)
			return -1;
	}
	return 0;
}

int guard_parse_route4(struct guard *g, const char *text)
{
	int found = 0;

	if (strncmp(text, "Iface", 5) != 0)
		return -1;
	for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		char ifname[32];
		unsigned int dst, gw, flags;

		if (sscanf(line + 1, "%31s %x %x %x", ifname, &dst, &gw, &flags) != 4)
			continue;
		/* RTF_GATEWAY = 0x2; the kernel prints the __be32 as a host u32 */
		if ((flags & 0x2) && gw != 0) {
			uint32_t be = (uint32_t)gw;

			guard_add_gateway(g, AF_INET, (const unsigned char *)&be);
			found++;
		}
	}
	return found;
}

int guard_parse_route6(struct guard *g, const char *text)
{
	int found = 0;
	static const unsigned char zero[16];

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		/* dst(32) plen(2) src(32) plen(2) nexthop(32) ...: nexthop at 72 */
		unsigned char nh[16];

		if (strlen(line) < 104 || line[32] != ' ' || line[71] != ' ')
			continue;
		if (hexbytes(line + 72, nh, 16) < 0)
			continue;
		if (memcmp(nh, zero, 16) != 0) {
			guard_add_gateway(g, AF_INET6, nh);
			found++;
		}
	}
	return found;
}
