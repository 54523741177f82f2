/* Command-line parsing: argv -> struct cs_opts.  Pure (no I/O).
 *
 * Every long option accepts the seed's underscore spelling and the dash
 * spelling (--work_dir == --work-dir), and both "--opt value" and
 * "--opt=value".  Unknown options are an error (exit 125). */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/strv.h"

enum cs_command {
	CMD_RUN,     /* default: Codex */
	CMD_EXEC,    /* exec -- CMD... */
	CMD_SHELL,   /* interactive shell */
	CMD_BUILD,   /* build the image */
	CMD_DOCTOR,  /* check the setup */
	CMD_ATTACH,  /* attach ID (E2B) */
	CMD_PS,      /* ps [--json]: the running sandboxes (their words in args) */
	CMD_ALLOW,   /* allow ID ENTRY... [--save] */
	CMD_DENY,    /* deny ID ENTRY... */
	CMD_BLOCKED, /* blocked ID [--follow] */
	CMD_HELP,
	CMD_VERSION,
};

struct cs_opts {
	enum cs_command command;
	const char *work_dir;
	const char *config;
	const char *auth_file;
	const char *init_script;
	const char *sessions_path;
	const char *codex_home;
	struct strv read_only;
	struct strv allow;
	struct strv env;          /* -e NAME[=VALUE] */
	struct strv publish;
	struct strv build_args;   /* KEY=VALUE */
	const char *dns;
	const char *backend;
	const char *image;
	const char *template_id;
	const char *network;
	const char *log_blocked;
	const char *user;
	const char *codex_version;
	const char *attach_id;
	bool yes;
	bool dry_run;
	bool auth_writeback;
	bool keep;
	bool strict_egress;
	bool no_cache;
	struct strv args;         /* after "--": Codex args or the command */
};

int cli_parse(int argc, char **argv, struct cs_opts *o, struct cs_err *err);
void cli_free(struct cs_opts *o);
const char *cli_command_name(enum cs_command c);
/* Commands that take their own words (help, ps, allow, deny, blocked): every
 * argument after the command word goes to args, unparsed. */
bool cli_takes_words(enum cs_command c);
void cli_usage(void);
const char *cli_usage_text(void);
/* The I-th long option (dash spelling) or command; NULL past the end. */
const char *cli_option_at(size_t i, char *short_name, bool *takes_value);
const char *cli_command_at(size_t i);


#endif
