/* The sync's rules: the path guard (clean paths, symlinks that stay
 * inside, opening beneath a root without following symlinks), the
 * sandbox's listing, the never-overwrite decision table, the upload scan
 * (limit, symlinks, special files) and the state kept for attach. */
#include "tap.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/e2b_state.h"
#include "runner/e2b_sync.h"

static void test_clean(void)
{
	char out[SYNC_PATH_MAX];

	ok(sync_path_clean("a/b.txt", out, sizeof out) == 0 && strcmp(out, "a/b.txt") == 0, "a clean path passes");
	ok(sync_path_clean("with space/é", out, sizeof out) == 0, "any bytes in a name are fine");
	ok(sync_path_clean("", out, sizeof out) < 0, "empty refused");
	ok(sync_path_clean("/etc/passwd", out, sizeof out) < 0, "absolute refused");
	ok(sync_path_clean("../x", out, sizeof out) < 0, "leading .. refused");
	ok(sync_path_clean("a/../../x", out, sizeof out) < 0, ".. in the middle refused");
	ok(sync_path_clean("a/..", out, sizeof out) < 0, "trailing .. refused");
	ok(sync_path_clean("./a", out, sizeof out) < 0 && sync_path_clean("a/./b", out, sizeof out) < 0, ". refused");
	ok(sync_path_clean("a//b", out, sizeof out) < 0 && sync_path_clean("a/", out, sizeof out) < 0,
	   "empty components refused");
	ok(sync_path_clean("..a/b..", out, sizeof out) == 0, "names that merely contain dots are fine");
	ok(sync_path_clean("abcdef", out, 4) < 0, "too long for the buffer refused");
}

static void test_links(void)
{
	ok(sync_link_inside("link", "README"), "sibling target");
	ok(sync_link_inside("a/b/link", "../c/x"), "up one, down one");
	ok(sync_link_inside("a/link", ".."), "up to the root itself");
	ok(!sync_link_inside("link", "../x"), "above the root refused");
	ok(!sync_link_inside("a/link", "../../x"), "two levels above refused");
	ok(!sync_link_inside("a/link", "x/../../../y"), "climbing out through a detour refused");
	ok(!sync_link_inside("link", "/etc/passwd"), "absolute target refused");
	ok(!sync_link_inside("link", ""), "empty target refused");
	ok(sync_link_inside("a/link", "./x/./y"), ". components are harmless");
}

static void test_excluded(void)
{
	struct strv ex = { 0 };

	strv_push(&ex, ".codex/.environment");
	strv_push(&ex, "auth.json");
	ok(sync_excluded(".git/config", &ex) && sync_excluded("sub/.git/HEAD", &ex), ".git anywhere is excluded");
	ok(!sync_excluded(".github/x", &ex) && !sync_excluded("a.git", &ex), ".github and a.git are not .git");
	ok(sync_excluded(".codex/.environment", &ex) && sync_excluded(".codex/.environment/sessions/x", &ex),
	   "an excluded tree and everything below it");
	ok(!sync_excluded(".codex/.environment2", &ex) && !sync_excluded(".codex/auth.json", &ex),
	   "prefixes match whole components only");
	ok(sync_excluded("auth.json", &ex), "an excluded file");
	strv_free(&ex);
}

static void test_size(void)
{
	is_int(sync_parse_size("512M"), 512ll << 20, "512M");
	is_int(sync_parse_size("2G"), 2ll << 30, "2G");
	is_int(sync_parse_size("1GiB"), 1ll << 30, "1GiB");
	is_int(sync_parse_size("100kb"), 100ll << 10, "100kb");
	is_int(sync_parse_size("4096"), 4096, "plain bytes");
	is_int(sync_parse_size("-1"), -1, "negative refused");
	is_int(sync_parse_size("12X"), -1, "unknown suffix refused");
	is_int(sync_parse_size("99999999999999999999"), -1, "overflow refused");
	is_int(sync_parse_size(""), -1, "empty refused");
}

