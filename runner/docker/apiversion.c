#include "runner/docker/apiversion.h"

#include <stdio.h>

static int parse_part(const char **s, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	while (**s >= '0' && **s <= '9') {
		if (++n > 4)
			return -1;
		v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
}

int apiv_parse(const char *s, struct api_version *v)
{
	struct api_version r;

	if (!s || parse_part(&s, &r.major) < 0 || *s++ != '.' || parse_part(&s, &r.minor) < 0 || *s)
		return -1;
	*v = r;
	return 0;
}

int apiv_cmp(struct api_version a, struct api_version b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	return 0;
}

bool apiv_at_least(struct api_version v, struct api_version want)
{
	return apiv_cmp(v, want) >= 0;
}

void apiv_format(struct api_version v, char *out, size_t outsz)
{
	snprintf(out, outsz, "%u.%u", v.major, v.minor);
}

static int pinned_version(const char *pinned, struct api_version emin, struct api_version emax,
			  struct api_version *out, struct cs_err *err)
{
	char lo[APIV_TEXT_MAX], hi[APIV_TEXT_MAX];
	struct api_version v;

	if (apiv_parse(pinned, &v) < 0) {
		cs_fail(err, 0, "DOCKER_API_VERSION=%.40s is not an API version", pinned);
		return cs_hint(err, "set it to a version like 1.44, or unset it to negotiate");
	}
	if (apiv_cmp(v, APIV_OURS_MIN) < 0 || apiv_cmp(v, APIV_OURS_MAX) > 0) {
		apiv_format(APIV_OURS_MIN, lo, sizeof lo);
		apiv_format(APIV_OURS_MAX, hi, sizeof hi);
		cs_fail(err, 0, "DOCKER_API_VERSION=%s is outside the API versions codex-sandbox "
			"speaks (%s to %s)", pinned, lo, hi);
		return cs_hint(err, "unset DOCKER_API_VERSION to negotiate, or set one from %s to %s",
			       lo, hi);
	}
	if (apiv_cmp(v, emin) < 0 || apiv_cmp(v, emax) > 0) {
		apiv_format(emin, lo, sizeof lo);
		apiv_format(emax, hi, sizeof hi);
		cs_fail(err, 0, "DOCKER_API_VERSION=%s: the engine speaks API %s to %s", pinned, lo, hi);
		/* What both sides speak (our range is inside it here). */
		apiv_format(apiv_cmp(emin, APIV_OURS_MIN) > 0 ? emin : APIV_OURS_MIN, lo, sizeof lo);
		apiv_format(apiv_cmp(emax, APIV_OURS_MAX) < 0 ? emax : APIV_OURS_MAX, hi, sizeof hi);
		return cs_hint(err, "unset DOCKER_API_VERSION to negotiate, or set one from %s to %s",
			       lo, hi);
	}
	*out = v;
	return 0;
}

int apiv_negotiate(const char *engine_max, const char *engine_min, const char *pinned,
		   struct api_version *out, struct cs_err *err)
{
	struct api_version emax, emin = { 0, 0 }, lo, hi;
	char a[APIV_TEXT_MAX], b[APIV_TEXT_MAX];

	if (apiv_parse(engine_max, &emax) < 0)
		return cs_fail(err, 0, "the engine reports API version '%.40s', which is not a version",
			       engine_max ? engine_max : "");
	if (engine_min && *engine_min && apiv_parse(engine_min, &emin) < 0)
		return cs_fail(err, 0, "the engine reports minimum API version '%.40s', which is not "
			       "a version", engine_min);
	if (apiv_cmp(emin, emax) > 0)
		return cs_fail(err, 0, "the engine reports API versions %s to %s, an empty range",
			       engine_min, engine_max);
	if (pinned && *pinned)
		return pinned_version(pinned, emin, emax, out, err);
	hi = apiv_cmp(emax, APIV_OURS_MAX) < 0 ? emax : APIV_OURS_MAX;
	lo = apiv_cmp(emin, APIV_OURS_MIN) > 0 ? emin : APIV_OURS_MIN;
	if (apiv_cmp(hi, lo) < 0) {
		if (apiv_cmp(emax, APIV_OURS_MIN) < 0) {
			apiv_format(APIV_OURS_MIN, a, sizeof a);
			cs_fail(err, 0, "the Docker engine speaks API up to %s; codex-sandbox needs %s "
				"or later", engine_max, a);
			return cs_hint(err, "upgrade Docker to 20.10 or later");
		}
		apiv_format(APIV_OURS_MAX, b, sizeof b);
		cs_fail(err, 0, "the Docker engine needs API %s or later; this codex-sandbox speaks up "
			"to %s", engine_min, b);
		return cs_hint(err, "upgrade codex-sandbox");
	}
	*out = hi;
	return 0;
}
