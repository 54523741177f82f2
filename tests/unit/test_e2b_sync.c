/* The sync's rules: the path guard (clean paths, opening beneath a root
 * without following symlinks, tree roots inside the project), the
 * sandbox's listing, the never-overwrite decision table, the upload scan
 * (limit, symlinks, special files) and the state kept for attach (read
 * without following links, never blocking, bounded, parsed strictly).
 * Where symlinks lead is test_e2b_links.c's. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/e2b/e2b_setup.h"
#include "runner/e2b/e2b_state.h"
#include "common/safeopen.h"
#include "runner/core/plan_attach.h"
#include "runner/core/plan_e2b.h"
#include "runner/e2b/e2b_sync.h"

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
	is_int(plan_parse_size("512M"), 512ll << 20, "512M");
	is_int(plan_parse_size("2G"), 2ll << 30, "2G");
	is_int(plan_parse_size("1GiB"), 1ll << 30, "1GiB");
	is_int(plan_parse_size("100kb"), 100ll << 10, "100kb");
	is_int(plan_parse_size("4096"), 4096, "plain bytes");
	is_int(plan_parse_size("-1"), -1, "negative refused");
	is_int(plan_parse_size("12X"), -1, "unknown suffix refused");
	is_int(plan_parse_size("99999999999999999999"), -1, "overflow refused");
	is_int(plan_parse_size(""), -1, "empty refused");
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
	is_int(sync_decide(false, LOCAL_AS_UPLOADED), ACT_CONFLICT,
	       "not in the manifest yet \"as uploaded\" (a bug elsewhere): conflict, never overwrite");
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

/* As attach does it: the planning phase reads the file (plan_attach), the
 * backend loads the manifests from what was read. */
static int load_state(const char *id, struct sync_tree *t, size_t n, struct cs_err *e)
{
	struct cs_opts o = { .attach_id = id };
	struct plan_attach a = { 0 };
	int r = plan_attach(&o, &a, e);

	if (r == 0)
		r = e2b_state_load(&a, t, n, e);
	plan_attach_free(&a);
	return r;
}

/* The state file is ours, but read like anything from outside. */
static void test_state_file(const char *proj)
{
	struct sync_tree t = { .name = "project", .root = proj, .remote = "/app/x" };
	struct cs_err e = { 0 };
	char sp[PATH_MAX];
	int fd;

	snprintf(sp, sizeof sp, "%s/codex-sandbox/e2b/ifif.json", root);
	mkfifo(sp, 0600);
	alarm(10);   /* a blocking open would hang here: fail loudly instead */
	ok(load_state("ifif", &t, 1, &e) < 0 && strstr(e.msg, "not a regular file"),
	   "a fifo as the state file: refused, without blocking");
	alarm(0);
	cs_err_clear(&e);
	snprintf(sp, sizeof sp, "%s/codex-sandbox/e2b/ilnk.json", root);
	(void)!symlink("itest.json", sp);
	ok(load_state("ilnk", &t, 1, &e) < 0, "a symlink as the state file: refused, not followed");
	ok(strstr(e.hint, "ilnk.json") != NULL, "... the hint names the file to remove");
	cs_err_clear(&e);
	snprintf(sp, sizeof sp, "%s/codex-sandbox/e2b/ibig.json", root);
	fd = open(sp, O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && ftruncate(fd, (256 << 20) + 1) == 0 && load_state("ibig", &t, 1, &e) < 0,
	   "a state file over 256 MiB: refused");
	if (fd >= 0)
		close(fd);
	cs_err_clear(&e);
	ok(load_state("../../etc/x", &t, 1, &e) < 0 && strstr(e.msg, "not an E2B sandbox id"),
	   "an id with '/' or '..' never names a file");
	cs_err_clear(&e);
	{
		char good[1024];
		const char *bad[] = {
			"[]",
			"{\"sandboxID\":\"iother\",\"trees\":[]}",
			"{\"sandboxID\":\"iparse\"}",
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"../x\",\"f\",1,420,\"\"]]}]}",
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"x\",\"d\",1,420,\"\"]]}]}",
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"x\",\"f\",-1,420,\"\"]]}]}",
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"x\",\"f\",1,4096,\"\"]]}]}",
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"x\",\"f\",1,420,\"XYZ\"]]}]}",
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"x\",\"l\",1,420,\"\"]]}]}",
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"ok\",\"f\",1,420,\"\"],[\"x\",\"f\",1.5,420,\"\"]]}]}",
			/* the first tree is fine and loaded, the second is not: nothing stays */
			"{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\",\"root\":\"%s\",\"remote\":\"/app/x\","
			"\"files\":[[\"ok\",\"f\",1,420,\"\"]]},{\"name\":\"other\",\"root\":\"/o\",\"remote\":\"/o\","
			"\"files\":[[\"/abs\",\"f\",1,420,\"\"]]}]}",
		};
		int refused = 0, emptied = 0;

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			snprintf(good, sizeof good, bad[i], proj);
			cs_err_clear(&e);
			refused += e2b_state_parse(good, strlen(good), "iparse", &t, 1, &e) < 0;
			emptied += t.manifest.n == 0;
			sync_list_free(&t.manifest);
		}
		is_int(refused, sizeof bad / sizeof bad[0],
		       "each malformed state is refused (shape, id, path, type, size, mode, sha, link, fraction, 2nd tree)");
		is_int(emptied, sizeof bad / sizeof bad[0], "... all or nothing: no manifest half loaded");
		snprintf(good, sizeof good, "{\"sandboxID\":\"iparse\",\"trees\":[{\"name\":\"project\","
			 "\"root\":\"%s\",\"remote\":\"/app/x\",\"files\":[[\"ok\",\"f\",1,420,\"\"],"
			 "[\"ln\",\"l\",2,0,\"\",\"ok\"]]}]}", proj);
		cs_err_clear(&e);
		ok(e2b_state_parse(good, strlen(good), "iparse", &t, 1, &e) == 1 && t.manifest.n == 2,
		   "positive control: the same shape, well formed, is loaded");
		sync_list_free(&t.manifest);
	}
}