#define REC(s) s "\0"
static void test_listing(void)
{
	static const char *const names[4] = { "0", "1", NULL, NULL };
	static const char good[] =
		REC("S0")
		REC("F644 5 ./README") REC("F755 10 ./bin/run.sh") REC("L./link") REC("README")
		REC("F644 3 ./../escape") REC("L./evil") REC("/etc/passwd")
		REC("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  ./README")
		REC("299001868fb8c02fd431c336c6d058f5558c5dff5b5af5e6fe04b870a6a9cbba  ./bin/run.sh")
		REC("S1") REC("F600 2 ./config.toml")
		REC("S9") REC("F644 1 ./ignored-section")
		REC("E");
	struct sync_list out[4] = { 0 };
	struct cs_err e = { 0 };
	size_t rejected;
	const struct sync_entry *x;

	is_int(sync_parse_listing(good, sizeof good - 1, names, out, &rejected, &e), 0, "a listing parses");
	is_int(out[0].n, 4, "four entries in section 0 (the escaping one dropped)");
	is_int(rejected, 1, "... and counted as refused");
	x = sync_list_find(&out[0], "README");
	ok(x && x->type == SYNC_FILE && x->size == 5 && x->mode == 0644 &&
	   strncmp(x->sha, "5891b5b5", 8) == 0, "a file gets its size, mode and sha256");
	x = sync_list_find(&out[0], "bin/run.sh");
	ok(x && x->mode == 0755, "the executable bit is kept");
	x = sync_list_find(&out[0], "link");
	ok(x && x->type == SYNC_LINK && strcmp(x->link, "README") == 0, "a symlink and its target");
	x = sync_list_find(&out[0], "evil");
	ok(x && x->type == SYNC_LINK, "a link pointing out is listed (refused when applied)");
	ok(out[1].n == 1 && out[1].v[0].sha[0] == '\0', "section 1; a file without a hash has none");
	for (int i = 0; i < 4; i++)
		sync_list_free(&out[i]);

	cs_err_clear(&e);
	ok(sync_parse_listing(good, sizeof good - 3, names, out, &rejected, &e) < 0,
	   "a listing without its end mark is refused (truncated)");
	for (int i = 0; i < 4; i++)
		sync_list_free(&out[i]);
	{
		static const char bad1[] = REC("S0") REC("L./x");
		static const char bad2[] = REC("S0") REC("Fzz 1 ./x") REC("E");
		static const char bad3[] = REC("S0") REC("garbage") REC("E");
		static const char bad4[] = REC("S0") REC("E") REC("F644 1 ./late");
		static const char bad5[] = REC("S0") REC("") REC("E");
		const struct { const char *d; size_t n; const char *what; } bad[] = {
			{ bad1, sizeof bad1 - 1, "a link without its target" },
			{ bad2, sizeof bad2 - 1, "a malformed file record" },
			{ bad3, sizeof bad3 - 1, "an unknown record" },
			{ bad4, sizeof bad4 - 1, "records after the end mark" },
			{ bad5, sizeof bad5 - 1, "an empty record" },
		};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			cs_err_clear(&e);
			ok(sync_parse_listing(bad[i].d, bad[i].n, names, out, &rejected, &e) < 0,
			   "refused: %s", bad[i].what);
			for (int k = 0; k < 4; k++)
				sync_list_free(&out[k]);
		}
	}
}

static void test_decide(void)
{
	is_int(sync_decide(true, LOCAL_AS_UPLOADED), ACT_WRITE, "changed there, untouched here: take it");
	is_int(sync_decide(true, LOCAL_OTHER), ACT_CONFLICT, "changed on both sides: conflict, never overwrite");
	is_int(sync_decide(true, LOCAL_ABSENT), ACT_CONFLICT, "changed there, deleted here: conflict");
	is_int(sync_decide(true, LOCAL_AS_REMOTE), ACT_NONE, "already the same");
	is_int(sync_decide(false, LOCAL_ABSENT), ACT_WRITE, "new there, absent here: create");
	is_int(sync_decide(false, LOCAL_OTHER), ACT_CONFLICT, "new there, a different file here: conflict");
	is_int(sync_decide(false, LOCAL_AS_REMOTE), ACT_NONE, "new there, same file here: nothing");
}

