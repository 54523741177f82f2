/* Engine API version negotiation: which version codex-sandbox speaks to
 * each engine policy (20.10, 23, 25, 29, a future one), DOCKER_API_VERSION,
 * and the refusals. */
#include "tap.h"

#include "runner/docker/apiversion.h"
#include "runner/docker/docker_api.h"

/* The chosen version as text, or "ERR: <message>". */
static const char *choose(const char *max, const char *min, const char *pinned)
{
	static char out[CS_ERR_MSG_MAX + 8];
	struct cs_err e = { 0 };
	struct api_version v;

	if (apiv_negotiate(max, min, pinned, &v, &e) < 0) {
		snprintf(out, sizeof out, "ERR: %s", e.msg);
		return out;
	}
	apiv_format(v, out, sizeof out);
	return out;
}

static int parses(const char *s)
{
	struct api_version v;

	return apiv_parse(s, &v) == 0;
}

int main(void)
{
	struct api_version v = { 0, 0 };
	struct cs_err e = { 0 };

	plan(37);
	ok(apiv_parse("1.44", &v) == 0 && v.major == 1 && v.minor == 44, "1.44 parses");
	ok(apiv_parse("1.9", &v) == 0 && v.minor == 9, "1.9 parses");
	ok(!parses("1.") && !parses(".4") && !parses("1") && !parses(""), "incomplete versions refused");
	ok(!parses("1.44 ") && !parses("v1.44") && !parses("1.44.1") && !parses("-1.44"),
	   "trailing or leading junk refused");
	ok(!parses("1.99999") && !parses("99999.1"), "over-long parts refused");
	ok(!parses(NULL), "NULL refused");
	ok(apiv_cmp((struct api_version){ 1, 9 }, (struct api_version){ 1, 10 }) < 0,
	   "1.9 < 1.10 (numeric, not text)");
	ok(apiv_cmp((struct api_version){ 2, 0 }, (struct api_version){ 1, 52 }) > 0, "2.0 > 1.52");
	ok(apiv_cmp((struct api_version){ 1, 44 }, (struct api_version){ 1, 44 }) == 0, "equal");
	ok(apiv_at_least((struct api_version){ 1, 42 }, APIV_CONSOLE_SIZE), "1.42 has ConsoleSize");
	ok(!apiv_at_least((struct api_version){ 1, 41 }, APIV_CONSOLE_SIZE), "1.41 has no ConsoleSize");

	/* Negotiation: the newest both support. */
	is_str(choose("1.41", "1.12", NULL), "1.41", "Engine 20.10 (1.12..1.41): 1.41");
	is_str(choose("1.43", "1.12", NULL), "1.43", "Engine 24 (..1.43): 1.43");
	is_str(choose("1.52", "1.44", NULL), "1.52", "Engine 29 (1.44..1.52): 1.52");
	is_str(choose("1.53", "1.44", NULL), "1.52", "a newer engine (..1.53): our newest, 1.52");
	is_str(choose("1.41", NULL, NULL), "1.41", "no MinAPIVersion: the engine's newest");
	is_str(choose("1.41", "", NULL), "1.41", "empty MinAPIVersion: the same");
	ok(strstr(choose("1.40", "1.12", NULL), "ERR: the Docker engine speaks API up to 1.40; "
		  "codex-sandbox needs 1.41 or later") != NULL, "too old an engine refused");
	ok(strstr(choose("1.60", "1.53", NULL), "needs API 1.53 or later; this codex-sandbox speaks "
		  "up to 1.52") != NULL, "an engine that dropped all our versions refused");
	ok(strncmp(choose("1.52", "1.52", NULL), "1.52", 4) == 0, "a one-version engine at our newest");
	ok(strncmp(choose("1.41", "1.41", NULL), "1.41", 4) == 0, "a one-version engine at our oldest");
	ok(strncmp(choose("x", "1.12", NULL), "ERR: ", 5) == 0, "invalid ApiVersion refused");
	ok(strncmp(choose(NULL, "1.12", NULL), "ERR: ", 5) == 0, "missing ApiVersion refused");
	ok(strncmp(choose("1.52", "1.x", NULL), "ERR: ", 5) == 0, "invalid MinAPIVersion refused");
	ok(strncmp(choose("1.44", "1.52", NULL), "ERR: ", 5) == 0, "min above max refused");

	/* DOCKER_API_VERSION pins the version. */
	is_str(choose("1.52", "1.44", "1.45"), "1.45", "DOCKER_API_VERSION=1.45 on Engine 29");
	is_str(choose("1.41", "1.12", ""), "1.41", "an empty DOCKER_API_VERSION negotiates");
	ok(strstr(choose("1.52", "1.44", "1.41"), "DOCKER_API_VERSION=1.41: the engine speaks API "
		  "1.44 to 1.52") != NULL, "pinned below the engine's minimum refused");
	ok(strstr(choose("1.41", "1.12", "1.43"), "the engine speaks API 1.12 to 1.41") != NULL,
	   "pinned above the engine's maximum refused");
	ok(strstr(choose("1.53", "1.12", "1.53"), "outside the API versions codex-sandbox speaks "
		  "(1.41 to 1.52)") != NULL, "pinned above our newest refused");
	ok(strstr(choose("1.52", "1.12", "1.40"), "outside the API versions") != NULL,
	   "pinned below our oldest refused");
	ok(strstr(choose("1.52", "1.12", "latest"), "is not an API version") != NULL,
	   "a pinned non-version refused");
	apiv_negotiate("1.52", "1.44", "1.30", &v, &e);
	ok(e.set && e.status == CS_EXIT_FAIL && e.hint[0], "a refusal exits 125 with a hint");
	cs_err_clear(&e);
	apiv_negotiate("1.41", "1.12", "1.44", &v, &e);
	is_str(e.hint, "unset DOCKER_API_VERSION to negotiate, or set one from 1.41 to 1.41",
	       "the hint names what both sides speak");

	/* Every path carries the chosen version; before the choice, none. */
	{
		struct docker d = { .api_version = "1.52" };
		char out[64], big[100];

		ok(docker_api_path(&d, "/containers/json?all=1", out, sizeof out) == 0 &&
		   strcmp(out, "/v1.52/containers/json?all=1") == 0, "paths carry the chosen version");
		d.api_version[0] = '\0';
		ok(docker_api_path(&d, "/version", out, sizeof out) == 0 && strcmp(out, "/version") == 0,
		   "before the choice: unversioned (/version)");
		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		ok(docker_api_path(&d, big, out, sizeof out) < 0, "a path that does not fit is refused");
	}
	return tap_done();
}
