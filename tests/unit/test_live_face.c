/* The pure parts of ps/allow/deny/blocked: id-prefix resolution, the
 * blocked.jsonl aggregation (hostile lines: bounded, skipped, made
 * printable, never through a link), the allowed_domains.txt rewrite and
 * the saved per-project entries (bounded, validated, never in the
 * project). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "common/env.h"
#include "common/fdio.h"
#include "runner/core/allowed_file.h"
#include "runner/core/blocked_log.h"
#include "runner/core/cli.h"
#include "runner/core/plan_saved.h"
#include "runner/core/sandbox_plan.h"
#include "runner/core/sandbox_id.h"

static char cfg_home[64];

static const char *fake_env(const char *name)
{
	return strcmp(name, "XDG_CONFIG_HOME") == 0 ? cfg_home : NULL;
}

static void test_ids(void)
{
	struct strv ids = { 0 };
	struct cs_err err = { 0 };
	const char *hit;

	strv_push(&ids, "a1b2c3d4e5f6");
	strv_push(&ids, "a1b2ffff0000");
	strv_push(&ids, "9999");
	ok(sandbox_id_match("a1b2c", &ids, &hit, &err) == 1 && strcmp(hit, "a1b2c3d4e5f6") == 0,
	   "id: a unique prefix resolves");
	ok(sandbox_id_match("9999", &ids, &hit, &err) == 1 && strcmp(hit, "9999") == 0,
	   "id: a whole id resolves");
	ok(sandbox_id_match("a1b2", &ids, &hit, &err) < 0 && strstr(err.msg, "2 running") && !hit,
	   "id: an ambiguous prefix is an error naming the count (%s)", err.msg);
	err = (struct cs_err){ 0 };
	ok(sandbox_id_match("zz", &ids, &hit, &err) == 0 && !hit && !err.set, "id: no match is 0");
	ok(sandbox_id_check("../etc", &err) < 0 && err.status == 125, "id: path characters are refused (125)");
	err = (struct cs_err){ 0 };
	ok(sandbox_id_check("", &err) < 0, "id: empty is refused");
	err = (struct cs_err){ 0 };
	ok(sandbox_id_check("isb_ab-12", &err) == 0, "id: E2B's shape is accepted");
	strv_free(&ids);
}

static const char log_text[] =
	"{\"time\":\"t\",\"type\":\"dns-refused\",\"name\":\"evil.test\",\"qtype\":\"A\",\"reason\":\"not on the allowlist\",\"count\":2}\n"
	"{\"type\":\"dns-refused\",\"name\":\"evil.test\",\"qtype\":\"A\",\"reason\":\"not on the allowlist\"}\n"
	"{\"type\":\"conn\",\"addr\":\"192.0.2.9\",\"port\":443,\"proto\":\"tcp\",\"count\":5}\n"
	"{\"type\":\"conn\",\"addr\":\"192.0.2.9\",\"port\":80,\"proto\":\"tcp\",\"count\":1}\n"
	"{\"type\":\"flow-refused\",\"name\":\"x\\u001b[2J.test\",\"addr\":\"192.0.2.9\",\"port\":443,\"proto\":\"tcp\",\"count\":1e300}\n"
	"not json at all\n"
	"[1,2,3]\n"
	"{\"type\":\"conn\"}\n"
	"{\"type\":\"log-full\"}\n"
	"{\"type\":\"dns-refused\",\"name\":\"partial";

static void test_blocked(void)
{
	struct blocked_agg a;
	struct cs_err err = { 0 };
	char dir[] = "/tmp/test-live-XXXXXX", path[128], link[140];
	uint64_t off = 0;
	FILE *f;

	blocked_agg_init(&a);
	size_t used = blocked_agg_text(&a, log_text, strlen(log_text));
	ok(used == (size_t)(strrchr(log_text, '\n') - log_text) + 1, "blocked: a partial last line waits");
	is_int(a.n, 4, "blocked: rows aggregated by (type, name, addr, port, proto)");
	ok(a.v[0].count == 3 && strcmp(blocked_target(&a.v[0]), "evil.test") == 0,
	   "blocked: counts summed, a missing count is 1");
	ok(a.v[1].port == 443 && a.v[1].count == 5 && a.v[2].port == 80 &&
	   strcmp(blocked_target(&a.v[1]), "192.0.2.9") == 0, "blocked: ports kept apart, the address is the target");
	ok(strchr(a.v[3].name, '\033') == NULL && a.v[3].count == 1,
	   "blocked: control bytes made '?', an absurd count read as 1 (%s)", a.v[3].name);
	ok(a.skipped == 3 && a.full, "blocked: odd lines skipped (%llu), log-full noticed",
	   (unsigned long long)a.skipped);
	is_int(a.total, 10, "blocked: the total counts every record");
	blocked_agg_free(&a);

	blocked_agg_init(&a);
	for (int i = 0; i < BLOCKED_ROWS_MAX + 10; i++) {
		char l[200];
		int n = snprintf(l, sizeof l, "{\"type\":\"dns-refused\",\"name\":\"n%d.test\"}", i);

		blocked_agg_line(&a, l, (size_t)n);
	}
	ok(a.n == BLOCKED_ROWS_MAX && a.total == BLOCKED_ROWS_MAX + 10, "blocked: rows are bounded, all counted");
	blocked_agg_free(&a);

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof path, "%s/blocked.jsonl", dir);
	f = fopen(path, "w");
	fputs("{\"type\":\"conn\",\"addr\":\"192.0.2.1\",\"port\":22,\"proto\":\"tcp\"}\n{\"type\":\"co", f);
	fclose(f);
	blocked_agg_init(&a);
	ok(blocked_read(path, &off, &a, &err) == 0 && a.n == 1 && off == strlen("{\"type\":\"conn\",\"addr\":\"192.0.2.1\",\"port\":22,\"proto\":\"tcp\"}\n"), "blocked: read up to the last whole line (%llu)",
	   (unsigned long long)off);
	f = fopen(path, "a");
	fputs("nn\",\"addr\":\"192.0.2.2\",\"port\":22,\"proto\":\"tcp\"}\n", f);
	fclose(f);
	ok(blocked_read(path, &off, &a, &err) == 0 && a.n == 2, "blocked: --follow picks up from there");
	blocked_agg_free(&a);
	snprintf(link, sizeof link, "%s/link", dir);
	ok(symlink(path, link) == 0, "blocked: (a link planted)");
	off = 0;
	blocked_agg_init(&a);
	ok(blocked_read(link, &off, &a, &err) < 0 && a.n == 0, "blocked: a link is never followed");
	blocked_agg_free(&a);
	unlink(link);
	unlink(path);
	mkfifo(path, 0600);
	err = (struct cs_err){ 0 };
	ok(blocked_read(path, &off, &a, &err) < 0, "blocked: a FIFO is refused without hanging");
	unlink(path);
	rmdir(dir);
}

static void test_allowed_file(void)
{
	struct allowlist ch;
	struct cs_err err = { 0 };
	char *out = NULL;

	allowlist_init(&ch);
	allowlist_add_text(&ch, "new.test 10.1.0.0/16 old.test", "test", &err);
	ok(allowed_text_change("old.test\napi.openai.com\n", &ch, true, &out, &err) == 0 &&
	   strcmp(out, "old.test\napi.openai.com\nnew.test\n10.1.0.0/16\n") == 0,
	   "allowed file: allow appends what is new, once");
	free(out);
	ok(allowed_text_change("old.test\napi.openai.com\nnew.test\n", &ch, false, &out, &err) == 0 &&
	   strcmp(out, "api.openai.com\n") == 0, "allowed file: deny removes them");
	free(out);
	ok(allowed_text_change("junk line\n*.com\nok.test", &ch, false, &out, &err) == 0 &&
	   strcmp(out, "ok.test\n") == 0, "allowed file: invalid lines are dropped");
	free(out);
	allowlist_free(&ch);
}

static void test_saved(void)
{
	struct allowlist al;
	struct strv got = { 0 }, add = { 0 };
	struct cs_err err = { 0 };
	char path[128], *text = NULL;

	allowlist_init(&al);
	ok(saved_parse("{\"projects\":{\"/p\":{\"allow\":[\"a.test\",\"@npm\"]},\"/q\":{\"allow\":[\"q.test\"]}}}",
		       "/p", "F", &al, &got, &err) == 2 && got.n == 2 && allowlist_match_name(&al, "a.test") &&
	   allowlist_match_name(&al, "registry.npmjs.org") && !allowlist_match_name(&al, "q.test"),
	   "saved: only this project's entries, presets expanded (%s)", err.msg);
	err = (struct cs_err){ 0 };
	ok(saved_parse("{\"projects\":{}}", "/p", "F", &al, NULL, &err) == 0, "saved: no entries for a project: 0");
	ok(saved_parse("{\"projects\":{\"/p\":{\"allow\":[\"*.com\"]}}}", "/p", "F", &al, NULL, &err) < 0 &&
	   err.status == 125 && strstr(err.msg, "*.com"), "saved: a bad entry is 125 naming it (%s)", err.msg);
	err = (struct cs_err){ 0 };
	ok(saved_parse("{\"projects\":{\"/p\":{\"allow\":[\"@npm evil.test\"]}}}", "/p", "F", &al, NULL, &err) < 0,
	   "saved: one entry per string");
	err = (struct cs_err){ 0 };
	ok(saved_parse("[]", "/p", "F", &al, NULL, &err) < 0 && strstr(err.msg, "F"), "saved: a malformed file names the file");
	err = (struct cs_err){ 0 };
	ok(saved_parse("{\"projects\":{\"/p\":{\"allow\":[7]}}}", "/p", "F", &al, NULL, &err) < 0,
	   "saved: a non-string entry is refused");
	allowlist_free(&al);
	strv_push(&add, "b.test");
	strv_push(&add, "a.test");
	err = (struct cs_err){ 0 };
	ok(saved_add("{\"projects\":{\"/p\":{\"allow\":[\"a.test\"]}}}", "/p", &add, &text, &err) == 0 &&
	   strstr(text, "b.test") && strstr(text, "a.test") == strstr(text, "\"a.test") + 1,
	   "saved: entries added");
	allowlist_init(&al);
	strv_free(&got);
	ok(saved_parse(text, "/p", "F", &al, &got, &err) == 2, "saved: added once each");
	free(text);
	allowlist_free(&al);

	/* the I/O: written under XDG_CONFIG_HOME, never inside the project */
	snprintf(cfg_home, sizeof cfg_home, "/tmp/test-saved-XXXXXX");
	if (!mkdtemp(cfg_home))
		return;
	env_use(fake_env);
	ok(saved_record("/some/project", &add, path, sizeof path, &err) == 0 &&
	   strncmp(path, cfg_home, strlen(cfg_home)) == 0 && access(path, R_OK) == 0,
	   "saved: --save writes the user's config (%s)", path);
	err = (struct cs_err){ 0 };
	ok(saved_record(cfg_home, &add, path, sizeof path, &err) < 0 && strstr(err.msg, "inside the project"),
	   "saved: never into the project directory (%s)", err.msg);
	{
		/* a project that holds the configuration: its sandbox could
		 * write entries every project reads; the run is refused */
		struct sandbox_plan sp;

		memset(&sp, 0, sizeof sp);
		sp.work_dir = cfg_home;
		err = (struct cs_err){ 0 };
		ok(plan_saved(&sp, &err) < 0 && err.status == CS_EXIT_FAIL &&
		   strstr(err.msg, "contains your codex-sandbox configuration"),
		   "saved: a project holding the configuration is refused (%s)", err.msg);
		memset(&sp, 0, sizeof sp);
		sp.work_dir = "/some/project";
		err = (struct cs_err){ 0 };
		allowlist_init(&sp.allow);
		ok(plan_saved(&sp, &err) == 0 && sp.saved_allow.n == 2, "saved: another project reads it");
		allowlist_free(&sp.allow);
		strv_free(&sp.saved_allow);
		free(sp.saved_file);
	}
	{
		/* the checks --save runs before the live change: nothing written */
		struct strv one = { 0 };
		struct stat before, after;

		strv_push(&one, "checked.test");
		stat(path, &before);
		err = (struct cs_err){ 0 };
		{
			struct saved_tx tx;

			ok(saved_begin("/some/project", &one, &tx, &err) == 0 && stat(path, &after) == 0 &&
			   before.st_ino == after.st_ino && before.st_size == after.st_size,
			   "saved: begun (checked, locked): the file untouched until the commit");
			saved_end(&tx);
		}
		strv_free(&one);
	}
	{
		/* two saves at once: the second waits for the first's lock and
		 * keeps its entry (a read-modify-write without it would drop one) */
		struct strv first = { 0 }, second = { 0 }, got2 = { 0 };
		struct allowlist al2;
		char *text2 = NULL;
		int sync[2];
		pid_t pid = -1;

		strv_push(&first, "first.save.test");
		strv_push(&second, "second.save.test");
		if (pipe(sync) == 0 && (pid = fork()) == 0) {
			struct saved_tx tx;
			struct cs_err e = { 0 };

			if (saved_begin("/some/project", &first, &tx, &e) == 0) {
				(void)!write(sync[1], "x", 1);
				usleep(300 * 1000);
				saved_commit(&tx, &e);
			}
			saved_end(&tx);
			_exit(0);
		}
		close(sync[1]);
		(void)!read(sync[0], &(char){ 0 }, 1);
		close(sync[0]);
		err = (struct cs_err){ 0 };
		saved_record("/some/project", &second, path, sizeof path, &err);
		waitpid(pid, NULL, 0);
		allowlist_init(&al2);
		if (read_small_file(path, 1u << 20, &text2, NULL) == 0)
			saved_parse(text2, "/some/project", "F", &al2, &got2, &err);
		ok(allowlist_match_name(&al2, "first.save.test") && allowlist_match_name(&al2, "second.save.test"),
		   "saved: two saves at once keep both entries");
		free(text2);
		allowlist_free(&al2);
		strv_free(&got2);
		strv_free(&first);
		strv_free(&second);
	}
	{
		/* over the per-project limit: refused when saving, never a file
		 * that would break every later run of the project */
		struct strv many = { 0 };
		char name[40];

		for (unsigned i = 0; i <= SAVED_PER_PROJECT_MAX; i++) {
			snprintf(name, sizeof name, "n%u.many.test", i);
			strv_push(&many, name);
		}
		err = (struct cs_err){ 0 };
		ok(saved_record("/some/project", &many, path, sizeof path, &err) < 0 &&
		   strstr(err.msg, "more than"), "saved: more than %u entries for a project: refused (%s)",
		   SAVED_PER_PROJECT_MAX, err.msg);
		strv_free(&many);
	}
	{
		/* a link in place of the file: refused, never read or written through */
		char target[PATH_MAX + 16];
		struct strv one = { 0 };

		strv_push(&one, "linked.test");
		snprintf(target, sizeof target, "%s.target", path);
		err = (struct cs_err){ 0 };
		ok(rename(path, target) == 0 && symlink(target, path) == 0 &&
		   saved_record("/some/project", &one, path, sizeof path, &err) < 0,
		   "saved: a symlink as the file is refused (%s)", err.msg);
		{
			struct stat st;

			ok(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "...the link left as it was");
		}
		unlink(path);
		unlink(target);
		strv_free(&one);
	}
	unlink(path);
	snprintf(path, sizeof path, "%s/codex-sandbox", cfg_home);
	rmdir(path);
	rmdir(cfg_home);
	env_use(NULL);
	strv_free(&add);
	strv_free(&got);
}

static void test_cli(void)
{
	char *allow[] = { "codex-sandbox", "allow", "abc", "x.test", "--save", NULL };
	char *ps[] = { "codex-sandbox", "ps", "--json", NULL };
	char *help[] = { "codex-sandbox", "help", "blocked", NULL };
	struct cs_opts o;
	struct cs_err err = { 0 };

	ok(cli_parse(5, allow, &o, &err) == 0 && o.command == CMD_ALLOW && o.args.n == 3 &&
	   strcmp(o.args.v[2], "--save") == 0, "cli: allow's words go to the subcommand unparsed");
	cli_free(&o);
	ok(cli_parse(3, ps, &o, &err) == 0 && o.command == CMD_PS && o.args.n == 1, "cli: ps --json");
	cli_free(&o);
	ok(cli_parse(3, help, &o, &err) == 0 && o.command == CMD_HELP && o.args.n == 1 &&
	   strcmp(o.args.v[0], "blocked") == 0, "cli: help COMMAND keeps its topic");
	cli_free(&o);
}

int main(void)
{
	plan(43);
	test_ids();
	test_blocked();
	test_allowed_file();
	test_saved();
	test_cli();
	return tap_done();
}
