/* safeopen: links at every component, '..', absolute links, FIFOs, devices,
 * directories where files are expected, size bounds, the parent of a file
 * to write (made when missing, never through a link); each case with its
 * positive control, both with openat2 and with the O_NOFOLLOW walk. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/safeopen.h"

static char root[PATH_MAX];

static char *P(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(bufs[i], PATH_MAX, "%s/%s", root, rel);
	return bufs[i];
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(P(rel), "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* -1 with errno E, or an fd (closed) => 0 */
static int err_of(int fd)
{
	int e = errno;

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return e;
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("not ok - timed out: something blocked\n");
	_exit(1);
}

/* safe_open_parent_at: the directory of a file to be written (the E2B
 * sync back), made when missing, never through a link. */
static void parents(int rfd, const char *mode)
{
	const char *name = NULL;
	char rel[64];
	struct stat st;

	is_int(err_of(safe_open_parent_at(rfd, "d/e/f.txt", false, false, 0, 0, &name)), 0,
	       "%s: parent of d/e/f.txt", mode);
	is_str(name, "f.txt", "%s: ... its last component", mode);
	is_int(err_of(safe_open_parent_at(rfd, "dl/e/f.txt", false, false, 0, 0, &name)), ELOOP,
	       "%s: parent through a link: ELOOP", mode);
	is_int(err_of(safe_open_parent_at(rfd, "d/../x", true, false, 0, 0, &name)), EXDEV,
	       "%s: parent with '..': EXDEV", mode);
	is_int(err_of(safe_open_parent_at(rfd, "d/e/.", false, false, 0, 0, &name)), EINVAL,
	       "%s: '.' as the last component: EINVAL", mode);
	is_int(err_of(safe_open_parent_at(rfd, "d/gone/x", false, false, 0, 0, &name)), ENOENT,
	       "%s: a missing parent without mkdirs: ENOENT", mode);
	snprintf(rel, sizeof rel, "d/mk-%s/a/x", mode);
	ok(err_of(safe_open_parent_at(rfd, rel, true, false, 0, 0, &name)) == 0 &&
	   stat(P(rel + 0), &st) < 0 && (rel[strlen(rel) - 2] = '\0', stat(P(rel), &st) == 0) &&
	   S_ISDIR(st.st_mode), "%s: mkdirs makes the missing parents", mode);
	snprintf(rel, sizeof rel, "dl/via-%s/x", mode);
	is_int(err_of(safe_open_parent_at(rfd, rel, true, false, 0, 0, &name)), ELOOP,
	       "%s: mkdirs through a link: ELOOP", mode);
	snprintf(rel, sizeof rel, "d/via-%s", mode);
	ok(access(P(rel), F_OK) != 0, "%s: ... nothing made at the link's target", mode);
	alarm(5);
	is_int(err_of(safe_open_parent_at(rfd, "fifo/x", true, false, 0, 0, &name)), ENOTDIR,
	       "%s: mkdirs over a FIFO: ENOTDIR, not opened", mode);
	alarm(0);
}

static void cases(int rfd, const char *mode)
{
	struct stat st;

	/* positive controls */
	is_int(err_of(safe_openat(rfd, "d/e/f.txt", O_RDONLY, 0)), 0, "%s: plain file below the root opens", mode);
	is_int(err_of(safe_openat(rfd, "./d//e/./f.txt", O_RDONLY, 0)), 0, "%s: '.' and '//' are fine", mode);
	is_int(err_of(safe_open_fileat(rfd, "d/e/f.txt", &st)), 0, "%s: safe_open_fileat on a regular file", mode);
	/* links at every component */
	is_int(err_of(safe_openat(rfd, "dl/e/f.txt", O_RDONLY, 0)), ELOOP, "%s: link at the first component", mode);
	is_int(err_of(safe_openat(rfd, "d/el/f.txt", O_RDONLY, 0)), ELOOP, "%s: link at a middle component", mode);
	is_int(err_of(safe_openat(rfd, "d/e/fl.txt", O_RDONLY, 0)), ELOOP, "%s: link at the last component", mode);
	is_int(err_of(safe_openat(rfd, "d/e/fl.txt", O_PATH, 0)), ELOOP, "%s: O_PATH does not hand out the link", mode);
	is_int(err_of(safe_openat(rfd, "abs", O_RDONLY, 0)), ELOOP, "%s: absolute link out of the tree", mode);
	is_int(err_of(safe_openat(rfd, "abs/passwd", O_RDONLY, 0)), ELOOP, "%s: absolute link as a directory", mode);
	is_int(err_of(safe_openat(rfd, "up/x", O_RDONLY, 0)), ELOOP, "%s: relative link leaving the tree", mode);
	/* '..' and absolute names */
	is_int(err_of(safe_openat(rfd, "d/../d/e/f.txt", O_RDONLY, 0)), EXDEV, "%s: '..' refused even inside", mode);
	is_int(err_of(safe_openat(rfd, "..", O_RDONLY, 0)), EXDEV, "%s: '..' alone refused", mode);
	is_int(err_of(safe_openat(rfd, "/etc/passwd", O_RDONLY, 0)), EXDEV, "%s: absolute name refused", mode);
	/* kinds */
	alarm(5);
	is_int(err_of(safe_open_fileat(rfd, "fifo", &st)), EINVAL, "%s: a FIFO is not a file (and does not block)", mode);
	alarm(0);
	is_int(err_of(safe_open_fileat(rfd, "d", &st)), EISDIR, "%s: a directory where a file is expected", mode);
	is_int(err_of(safe_openat(rfd, "dl", O_PATH | O_DIRECTORY, 0)), ELOOP, "%s: O_PATH|O_DIRECTORY on a link: ELOOP", mode);
	is_int(err_of(safe_open_fileat(rfd, "nope", &st)), ENOENT, "%s: missing file", mode);
	is_int(err_of(safe_open_fileat(rfd, "d/e/f.txt/x", &st)), ENOTDIR, "%s: a file used as a directory", mode);
	parents(rfd, mode);
}

