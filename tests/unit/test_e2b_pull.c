/* The sync back's local half (sync_apply in runner/e2b/e2b_xfer.c) against a
 * real directory, with a fake envd that serves a table of files: what a
 * hostile sandbox lists comes back only as regular files, beneath the
 * project, never through a link, never as a link, within the byte limit,
 * and a failed download leaves nothing behind. */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/e2b/e2b_xfer.h"
#include "common/sha256.h"

static char root[PATH_MAX], proj[PATH_MAX];

struct served {
	const char *path;      /* remote */
	const char *data;
};
struct fake {
	const struct served *v;
	size_t n;
	char asked[4096];      /* every remote path asked for, ' '-separated */
};

static int fake_fetch(void *ctx, const char *remote, int fd, uint64_t max, uint64_t *got,
		      struct sha256 *h, struct cs_err *err)
{
	struct fake *f = ctx;
	size_t al = strlen(f->asked);

	snprintf(f->asked + al, sizeof f->asked - al, "%s ", remote);
	*got = 0;
	for (size_t i = 0; i < f->n; i++) {
		size_t len = strlen(f->v[i].data);

		if (strcmp(f->v[i].path, remote) != 0)
			continue;
		if (len > max) {
			/* what e2b_download does: part written, then refused */
			(void)!write(fd, f->v[i].data, (size_t)max);
			return cs_fail(err, E2BIG, "downloading %s: larger than the %llu bytes left",
				       remote, (unsigned long long)max);
		}
		if (write(fd, f->v[i].data, len) != (ssize_t)len)
			return cs_fail(err, errno, "write");
		sha256_update(h, f->v[i].data, len);
		*got = len;
		return 1;
	}
	return 0;
}

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *slurp(const char *rel)
{
	static char b[256];
	char p[PATH_MAX];
	int fd;
	ssize_t n;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	fd = open(p, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return "(absent)";
	n = read(fd, b, sizeof b - 1);
	close(fd);
	b[n > 0 ? n : 0] = '\0';
	return b;
}

static bool exists(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

static bool is_link(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

static void hex(const char *text, char out[65])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, text, strlen(text));
	sha256_hex(&h, out);
}

static bool report_has(const struct sync_report *r, const char *s)
{
	for (size_t i = 0; i < r->lines.n; i++)
		if (strstr(r->lines.v[i], s))
			return true;
	return false;
}

static size_t temp_files(void)
{
	DIR *d = opendir(proj);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".codex-sandbox-tmp.") != NULL;
	if (d)
		closedir(d);
	return n;
}

#define REC(s) s "\0"

