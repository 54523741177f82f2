/* codex-sandbox: run the Codex CLI (or any command) in a disposable sandbox
 * bound to one project directory, egress denied by default.
 *
 * A thin dispatcher (crun's shape): parse, plan, hand the plan to a backend.
 * Errors are printed here and only here, as one line with the fix. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner/docker/build.h"
#include "runner/core/cli.h"
#include "runner/docker/docker.h"
#include "runner/cmd_doctor.h"
#include "runner/e2b/e2b.h"
#include "runner/core/plan.h"
#include "runner/core/sig.h"
#include "runner/core/tty.h"

#define CS_VERSION "0.1.0"

static const char *real_getenv(const char *name)
{
	return getenv(name);
}

static int cmd_build(const struct cs_opts *o, struct cs_err *err)
{
	struct build_req r = { .codex_version = o->codex_version, .build_args = &o->build_args,
			       .no_cache = o->no_cache };
	const char *image = o->image ? o->image : getenv("CODEX_DOCKER_IMAGE");
	struct docker d;
	int rc;

	if (!image || !*image)
		image = DEFAULT_IMAGE;
	if (docker_open(&d, err) < 0)
		return -1;
	rc = image_build(&d, &r, image, err);
	docker_close(&d);
	if (rc == 0)
		fprintf(stderr, "codex-sandbox: built %s\n", image);
	return rc;
}

/* Ours, then the image's Codex when the engine answers and the image exists
 * (never an error: --version must work without an engine). */
static int cmd_version(const struct cs_opts *o)
{
	const char *image = o->image ? o->image : getenv("CODEX_DOCKER_IMAGE");
	struct cs_err e = { 0 };
	struct docker d;
	char v[80];
	int ex;

	if (!image || !*image)
		image = DEFAULT_IMAGE;
	printf("codex-sandbox %s (Codex %s by default)\n", CS_VERSION, DEFAULT_CODEX_VERSION);
	fflush(stdout);
	if (docker_open(&d, &e) < 0)
		return 0;
	ex = image_codex_version(&d, image, v, sizeof v, &e);
	docker_close(&d);
	if (ex > 0)
		printf("image %s: Codex %s\n", image, v);
	else if (ex == 0)
		printf("image %s: not built yet (codex-sandbox build)\n", image);
	return 0;
}

static int cmd_run(const struct cs_opts *o, struct cs_err *err)
{
	struct sandbox_plan p;
	struct plan_env env = { .getenv = real_getenv, .euid = geteuid(),
				.stdin_tty = isatty(STDIN_FILENO), .stdout_tty = isatty(STDOUT_FILENO) };
	char cwd[4096];
	int rc;

	if (!getcwd(cwd, sizeof cwd))
		return cs_fail(err, 0, "cannot determine the current directory");
	env.cwd = cwd;
	if (plan_build(o, &env, &p, err) < 0) {
		plan_free(&p);
		return -1;
	}
	if (p.dry_run) {
		char *json = plan_to_json(&p);

		if (p.backend == BACKEND_E2B)
			rc = e2b_dry_run(&p, json, err);
		else
			rc = printf("%s\n", json) < 0 ? -1 : 0;
		free(json);
		plan_free(&p);
		return rc;
	}
	if (p.backend == BACKEND_E2B)
		rc = e2b_backend_run(&p, err);
	else
		rc = docker_backend_run(&p, err);
	plan_free(&p);
	return rc;
}

int main(int argc, char **argv)
{
	struct cs_opts o;
	struct cs_err err = { 0 };
	int rc;

	if (sig_setup() < 0) {
		perror("codex-sandbox: signals");
		return CS_EXIT_FAIL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cli_parse(argc, argv, &o, &err) < 0) {
		rc = -1;
		goto out;
	}
	switch (o.command) {
	case CMD_HELP:
		cli_usage();
		rc = 0;
		break;
	case CMD_VERSION:
		rc = cmd_version(&o);
		break;
	case CMD_BUILD:
		rc = cmd_build(&o, &err);
		break;
	case CMD_DOCTOR:
		rc = cmd_doctor();
		break;
	case CMD_ATTACH:
		rc = e2b_attach(&o, &err);
		break;
	default:
		rc = cmd_run(&o, &err);
		break;
	}
out:
	tty_restore();
	cli_free(&o);
	curl_global_cleanup();
	if (rc < 0) {
		cs_err_print(&err, "codex-sandbox");
		return err.status ? err.status : CS_EXIT_FAIL;
	}
	return rc;
}