int main(void)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int rfd, fd;

	plan(72);
	signal(SIGALRM, on_alarm);
	snprintf(root, sizeof root, "/tmp/cs-unit-safeopen.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	mkdir(P("d"), 0755);
	mkdir(P("d/e"), 0755);
	put("d/e/f.txt", "hello");
	put("outside.txt", "secret");
	if (symlink("d", P("dl")) || symlink("e", P("d/el")) || symlink("f.txt", P("d/e/fl.txt")) ||
	    symlink("/etc", P("abs")) || symlink("..", P("up")) || mkfifo(P("fifo"), 0600))
		return 1;
	rfd = open(root, O_PATH | O_DIRECTORY);

	cases(rfd, "openat2");
	safeopen_force_walk = true;
	cases(rfd, "walk");
	safeopen_force_walk = false;

	/* absolute entry points */
	is_int(err_of(safe_open_file_abs(P("d/e/f.txt"), &st)), 0, "safe_open_file_abs on a physical path");
	is_int(err_of(safe_open_file_abs(P("dl/e/f.txt"), &st)), ELOOP, "safe_open_file_abs: link in the path");
	is_int(err_of(safe_open_file_abs("/dev/null", &st)), EINVAL, "/dev/null is not a regular file");
	alarm(5);
	is_int(err_of(safe_open_file_abs("/dev/zero", &st)), EINVAL, "/dev/zero is not a regular file");
	alarm(0);
	is_int(err_of(safe_open_dir_abs(P("d/e"))), 0, "safe_open_dir_abs on a directory");
	is_int(err_of(safe_open_dir_abs(P("d/e/f.txt"))), ENOTDIR, "safe_open_dir_abs on a file");
	{
		const char *name = NULL;

		is_int(err_of(safe_open_parent_abs(P("d/e/f.txt"), &name)), 0, "parent of a physical path");
		is_str(name, "f.txt", "parent's last component");
		is_int(err_of(safe_open_parent_abs(P("d/el/f.txt"), &name)), ELOOP, "parent through a link");
	}

	/* size bounds */
	fd = safe_open_fileat(rfd, "d/e/f.txt", &st);
	ok(fd >= 0 && safe_read_fd(fd, 5, &data, &len) == 0 && len == 5 && strcmp(data, "hello") == 0,
	   "a file of exactly the bound is read");
	free(data);
	data = NULL;
	if (fd >= 0)
		close(fd);
	fd = safe_open_fileat(rfd, "d/e/f.txt", &st);
	errno = 0;
	ok(fd >= 0 && safe_read_fd(fd, 4, &data, &len) < 0 && errno == EFBIG, "one byte over the bound: EFBIG");
	if (fd >= 0)
		close(fd);

	/* mkdir -p never follows a link */
	is_int(err_of(safe_mkdirs_at(rfd, "new/a/b", false, 0, 0)), 0, "mkdirs creates a fresh tree");
	ok(stat(P("new/a/b"), &st) == 0 && S_ISDIR(st.st_mode), "the tree exists");
	{
		/* A name unique to this run: "up" points at /tmp. */
		char rel[PATH_MAX], esc[PATH_MAX];

		snprintf(rel, sizeof rel, "up/%s-escaped", strrchr(root, '/') + 1);
		snprintf(esc, sizeof esc, "%s-escaped", root);
		is_int(err_of(safe_mkdirs_at(rfd, rel, false, 0, 0)), ELOOP, "mkdirs through a link: ELOOP");
		ok(stat(esc, &st) < 0, "nothing was created where the link points");
		rmdir(esc);
	}
	is_int(err_of(safe_mkdirs_at(rfd, "new/../x", false, 0, 0)), EXDEV, "mkdirs with '..': EXDEV");
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof cmd, "rm -rf %s", root);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", root);
	}
	close(rfd);
	return tap_done();
}
