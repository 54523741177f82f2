/* The plan: path rules, auth search order, config/prompt copy rules, hook,
 * mounts, user, errors.  Builds its fixture tree under a temp dir; needs no
 * root and no Docker. */
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/env.h"
#include "runner/core/plan.h"
#include "runner/core/plan_json.h"
#include "runner/core/plan_network.h"

static char root[PATH_MAX];
static const char *env_keys[16];
static const char *env_vals[16];
static int n_env;

static const char *fake_getenv(const char *name)
{
	for (int i = 0; i < n_env; i++)
		if (strcmp(env_keys[i], name) == 0)
			return env_vals[i];
	return NULL;
}

static void setenv_fake(const char *k, const char *v)
{
	for (int i = 0; i < n_env; i++)
		if (strcmp(env_keys[i], k) == 0) {
			env_vals[i] = v;
			return;
		}
	env_keys[n_env] = k;
	env_vals[n_env++] = v;
}

static char *P(const char *fmt, ...)
{
	static char bufs[16][PATH_MAX];
	static int i;
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	i = (i + 1) % 16;
	snprintf(bufs[i], PATH_MAX, "%s/%s", root, rel);
	return bufs[i];
}

static void mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *s = tmp + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(tmp, 0755);
			*s = '/';
		}
	mkdir(tmp, 0755);
}

