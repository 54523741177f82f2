#include "runner/core/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum opt_kind { OPT_FLAG, OPT_VALUE, OPT_LIST };

struct opt_def {
	const char *name;   /* dash spelling; underscores in argv are mapped to dashes */
	char short_name;
	enum opt_kind kind;
	size_t off;         /* offsetof into struct cs_opts */
};

#define O(f) offsetof(struct cs_opts, f)
static const struct opt_def opt_defs[] = {
	{ "work-dir",      0,   OPT_VALUE, O(work_dir) },
	{ "config",        0,   OPT_VALUE, O(config) },
	{ "auth-file",     0,   OPT_VALUE, O(auth_file) },
	{ "init-script",   0,   OPT_VALUE, O(init_script) },
	{ "sessions-path", 0,   OPT_VALUE, O(sessions_path) },
	{ "codex-home",    0,   OPT_VALUE, O(codex_home) },
	{ "read-only",     0,   OPT_LIST,  O(read_only) },
	{ "allow",         0,   OPT_LIST,  O(allow) },
	{ "env",           'e', OPT_LIST,  O(env) },
	{ "publish",       'p', OPT_LIST,  O(publish) },
	{ "build-arg",     0,   OPT_LIST,  O(build_args) },
	{ "dns",           0,   OPT_VALUE, O(dns) },
	{ "backend",       0,   OPT_VALUE, O(backend) },
	{ "image",         0,   OPT_VALUE, O(image) },
	{ "template",      0,   OPT_VALUE, O(template_id) },
	{ "network",       0,   OPT_VALUE, O(network) },
	{ "log-blocked",   0,   OPT_VALUE, O(log_blocked) },
	{ "user",          'u', OPT_VALUE, O(user) },
	{ "codex-version", 0,   OPT_VALUE, O(codex_version) },
	{ "yes",           'y', OPT_FLAG,  O(yes) },
	{ "dry-run",       0,   OPT_FLAG,  O(dry_run) },
	{ "auth-writeback", 0,  OPT_FLAG,  O(auth_writeback) },
	{ "keep",          0,   OPT_FLAG,  O(keep) },
	{ "strict-egress", 0,   OPT_FLAG,  O(strict_egress) },
	{ "no-cache",      0,   OPT_FLAG,  O(no_cache) },
};
#undef O

static const struct {
	const char *name;
	enum cs_command cmd;
} commands[] = {
	{ "exec", CMD_EXEC }, { "shell", CMD_SHELL }, { "build", CMD_BUILD },
	{ "doctor", CMD_DOCTOR }, { "attach", CMD_ATTACH }, { "help", CMD_HELP },
	{ "run", CMD_RUN }, { "ps", CMD_PS }, { "allow", CMD_ALLOW }, { "deny", CMD_DENY },
	{ "blocked", CMD_BLOCKED },
};

const char *cli_command_name(enum cs_command c)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].cmd == c)
			return commands[i].name;
	return c == CMD_VERSION ? "version" : "run";
}

static const struct opt_def *find_long(const char *name, size_t len)
{
	char norm[64];

	if (len >= sizeof norm)
		return NULL;
	for (size_t i = 0; i < len; i++)
		norm[i] = name[i] == '_' ? '-' : name[i];
	norm[len] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(opt_defs); i++)
		if (strcmp(opt_defs[i].name, norm) == 0)
			return &opt_defs[i];
	return NULL;
}

static const struct opt_def *find_short(char c)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_defs); i++)
		if (opt_defs[i].short_name && opt_defs[i].short_name == c)
			return &opt_defs[i];
	return NULL;
}

