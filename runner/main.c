/* codex-sandbox: run the Codex CLI (or any command) in a disposable sandbox
 * bound to one project directory, egress denied by default.
 *
 * A thin dispatcher (crun's shape): parse, then one file per subcommand
 * (runner/cmd_*.c) plans and hands the plan to a backend.
 * Errors are printed here and only here, as one line with the fix. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner/cmd_attach.h"
#include "runner/cmd_build.h"
#include "runner/cmd_doctor.h"
#include "runner/cmd_run.h"
#include "runner/cmd_version.h"
#include "runner/core/cli.h"
#include "runner/core/sig.h"
#include "runner/core/tty.h"

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
		rc = cmd_attach(&o, &err);
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