/* A tree root inside the project (the Codex home) is reached without
 * following links. */
static void test_open_root(const char *proj, const char *outside)
{
	struct cs_err e = { 0 };
	char r[PATH_MAX], d[PATH_MAX];
	int fd;

	snprintf(d, sizeof d, "%s/.codex", proj);
	mkdir(d, 0755);
	snprintf(d, sizeof d, "%s/.codex/.environment", proj);
	(void)!symlink(outside, d);
	snprintf(r, sizeof r, "%s/.codex/.environment", proj);
	fd = sync_open_root(proj, r, &e);
	ok(fd < 0 && strstr(e.msg, "refusing to follow it"), "a Codex home that is a symlink in the project: refused");
	if (fd >= 0)
		close(fd);
	cs_err_clear(&e);
	{
		struct sandbox_plan pl;
		struct sync_scan sc;

		memset(&pl, 0, sizeof pl);
		pl.work_dir = (char *)proj;
		pl.codex_home = r;
		ok(e2b_scan_codex_home(&pl, &sc, &e) < 0 && strstr(e.msg, "refusing to follow it"),
		   "... the E2B scan of that Codex home refuses it too (before anything is created)");
		sync_scan_free(&sc);
		cs_err_clear(&e);
	}
	unlink(d);
	mkdir(d, 0755);
	fd = sync_open_root(proj, r, &e);
	ok(fd >= 0, "positive control: a real directory there is opened");
	if (fd >= 0)
		close(fd);
	fd = sync_open_root(proj, outside, &e);
	ok(fd >= 0, "a root the user named outside the project is opened as it is");
	if (fd >= 0)
		close(fd);
}

