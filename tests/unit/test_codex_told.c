/* Codex is told (runner/core/codex_cmd.h): one -c developer_instructions
 * argument saying egress is allowlisted, where the list and the log are,
 * that a block answers NXDOMAIN with an EDE, and the allow command with the
 * sandbox id; the user's own developer_instructions kept first; one we
 * cannot read left alone; E2B's text says there is no log. */
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "runner/core/codex_cmd.h"

static char arg[16384];

/* The developer_instructions argument of the command for CONFIG (NULL: no
 * config); "" when there is none. */
static const char *told_arg(const char *config, const struct codex_told *told)
{
	struct strv v = { 0 };

	arg[0] = '\0';
	if (codex_command(&v, config, config ? strlen(config) : 0, "/app/p", told, NULL, 0) < 0)
		return "(failed)";
	for (size_t i = 0; i + 1 < v.n; i++)
		if (!strcmp(v.v[i], "-c") && !strncmp(v.v[i + 1], "developer_instructions=", 23))
			snprintf(arg, sizeof arg, "%s", v.v[i + 1]);
	strv_free(&v);
	return arg;
}

int main(void)
{
	struct codex_told local = { .sandbox_id = "0123abcd", .blocked_log = true };
	struct codex_told e2b = { .sandbox_id = NULL, .blocked_log = false };
	const char *a;

	plan(15);
	a = told_arg(NULL, &local);
	ok(!strncmp(a, "developer_instructions=\"You are running inside codex-sandbox.", 61),
	   "one -c developer_instructions=\"...\" (a TOML string)");
	ok(strstr(a, "allowlisted") && strstr(a, "/etc/codex/allowed_domains.txt"), "...egress is allowlisted, the list");
	ok(strstr(a, "/etc/codex/blocked.jsonl") && strstr(a, "updated live"), "...the log");
	ok(strstr(a, "NXDOMAIN") && strstr(a, "Extended DNS Error"), "...NXDOMAIN with an EDE");
	ok(strstr(a, "codex-sandbox allow 0123abcd NAME"), "...the allow command with the sandbox id");
	ok(!strchr(a, '\n'), "...one line (newlines escaped)");

	a = told_arg("developer_instructions = \"Mine: be \\\"terse\\\".\"\n", &local);
	ok(!strncmp(a, "developer_instructions=\"Mine: be \\\"terse\\\".\\n\\nYou are running inside codex-sandbox.", 83),
	   "the user's own instructions first, ours appended: %.90s", a);
	a = told_arg("developer_instructions = 7\n", &local);
	is_str(a, "", "theirs unreadable: left alone (no -c that would replace it)");
	a = told_arg("[profiles.x]\ndeveloper_instructions = \"p\"\n", &local);
	ok(strstr(a, "You are running inside codex-sandbox") && !strstr(a, "\"p"), "a profile's is not the top level's");

	/* \u0000 would end the C string and cut ours: unreadable */
	a = told_arg("developer_instructions = \"mine\\u0000 hidden\"\n", &local);
	is_str(a, "", "theirs with \\u0000: unreadable, left alone (never cut short)");
	{
		/* one argument must stay under the kernel's 128 KiB per argument */
		size_t n = 140000;
		char *big = malloc(n + 64), *ctl = malloc(40000 * 6 + 64);
		struct strv v = { 0 };
		size_t longest = 0;

		size_t head = (size_t)sprintf(big, "developer_instructions = \"");

		memset(big + head, 'x', n);
		strcpy(big + head + n, "\"\n");
		a = told_arg(big, &local);
		is_str(a, "", "theirs too long for one argument: left alone, no -c");
		char *w = ctl + sprintf(ctl, "developer_instructions = \"");

		for (size_t i = 0; i < 20000; i++)
			w += sprintf(w, "\\u0001");   /* 1 byte read, 6 quoted */
		strcpy(w, "\"\n");
		if (codex_command(&v, ctl, strlen(ctl), "/app/p", &local, NULL, 0) == 0)
			for (size_t i = 0; i < v.n; i++)
				longest = strlen(v.v[i]) > longest ? strlen(v.v[i]) : longest;
		ok(v.n && longest < (128u << 10), "control characters quoting widens: every argument < 128 KiB (%zu)",
		   longest);
		strv_free(&v);
		free(big);
		free(ctl);
	}

	a = told_arg(NULL, &e2b);
	ok(strstr(a, "no log of what was blocked") && strstr(a, "/etc/codex/allowed_domains.txt"),
	   "E2B: the list, and no log");
	ok(strstr(a, "codex-sandbox allow <sandbox id, as codex-sandbox ps lists it> NAME"),
	   "E2B: the id is found with ps");
	is_str(told_arg(NULL, NULL), "", "not told: no argument");
	return tap_done();
}
