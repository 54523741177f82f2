/* E2B settings resolved as the official SDK resolves them, envd's URL,
 * E2B's error bodies as one line, the create request. */
#include "tap.h"

#include <stdlib.h>

#include "runner/e2b/e2b_api.h"
#include "runner/e2b/e2b_setup.h"
#include "common/env.h"

static const char *keys[8], *vals[8];
static int nenv;

static const char *fake(const char *name)
{
	for (int i = 0; i < nenv; i++)
		if (strcmp(keys[i], name) == 0)
			return vals[i];
	return NULL;
}

static void env(const char *k, const char *v)
{
	keys[nenv] = k;
	vals[nenv++] = v;
}

static void test_cfg(void)
{
	struct e2b_cfg c;
	struct cs_err e = { 0 };
	char *u;

	env_use(fake);
	nenv = 0;
	ok(e2b_cfg_load(&c, &e) == 0, "no settings at all");
	is_str(c.api_url, "https://api.e2b.app", "API URL defaults to https://api.<domain>");
	ok(c.api_key == NULL && c.sandbox_url == NULL, "no key, envd URL per sandbox");
	u = e2b_envd_url(&c, "iabc", NULL);
	is_str(u, "https://sandbox.e2b.app", "E2B's own domain: the shared sandbox host");
	free(u);
	u = e2b_envd_url(&c, "iabc", "example.dev");
	is_str(u, "https://49983-iabc.example.dev", "another sandbox domain: 49983-<id>.<domain>");
	free(u);
	e2b_cfg_free(&c);

	nenv = 0;
	env("E2B_DOMAIN", "mycloud.io");
	env("E2B_API_KEY", "e2b_1");
	ok(e2b_cfg_load(&c, &e) == 0 && strcmp(c.api_url, "https://api.mycloud.io") == 0,
	   "E2B_DOMAIN picks the API host");
	u = e2b_envd_url(&c, "iabc", NULL);
	is_str(u, "https://49983-iabc.mycloud.io", "... and envd's");
	free(u);
	is_str(c.api_key, "e2b_1", "E2B_API_KEY read");
	e2b_cfg_free(&c);

	nenv = 0;
	env("E2B_DEBUG", "TRUE");
	ok(e2b_cfg_load(&c, &e) == 0 && strcmp(c.api_url, "http://localhost:3000") == 0 &&
	   c.sandbox_url && strcmp(c.sandbox_url, "http://localhost:49983") == 0,
	   "E2B_DEBUG=true (any case): localhost URLs");
	e2b_cfg_free(&c);

	nenv = 0;
	env("E2B_API_URL", "http://127.0.0.1:9/");
	env("E2B_SANDBOX_URL", "http://127.0.0.1:9");
	env("E2B_DEBUG", "true");
	ok(e2b_cfg_load(&c, &e) == 0 && strcmp(c.api_url, "http://127.0.0.1:9") == 0,
	   "E2B_API_URL wins over debug (trailing slash dropped)");
	u = e2b_envd_url(&c, "iabc", "e2b.app");
	is_str(u, "http://127.0.0.1:9", "E2B_SANDBOX_URL is used verbatim for every sandbox");
	free(u);
	e2b_cfg_free(&c);

	nenv = 0;
	env("E2B_API_URL", "ftp://x");
	cs_err_clear(&e);
	ok(e2b_cfg_load(&c, &e) < 0 && strstr(e.msg, "E2B_API_URL"), "a non-HTTP URL is refused");
	e2b_cfg_free(&c);

	{
		struct e2b_client cl;

		nenv = 0;
		cs_err_clear(&e);
		e2b_cfg_load(&c, &e);
		ok(e2b_client_init(&cl, &c, &e) < 0 && strstr(e.msg, "E2B_API_KEY") &&
		   strstr(e.hint, "E2B_API_KEY"), "no key: a clear error with the fix");
		e2b_client_free(&cl);
		e2b_cfg_free(&c);
	}
	env_use(NULL);
}

