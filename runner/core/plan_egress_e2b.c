#include "runner/core/plan_egress_e2b.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

const char *const e2b_denied_cidrs[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", NULL,
};

#define ALL_TRAFFIC "0.0.0.0/0"

static int parse_cidr4(const char *s, unsigned char net[4], int *prefix)
{
	char ip[32];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof ip)
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	*prefix = atoi(slash + 1);
	return inet_pton(AF_INET, ip, net) == 1 ? 0 : -1;
}

/* Is E (IPv4 or CIDR4) entirely inside one of E2B's denied ranges?  Does
 * it contain one?  Names the range in RANGE. */
static void denied_overlap(const struct allow_entry *e, bool *inside, bool *contains,
			   char *range, size_t rangesz)
{
	*inside = *contains = false;
	for (int i = 0; e2b_denied_cidrs[i]; i++) {
		unsigned char net[4];
		int prefix;

		if (parse_cidr4(e2b_denied_cidrs[i], net, &prefix) < 0)
			continue;
		if (e->prefix >= prefix && addr_in_prefix(AF_INET, e->addr, net, prefix)) {
			*inside = true;
			snprintf(range, rangesz, "%s", e2b_denied_cidrs[i]);
			return;
		}
		if (e->prefix < prefix && addr_in_prefix(AF_INET, net, e->addr, e->prefix)) {
			*contains = true;
			snprintf(range, rangesz, "%s", e2b_denied_cidrs[i]);
		}
	}
}

static int push(struct strv *s, const char *text, struct cs_err *err)
{
	if (strv_push(s, text) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

int e2b_egress_map(const struct allowlist *al, bool strict, struct e2b_egress *eg,
		   struct cs_err *err)
{
	char text[300], line[700], range[32];

	for (size_t i = 0; i < al->n; i++) {
		const struct allow_entry *e = &al->v[i];
		bool inside, contains;

		allow_entry_format(e, text, sizeof text);
		switch (e->kind) {
		case ALLOW_HOST:
		case ALLOW_WILDCARD:
			eg->has_domains = true;
			break;
		case ALLOW_IPV6:
		case ALLOW_CIDR6:
			cs_fail(err, 0, "the allowlist entry '%s' cannot be enforced on E2B: its egress "
				"rules are IPv4 only", text);
			return cs_hint(err, "remove '%s' from --allow / OPENAI_ALLOWED_DOMAINS for "
				       "--backend e2b, or run it locally (--backend docker)", text);
		case ALLOW_IPV4:
		case ALLOW_CIDR4:
			denied_overlap(e, &inside, &contains, range, sizeof range);
			if (inside) {
				cs_fail(err, 0, "the allowlist entry '%s' cannot be enforced on E2B: E2B "
					"always blocks %s (private and local addresses), even when "
					"listed", text, range);
				return cs_hint(err, "remove '%s' for --backend e2b, or run it locally "
					       "(--backend docker), where listed private addresses "
					       "are reachable", text);
			}
			if (contains) {
				snprintf(line, sizeof line, "'%s' is allowed except its private/local "
					 "parts (E2B always blocks %s and similar ranges)", text, range);
				if (push(&eg->narrower, line, err) < 0)
					return -1;
			}
			break;
		}
		if (push(&eg->allow_out, text, err) < 0)
			return -1;
	}
	if (push(&eg->deny_out, ALL_TRAFFIC, err) < 0)
		return -1;

	if (eg->has_domains) {
		if (push(&eg->weaker, "DNS is not filtered: with names on the list, E2B opens a "
			 "public resolver (8.8.8.8), so the sandbox can resolve any name and DNS "
			 "queries can carry data out", err) < 0 ||
		    push(&eg->narrower, "allowed names are matched only on the HTTP Host header "
			 "(port 80) and TLS SNI (port 443): other ports and protocols to them "
			 "(SSH, QUIC/HTTP3, ...) are blocked", err) < 0)
			return -1;
	}
	if (push(&eg->weaker, "blocked connections are not reported, and a blocked TCP "
		 "connection may seem to open before it is closed", err) < 0)
		return -1;

	if (strict && eg->weaker.n) {
		struct buf b;

		buf_init(&b, 4096);
		for (size_t i = 0; i < eg->weaker.n; i++)
			if (buf_printf(&b, "%s%s", i ? "; " : "", eg->weaker.v[i]) < 0)
				break;
		cs_fail(err, 0, "--strict-egress: E2B cannot give the local egress guarantee: %s",
			b.data ? b.data : "");
		buf_free(&b);
		return cs_hint(err, "run locally (--backend docker) for the full guarantee, or "
			       "drop --strict-egress to accept E2B's enforcement");
	}
	return 0;
}

void e2b_egress_free(struct e2b_egress *eg)
{
	strv_free(&eg->allow_out);
	strv_free(&eg->deny_out);
	strv_free(&eg->weaker);
	strv_free(&eg->narrower);
	eg->has_domains = false;
}

char *e2b_egress_notice(const struct e2b_egress *eg)
{
	struct buf b;

	if (!eg->weaker.n && !eg->narrower.n)
		return NULL;
	buf_init(&b, 1u << 16);
	if (buf_puts(&b, "codex-sandbox: on E2B the egress allowlist is enforced by E2B, "
		     "not by the local firewall; what differs:\n") < 0)
		return NULL;
	for (size_t i = 0; i < eg->weaker.n; i++)
		if (buf_printf(&b, "  - weaker: %s\n", eg->weaker.v[i]) < 0)
			return NULL;
	for (size_t i = 0; i < eg->narrower.n; i++)
		if (buf_printf(&b, "  - narrower: %s\n", eg->narrower.v[i]) < 0)
			return NULL;
	if (buf_puts(&b, "  (--strict-egress refuses to run instead; --backend docker gives the "
		     "full guarantee)\n") < 0)
		return NULL;
	return buf_steal(&b);
}
