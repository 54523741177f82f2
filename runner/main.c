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

#include "runner/cmd_allow.h"
#include "runner/cmd_attach.h"
#include "runner/cmd_blocked.h"
#include "runner/cmd_build.h"
#include "runner/cmd_doctor.h"
#include "runner/cmd_ps.h"
#include "runner/cmd_run.h"
#include "runner/cmd_version.h"
#include "runner/core/cli.h"
#include "runner/core/sig.h"
#include "runner/core/tty.h"

/* --help, or `help COMMAND` for the commands with options of their own. */
static int help(const struct cs_opts *o, struct cs_err *err)
{
	static const struct {
		const char *name;
		const char *text;
	} sub[] = { { "ps", cmd_ps_usage }, { "allow", cmd_allow_usage }, { "deny", cmd_deny_usage },
		    { "blocked", cmd_blocked_usage } };

	if (o->args.n == 0) {
		cli_usage();
		return 0;
	}
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (strcmp(o->args.v[0], sub[i].name) == 0) {
			fputs(sub[i].text, stdout);
			return 0;
		}
	cs_fail_status(err, CS_EXIT_FAIL, 0, "no help for '%s'", o->args.v[0]);
	return cs_hint(err, "codex-sandbox --help lists the commands; help ps|allow|deny|blocked "
		       "shows theirs");
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
		rc = help(&o, &err);
		break;
	case CMD_PS:
		rc = cmd_ps(&o, &err);
		break;
	case CMD_ALLOW:
	case CMD_DENY:
		rc = cmd_allow(&o, &err);
		break;
	case CMD_BLOCKED:
		rc = cmd_blocked(&o, &err);
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