static int store(struct cs_opts *o, const struct opt_def *d, const char *val, struct cs_err *err)
{
	char *base = (char *)o;

	switch (d->kind) {
	case OPT_FLAG:
		*(bool *)(base + d->off) = true;
		return 0;
	case OPT_VALUE:
		if (!*val)
			return cs_fail(err, 0, "option --%s needs a non-empty value", d->name);
		*(const char **)(base + d->off) = val;
		return 0;
	case OPT_LIST:
		if (!*val)
			return cs_fail(err, 0, "option --%s needs a non-empty value", d->name);
		if (strv_push((struct strv *)(base + d->off), val) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
		return 0;
	}
	return 0;
}

/* One option D, spelled SPELLED ("--name" or "-n") in messages, with its
 * value inline (INLINE: after '=' or the letter) or in the next word. */
static int take_option(const struct opt_def *d, const char *spelled, const char *inline_val,
		       int argc, char **argv, int *i, struct cs_opts *o, struct cs_err *err)
{
	if (d->kind == OPT_FLAG) {
		if (inline_val)
			return cs_fail(err, 0, "option %s takes no value", spelled);
		return store(o, d, NULL, err);
	}
	if (inline_val)
		return store(o, d, inline_val, err);
	if (*i + 1 >= argc)
		return cs_fail(err, 0, "option %s needs a value", spelled);
	return store(o, d, argv[++*i], err);
}

static int unknown_option(struct cs_err *err, int len, const char *a)
{
	cs_fail(err, 0, "unknown option '%.*s'", len, a);
	return cs_hint(err, "see 'codex-sandbox --help'; arguments for Codex go after '--'");
}

/* argv[*I] is an option ("--name[=v]" or "-n[v]"). */
static int parse_option(int argc, char **argv, int *i, struct cs_opts *o, struct cs_err *err)
{
	const char *a = argv[*i];
	const struct opt_def *d;
	char spelled[80];

	if (a[1] == '-') {
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		d = find_long(name, len);
		if (!d)
			return unknown_option(err, (int)len + 2, a);
		snprintf(spelled, sizeof spelled, "--%s", d->name);
		return take_option(d, spelled, eq ? eq + 1 : NULL, argc, argv, i, o, err);
	}
	d = find_short(a[1]);
	if (!d)
		return unknown_option(err, (int)strlen(a), a);
	snprintf(spelled, sizeof spelled, "-%c", a[1]);
	return take_option(d, spelled, a[2] ? a + 2 : NULL, argc, argv, i, o, err);
}

bool cli_takes_words(enum cs_command c)
{
	return c == CMD_HELP || c == CMD_PS || c == CMD_ALLOW || c == CMD_DENY || c == CMD_BLOCKED;
}

/* A positional word: the subcommand (once), or attach's ID. */
static int parse_word(const char *a, bool *have_cmd, struct cs_opts *o, struct cs_err *err)
{
	size_t k;

	if (*have_cmd) {
		if (o->command == CMD_ATTACH && !o->attach_id) {
			o->attach_id = a;
			return 0;
		}
		cs_fail(err, 0, "unexpected argument '%s'", a);
		return cs_hint(err, "put the command or Codex arguments after '--'");
	}
	for (k = 0; k < ARRAY_SIZE(commands); k++)
		if (strcmp(commands[k].name, a) == 0)
			break;
	if (k == ARRAY_SIZE(commands)) {
		cs_fail(err, 0, "unknown command '%s'", a);
		return cs_hint(err, "commands: exec, shell, build, doctor, attach, ps, allow, deny, "
			       "blocked; "
			       "arguments for Codex go after '--' (codex-sandbox -- %s)", a);
	}
	o->command = commands[k].cmd;
	*have_cmd = true;
	return 0;
}

/* What each command needs after '--' (or must not have). */
static int check_arguments(const struct cs_opts *o, struct cs_err *err)
{
	switch (o->command) {
	case CMD_EXEC:
		if (o->args.n == 0) {
			cs_fail(err, 0, "exec needs a command");
			return cs_hint(err, "codex-sandbox exec [OPTIONS] -- CMD [ARGS...]");
		}
		break;
	case CMD_SHELL:
	case CMD_BUILD:
	case CMD_DOCTOR:
		if (o->args.n) {
			cs_fail(err, 0, "%s takes no arguments after '--'", cli_command_name(o->command));
			return cs_hint(err, "see 'codex-sandbox --help'");
		}
		break;
	case CMD_ATTACH:
		if (!o->attach_id) {
			cs_fail(err, 0, "attach needs a sandbox id");
			return cs_hint(err, "codex-sandbox attach ID (the id printed by --keep)");
		}
		break;
	default:
		break;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct cs_opts *o, struct cs_err *err)
{
	bool have_cmd = false;
	int i;

	memset(o, 0, sizeof *o);
	o->command = CMD_RUN;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->command = CMD_HELP;
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			o->command = CMD_VERSION;
			return 0;
		}
		if (a[0] == '-' && a[1]) {
			if (parse_option(argc, argv, &i, o, err) < 0)
				return -1;
			continue;
		}
		if (parse_word(a, &have_cmd, o, err) < 0)
			return -1;
		if (cli_takes_words(o->command)) {
			/* the subcommand parses its own words (runner/cmd_*.c) */
			for (i++; i < argc; i++)
				if (strv_push(&o->args, argv[i]) < 0)
					return cs_fail(err, ENOMEM, "out of memory");
			return 0;
		}
	}
	for (; i < argc; i++)
		if (strv_push(&o->args, argv[i]) < 0)
			return cs_fail(err, ENOMEM, "out of memory");
	return check_arguments(o, err);
}

