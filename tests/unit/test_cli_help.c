/* --help against the option and command tables in runner/core/cli.c.  The man
 * page and the shell completions are generated from --help, so this keeps
 * all of them true to what the parser accepts. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "runner/core/cli.h"

/* The option line for --NAME in TEXT: a line "  --NAME..." or
 * "  -x, --NAME...".  Returns a pointer just past NAME, or NULL. */
static const char *option_line(const char *text, const char *name, char *short_seen)
{
	char want[80];
	const char *line = text;

	snprintf(want, sizeof want, "--%s", name);
	while (line && *line) {
		const char *p = line, *eol = strchr(line, '\n');

		*short_seen = 0;
		if (p[0] == ' ' && p[1] == ' ' && p[2] == '-') {
			p += 2;
			if (p[1] != '-' && p[2] == ',') {  /* "-x, --name" */
				*short_seen = p[1];
				p += 4;
			}
			size_t n = strlen(want);

			if (strncmp(p, want, n) == 0 && (p[n] == ' ' || p[n] == '\n'))
				return p + n;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* Does the option line say the option takes a value ("--x VALUE  desc")? */
static bool line_takes_value(const char *after_name)
{
	return after_name[0] == ' ' && after_name[1] != ' ';
}

/* Every "--word" of TEXT is a table option (or --help / --version). */
static int unknown_long_options(const char *text, char *first, size_t firstsz)
{
	int bad = 0;

	for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--")) {
		char word[64];
		size_t n = 0;
		bool known = false, tv;
		char sh;

		/* the seed's underscore spelling is the same option */
		while (n + 1 < sizeof word &&
		       (p[2 + n] == '-' || p[2 + n] == '_' || (p[2 + n] >= 'a' && p[2 + n] <= 'z')))
			word[n] = p[2 + n] == '_' ? '-' : p[2 + n], n++;
		word[n] = '\0';
		if (n == 0)
			continue;   /* a bare "--" */
		known = strcmp(word, "help") == 0 || strcmp(word, "version") == 0;
		/* the options of ps, allow and blocked (runner/cmd_*.c parse them) */
		known |= strcmp(word, "json") == 0 || strcmp(word, "save") == 0 ||
			 strcmp(word, "follow") == 0;
		for (size_t i = 0; !known && cli_option_at(i, &sh, &tv); i++)
			known = strcmp(cli_option_at(i, &sh, &tv), word) == 0;
		if (!known && bad++ == 0)
			snprintf(first, firstsz, "--%s", word);
	}
	return bad;
}

int main(void)
{
	const char *help = cli_usage_text();
	char missing[512] = "", wrong_kind[512] = "", wrong_short[512] = "", unknown[64] = "";
	char sh, seen;
	bool tv;
	size_t i;

	plan(7);
	for (i = 0; cli_option_at(i, &sh, &tv); i++) {
		const char *name = cli_option_at(i, &sh, &tv);
		const char *after = option_line(help, name, &seen);

		if (!after) {
			strncat(missing, name, sizeof missing - strlen(missing) - 2);
			strcat(missing, " ");
			continue;
		}
		if (line_takes_value(after) != tv) {
			strncat(wrong_kind, name, sizeof wrong_kind - strlen(wrong_kind) - 2);
			strcat(wrong_kind, " ");
		}
		if (seen != sh) {
			strncat(wrong_short, name, sizeof wrong_short - strlen(wrong_short) - 2);
			strcat(wrong_short, " ");
		}
	}
	ok(i >= 20, "the option table has its options (%zu)", i);
	is_str(missing, "", "every option of the table has its own line in --help");
	is_str(wrong_kind, "", "--help shows a value exactly for the options that take one");
	is_str(wrong_short, "", "--help shows the short spelling exactly where the table has one");
	is_int(unknown_long_options(help, unknown, sizeof unknown), 0,
	       "every --option named in --help is one the parser accepts %s", unknown);

	{
		char bad[512] = "";

		for (i = 0; cli_command_at(i); i++) {
			const char *c = cli_command_at(i);
			char want[64];

			if (strcmp(c, "run") == 0 || strcmp(c, "help") == 0)
				continue;   /* the default, and --help's word form */
			snprintf(want, sizeof want, "codex-sandbox %s ", c);
			if (!strstr(help, want)) {
				strncat(bad, c, sizeof bad - strlen(bad) - 2);
				strcat(bad, " ");
			}
		}
		is_str(bad, "", "every command has a usage line in --help");
	}
	/* The checker itself: a made-up option is reported, a real one is not. */
	{
		const char *fake = "  --work-dir PATH   x\n  see --no-such-option\n";

		ok(unknown_long_options(fake, unknown, sizeof unknown) == 1 &&
		   strcmp(unknown, "--no-such-option") == 0 && option_line(fake, "work-dir", &seen) &&
		   !option_line(fake, "config", &seen),
		   "the checks tell a known option from an unknown one (control)");
	}
	return tap_done();
}
