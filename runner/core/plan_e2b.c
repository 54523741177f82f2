/* The E2B part of the planning phase (plan_e2b.h). */
#include "runner/core/plan_e2b.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/env.h"
#include "runner/core/plan.h"

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
	const char *lim = cs_getenv("CODEX_SANDBOX_E2B_SYNC_LIMIT");

	if (knob_int("CODEX_SANDBOX_E2B_TIMEOUT", 900, 1, 86400, &k->ttl, err) < 0 ||
	    knob_int("CODEX_SANDBOX_E2B_KEEPALIVE", 20, 1, 600, &k->keepalive, err) < 0 ||
	    knob_int("CODEX_SANDBOX_E2B_SYNC_TIMEOUT", 1800, 1, 86400, &k->sync_secs, err) < 0)
		return -1;
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

int plan_e2b(const struct cs_opts *o, struct sandbox_plan *p, struct cs_err *err)
{
	(void)o;
	return plan_e2b_knobs(&p->e2b, err);
}

void plan_e2b_free(struct plan_e2b *e)
{
	(void)e;
}
