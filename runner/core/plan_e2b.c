/* The E2B part of the planning phase (plan_e2b.h). */
#include "runner/core/plan_e2b.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/env.h"
#include "common/util.h"

long long plan_parse_size(const char *s)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (1ull << 50))
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	switch (toupper((unsigned char)*p)) {
	case '\0': break;
	case 'K': mul = 1ull << 10; p++; break;
	case 'M': mul = 1ull << 20; p++; break;
	case 'G': mul = 1ull << 30; p++; break;
	case 'T': mul = 1ull << 40; p++; break;
	default: return -1;
	}
	if (mul > 1 && (*p == 'i' || *p == 'I'))
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p || v > (1ull << 62) / mul)
		return -1;
	return (long long)(v * mul);
}

static int knob_int(const char *name, int def, int lo, int hi, int *out, struct cs_err *err)
{
	const char *v = cs_getenv(name);
	char *end;
	long x;

	*out = def;
	if (!v || !*v)
		return 0;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi) {
		cs_fail(err, 0, "invalid %s='%s'", name, v);
		return cs_hint(err, "give a whole number of seconds from %d to %d", lo, hi);
	}
	*out = (int)x;
	return 0;
}

int plan_e2b_knobs(struct plan_e2b *k, struct cs_err *err)
{
	const char *lim = cs_getenv("CODEX_SANDBOX_E2B_SYNC_LIMIT"), *show;

	if (knob_int("CODEX_SANDBOX_E2B_TIMEOUT", 900, 1, 86400, &k->ttl, err) < 0 ||
	    knob_int("CODEX_SANDBOX_E2B_KEEPALIVE", 20, 1, 600, &k->keepalive, err) < 0 ||
	    knob_int("CODEX_SANDBOX_E2B_SYNC_TIMEOUT", 1800, 1, 86400, &k->sync_secs, err) < 0)
		return -1;
	show = cs_getenv("CODEX_SANDBOX_E2B_SHOW_URL");
	k->show_url = show && strcmp(show, "1") == 0;
	k->limit = PLAN_E2B_DEFAULT_LIMIT;
	if (lim && *lim) {
		long long v = plan_parse_size(lim);

		if (v < 0) {
			cs_fail(err, 0, "invalid CODEX_SANDBOX_E2B_SYNC_LIMIT='%s'", lim);
			return cs_hint(err, "give a size in bytes, optionally with K, M or G (e.g. 2G)");
		}
		k->limit = (uint64_t)v;
	}
	/* A kept sandbox waits an hour for `attach` (E2B's hobby plans end
	 * sessions at 1 h anyway), or longer when the user asked for more. */
	k->keep_ttl = k->ttl > 3600 ? k->ttl : 3600;
	return 0;
}

/* ---- the client's settings -------------------------------------------------- */

static char *env_or_null(const char *name)
{
	const char *v = cs_getenv(name);

	return v && *v ? strdup(v) : NULL;
}

static void trim_slash(char *s)
{
	size_t n = s ? strlen(s) : 0;

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

static int check_url(const char *name, const char *url, struct cs_err *err)
{
	if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		cs_fail(err, 0, "%s='%s' is not an http:// or https:// URL", name, url);
		return cs_hint(err, "set %s to the E2B endpoint (or unset it for E2B's cloud)", name);
	}
	return 0;
}

int e2b_cfg_load(struct e2b_cfg *c, struct cs_err *err)
{
	const char *dbg = cs_getenv("E2B_DEBUG");

	memset(c, 0, sizeof *c);
	c->api_key = env_or_null("E2B_API_KEY");
	c->domain = env_or_null("E2B_DOMAIN");
	if (!c->domain)
		c->domain = strdup(E2B_DEFAULT_DOMAIN);
	c->debug = dbg && strcasecmp(dbg, "true") == 0;
	c->api_url = env_or_null("E2B_API_URL");
	if (!c->api_url && c->domain) {
		if (c->debug)
			c->api_url = strdup("http://localhost:3000");
		else if (asprintf(&c->api_url, "https://api.%s", c->domain) < 0)
			c->api_url = NULL;
	}
	c->sandbox_url = env_or_null("E2B_SANDBOX_URL");
	if (!c->sandbox_url && c->debug)
		c->sandbox_url = strdup("http://localhost:49983");
	if (!c->domain || !c->api_url)
		return cs_fail(err, ENOMEM, "out of memory");
	trim_slash(c->api_url);
	trim_slash(c->sandbox_url);
	if (check_url("E2B_API_URL", c->api_url, err) < 0 ||
	    check_url("E2B_SANDBOX_URL", c->sandbox_url, err) < 0)
		return -1;
	return 0;
}

void e2b_cfg_free(struct e2b_cfg *c)
{
	free(c->api_key);
	free(c->domain);
	free(c->api_url);
	free(c->sandbox_url);
	memset(c, 0, sizeof *c);
}

void plan_e2b_free(struct plan_e2b *e)
{
	e2b_cfg_free(&e->cfg);
	e2b_egress_free(&e->eg);
	strv_free(&e->notes);
}

cJSON *plan_e2b_json(const struct plan_e2b *e)
{
	cJSON *x = cJSON_CreateObject(), *o;

	if (!x)
		return NULL;
	cJSON_AddStringToObject(x, "api_url", e->cfg.api_url ? e->cfg.api_url : "?");
	if (e->cfg.sandbox_url)
		cJSON_AddStringToObject(x, "sandbox_url", e->cfg.sandbox_url);
	cJSON_AddStringToObject(x, "domain", e->cfg.domain ? e->cfg.domain : "?");
	cJSON_AddStringToObject(x, "api_key", e->cfg.api_key ? "(hidden)"
				: "(not set: E2B_API_KEY is required)");
	o = cJSON_AddObjectToObject(x, "egress");
	strv_add_json(o, "allowOut", &e->eg.allow_out);
	strv_add_json(o, "denyOut", &e->eg.deny_out);
	strv_add_json(o, "weaker_than_local", &e->eg.weaker);
	strv_add_json(o, "narrower_than_local", &e->eg.narrower);
	strv_add_json(x, "notes", &e->notes);
	o = cJSON_AddObjectToObject(x, "timeouts");
	cJSON_AddNumberToObject(o, "sandbox_s", e->ttl);
	cJSON_AddNumberToObject(o, "keepalive_s", e->keepalive);
	cJSON_AddNumberToObject(o, "kept_s", e->keep_ttl);
	cJSON_AddNumberToObject(o, "sync_back_s", e->sync_secs);
	cJSON_AddNumberToObject(x, "sync_limit_bytes", (double)e->limit);
	cJSON_AddBoolToObject(x, "show_publish_url", e->show_url);
	return x;
}
