/* toml_top_string / toml_quote: the user's developer_instructions read back
 * in every string form, keys that only look like it ignored, and what we
 * cannot read reported as such (the caller then leaves it alone). */
#include "tap.h"

#include <string.h>

#include "common/buf.h"
#include "runner/core/toml_str.h"

static char got[4096];

static int rd(const char *text)
{
	struct buf b;
	int r;

	buf_init(&b, 1024);
	r = toml_top_string(text, strlen(text), "developer_instructions", &b);
	snprintf(got, sizeof got, "%.*s", (int)b.len, b.data ? b.data : "");
	buf_free(&b);
	return r;
}

int main(void)
{
	struct buf q;

	plan(17);
	ok(rd("developer_instructions = \"be \\\"brief\\\"\\n\\u00e9\"\n") == 1 &&
	   !strcmp(got, "be \"brief\"\n\xc3\xa9"), "basic string with escapes: %s", got);
	ok(rd("model = 'x'\ndeveloper_instructions = 'C:\\path'\n") == 1 && !strcmp(got, "C:\\path"),
	   "literal string, after another key");
	ok(rd("developer_instructions = \"\"\"\nline1\nline2 \\\n   joined\"\"\"\n") == 1 &&
	   !strcmp(got, "line1\nline2 joined"), "multi-line basic: first newline dropped, line-ending backslash");
	ok(rd("developer_instructions = '''\nraw \\n ''quoted'''''\n") == 1 && !strcmp(got, "raw \\n ''quoted''"),
	   "multi-line literal, quotes before the closing ones: %s", got);
	ok(rd("\"developer_instructions\" = \"q\"\n") == 1 && !strcmp(got, "q"), "quoted key");
	ok(rd("# developer_instructions = \"no\"\nx = 1\n") == 0, "in a comment: not set");
	ok(rd("[profiles.a]\ndeveloper_instructions = \"p\"\n") == 0, "in a table: not top level");
	ok(rd("notes = \"\"\"\ndeveloper_instructions = \"no\"\n\"\"\"\n") == 0, "inside another multi-line string");
	ok(rd("list = [\n \"a\", [1,\n 2],\n]\ndeveloper_instructions = \"after\"\n") == 1 &&
	   !strcmp(got, "after"), "after a nested multi-line array");
	ok(rd("t = { a = \"}\", b = 1 }\ndeveloper_instructions = \"yes\" # comment\n") == 1 && !strcmp(got, "yes"),
	   "after an inline table with a brace in a string");
	ok(rd("developer_instructions.x = \"no\"\n") == 0, "a dotted key is not it");
	ok(rd("developer_instructions = 42\n") == -1, "not a string: unreadable");
	ok(rd("developer_instructions = \"open\n") == -1, "unterminated: unreadable");
	ok(rd("developer_instructions = \"\\q\"\n") == -1, "a bad escape: unreadable");
	ok(rd("developer_instructions = \"\\ud800\"\n") == -1, "a surrogate: unreadable");

	buf_init(&q, 1024);
	ok(toml_quote("a \"b\" \\ c\nd\te", &q) == 0 && q.len == strlen("\"a \\\"b\\\" \\\\ c\\nd\\u0009e\"") &&
	   !memcmp(q.data, "\"a \\\"b\\\" \\\\ c\\nd\\u0009e\"", q.len), "toml_quote escapes");
	buf_reset(&q);
	{
		char text[200];

		toml_quote("x\"\n\x01y", &q);
		snprintf(text, sizeof text, "developer_instructions = %.*s\n", (int)q.len, q.data);
		ok(rd(text) == 1 && !strcmp(got, "x\"\n\x01y"), "...and reads back the same");
	}
	buf_free(&q);
	return tap_done();
}