static void test_hostile_listing(void)
{
	char l[4096], shaR[65], shaC[65], p[PATH_MAX];
	size_t n = 0, rejected = 0;
	static const char *const names[4] = { "0", "1", NULL, NULL };
	struct sync_list lists[4] = { 0 };
	struct sync_tree t[2] = {
		{ .name = "project", .root = proj, .remote = "/app/p" },
		{ .name = "Codex home", .root = NULL, .remote = "/codex_home" },
	};
	char home[PATH_MAX];
	struct sync_entry m = { .type = SYNC_FILE, .mode = 0644 };
	struct sync_report rep = { 0 };
	struct cs_err e = { 0 };
	const struct served files[] = {
		{ "/app/p/README", "hello\nremote\n" },
		{ "/app/p/new/deep.txt", "deep\n" },
		{ "/app/p/trap/evil.txt", "evil" },
		{ "/app/p/inlink/x.txt", "evil" },
		{ "/app/p/a/via.txt", "evil" },
		{ "/app/p/fifo.txt", "remote" },
		{ "/app/p/conflict.txt", "remote\n" },
	};
	struct fake f = { .v = files, .n = sizeof files / sizeof files[0] };

	snprintf(home, sizeof home, "%s/home", root);
	t[1].root = home;
	mkdir(home, 0755);
	hex("hello\nremote\n", shaR);
	hex("remote\n", shaC);
#define ADD(...) (n += (size_t)snprintf(l + n, sizeof l - n, __VA_ARGS__) + 1)
	ADD("S0");
	ADD("F644 13 ./README");
	ADD("%s  ./README", shaR);
	ADD("F644 5 ./new/deep.txt");
	ADD("L./c"); ADD("b/..");                /* a -> ., b -> a/.. are here */
	ADD("L./fine"); ADD("sub");
	ADD("L./bad\033[31mname"); ADD("sub");   /* a terminal escape in a name */
	ADD("F644 4 ./trap/evil.txt");
	ADD("F644 4 ./inlink/x.txt");
	ADD("F644 4 ./a/via.txt");
	ADD("F644 6 ./fifo.txt");
	ADD("F644 7 ./conflict.txt");
	ADD("%s  ./conflict.txt", shaC);
	ADD("F644 4 ./../outside/secret");
	ADD("F644 4 /abs/path");
	ADD("S1");
	ADD("E");
	ok(sync_parse_listing(l, n, names, lists, &rejected, &e) == 0, "the hostile listing parses");
	is_int(rejected, 2, "'..' and absolute names are refused by the parser");

	/* what was uploaded: README and conflict.txt as they were */
	m.path = "README";
	hex("hello\n", m.sha);
	sync_list_add(&t[0].manifest, &m);
	m.path = "conflict.txt";
	hex("orig\n", m.sha);
	sync_list_add(&t[0].manifest, &m);
	sync_list_sort(&t[0].manifest);
	put("proj/conflict.txt", "local edit\n");   /* changed here too */
	put("proj/conflict.txt.e2b-remote", "older\n");   /* from an earlier sync */

	alarm(20);   /* opening the fifo would block: fail loudly instead */
	ok(sync_apply(t, 2, lists, fake_fetch, &f, 1u << 20, getuid(), getgid(), &rep, &e) == 0,
	   "the sync back runs to its end");
	alarm(0);
	is_str(slurp("proj/README"), "hello\nremote\n", "positive control: a file changed there only is updated");
	is_str(slurp("proj/new/deep.txt"), "deep\n", "positive control: a new file in a new directory is created");
	ok(!is_link("proj/c") && !is_link("proj/fine"), "no symlink from the sandbox is created, inside or out");
	ok(report_has(&rep, "not created: symlink c -> b/.. (it leads outside the project)"),
	   "the chain c -> b/.. is reported as leading outside (a -> ., b -> a/.. on disk)");
	ok(report_has(&rep, "not created: symlink fine -> sub (links from the sandbox are not made here"),
	   "an inside link is reported with how to make it");
	ok(report_has(&rep, "bad?[31mname") && !report_has(&rep, "\033"), "control characters never reach the report");
	ok(!exists("outside/evil.txt") && !exists("proj/sub/x.txt") && !exists("proj/via.txt"),
	   "nothing is written through a link (out, in, or a -> .)");
	ok(!strstr(f.asked, "evil") && !strstr(f.asked, "x.txt") && !strstr(f.asked, "via.txt"),
	   "... nor even downloaded");
	ok(report_has(&rep, "not copied: trap/evil.txt (a symlink or file in the way here)"), "... and each is reported");
	snprintf(p, sizeof p, "%s/fifo.txt", proj);
	{
		struct stat st;

		ok(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode), "the local fifo is left alone (never opened)");
	}
	is_str(slurp("proj/fifo.txt.e2b-remote"), "remote", "... the sandbox's version is beside it");
	is_str(slurp("proj/conflict.txt"), "local edit\n", "a file changed on both sides keeps the local edit");
	is_str(slurp("proj/conflict.txt.e2b-remote"), "older\n", "... an earlier .e2b-remote is never replaced");
	is_str(slurp("proj/conflict.txt.e2b-remote.2"), "remote\n", "... the sandbox's version is beside it, as .2");
	is_int(rep.updated * 100 + rep.created * 10 + rep.conflicts, 112,
	       "counted: 1 updated, 1 created, 2 conflicts");
	is_int(rep.skipped, 6, "counted: 3 links and 3 paths below links not copied");
	is_str(slurp("outside/secret"), "s", "the file outside is untouched");
	for (int i = 0; i < 4; i++)
		sync_list_free(&lists[i]);
	sync_report_free(&rep);
	sync_list_free(&t[0].manifest);
	sync_list_free(&t[1].manifest);
}

/* The byte limit covers all files together; a refused download leaves
 * no partial file. */
