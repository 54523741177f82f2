/* common/atomic.c and the small-file reader, attacked: a link, a FIFO and a
 * directory planted at the (guessable) temporary name, a link at the
 * target, a target swapped before the commit (expect), no_replace over an
 * existing file, mode and owner, the temporary name gone after every
 * failure; read_small_file refusing a link, a FIFO (without hanging), a
 * directory and a file one byte too large (EFBIG, never cut short); the
 * commit beside (NAME.e2b-remote[.N]) passing over a link, a FIFO and
 * names another process creates meanwhile, never replacing one.  Each
 * refusal has its positive control. */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic.h"
#include "common/fdio.h"

static char root[PATH_MAX];
static int dirfd_;

static char *P(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(bufs[i], PATH_MAX, "%s/%s", root, rel);
	return bufs[i];
}

/* The temporary name atomic.c uses for NAME (this process's pid). */
static char *T(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof buf, ".%s.codex-sandbox-tmp.%d", name, (int)getpid());
	return buf;
}

#define LN(t, l) do { if (symlink((t), (l)) < 0) printf("# symlink %s failed\n", (l)); } while (0)

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(P(rel), "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The file's text ("" if unreadable), following nothing. */
static const char *text_of(const char *rel)
{
	static char buf[4096];
	int fd = open(P(rel), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

static bool is_regular(const char *rel)
{
	struct stat st;

	return lstat(P(rel), &st) == 0 && S_ISREG(st.st_mode);
}

/* No temporary file of ours is left in the directory. */
static bool no_temp_left(void)
{
	DIR *d = opendir(root);
	struct dirent *de;
	bool clean = true;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".codex-sandbox-tmp."))
			clean = false;
	closedir(d);
	return clean;
}

static int write_at(const char *name, const char *text, const struct atomic_opts *o, int *e)
{
	struct cs_err err = { 0 };
	int rc = atomic_write_at(dirfd_, name, text, strlen(text), o, &err);

	*e = err.errnum;
	return rc;
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("not ok - timed out: something blocked on a FIFO\n");
	_exit(1);
}

static void planted_temp_names(void)
{
	int e;

	/* control */
	ok(write_at("plain", "one", NULL, &e) == 0 && strcmp(text_of("plain"), "one") == 0 &&
	   is_regular("plain") && no_temp_left(), "control: a new file is written whole, no temp left");

	/* a link at the temporary name, pointing at a victim outside */
	put("victim", "victim text");
	LN(P("victim"), P(T("linked")));
	ok(write_at("linked", "new", NULL, &e) == 0, "a link planted at the temp name: the write succeeds");
	is_str(text_of("victim"), "victim text", "... the link's target was not written through");
	ok(is_regular("linked") && strcmp(text_of("linked"), "new") == 0 && no_temp_left(),
	   "... the target is a regular file with the new text, the link is gone");

	/* a FIFO at the temporary name: never opened, so never waited on */
	mkfifo(P(T("fifo")), 0600);
	alarm(5);
	ok(write_at("fifo", "x", NULL, &e) == 0 && is_regular("fifo") && no_temp_left(),
	   "a FIFO planted at the temp name: removed, not opened, the write completes");
	alarm(0);

	/* a directory there cannot be removed: refused, target untouched */
	put("dirtemp", "before");
	mkdir(P(T("dirtemp")), 0700);
	ok(write_at("dirtemp", "after", NULL, &e) < 0 && strcmp(text_of("dirtemp"), "before") == 0,
	   "a directory planted at the temp name: refused, the target untouched");
	rmdir(P(T("dirtemp")));

	/* a link at the target itself is replaced, not written through */
	put("victim2", "victim2 text");
	LN(P("victim2"), P("target-link"));
	ok(write_at("target-link", "mine", NULL, &e) == 0 && is_regular("target-link") &&
	   strcmp(text_of("victim2"), "victim2 text") == 0,
	   "a link at the target name is replaced by the file; its target untouched");
}

static void expect_and_no_replace(void)
{
	struct stat orig;
	int e;

	put("auth", "original");
	stat(P("auth"), &orig);
	ok(write_at("auth", "refreshed", &(struct atomic_opts){ .expect = &orig }, &e) == 0 &&
	   strcmp(text_of("auth"), "refreshed") == 0, "control: expect names the file there: replaced");
	stat(P("auth"), &orig);
	/* swapped meanwhile: a new inode at the name */
	put("auth.other", "someone else's");
	rename(P("auth.other"), P("auth"));
	ok(write_at("auth", "stale", &(struct atomic_opts){ .expect = &orig }, &e) < 0,
	   "expect: the file was swapped meanwhile: refused");
	ok(strcmp(text_of("auth"), "someone else's") == 0 && no_temp_left(),
	   "... the new file is untouched and the temp removed");
	unlink(P("auth"));
	ok(write_at("auth", "stale", &(struct atomic_opts){ .expect = &orig }, &e) < 0 &&
	   access(P("auth"), F_OK) < 0 && no_temp_left(),
	   "expect: the file was removed meanwhile: refused, nothing created");

	put("once", "first");
	ok(write_at("once", "second", &(struct atomic_opts){ .no_replace = true }, &e) < 0 &&
	   e == EEXIST, "no_replace over an existing file: EEXIST");
	ok(strcmp(text_of("once"), "first") == 0 && no_temp_left(), "... the file untouched, the temp removed");
	ok(write_at("fresh", "new", &(struct atomic_opts){ .no_replace = true }, &e) == 0 &&
	   strcmp(text_of("fresh"), "new") == 0, "control: no_replace creates a missing file");
	LN(P("victim"), P("linkname"));
	ok(write_at("linkname", "x", &(struct atomic_opts){ .no_replace = true }, &e) < 0 &&
	   strcmp(text_of("victim"), "victim text") == 0,
	   "no_replace over a link: refused, its target untouched");
}

static void mode_owner_abort(void)
{
	struct atomic_opts o = { .mode = 0640 };
	struct stat st;
	int e;

	umask(077);
	ok(write_at("moded", "x", &o, &e) == 0 && stat(P("moded"), &st) == 0 &&
	   (st.st_mode & 07777) == 0640, "mode applied exactly (umask 077 notwithstanding)");
	o = (struct atomic_opts){ .set_owner = true, .uid = 4242, .gid = 4243 };
	if (geteuid() == 0)
		ok(write_at("owned", "x", &o, &e) == 0 && stat(P("owned"), &st) == 0 &&
		   st.st_uid == 4242 && st.st_gid == 4243, "owner applied (4242:4243)");
	else
		ok(write_at("owned", "x", &o, &e) < 0 && e == EPERM && access(P("owned"), F_OK) < 0 &&
		   no_temp_left(), "owner 4242:4243 not ours to give: EPERM, nothing created, no temp");
	ok(write_at("default", "x", NULL, &e) == 0 && stat(P("default"), &st) == 0 &&
	   (st.st_mode & 07777) == 0600, "no mode given: 0600");
	umask(022);

	{
		struct atomic_file a;
		struct cs_err err = { 0 };

		put("kept", "old");
		ok(atomic_begin_at(&a, dirfd_, "kept", &err) == 0 && write(a.fd, "partial", 7) == 7,
		   "control: a streaming write begins");
		atomic_abort(&a);
		ok(strcmp(text_of("kept"), "old") == 0 && no_temp_left(),
		   "abort: the target untouched, the temp removed");
	}
	{
		struct cs_err err = { 0 };

		{
			cleanup_atomic struct atomic_file a = ATOMIC_FILE_INIT;

			if (atomic_begin_at(&a, dirfd_, "kept", &err) == 0)
				(void)!write(a.fd, "partial", 7);
		}
		ok(strcmp(text_of("kept"), "old") == 0 && no_temp_left(),
		   "cleanup_atomic at scope end without a commit: nothing replaced, no temp");
	}
	{
		struct cs_err err = { 0 };

		ok(atomic_write_at(dirfd_, "a/b", "x", 1, NULL, &err) < 0 && err.errnum == EINVAL &&
		   atomic_write_at(dirfd_, "", "x", 1, NULL, &err) < 0,
		   "a name with '/' or an empty name is refused");
	}
	{
		struct cs_err err = { 0 };

		LN(P("victim"), P("bypath"));
		ok(atomic_write_path(P("bypath"), "p", 1, NULL, &err) == 0 && is_regular("bypath") &&
		   strcmp(text_of("victim"), "victim text") == 0,
		   "atomic_write_path: a link at the last component is replaced, not followed");
	}
}

static void reader(void)
{
	char big[2000];
	char *out = NULL;
	size_t len = 0;

	memset(big, 'a', sizeof big);
	put("small", "hello");
	ok(read_small_file(P("small"), 100, &out, &len) == 0 && out && strcmp(out, "hello") == 0 &&
	   len == 5, "control: read_small_file reads a regular file");
	free(out);
	out = NULL;
	LN(P("small"), P("small-link"));
	errno = 0;
	ok(read_small_file(P("small-link"), 100, &out, &len) < 0 && errno == ELOOP && !out,
	   "read_small_file refuses a link (ELOOP)");
	mkfifo(P("pipe"), 0600);
	alarm(5);
	errno = 0;
	ok(read_small_file(P("pipe"), 100, &out, &len) < 0 && errno == EINVAL && !out,
	   "read_small_file refuses a FIFO without waiting on it (EINVAL)");
	alarm(0);
	errno = 0;
	ok(read_small_file(root, 100, &out, &len) < 0 && errno == EINVAL && !out,
	   "read_small_file refuses a directory");
	errno = 0;
	ok(read_small_file(P("absent"), 100, &out, &len) < 0 && errno == ENOENT,
	   "read_small_file: a missing file is ENOENT");
	{
		FILE *f = fopen(P("big"), "w");

		if (f) {
			fwrite(big, 1, 1001, f);
			fclose(f);
		}
	}
	errno = 0;
	ok(read_small_file(P("big"), 1000, &out, &len) < 0 && errno == EFBIG && !out,
	   "one byte over the bound: EFBIG, nothing handed out (no truncation)");
	ok(read_small_file(P("big"), 1001, &out, &len) == 0 && len == 1001 && strlen(out) == 1001,
	   "control: exactly at the bound it is read whole");
	free(out);
}

/* Write TEXT as NAME, committed beside it (SUFFIX, up to .MAX). */
static int beside(const char *name, const char *text, int max, char *used, int *e)
{
	struct atomic_file a;
	struct cs_err err = { 0 };
	int rc = -1;

	if (atomic_begin_at(&a, dirfd_, name, &err) == 0 &&
	    write(a.fd, text, strlen(text)) == (ssize_t)strlen(text))
		rc = atomic_commit_beside(&a, ".e2b-remote", max, NULL, used, NAME_MAX + 1, &err);
	else
		atomic_abort(&a);
	*e = err.errnum;
	return rc;
}

static void commit_beside_attacked(void)
{
	char used[NAME_MAX + 1] = "";
	int e;

	put("mine", "local");
	ok(beside("mine", "remote", 99, used, &e) == 0 && strcmp(used, "mine.e2b-remote") == 0 &&
	   strcmp(text_of("mine.e2b-remote"), "remote") == 0 && strcmp(text_of("mine"), "local") == 0 &&
	   no_temp_left(), "control: committed beside as NAME.e2b-remote, NAME untouched");
	ok(beside("mine", "again", 99, used, &e) == 0 && strcmp(used, "mine.e2b-remote.2") == 0 &&
	   strcmp(text_of("mine.e2b-remote"), "remote") == 0, "... taken: .2, the first one kept");

	/* a link planted at the first name: passed over, never written through */
	LN(P("victim"), P("lk.e2b-remote"));
	ok(beside("lk", "remote", 99, used, &e) == 0 && strcmp(used, "lk.e2b-remote.2") == 0 &&
	   strcmp(text_of("victim"), "victim text") == 0, "a link at NAME.e2b-remote: passed over, "
	   "its target untouched");
	/* a FIFO at the next: passed over without being opened */
	LN(P("victim"), P("ff.e2b-remote"));
	mkfifo(P("ff.e2b-remote.2"), 0600);
	alarm(5);
	ok(beside("ff", "remote", 99, used, &e) == 0 && strcmp(used, "ff.e2b-remote.3") == 0 &&
	   is_regular("ff.e2b-remote.3"), "a FIFO at .2: passed over, not opened (no hang)");
	alarm(0);
	/* every name taken: EEXIST, nothing replaced, no temporary left */
	put("full.e2b-remote", "1");
	put("full.e2b-remote.2", "2");
	ok(beside("full", "x", 2, used, &e) < 0 && e == EEXIST &&
	   strcmp(text_of("full.e2b-remote.2"), "2") == 0 && no_temp_left(),
	   "all names taken: EEXIST, none replaced, the temp removed");
	{
		char lng[NAME_MAX + 1];

		memset(lng, 'l', 250);
		lng[250] = '\0';
		ok(write_at(lng, "long", NULL, &e) == 0 && strcmp(text_of(lng), "long") == 0 &&
		   no_temp_left(), "a 250-byte name: its temporary name fits (cut, hashed)");
		ok(beside(lng, "r", 99, used, &e) < 0 && e == ENAMETOOLONG && no_temp_left(),
		   "... no room for the suffix beside it: ENAMETOOLONG, the temp removed");
	}
}

/* A race: another process keeps creating the names (links) while we commit
 * beside; a name taken meanwhile is passed over, never replaced. */
static void commit_beside_race(void)
{
	char used[NAME_MAX + 1], nm[64];
	int ours = 0, distinct = 1, st, e, links = 0, regular_ours = 0;
	char first[NAME_MAX + 1] = "";
	pid_t kid = fork();

	if (kid == 0) {
		for (int round = 0; round < 2000; round++)
			for (int i = 1; i <= 40; i++) {
				if (i == 1)
					snprintf(nm, sizeof nm, "%s/race.e2b-remote", root);
				else
					snprintf(nm, sizeof nm, "%s/race.e2b-remote.%d", root, i);
				(void)!symlink("victim", nm);
			}
		_exit(0);
	}
	for (int i = 0; i < 30; i++) {
		if (beside("race", "ours", 99, used, &e) == 0) {
			ours++;
			if (!first[0])
				snprintf(first, sizeof first, "%s", used);
			else if (strcmp(first, used) == 0)
				distinct = 0;
		}
	}
	waitpid(kid, &st, 0);
	for (int i = 1; i <= 99; i++) {
		struct stat sb;

		if (i == 1)
			snprintf(nm, sizeof nm, "race.e2b-remote");
		else
			snprintf(nm, sizeof nm, "race.e2b-remote.%d", i);
		if (lstat(P(nm), &sb) < 0)
			continue;
		links += S_ISLNK(sb.st_mode);
		regular_ours += S_ISREG(sb.st_mode) && strcmp(text_of(nm), "ours") == 0;
	}
	ok(ours == 30 && distinct && regular_ours == 30,
	   "race: every commit landed on a name of its own (30 of 30), none replaced another");
	ok(links + regular_ours >= 30 && strcmp(text_of("victim"), "victim text") == 0 &&
	   no_temp_left(), "... the names taken meanwhile were passed over; no temp left");
}

int main(void)
{
	plan(39);
	signal(SIGALRM, on_alarm);
	snprintf(root, sizeof root, "/tmp/cs-unit-atomic.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	dirfd_ = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd_ < 0)
		return 1;
	planted_temp_names();
	expect_and_no_replace();
	mode_owner_abort();
	reader();
	commit_beside_attacked();
	commit_beside_race();
	close(dirfd_);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", root);
	}
	return tap_done();
}