static void test_errors(void)
{
	struct e2b_resp r;
	char t[512];

	e2b_resp_init(&r, 4096);
	r.status = 503;
	(void)!buf_puts(&r.body, "{\"code\":503,\"message\":\"busy: try\\nlater\",\"error_code\":\"sandbox_capacity_unavailable\"}");
	e2b_error_text(&r, t, sizeof t);
	is_str(t, "code 503: busy: try later [sandbox_capacity_unavailable]",
	       "code, message (one line) and error_code");
	buf_reset(&r.body);
	r.status = 404;
	(void)!buf_puts(&r.body, "404 page not found");
	e2b_error_text(&r, t, sizeof t);
	is_str(t, "HTTP 404: 404 page not found", "a plain-text body");
	e2b_resp_free(&r);
}

static void test_body(void)
{
	struct sandbox_plan p;
	struct e2b_egress eg = { 0 };
	cJSON *b;
	char *s;

	memset(&p, 0, sizeof p);
	p.template_id = "codex";
	p.work_dir = "/home/u/proj";
	p.command = CMD_RUN;
	strv_push(&p.env, "HOME=/home/codex");
	strv_push(&p.env, "USER=codex");
	strv_push(&p.env, "CODEX_HOME=/codex_home");
	strv_push(&p.env, "SANDBOX_ENV_DIR=/app/home/u/proj/.codex/.environment");
	strv_push(&p.env, "LANG=C.UTF-8");
	strv_push(&p.env, "OPENAI_API_KEY=sk-secret");
	strv_push(&p.env_secret, "OPENAI_API_KEY");
	strv_push(&eg.allow_out, "api.openai.com");
	strv_push(&eg.deny_out, "0.0.0.0/0");
	b = e2b_create_body(&p, &eg, "r1", 900, true);
	s = cJSON_PrintUnformatted(b);
	ok(strstr(s, "\"templateID\":\"codex\"") && strstr(s, "\"timeout\":900"), "template and timeout");
	ok(strstr(s, "\"workdir\":\"/home/u/proj\"") && strstr(s, "\"run\":\"r1\""), "metadata: workdir, run id");
	ok(!strstr(s, "HOME\":\"/home/codex") && !strstr(s, "\"USER\""), "HOME and USER are E2B's own");
	ok(strstr(s, "\"SANDBOX_ENV_DIR\":\"/codex_home\""), "SANDBOX_ENV_DIR is the remote Codex home");
	ok(strstr(s, "\"OPENAI_API_KEY\":\"(hidden)\"") && !strstr(s, "sk-secret"), "secrets hidden when asked");
	ok(strstr(s, "\"allowOut\":[\"api.openai.com\"]") && strstr(s, "\"denyOut\":[\"0.0.0.0/0\"]"),
	   "network rules");
	free(s);
	cJSON_Delete(b);
	strv_free(&p.env);
	strv_free(&p.env_secret);
	e2b_egress_free(&eg);
}

static void test_hostile_fields(void)
{
	ok(e2b_token_ok("eyJhbGciOi.J9-_x~+/=") && e2b_token_ok(""), "tokens: base64url/JWT characters");
	ok(!e2b_token_ok("TOK\r\nX-Injected: 1") && !e2b_token_ok("a b") && !e2b_token_ok("a:b"),
	   "tokens: CR/LF, space or ':' refused (they would add header lines)");
	ok(e2b_domain_ok("e2b.app") && e2b_domain_ok("sandbox-1.e2b.dev"), "domains: host names");
	ok(!e2b_domain_ok("x@other.host") && !e2b_domain_ok("a/b") && !e2b_domain_ok(".x") &&
	   !e2b_domain_ok("a..b") && !e2b_domain_ok("a:443") && !e2b_domain_ok("x.\r\n"),
	   "domains: '@', '/', ':', empty labels, CR/LF refused (the tokens would go elsewhere)");
}

int main(void)
{
	plan(25);
	test_cfg();
	test_errors();
	test_body();
	test_hostile_fields();
	return tap_done();
}