static void test_limit(void)
{
	static const char listing[] = REC("S0") REC("F644 6 ./one.txt") REC("F644 6 ./two.txt") REC("E");
	static const char *const names[4] = { "0", NULL, NULL, NULL };
	const struct served files[] = { { "/app/p/one.txt", "11111\n" }, { "/app/p/two.txt", "22222\n" } };
	struct fake f = { .v = files, .n = 2 };
	struct sync_list lists[4] = { 0 };
	struct sync_tree t = { .name = "project", .root = proj, .remote = "/app/p" };
	struct sync_report rep = { 0 };
	struct cs_err e = { 0 };
	size_t rejected;

	sync_parse_listing(listing, sizeof listing - 1, names, lists, &rejected, &e);
	ok(sync_apply(&t, 1, lists, fake_fetch, &f, 10, getuid(), getgid(), &rep, &e) < 0 &&
	   e.errnum == E2BIG, "two 6-byte files under a 10-byte limit: the second is refused");
	is_str(slurp("proj/one.txt"), "11111\n", "... the first came back");
	ok(!exists("proj/two.txt") && temp_files() == 0, "... no partial file is left in the project");
	sync_report_free(&rep);
	cs_err_clear(&e);
	ok(sync_apply(&t, 1, lists, fake_fetch, &f, 12, getuid(), getgid(), &rep, &e) == 0 &&
	   strcmp(slurp("proj/two.txt"), "22222\n") == 0, "positive control: with 12 bytes both come back");
	sync_report_free(&rep);
	sync_list_free(&t.manifest);
	for (int i = 0; i < 4; i++)
		sync_list_free(&lists[i]);
}

/* A tree whose root is a symlink planted in the project is refused. */
static void test_planted_root(void)
{
	static const char listing[] = REC("S0") REC("S1") REC("F644 4 ./planted.txt") REC("E");
	static const char *const names[4] = { "0", "1", NULL, NULL };
	const struct served files[] = { { "/codex_home/planted.txt", "evil" } };
	struct fake f = { .v = files, .n = 1 };
	struct sync_list lists[4] = { 0 };
	char cx[PATH_MAX], env[PATH_MAX], out[PATH_MAX];
	struct sync_tree t[2] = {
		{ .name = "project", .root = proj, .remote = "/app/p" },
		{ .name = "Codex home", .root = env, .remote = "/codex_home" },
	};
	struct sync_report rep = { 0 };
	struct cs_err e = { 0 };
	size_t rejected;

	snprintf(cx, sizeof cx, "%s/.codex", proj);
	mkdir(cx, 0755);
	snprintf(env, sizeof env, "%s/.codex/.environment", proj);
	snprintf(out, sizeof out, "%s/outside", root);
	(void)!symlink(out, env);
	sync_parse_listing(listing, sizeof listing - 1, names, lists, &rejected, &e);
	ok(sync_apply(t, 2, lists, fake_fetch, &f, 1u << 20, getuid(), getgid(), &rep, &e) < 0 &&
	   strstr(e.msg, "refusing to follow it"), "a Codex home that is a symlink in the project: refused");
	ok(!exists("outside/planted.txt"), "... nothing written where it points");
	unlink(env);
	mkdir(env, 0755);
	cs_err_clear(&e);
	sync_report_free(&rep);
	ok(sync_apply(t, 2, lists, fake_fetch, &f, 1u << 20, getuid(), getgid(), &rep, &e) == 0 &&
	   strcmp(slurp("proj/.codex/.environment/planted.txt"), "evil") == 0,
	   "positive control: a real directory there gets the file");
	sync_report_free(&rep);
	for (int i = 0; i < 2; i++)
		sync_list_free(&t[i].manifest);
	for (int i = 0; i < 4; i++)
		sync_list_free(&lists[i]);
}

int main(void)
{
	char p[PATH_MAX];

	plan(28);
	snprintf(root, sizeof root, "/tmp/cs-test-pull.XXXXXX");
	ok(mkdtemp(root) != NULL, "a scratch directory");
	if (access(root, W_OK) != 0) {
		printf("Bail out! no scratch directory: %s\n", strerror(errno));
		return 1;
	}
	snprintf(proj, sizeof proj, "%s/proj", root);
	mkdir(proj, 0755);
	snprintf(p, sizeof p, "%s/outside", root);
	mkdir(p, 0755);
	put("outside/secret", "s");
	put("proj/README", "hello\n");
	snprintf(p, sizeof p, "%s/sub", proj);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/a", proj);
	(void)!symlink(".", p);
	snprintf(p, sizeof p, "%s/b", proj);
	(void)!symlink("a/..", p);
	snprintf(p, sizeof p, "%s/trap", proj);
	(void)!symlink("../outside", p);
	snprintf(p, sizeof p, "%s/inlink", proj);
	(void)!symlink("sub", p);
	snprintf(p, sizeof p, "%s/fifo.txt", proj);
	mkfifo(p, 0644);

	test_hostile_listing();
	test_limit();
	test_planted_root();
	{
		char cmd[PATH_MAX + 20];

		snprintf(cmd, sizeof cmd, "rm -rf %s", root);
		if (system(cmd) != 0)
			printf("# cleanup failed\n");
	}
	return tap_done();
}
