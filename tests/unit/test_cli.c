/* CLI: flag spellings (seed underscore and dash), forms, subcommands, errors. */
#include "tap.h"
#include "runner/core/cli.h"

static int parse(struct cs_opts *o, struct cs_err *e, int argc, char **argv)
{
	cs_err_clear(e);
	return cli_parse(argc, argv, o, e);
}

int main(void)
{
	plan(38);
	struct cs_opts o;
	struct cs_err e;

	{
		char *a[] = { "cs", "--work_dir", "/w", "--init_script=/h.sh", "--auth_file", "/a",
			      "--read-only", "/r1", "--read_only=/r2", "--sessions_path", "/s", NULL };
		ok(parse(&o, &e, 11, a) == 0, "seed underscore spellings parse");
		is_str(o.work_dir, "/w", "--work_dir");
		is_str(o.init_script, "/h.sh", "--init_script=VALUE");
		is_str(o.auth_file, "/a", "--auth_file");
		is_int(o.read_only.n, 2, "--read-only and --read_only both collected");
		is_str(o.read_only.v[1], "/r2", "second read-only path");
		is_str(o.sessions_path, "/s", "--sessions_path");
		is_int(o.command, CMD_RUN, "default command is run");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "--work-dir=/w", "--init-script", "/h", "--auth-file=/a", "-y",
			      "--allow", "a.com", "--allow=b.org", "-e", "X=1", "-p", "3000", NULL };
		ok(parse(&o, &e, 13, a) == 0, "dash spellings parse");
		is_str(o.work_dir, "/w", "--work-dir=");
		ok(o.yes, "-y");
		is_int(o.allow.n, 2, "--allow repeatable");
		is_str(o.env.v[0], "X=1", "-e");
		is_str(o.publish.v[0], "3000", "-p");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "--dry-run", "--", "exec", "--json", "hi", NULL };
		ok(parse(&o, &e, 6, a) == 0, "codex args after --");
		is_int(o.command, CMD_RUN, "'exec' after -- is Codex's, not ours");
		is_int(o.args.n, 3, "three codex args");
		is_str(o.args.v[0], "exec", "first codex arg");
		ok(o.dry_run, "--dry-run");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "exec", "--work_dir", "/w", "--", "sh", "-c", "echo hi", NULL };
		ok(parse(&o, &e, 8, a) == 0, "exec subcommand");
		is_int(o.command, CMD_EXEC, "exec");
		is_str(o.args.v[2], "echo hi", "command args kept");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "exec", NULL };
		ok(parse(&o, &e, 2, a) < 0, "exec without a command fails");
		ok(strstr(e.msg, "exec needs a command") != NULL, "message says why: %s", e.msg);
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "--frobnicate", NULL };
		ok(parse(&o, &e, 2, a) < 0, "unknown option fails");
		ok(strstr(e.msg, "--frobnicate") && e.hint[0], "names it and has a fix: %s", e.msg);
		is_int(e.status, 125, "exit 125");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "frobnicate", NULL };
		ok(parse(&o, &e, 2, a) < 0, "unknown command fails");
		ok(strstr(e.hint, "after '--'") != NULL, "hint mentions --: %s", e.hint);
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "--work_dir", NULL };
		ok(parse(&o, &e, 2, a) < 0, "missing value fails");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "--yes=1", NULL };
		ok(parse(&o, &e, 2, a) < 0, "flag with a value fails");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "attach", "sbx123", NULL };
		ok(parse(&o, &e, 3, a) == 0 && o.command == CMD_ATTACH, "attach ID");
		is_str(o.attach_id, "sbx123", "attach id");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "build", "--codex-version", "0.170.0", "--build-arg", "BASE_IMAGE=x", NULL };
		ok(parse(&o, &e, 6, a) == 0 && o.command == CMD_BUILD, "build with version and build arg");
		is_str(o.codex_version, "0.170.0", "--codex-version");
		is_str(o.build_args.v[0], "BASE_IMAGE=x", "--build-arg");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "shell", "--", "x", NULL };
		ok(parse(&o, &e, 4, a) < 0, "shell takes no args");
		cli_free(&o);
	}
	{
		char *a[] = { "cs", "--work_dir", "", NULL };
		ok(parse(&o, &e, 3, a) < 0, "empty value refused");
		cli_free(&o);
	}
	return tap_done();
}