static void write_file(const char *path, const char *text)
{
	char dir[PATH_MAX];
	FILE *f;

	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int build(struct sandbox_plan *p, struct cs_err *e, const char *cwd, char **argv)
{
	struct cs_opts o;
	struct plan_env env = { .cwd = cwd };
	int argc = 0, rc;

	while (argv[argc])
		argc++;
	cs_err_clear(e);
	env_use(fake_getenv);
	memset(p, 0, sizeof *p);
	if (cli_parse(argc, argv, &o, e) < 0) {
		cli_free(&o);
		return -1;
	}
	rc = plan_build(&o, &env, p, e);
	cli_free(&o);
	return rc;
}

static const struct plan_mount *find_mount(const struct sandbox_plan *p, const char *target)
{
	for (size_t i = 0; i < p->n_mounts; i++)
		if (strcmp(p->mounts[i].target, target) == 0)
			return &p->mounts[i];
	return NULL;
}

static const struct plan_copy *find_copy(const struct sandbox_plan *p, const char *suffix)
{
	for (size_t i = 0; i < p->n_copies; i++) {
		size_t l = strlen(p->copies[i].dest), s = strlen(suffix);

		if (l >= s && strcmp(p->copies[i].dest + l - s, suffix) == 0)
			return &p->copies[i];
	}
	return NULL;
}

static bool argv_has(const struct sandbox_plan *p, const char *arg)
{
	for (size_t i = 0; i < p->command_argv.n; i++)
		if (strcmp(p->command_argv.v[i], arg) == 0)
			return true;
	return false;
}

int main(void)
{
	plan(84);
	struct sandbox_plan p;
	struct cs_err e;
	char wd[PATH_MAX], home[PATH_MAX];

	snprintf(root, sizeof root, "/tmp/cs-unit-plan.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	snprintf(wd, sizeof wd, "%s/ws/proj", root);
	snprintf(home, sizeof home, "%s/home", root);
	mkdir_p(wd);
	mkdir_p(home);
	setenv_fake("HOME", home);

	/* --- work dir rules ------------------------------------------------ */
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };

		ok(build(&p, &e, wd, a) == 0, "cwd is the default work dir");
		is_str(p.work_dir, wd, "work dir resolved");
		{
			char want[PATH_MAX];

			snprintf(want, sizeof want, "/app%s", wd);
			is_str(p.sandbox_work_dir, want, "mounted at /app$WORK_DIR");
			ok(find_mount(&p, want) && !find_mount(&p, want)->read_only, "work dir mounted read-write");
		}
		ok(find_mount(&p, "/codex_home") != NULL, "Codex home mounted at /codex_home");
		ok(p.codex_home_in_workdir, "default Codex home is inside the work dir");
		ok(strstr(p.codex_home, "/.codex/.environment") != NULL, "default Codex home: .codex/.environment");
		ok(p.outside_writable.n == 0, "nothing writable outside the work dir");
		ok(p.auth_file == NULL, "no auth.json anywhere: Codex shows its login");
		ok(argv_has(&p, "sandbox_mode=\"danger-full-access\""), "inner Codex sandbox bypassed");
		ok(argv_has(&p, "features.daemon_auto_start=false"), "daemon off by default");
		ok(argv_has(&p, "check_for_update_on_startup=false"), "update check off by default");
		ok(strncmp(p.name_base, "codex_", 6) == 0 && !strchr(p.name_base, '/'), "name codex_<sanitized>: %s",
		   p.name_base);
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--work_dir", "/", "--user", "1000:1000", NULL };

		ok(build(&p, &e, wd, a) < 0, "--work_dir / refused");
		ok(strstr(e.msg, "refusing to use /") != NULL, "says why: %s", e.msg);
		is_int(e.status, 125, "exit 125");
		plan_free(&p);
	}
	{
		char link[PATH_MAX];
		char *a[] = { "cs", "--work_dir", link, "--user", "1000:1000", NULL };

		snprintf(link, sizeof link, "%s/to-root", root);
		ok(symlink("/", link) == 0, "fixture: symlink to /");
		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "refusing to use /"), "symlink to / refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--work_dir", "nope", "--user", "1000:1000", NULL };

		ok(build(&p, &e, wd, a) < 0 && e.errnum == ENOENT, "missing work dir: ENOENT");
		ok(e.hint[0] != 0, "with a fix");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };
		char wsroot[PATH_MAX];

		snprintf(wsroot, sizeof wsroot, "%s/ws", root);
		setenv_fake("WORKSPACE_ROOT_DIR", wsroot);
		ok(build(&p, &e, wd, a) == 0, "work dir inside WORKSPACE_ROOT_DIR accepted");
		plan_free(&p);
		{
			char *b[] = { "cs", "--work_dir", "../..", "--user", "1000:1000", NULL };

			ok(build(&p, &e, wd, b) < 0 && strstr(e.msg, "outside WORKSPACE_ROOT_DIR"),
			   "escape through .. refused: %s", e.msg);
			plan_free(&p);
		}
		{
			char sib[PATH_MAX];
			char *b[] = { "cs", "--work_dir", sib, "--user", "1000:1000", NULL };

			/* /ws-other must not pass as "inside /ws" by string prefix */
			snprintf(sib, sizeof sib, "%s/ws-other", root);
			mkdir_p(sib);
			ok(build(&p, &e, wd, b) < 0, "prefix sibling of WORKSPACE_ROOT_DIR refused");
			plan_free(&p);
		}
		setenv_fake("WORKSPACE_ROOT_DIR", "");
	}

	/* --- user ---------------------------------------------------------- */
	{
		char *a[] = { "cs", "--user", "0:0", NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "uid 0"), "--user 0:0 refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "abc", NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "invalid --user"), "bad --user refused");
		plan_free(&p);
	}
	if (geteuid() == 0) {
		char *a[] = { "cs", NULL };

		ok(chown(wd, 0, 0) == 0, "fixture: root-owned work dir");
		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "owned by root") && strstr(e.hint, "--user"),
		   "root-owned work dir needs --user: %s", e.msg);
		plan_free(&p);
		ok(chown(wd, 1234, 2345) == 0, "fixture: chown");
		ok(build(&p, &e, wd, a) == 0 && p.uid == 1234 && p.gid == 2345, "uid:gid of the work dir's owner");
		plan_free(&p);
	} else {
		char *a[] = { "cs", NULL };

		ok(build(&p, &e, wd, a) == 0 && p.uid == geteuid(), "uid of the work dir's owner");
		plan_free(&p);
		ok(1, "# SKIP root-owned work dir (not root)");
	}

	/* --- auth.json search order ---------------------------------------- */
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };
		struct { const char *file; const char *label; } order[] = {
			{ "ws/proj/.codex/.environment/auth.json", "the Codex home" },
			{ "ws/proj/.codex/auth.json", "WORK_DIR/.codex" },
			{ "ws/proj/codex/auth.json", "WORK_DIR/codex" },
			{ "home/.config/codex/auth.json", "~/.config/codex" },
			{ "home/.codex/auth.json", "~/.codex" },
			{ "ccd/auth.json", "CODEX_CONFIG_DIR" },
		};

		setenv_fake("CODEX_CONFIG_DIR", "");
		/* Add sources from the lowest priority up; each new one wins. */
		for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
			write_file(P("%s", order[i].file), "{\"auth_mode\":\"apikey\"}");
			if (strcmp(order[i].label, "CODEX_CONFIG_DIR") == 0)
				setenv_fake("CODEX_CONFIG_DIR", P("ccd"));
			ok(build(&p, &e, wd, a) == 0 && p.auth_found_by &&
			   strcmp(p.auth_found_by, order[i].label) == 0,
			   "auth.json from %s wins over the ones after it (got %s)", order[i].label,
			   p.auth_found_by ? p.auth_found_by : "none");
			plan_free(&p);
		}
		{
			char *b[] = { "cs", "--user", "1000:1000", "--config", P("cfgdir"), NULL };

			write_file(P("cfgdir/auth.json"), "{}");
			ok(build(&p, &e, wd, b) == 0 && strcmp(p.auth_found_by, "--config directory") == 0,
			   "--config dir beats CODEX_CONFIG_DIR");
			plan_free(&p);
		}
		{
			char *b[] = { "cs", "--user", "1000:1000", "--config", P("cfgdir"), "--auth_file",
				      P("explicit.json"), NULL };

			write_file(P("explicit.json"), "{}");
			ok(build(&p, &e, wd, b) == 0 && strcmp(p.auth_found_by, "--auth_file") == 0,
			   "--auth_file beats everything");
			ok(find_mount(&p, "/codex_home/auth.json") &&
			   find_mount(&p, "/codex_home/auth.json")->read_only, "auth.json mounted read-only");
			ok(!find_copy(&p, "auth.json"), "auth.json is never copied");
			plan_free(&p);
		}
		{
			char *b[] = { "cs", "--user", "1000:1000", NULL };

			setenv_fake("CODEX_AUTH_FILE", P("explicit.json"));
			ok(build(&p, &e, wd, b) == 0 && strcmp(p.auth_found_by, "CODEX_AUTH_FILE") == 0,
			   "CODEX_AUTH_FILE honoured");
			plan_free(&p);
			setenv_fake("CODEX_AUTH_FILE", P("missing.json"));
			ok(build(&p, &e, wd, b) < 0 && strstr(e.msg, "CODEX_AUTH_FILE"), "missing CODEX_AUTH_FILE is an error");
			plan_free(&p);
			setenv_fake("CODEX_AUTH_FILE", "");
		}
		{
			char *b[] = { "cs", "--user", "1000:1000", "--auth_file", P("explicit.json"), NULL };

			chmod(P("explicit.json"), 0600);
			ok(build(&p, &e, wd, b) == 0 && p.auth_private_copy == (geteuid() != 1000),
			   "a 0600 auth.json of another user gets a private read-only copy");
			plan_free(&p);
			chmod(P("explicit.json"), 0644);
			ok(build(&p, &e, wd, b) == 0 && !p.auth_private_copy, "a readable auth.json is mounted as is");
			plan_free(&p);
		}
		{
			char *b[] = { "cs", "--user", "1000:1000", "--auth_file", P("empty.json"), NULL };

			write_file(P("empty.json"), "");
			ok(build(&p, &e, wd, b) < 0, "empty --auth_file refused");
			plan_free(&p);
		}
		/* auth.json inside the project: also covered read-only through the project mount */
		unlink(P("ccd/auth.json"));
		unlink(P("home/.codex/auth.json"));
		unlink(P("home/.config/codex/auth.json"));
		setenv_fake("CODEX_CONFIG_DIR", "");
		{
			char want[PATH_MAX];
			char *b[] = { "cs", "--user", "1000:1000", NULL };

			ok(build(&p, &e, wd, b) == 0 && strcmp(p.auth_found_by, "WORK_DIR/codex") == 0,
			   "project auth.json found");
			snprintf(want, sizeof want, "/app%s/codex/auth.json", wd);
			ok(find_mount(&p, want) && find_mount(&p, want)->read_only,
			   "project auth.json also read-only at its project path");
			plan_free(&p);
		}
		unlink(P("ws/proj/codex/auth.json"));
		unlink(P("ws/proj/.codex/auth.json"));
		/* An empty placeholder in the Codex home (left by an earlier mount) is not auth */
		write_file(P("ws/proj/.codex/.environment/auth.json"), "");
		{
			char *b[] = { "cs", "--user", "1000:1000", NULL };

			ok(build(&p, &e, wd, b) == 0 && p.auth_file == NULL, "empty Codex home auth.json ignored");
			plan_free(&p);
		}
		unlink(P("ws/proj/.codex/.environment/auth.json"));
	}

	/* --- config.toml copy rules ---------------------------------------- */
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };
		const struct plan_copy *c;

		write_file(P("home/.codex/config.toml"), "model = \"m\"\n");
		ok(build(&p, &e, wd, a) == 0 && (c = find_copy(&p, "/config.toml")) &&
		   c->mode == COPY_IF_MISSING, "config.toml found by search: copied only when missing");
		is_str(p.config_found_by, "~/.codex", "found in ~/.codex");
		plan_free(&p);

		write_file(P("ws/proj/.codex/.environment/config.toml"), "model = \"mine\"\n");
		ok(build(&p, &e, wd, a) == 0 && p.config_source == NULL,
		   "existing Codex home config.toml is kept (the search result does not replace it)");
		plan_free(&p);
		{
			char *b[] = { "cs", "--user", "1000:1000", "--config", P("explicit.toml"), NULL };

			write_file(P("explicit.toml"), "[features]\ndaemon_auto_start = true\n");
			ok(build(&p, &e, wd, b) == 0 && (c = find_copy(&p, "/config.toml")) &&
			   c->mode == COPY_REPLACE, "--config FILE replaces the copy");
			ok(!argv_has(&p, "features.daemon_auto_start=false"),
			   "the user's own setting wins over our override");
			ok(argv_has(&p, "check_for_update_on_startup=false"), "other overrides stay");
			plan_free(&p);
		}
		{
			char *b[] = { "cs", "--user", "1000:1000", "--config", P("nope.toml"), NULL };

			ok(build(&p, &e, wd, b) < 0 && strstr(e.msg, "--config"), "missing --config is an error");
			plan_free(&p);
		}
		unlink(P("ws/proj/.codex/.environment/config.toml"));
	}

	/* --- prompts: first dir found, merged without overwriting ----------- */
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };
		const struct plan_copy *c;

		write_file(P("home/.config/codex/prompts/a.md"), "a");
		write_file(P("ws/proj/codex/prompts/b.md"), "b");
		ok(build(&p, &e, wd, a) == 0 && (c = find_copy(&p, "/prompts")) &&
		   c->mode == COPY_TREE_NO_CLOBBER && strstr(c->source, "home/.config/codex/prompts"),
		   "first prompts/ in search order, merged without overwriting");
		plan_free(&p);
	}

	/* --- init hook ----------------------------------------------------- */
	{
		char *a[] = { "cs", "--user", "1000:1000", "--init_script", P("setup.sh"), NULL };
		const struct plan_copy *c;

		write_file(P("setup.sh"), "#!/bin/sh\necho hi\n");
		ok(build(&p, &e, wd, a) == 0 && p.run_hook && (c = find_copy(&p, "/init.sh")) &&
		   c->perm == 0755 && c->mode == COPY_REPLACE, "--init_script copied to init.sh, executable");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--init_script", P("nope.sh"), NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "--init_script"), "missing --init_script is an error");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };

		write_file(P("ws/proj/.codex/.environment/init.sh"), "#!/bin/sh\n");
		chmod(P("ws/proj/.codex/.environment/init.sh"), 0644);
		ok(build(&p, &e, wd, a) == 0 && !p.run_hook, "non-executable existing init.sh does not run");
		plan_free(&p);
		chmod(P("ws/proj/.codex/.environment/init.sh"), 0755);
		ok(build(&p, &e, wd, a) == 0 && p.run_hook, "executable existing init.sh runs without the flag");
		plan_free(&p);
	}

	/* --- mounts -------------------------------------------------------- */
	{
		char want[PATH_MAX];
		char *a[] = { "cs", "--user", "1000:1000", "--read-only", P("shared"), NULL };

		mkdir_p(P("shared"));
		snprintf(want, sizeof want, "/app%s", P("shared"));
		ok(build(&p, &e, wd, a) == 0 && find_mount(&p, want) && find_mount(&p, want)->read_only,
		   "--read-only mounted read-only at /app<path>");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--read-only", P("nothere"), NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "--read-only"), "missing --read-only path is an error");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--read-only", "/", NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "refusing"), "--read-only / refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--sessions-path", P("sessions"), NULL };

		ok(build(&p, &e, wd, a) == 0 && p.outside_writable.n == 1 &&
		   find_mount(&p, "/codex_home/sessions"), "--sessions-path outside the work dir needs consent");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", P("chome"), NULL };

		ok(build(&p, &e, wd, a) == 0 && !p.codex_home_in_workdir && p.outside_writable.n == 1,
		   "--codex-home outside the work dir needs consent");
		is_str(p.sandbox_env_dir, "/codex_home", "SANDBOX_ENV_DIR follows the Codex home");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", P("missing-parent/x"), NULL };

		ok(build(&p, &e, wd, a) < 0, "--codex-home with a missing parent is an error");
		plan_free(&p);
	}

	/* --- environment, network, misc ------------------------------------ */
	{
		char *a[] = { "cs", "--user", "1000:1000", "-e", "SECRET=hunter2", "-e", "FROMHOST",
			      "--allow", "github.com,*.example.org", "--dns", "192.0.2.53", "-p", "3000:8080",
			      "--dry-run", NULL };
		char *json;

		setenv_fake("FROMHOST", "topsecret");
		setenv_fake("OPENAI_ALLOWED_DOMAINS", "repo.maven.apache.org\npypi.org");
		ok(build(&p, &e, wd, a) == 0, "env, allow, dns, publish");
		json = plan_to_json(&p);
		ok(json && !strstr(json, "hunter2") && !strstr(json, "topsecret"), "--dry-run never shows --env values");
		ok(json && strstr(json, "\"SECRET\"") && strstr(json, "\"FROMHOST\""), "... but shows their names");
		ok(json && strstr(json, "api.openai.com") && strstr(json, "*.example.org") &&
		   strstr(json, "pypi.org") && strstr(json, "repo.maven.apache.org"),
		   "allowlist: defaults + OPENAI_ALLOWED_DOMAINS + --allow");
		ok(strstr(p.allow_text, "github.com\n") != NULL, "effective list text for allowed_domains.txt");
		is_str(p.publish.v[0], "3000:8080", "publish normalized");
		free(json);
		plan_free(&p);
		setenv_fake("OPENAI_ALLOWED_DOMAINS", "");
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };

		setenv_fake("OPENAI_ALLOWED_DOMAINS", "good.com bad..com");
		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "bad..com") && strstr(e.msg, "OPENAI_ALLOWED_DOMAINS"),
		   "invalid allowlist entry named with its source: %s", e.msg);
		plan_free(&p);
		setenv_fake("OPENAI_ALLOWED_DOMAINS", "");
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--dns", "not-an-ip", NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "--dns"), "bad --dns refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "-p", "70000", NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "--publish"), "bad --publish refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--backend", "podman", NULL };

		ok(build(&p, &e, wd, a) < 0 && strstr(e.msg, "backend"), "unknown backend refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "exec", "--user", "1000:1000", "--", "sh", "-c", "true", NULL };

		ok(build(&p, &e, wd, a) == 0 && p.command_argv.n == 3 && strcmp(p.command_argv.v[0], "sh") == 0,
		   "exec runs the command as given");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", NULL };

		setenv_fake("CODEX_DOCKER_IMAGE", "my/img:1");
		ok(build(&p, &e, wd, a) == 0 && strcmp(p.image, "my/img:1") == 0 && !p.image_is_default,
		   "CODEX_DOCKER_IMAGE selects the image");
		plan_free(&p);
		setenv_fake("CODEX_DOCKER_IMAGE", "");
	}
	{
		struct strv ns = { 0 };

		is_int(resolv_conf_nameservers("# c\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n"
					       "options edns0\nnameserver ::1\nnameserver fe80::1%eth0\n"
					       "nameserver 2001:db8::53\nnameserver 198.51.100.9\nnameserver 203.0.113.9\n", &ns),
		       3, "resolv.conf: loopback, link-local and scoped skipped, at most 3");
		ok(ns.n == 3 && strcmp(ns.v[0], "192.0.2.1") == 0 && strcmp(ns.v[1], "2001:db8::53") == 0,
		   "resolv.conf: order kept");
		strv_free(&ns);
		is_int(resolv_conf_nameservers("nameserver 127.0.0.53\n", &ns), 0,
		       "a systemd-resolved stub alone gives nothing (the real file is read next)");
		strv_free(&ns);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--dns", "192.0.2.53", NULL };

		ok(build(&p, &e, wd, a) == 0 && p.upstreams.n == 1 && strcmp(p.upstreams.v[0], "192.0.2.53") == 0 &&
		   !p.upstream_docker_dns, "--dns is the only upstream");
		plan_free(&p);
	}
	{
		char out[64];

		sanitize_name("/home/u/my proj!/x", out, sizeof out);
		is_str(out, "home_u_my_proj_x", "sanitize_name");
		ok(path_is_within("/a/b", "/a") && !path_is_within("/ab", "/a") && path_is_within("/a", "/a"),
		   "path_is_within respects component boundaries");
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof cmd, "rm -rf %s", root);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", root);
	}
	return tap_done();
}