static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static void test_guard_and_scan(void)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct sync_scan s;
	struct cs_err e = { 0 };
	int rfd, fd;

	snprintf(root, sizeof root, "/tmp/cs-test-sync.XXXXXX");
	if (!mkdtemp(root))
		return;
	snprintf(p, sizeof p, "%s/proj", root);
	mkdir(p, 0755);
	snprintf(q, sizeof q, "%s/outside", root);
	mkdir(q, 0755);
	put("outside/secret", "s");
	put("proj/a.txt", "hello");
	snprintf(p, sizeof p, "%s/proj/sub", root);
	mkdir(p, 0755);
	put("proj/sub/x.sh", "#!/bin/sh\n");
	snprintf(p, sizeof p, "%s/proj/sub/x.sh", root);
	chmod(p, 0755);
	snprintf(p, sizeof p, "%s/proj/out", root);
	(void)!symlink(q, p);                                 /* a dir symlink pointing out */
	snprintf(p, sizeof p, "%s/proj/in", root);
	(void)!symlink("a.txt", p);
	snprintf(p, sizeof p, "%s/proj/abs", root);
	snprintf(q, sizeof q, "%s/proj/a.txt", root);
	(void)!symlink(q, p);                                 /* absolute, but inside */
	snprintf(p, sizeof p, "%s/proj/fifo", root);
	mkfifo(p, 0644);

	snprintf(p, sizeof p, "%s/proj", root);
	rfd = open(p, O_RDONLY | O_DIRECTORY);
	fd = guard_open(rfd, "a.txt", O_RDONLY, 0, false, 0, 0);
	ok(fd >= 0, "guard_open opens a file beneath the root");
	if (fd >= 0)
		close(fd);
	ok(guard_open(rfd, "out/secret", O_RDONLY, 0, false, 0, 0) < 0,
	   "... but not through a symlinked directory");
	ok(guard_open(rfd, "in", O_RDONLY, 0, false, 0, 0) < 0, "... nor a symlink as the last component");
	ok(guard_open(rfd, "out/new", O_WRONLY | O_CREAT, 0644, true, 0, 0) < 0,
	   "... and never creates through one");
	snprintf(q, sizeof q, "%s/outside/new", root);
	ok(access(q, F_OK) != 0, "nothing was written outside");
	fd = guard_open(rfd, "d1/d2/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644, true, getuid(), getgid());
	ok(fd >= 0, "missing parent directories are created beneath the root");
	if (fd >= 0)
		close(fd);
	close(rfd);

	ok(sync_scan(p, false, NULL, 1u << 20, getuid(), getgid(), &s, &e) == 0, "scan (no git) works");
	ok(sync_list_find(&s.files, "a.txt") && sync_list_find(&s.files, "sub/x.sh") &&
	   sync_list_find(&s.files, "d1/d2/new.txt"), "regular files are listed");
	ok(sync_list_find(&s.files, "sub/x.sh")->mode == 0755, "the executable bit is kept");
	ok(sync_list_find(&s.files, "in") && sync_list_find(&s.files, "in")->type == SYNC_LINK,
	   "an inside symlink is kept as a link");
	ok(sync_list_find(&s.files, "abs") && strcmp(sync_list_find(&s.files, "abs")->link, "a.txt") == 0,
	   "an absolute symlink into the project becomes relative");
	ok(!sync_list_find(&s.files, "out") && s.links_out == 1, "a symlink pointing out is skipped and counted");
	ok(!sync_list_find(&s.files, "fifo") && s.special == 1, "a fifo is skipped and counted");
	sync_scan_free(&s);

	cs_err_clear(&e);
	ok(sync_scan(p, false, NULL, 8, getuid(), getgid(), &s, &e) < 0 &&
	   strstr(e.hint, "CODEX_SANDBOX_E2B_SYNC_LIMIT"), "over the limit: an error naming the knob");
	sync_scan_free(&s);

	{
		struct sync_tree t = { .name = "project", .root = p, .remote = "/app/x" };
		struct sync_tree t2 = { .name = "project", .root = p, .remote = "/app/x" };
		struct sync_entry en = { .path = "a.txt", .type = SYNC_FILE, .size = 5, .mode = 0644,
					 .sha = "abc" };
		char *oldhome = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

		setenv("XDG_STATE_HOME", root, 1);
		sync_list_add(&t.manifest, &en);
		en.path = "l";
		en.type = SYNC_LINK;
		en.link = "a.txt";
		sync_list_add(&t.manifest, &en);
		cs_err_clear(&e);
		ok(e2b_state_save("itest", &t, 1, &e) == 0, "state saved");
		ok(e2b_state_load("itest", &t2, 1) == 1 && t2.manifest.n == 2 &&
		   sync_list_find(&t2.manifest, "l") && strcmp(sync_list_find(&t2.manifest, "l")->link, "a.txt") == 0,
		   "state loaded back (files and links)");
		e2b_state_remove("itest");
		sync_list_free(&t2.manifest);
		ok(e2b_state_load("itest", &t2, 1) == 0, "removed");
		sync_list_free(&t.manifest);
		free(oldhome);
	}
	{
		char cmd[PATH_MAX + 20];

		snprintf(cmd, sizeof cmd, "rm -rf %s", root);
		if (system(cmd) != 0)
			printf("# cleanup failed\n");
	}
}

int main(void)
{
	plan(72);
	test_clean();
	test_links();
	test_excluded();
	test_size();
	test_listing();
	test_decide();
	test_guard_and_scan();
	return tap_done();
}
