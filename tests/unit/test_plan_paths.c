/* The plan treats the project as untrusted: links planted at every spot the
 * runner looks (Codex home, auth.json, config.toml, prompts, init.sh, paths
 * the user names inside the project) are refused or ignored, FIFOs never
 * block it; each case has its positive control (the same spot as a real
 * file or directory is used).  Also --codex-home / and the uid rules. */
#include "tap.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/env.h"
#include "runner/core/plan.h"

static char root[PATH_MAX], wd[PATH_MAX], out[PATH_MAX];

static const char *fake_getenv(const char *name)
{
	(void)name;
	return NULL;
}

static char *W(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(bufs[i], PATH_MAX, "%s/%s", wd, rel);
	return bufs[i];
}

static void sh(const char *fmt, const char *arg)
{
	char cmd[4 * PATH_MAX];

	snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg);
	if (system(cmd) != 0)
		printf("# fixture command failed: %s\n", cmd);
}

/* A fresh project: WD emptied, OUT (outside) holds a canary tree. */
static void reset(void)
{
	sh("rm -rf '%s'/* '%s'/.codex", wd);
	sh("mkdir -p '%s'/.codex/.environment", wd);
}

static int build(struct sandbox_plan *p, struct cs_err *e, char **argv)
{
	struct cs_opts o;
	struct plan_env env = { .cwd = wd };
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

#define LN(t, l) do { if (symlink((t), (l)) < 0) printf("# symlink %s failed\n", (l)); } while (0)

static void on_alarm(int sig)
{
	(void)sig;
	printf("not ok - the plan blocked on a FIFO\n");
	_exit(1);
}

int main(void)
{
	char *dflt[] = { "cs", "--user", "1000:1000", NULL };
	struct sandbox_plan p;
	struct cs_err e;
	int rc;

	plan(40);
	signal(SIGALRM, on_alarm);
	snprintf(root, sizeof root, "/tmp/cs-unit-planpaths.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	snprintf(wd, sizeof wd, "%s/proj", root);
	snprintf(out, sizeof out, "%s/outside", root);
	mkdir(wd, 0755);
	sh("mkdir -p '%s' && echo '{\"k\":1}' > '%s/auth.json' && echo 'model=\"x\"' > '%s/config.toml'"
	   " && mkdir -p '%s/prompts'", out);
	sh("printf '#!/bin/sh\\n' > '%s/init.sh' && chmod 755 '%s/init.sh'", out);

	/* --- the Codex home ------------------------------------------------ */
	reset();
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.codex_home_exists && p.codex_home_in_workdir, "control: real .codex/.environment is the Codex home");
	plan_free(&p);
	reset();
	sh("rm -rf '%s/.codex/.environment'", wd);
	LN(out, W(".codex/.environment"));
	rc = build(&p, &e, dflt);
	ok(rc < 0 && strstr(e.msg, "symbolic link") && strstr(e.msg, ".codex/.environment"),
	   ".codex/.environment -> outside: refused, naming the path");
	plan_free(&p);
	reset();
	sh("rm -rf '%s/.codex' && mkdir -p '%s/x'", wd);
	sh("mkdir -p '%s/x/.environment'", out);
	LN(out, W(".codex"));
	rc = build(&p, &e, dflt);
	ok(rc < 0 && strstr(e.msg, "symbolic link"), ".codex -> outside (first component): refused");
	plan_free(&p);
	reset();
	sh("rm -rf '%s/.codex'", wd);
	rc = build(&p, &e, dflt);
	ok(rc == 0 && !p.codex_home_exists && p.mkdirs.n == 1, "control: a missing Codex home is created");
	plan_free(&p);

	/* --- optional lookups: links ignored, real files used --------------- */
	reset();
	sh("mkdir -p '%s/codex' && echo '{\"a\":1}' > '%s/codex/auth.json'", wd);
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.auth_file && strstr(p.auth_file, "/proj/codex/auth.json"), "control: WORK_DIR/codex/auth.json found");
	plan_free(&p);
	reset();
	sh("mkdir -p '%s/codex'", wd);
	{
		char t[PATH_MAX];

		snprintf(t, sizeof t, "%s/auth.json", out);
		LN(t, W("codex/auth.json"));
	}
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.auth_file == NULL, "WORK_DIR/codex/auth.json -> outside: ignored (absent)");
	plan_free(&p);
	reset();
	LN(out, W("codex"));
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.auth_file == NULL && p.config_source == NULL && p.prompts_source == NULL,
	   "WORK_DIR/codex -> outside dir: nothing in it is used");
	plan_free(&p);
	reset();
	{
		char t[PATH_MAX];

		snprintf(t, sizeof t, "%s/auth.json", out);
		LN(t, W(".codex/auth.json"));
		LN(t, W(".codex/.environment/auth.json"));
	}
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.auth_file == NULL, ".codex/auth.json and the Codex home's auth.json as links: ignored");
	plan_free(&p);
	reset();
	sh("mkfifo '%s/.codex/auth.json' '%s/.codex/config.toml' '%s/.codex/.environment/config.toml'", wd);
	alarm(10);
	rc = build(&p, &e, dflt);
	alarm(0);
	ok(rc == 0 && p.auth_file == NULL && p.config_source == NULL, "FIFOs as auth.json/config.toml: ignored, no hang");
	plan_free(&p);

	reset();
	sh("echo 'model=\"m\"' > '%s/.codex/config.toml'", wd);
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.config_source && strstr(p.config_source, "/.codex/config.toml"), "control: .codex/config.toml is the config source");
	plan_free(&p);
	reset();
	{
		char t[PATH_MAX];

		snprintf(t, sizeof t, "%s/config.toml", out);
		LN(t, W(".codex/config.toml"));
	}
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.config_source == NULL && p.n_copies == 0, ".codex/config.toml -> outside: not copied");
	plan_free(&p);

	reset();
	sh("mkdir -p '%s/.codex/prompts'", wd);
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.prompts_source != NULL, "control: .codex/prompts is merged");
	plan_free(&p);
	reset();
	{
		char t[PATH_MAX];

		snprintf(t, sizeof t, "%s/prompts", out);
		LN(t, W(".codex/prompts"));
	}
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.prompts_source == NULL, ".codex/prompts -> outside: not merged");
	plan_free(&p);

	reset();
	sh("printf '#!/bin/sh\\n' > '%s/.codex/.environment/init.sh' && chmod 755 '%s/.codex/.environment/init.sh'", wd);
	rc = build(&p, &e, dflt);
	ok(rc == 0 && p.run_hook, "control: an executable init.sh runs");
	plan_free(&p);
	reset();
	{
		char t[PATH_MAX];

		snprintf(t, sizeof t, "%s/init.sh", out);
		LN(t, W(".codex/.environment/init.sh"));
	}
	rc = build(&p, &e, dflt);
	ok(rc == 0 && !p.run_hook, "init.sh -> outside: not run");
	plan_free(&p);

	/* --- paths the user names inside the project ------------------------ */
	reset();
	sh("mkdir -p '%s/sub/home'", wd);
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", W("sub/home"), NULL };

		rc = build(&p, &e, a);
		ok(rc == 0 && p.codex_home_in_workdir && p.outside_writable.n == 0, "control: --codex-home inside the project");
		plan_free(&p);
	}
	reset();
	LN(out, W("sub"));
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", W("sub/home"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "--codex-home") && strstr(e.msg, "symbolic link"),
		   "--codex-home through a project link: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", "sub/newhome", NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "symbolic link"), "relative --codex-home (missing) through a link: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", W("x/../sub/home"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0, "--codex-home with '..' inside the project: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--sessions-path", W("sub/sessions"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "--sessions-path"), "--sessions-path through a project link: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--auth_file", W("sub/auth.json"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "--auth_file") && strstr(e.msg, "symbolic link"),
		   "--auth_file through a project link: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--read-only", W("sub"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "--read-only"), "--read-only of a project link: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--config", W("sub/config.toml"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "--config"), "--config through a project link: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--log-blocked", W("sub/blocked.json"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "--log-blocked"), "--log-blocked through a project link: refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--init_script", W("sub/init.sh"), NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "--init_script"), "--init_script through a project link: refused");
		plan_free(&p);
	}
	{
		char ah[PATH_MAX];
		char *a[] = { "cs", "--user", "1000:1000", "--auth_file", ah, NULL };

		snprintf(ah, sizeof ah, "%s/auth.json", out);
		rc = build(&p, &e, a);
		ok(rc == 0 && p.auth_file && strcmp(p.auth_file, ah) == 0, "control: --auth_file outside the project is the user's");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--read-only", out, NULL };

		rc = build(&p, &e, a);
		ok(rc == 0, "control: --read-only outside the project");
		plan_free(&p);
	}
	sh("rm -f '%s/sub'", wd);
	sh("mkdir -p '%s/sub' && echo '{\"b\":2}' > '%s/sub/auth.json'", wd);
	{
		char *a[] = { "cs", "--user", "1000:1000", "--auth_file", "sub/auth.json", NULL };

		rc = build(&p, &e, a);
		ok(rc == 0 && p.auth_file && strstr(p.auth_file, "/proj/sub/auth.json"),
		   "control: --auth_file (relative) inside the project without links");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--read-only", "sub", NULL };

		rc = build(&p, &e, a);
		ok(rc == 0, "control: --read-only of a real project dir");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--log-blocked", "sub/blocked.json", NULL };

		rc = build(&p, &e, a);
		ok(rc == 0 && p.log_blocked && strstr(p.log_blocked, "/proj/sub/blocked.json"),
		   "control: --log-blocked into a real project dir");
		plan_free(&p);
	}

	/* --- --codex-home / and the uid rules ----------------------------- */
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", "/", NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "refusing / as the Codex home"), "--codex-home / refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "1000:1000", "--codex-home", "/.", NULL };

		rc = build(&p, &e, a);
		ok(rc < 0, "--codex-home /. refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "0:1000", NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "uid 0"), "--user 0:N refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "65353:1000", NULL };

		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "reserved"), "the DNS filter's uid refused");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", "--user", "65352:1000", NULL };

		rc = build(&p, &e, a);
		ok(rc == 0 && p.uid == 65352, "control: a neighbouring uid is fine");
		plan_free(&p);
	}
	{
		char *a[] = { "cs", NULL };

		if (chown(wd, 0, 0) < 0)
			printf("# chown failed (not root?)\n");
		rc = build(&p, &e, a);
		ok(rc < 0 && strstr(e.msg, "owned by root"), "a root-owned project without --user: refused");
		plan_free(&p);
		if (chown(wd, 1234, 1235) < 0)
			printf("# chown failed (not root?)\n");
		rc = build(&p, &e, a);
		ok(rc == 0 && p.uid == 1234 && p.gid == 1235, "control: the project's owner is the sandbox user");
		plan_free(&p);
	}
	/* The outside tree is untouched by all of it. */
	{
		struct stat st;
		char t[PATH_MAX];

		snprintf(t, sizeof t, "%s/x/.environment", out);
		ok(stat(t, &st) == 0 && S_ISDIR(st.st_mode), "outside tree still there");
		snprintf(t, sizeof t, "%s/auth.json", out);
		ok(stat(t, &st) == 0 && st.st_size == 8, "outside auth.json unchanged in size");
		snprintf(t, sizeof t, "%s/home", out);
		ok(stat(t, &st) < 0, "nothing created outside through links (no home dir)");
	}
	sh("rm -rf '%s'", root);
	return tap_done();
}
