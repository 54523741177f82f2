/* toml_sets_key: does the user's config decide a setting we would override? */
#include "tap.h"
#include "runner/core/toml_keys.h"

static int has(const char *text, const char *key)
{
	return toml_sets_key(text, strlen(text), key);
}

int main(void)
{
	plan(14);
	ok(has("check_for_update_on_startup = true\n", "check_for_update_on_startup"), "top-level key");
	ok(!has("# check_for_update_on_startup = true\n", "check_for_update_on_startup"), "comment ignored");
	ok(has("[features]\ndaemon_auto_start = true\n", "features.daemon_auto_start"), "table header");
	ok(!has("[features]\nplugins = false\n", "features.daemon_auto_start"), "other key in the table");
	ok(has("features.daemon_auto_start = true\n", "features.daemon_auto_start"), "dotted key");
	ok(has("features = { plugins = false, daemon_auto_start = true }\n", "features.daemon_auto_start"),
	   "inline table");
	ok(!has("features = { plugins = false }\n", "features.daemon_auto_start"), "inline table without it");
	ok(!has("[tui]\ncheck_for_update_on_startup = true\n", "check_for_update_on_startup"),
	   "same key under another table");
	ok(has("model = \"x\"\n[projects.\"/app/w\"]\ntrust_level = \"trusted\"\n",
	       "projects.\"/app/w\".trust_level"), "quoted table segment");
	ok(!has("notes = \"\"\"\ncheck_for_update_on_startup = true\n\"\"\"\n", "check_for_update_on_startup"),
	   "inside a multi-line string");
	ok(!has("list = [\n  \"check_for_update_on_startup = true\",\n]\n", "check_for_update_on_startup"),
	   "inside a multi-line array");
	ok(has("list = [\n 1,\n]\ncheck_for_update_on_startup = false\n", "check_for_update_on_startup"),
	   "after a multi-line array");
	ok(has("[[profiles]]\n[features]\n  daemon_auto_start=false", "features.daemon_auto_start"),
	   "array-of-tables header, then table, no trailing newline");
	ok(!has("", "features.daemon_auto_start"), "empty config");
	return tap_done();
}