static void test_guard_and_scan(void)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct sync_scan s;
	struct cs_err e = { 0 };
	int rfd, fd;

	snprintf(root, sizeof root, "/tmp/cs-test-sync.XXXXXX");
	ok(mkdtemp(root) != NULL, "a scratch directory");
	if (!root[0] || access(root, W_OK) != 0) {
		/* Every later result would be missing: say so and stop, the
		 * plan then fails the file too. */
		printf("Bail out! no scratch directory: %s\n", strerror(errno));
		exit(1);
	}
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
	snprintf(p, sizeof p, "%s/proj/dot", root);
	(void)!symlink(".", p);                               /* inside */
	snprintf(p, sizeof p, "%s/proj/up", root);
	(void)!symlink("dot/..", p);                          /* lexically inside, really the parent */

	snprintf(p, sizeof p, "%s/proj", root);
	rfd = open(p, O_RDONLY | O_DIRECTORY);
	/* The sync opens through common/safeopen.h (safe_openat, and
	 * safe_open_parent_at for the files it brings back). */
	fd = safe_openat(rfd, "a.txt", O_RDONLY, 0);
	ok(fd >= 0, "safe_openat opens a file beneath the root");
	if (fd >= 0)
		close(fd);
	ok(safe_openat(rfd, "out/secret", O_RDONLY, 0) < 0,
	   "... but not through a symlinked directory");
	ok(safe_openat(rfd, "in", O_RDONLY, 0) < 0, "... nor a symlink as the last component");
	{
		const char *name;

		ok(safe_open_parent_at(rfd, "out/new", true, false, 0, 0, &name) < 0 && errno == ELOOP,
		   "... and never creates through one (ELOOP)");
		snprintf(q, sizeof q, "%s/outside/new", root);
		ok(access(q, F_OK) != 0, "nothing was written outside");
		fd = safe_open_parent_at(rfd, "d1/d2/new.txt", true, geteuid() == 0, getuid(), getgid(),
					 &name);
		ok(fd >= 0 && strcmp(name, "new.txt") == 0,
		   "missing parent directories are created beneath the root");
		if (fd >= 0) {
			int f = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);

			if (f >= 0)
				close(f);
			close(fd);
		}
	}
	close(rfd);

	ok(sync_scan(p, false, NULL, 1u << 20, getuid(), getgid(), &s, &e) == 0, "scan (no git) works");
	ok(sync_list_find(&s.files, "a.txt") && sync_list_find(&s.files, "sub/x.sh") &&
	   sync_list_find(&s.files, "d1/d2/new.txt"), "regular files are listed");
	ok(sync_list_find(&s.files, "sub/x.sh")->mode == 0755, "the executable bit is kept");
	ok(sync_list_find(&s.files, "in") && sync_list_find(&s.files, "in")->type == SYNC_LINK,
	   "an inside symlink is kept as a link");
	ok(sync_list_find(&s.files, "abs") && strcmp(sync_list_find(&s.files, "abs")->link, "a.txt") == 0,
	   "an absolute symlink into the project becomes relative");
	ok(!sync_list_find(&s.files, "out") && !sync_list_find(&s.files, "up") && s.links_out == 2,
	   "symlinks leading out (judged on disk: up -> dot/.. too) are skipped and counted");
	ok(sync_list_find(&s.files, "dot") != NULL, "... dot -> . is kept");
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
					 .sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" };
		char *oldhome = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

		setenv("XDG_STATE_HOME", root, 1);
		sync_list_add(&t.manifest, &en);
		en.path = "l";
		en.type = SYNC_LINK;
		en.link = "a.txt";
		sync_list_add(&t.manifest, &en);
		cs_err_clear(&e);
		ok(e2b_state_save("itest", &t, 1, &e) == 0, "state saved");
		ok(load_state("itest", &t2, 1, &e) == 1 && t2.manifest.n == 2 &&
		   sync_list_find(&t2.manifest, "l") && strcmp(sync_list_find(&t2.manifest, "l")->link, "a.txt") == 0,
		   "state loaded back (files and links)");
		{
			struct cs_opts o = { .attach_id = "itest" };
			struct plan_attach a = { 0 };

			ok(plan_attach(&o, &a, &e) == 0 && a.project && strcmp(a.project, p) == 0 &&
			   !a.workdir_guessed, "attach's plan takes the project from the state file");
			plan_attach_free(&a);
			o.work_dir = "/elsewhere";
			ok(plan_attach(&o, &a, &e) == 0 && a.workdir_given && !a.workdir_guessed,
			   "... --work-dir is said to win");
			plan_attach_free(&a);
		}
		e2b_state_remove("itest");
		sync_list_free(&t2.manifest);
		ok(load_state("itest", &t2, 1, &e) == 0, "removed");
		{
			struct cs_opts o = { .attach_id = "itest" };
			struct plan_attach a = { 0 };

			ok(plan_attach(&o, &a, &e) == 0 && !a.state && !a.project && a.workdir_guessed,
			   "no state file: the plan takes the current directory, to be checked");
			plan_attach_free(&a);
		}
		sync_list_free(&t.manifest);
		free(oldhome);
	}
	test_state_file(p);
	snprintf(q, sizeof q, "%s/outside", root);
	test_open_root(p, q);
	{
		char cmd[PATH_MAX + 20];

		snprintf(cmd, sizeof cmd, "rm -rf %s", root);
		if (system(cmd) != 0)
			printf("# cleanup failed\n");
	}
}

int main(void)
{
	plan(81);
	test_clean();
	test_excluded();
	test_size();
	test_listing();
	test_decide();
	test_guard_and_scan();
	return tap_done();
}