void cli_free(struct cs_opts *o)
{
	strv_free(&o->read_only);
	strv_free(&o->allow);
	strv_free(&o->env);
	strv_free(&o->publish);
	strv_free(&o->build_args);
	strv_free(&o->args);
}

/* The tables, for the test that holds --help to them (and so the man page
 * and completions, which are generated from --help). */
const char *cli_option_at(size_t i, char *short_name, bool *takes_value)
{
	if (i >= ARRAY_SIZE(opt_defs))
		return NULL;
	*short_name = opt_defs[i].short_name;
	*takes_value = opt_defs[i].kind != OPT_FLAG;
	return opt_defs[i].name;
}

const char *cli_command_at(size_t i)
{
	return i < ARRAY_SIZE(commands) ? commands[i].name : NULL;
}

static const char usage_text[] =
"usage: codex-sandbox [OPTIONS] [-- CODEX_ARGS...]     run Codex in the sandbox\n"
"       codex-sandbox exec [OPTIONS] -- CMD [ARGS...]  run a command in the sandbox\n"
"       codex-sandbox shell [OPTIONS]                  interactive shell in the sandbox\n"
"       codex-sandbox build [OPTIONS]                  build the image (options under Image)\n"
"       codex-sandbox doctor                           check the engine, image, nftables, E2B key\n"
"       codex-sandbox attach ID                        reconnect to a kept E2B sandbox\n"
"       codex-sandbox ps [--json]                      list the running sandboxes (both backends)\n"
"       codex-sandbox allow ID ENTRY... [--save]       open egress of a running sandbox\n"
"       codex-sandbox deny ID ENTRY...                 close it again\n"
"       codex-sandbox blocked ID [--follow]            what its firewall blocked, how to open it\n"
"       codex-sandbox help COMMAND                     the options of ps, allow, deny, blocked\n"
"\n"
"Project and Codex home (underscore spellings work too: --work_dir):\n"
"  --work-dir PATH        project directory (default: current directory)\n"
"  --config FILE|DIR      config.toml to use (default search: CODEX_CONFIG_DIR, ~/.codex, ...)\n"
"  --auth-file PATH       auth.json to mount read-only (default search, see README)\n"
"  --auth-writeback       give Codex a private writable auth.json, written back at the end\n"
"  --init-script PATH     hook run in the project dir before Codex (.codex/.environment/init.sh)\n"
"  --read-only PATH       also mount PATH read-only at /app/PATH (repeatable)\n"
"  --sessions-path PATH   where Codex keeps sessions (default .codex/.environment/sessions)\n"
"  --codex-home PATH      Codex home (default WORK_DIR/.codex/.environment)\n"
"  -u, --user UID:GID     run as this user (default: the owner of the project dir)\n"
"  -e, --env NAME[=VAL]   pass an environment variable (value from the host if omitted)\n"
"  -y, --yes              accept writable mounts outside the project dir\n"
"\n"
"Network (default deny):\n"
"  --allow ENTRY          allow a host, *.domain, IP, CIDR or @preset (repeatable; also OPENAI_ALLOWED_DOMAINS)\n"
"  --dns IP               upstream resolver for the sandbox's DNS filter (default: the host's)\n"
"  --network NAME         Docker network the sandbox joins (default: the default bridge)\n"
"  -p, --publish PORT[:HOSTPORT]  publish a sandbox port on 127.0.0.1 of the host\n"
"  --log-blocked FILE     write what was blocked as JSON lines\n"
"\n"
"Backend:\n"
"  --backend docker|e2b   where the sandbox runs (also CODEX_SANDBOX_BACKEND)\n"
"  --image NAME           Docker image (also CODEX_DOCKER_IMAGE; default codex-sandbox)\n"
"  --template ID          E2B template (also E2B_TEMPLATE_ID; default codex)\n"
"  --keep                 E2B: leave the sandbox running and print its id\n"
"  --strict-egress        E2B: refuse to run where E2B enforces less than the local firewall\n"
"  --dry-run              print the resolved plan as JSON and start nothing\n"
"\n"
"Image (codex-sandbox build):\n"
"  --codex-version V      Codex version to put in the image (default: see --version)\n"
"  --build-arg K=V        build argument, e.g. BASE_IMAGE=... (repeatable)\n"
"  --no-cache             build without the engine's layer cache\n"
"\n"
"Information:\n"
"  -h, --help             this help\n"
"  --version              codex-sandbox's version and the image's Codex version\n"
"\n"
"Exit status: the command's; 125 when codex-sandbox fails; 126/127 as docker run.\n";

const char *cli_usage_text(void)
{
	return usage_text;
}

void cli_usage(void)
{
	fputs(usage_text, stdout);
}
