/* The init's status file as the runner reads it back: the sandbox writes
 * that directory, so a FIFO, a link, a directory or a huge file there must
 * be ignored without blocking; a regular file is parsed, strictly, with
 * control characters made harmless.  Each refusal has its control. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/core/rundir.h"

static struct rundir rd;
static char spath[PATH_MAX + 32];

static void on_alarm(int sig)
{
	(void)sig;
	printf("not ok - reading the status file blocked\n");
	_exit(1);
}

static void put(const char *text)
{
	FILE *f = fopen(spath, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int rd_status(int *status, char *stage, char *msg)
{
	int errnum = 0, found;

	*status = -7;
	stage[0] = msg[0] = '\0';
	alarm(5);
	found = rundir_read_status(&rd, status, stage, 32, msg, 64, &errnum);
	alarm(0);
	return found;
}

int main(void)
{
	char stage[32], msg[64], dir[PATH_MAX + 32], other[PATH_MAX + 32];
	int status, fd;

	plan(14);
	signal(SIGALRM, on_alarm);
	snprintf(rd.dir, sizeof rd.dir, "/tmp/cs-unit-status.XXXXXX");
	if (!mkdtemp(rd.dir))
		return 1;
	snprintf(dir, sizeof dir, "%s/status", rd.dir);
	snprintf(spath, sizeof spath, "%s/status/status", rd.dir);
	snprintf(other, sizeof other, "%s/elsewhere", rd.dir);
	mkdir(dir, 0700);

	ok(rd_status(&status, stage, msg) == 0, "no status file: nothing found");
	put("stage=exec\nstatus=127\nerrno=2\nmsg=not found \033[31mred\n");
	ok(rd_status(&status, stage, msg) == 1, "control: a regular status file is read");
	is_int(status, 127, "status parsed");
	is_str(stage, "exec", "stage parsed");
	is_str(msg, "not found ?[31mred", "control characters in msg made '?'");
	put("stage=x\nstatus=12abc\n");
	ok(rd_status(&status, stage, msg) == 1 && status == -7, "a status that is not a number is not used");

	unlink(spath);
	mkfifo(spath, 0600);
	ok(rd_status(&status, stage, msg) == 0, "a FIFO: ignored, without blocking");
	unlink(spath);

	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, "stage=LINKED\n", 13) != 13)
			printf("# short write\n");
		close(fd);
	}
	if (symlink(other, spath) < 0)
		printf("# symlink failed\n");
	ok(rd_status(&status, stage, msg) == 0 && strcmp(stage, "LINKED") != 0, "a link: not followed");
	unlink(spath);
	if (symlink("/dev/zero", spath) < 0)
		printf("# symlink failed\n");
	ok(rd_status(&status, stage, msg) == 0, "a link to /dev/zero: not followed");
	unlink(spath);

	mkdir(spath, 0700);
	ok(rd_status(&status, stage, msg) == 0, "a directory: ignored");
	rmdir(spath);

	put("stage=big\n");
	if (truncate(spath, 1 << 20) < 0)
		printf("# truncate failed\n");
	ok(rd_status(&status, stage, msg) == 0, "a 1 MiB file: over the bound, ignored");
	if (truncate(spath, STATUS_MAX_BYTES) < 0)
		printf("# truncate failed\n");
	ok(rd_status(&status, stage, msg) == 1 && strcmp(stage, "big") == 0, "control: exactly the bound is read");

	/* The directory itself replaced by a link (the sandbox cannot, it is
	 * a mount point, but the run dir must not follow one either). */
	unlink(spath);
	rmdir(dir);
	mkdir(other, 0700);
	unlink(other);
	if (mkdir(other, 0700) == 0 && symlink(other, dir) == 0) {
		char linked[PATH_MAX + 64];

		snprintf(linked, sizeof linked, "%s/status", other);
		fd = open(linked, O_WRONLY | O_CREAT, 0600);
		if (fd >= 0) {
			if (write(fd, "stage=VIA-DIR\n", 14) != 14)
				printf("# short write\n");
			close(fd);
		}
	}
	ok(rd_status(&status, stage, msg) == 0, "a status dir that is a link: not followed");
	rundir_remove(&rd);
	ok(access(other, F_OK) != 0 && rd.dir[0] == '\0', "the run dir is removed entirely");
	return tap_done();
}
