#include "runner/core/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic.h"
#include "common/env.h"
#include "common/fdio.h"
#include "common/safeopen.h"
#include "runner/core/identity.h"
#include "common/util.h"

static int private_dir(const char *path, struct cs_err *err)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return cs_fail(err, errno, "creating %s", path);
	/* Someone else's directory or a symlink planted in /tmp must not be
	 * used for files we mount into the sandbox. */
	if (lstat(path, &st) < 0)
		return cs_fail(err, errno, "%s", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		cs_fail(err, EPERM, "%s is not a private directory of ours", path);
		return cs_hint(err, "remove it or set XDG_RUNTIME_DIR to a private directory");
	}
	return 0;
}

/* A new file in the run directory (ours, 0700, just created): never
 * replaces anything there. */
static int write_file(const char *path, const char *text, mode_t mode, struct cs_err *err)
{
	return atomic_write_path(path, text, strlen(text),
				 &(struct atomic_opts){ .mode = mode, .no_replace = true, .no_sync = true },
				 err);
}

/* A decimal int; anything else (or out of range) keeps DEF. */
static int parse_int(const char *s, int def)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < -100000 || v > 100000)
		return def;
	return (int)v;
}

void rundir_path(const struct rundir *r, const char *name, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s", r->dir, name);
}

void rundir_base(char *out, size_t outsz)
{
	const char *xdg = cs_getenv("XDG_RUNTIME_DIR");

	if (xdg && *xdg && access(xdg, W_OK) == 0)
		snprintf(out, outsz, "%s/codex-sandbox", xdg);
	else
		snprintf(out, outsz, "/tmp/codex-sandbox-%u", (unsigned)geteuid());
}

int rundir_create(struct rundir *r, const struct runner_identity *id, const struct sandbox_plan *p,
		  struct cs_err *err)
{
	const char *run_id = id->run_id;
	char owner[256];
	char base[PATH_MAX], path[PATH_MAX + 32];
	cleanup_free char *passwd = NULL, *group = NULL;

	r->dir[0] = '\0';
	rundir_base(base, sizeof base);
	if (private_dir(base, err) < 0)
		return -1;
	snprintf(r->dir, sizeof r->dir, "%s/%s", base, run_id);
	if (mkdir(r->dir, 0700) < 0) {
		cs_fail(err, errno, "creating %s", r->dir);
		r->dir[0] = '\0';
		return -1;
	}
	snprintf(owner, sizeof owner, "%ld %llu %s %s\n", id->pid, id->start_ticks, id->boot_id, id->pidns);
	rundir_path(r, "RUNNER", path, sizeof path);
	if (write_file(path, owner, 0600, err) < 0)
		return -1;
	/* A passwd entry for the sandbox user, so whoami, git and ssh know
	 * who they are (the uid usually has none in the image). */
	if (asprintf(&passwd, "root:x:0:0:root:/root:/bin/bash\n"
		     "codex:x:%u:%u:codex sandbox user:" SANDBOX_HOME ":/bin/bash\n"
		     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		     (unsigned)p->uid, (unsigned)p->gid) < 0 ||
	    asprintf(&group, "root:x:0:\n%s%u:\nnogroup:x:65534:\n",
		     p->gid == 0 ? "" : "codex:x:", (unsigned)p->gid) < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	rundir_path(r, "passwd", path, sizeof path);
	if (write_file(path, passwd, 0644, err) < 0)
		return -1;
	rundir_path(r, "group", path, sizeof path);
	if (write_file(path, group, 0644, err) < 0)
		return -1;
	rundir_path(r, RUNDIR_ETC, path, sizeof path);
	if (mkdir(path, 0755) < 0)
		return cs_fail(err, errno, "creating %s", path);
	rundir_path(r, RUNDIR_ALLOWED, path, sizeof path);
	if (write_file(path, p->allow_text ? p->allow_text : "", 0644, err) < 0)
		return -1;
	rundir_path(r, RUNDIR_BLOCKED, path, sizeof path);
	if (write_file(path, "", 0644, err) < 0)
		return -1;
	/* The only resolver inside the sandbox is the firewall's DNS filter. */
	rundir_path(r, "resolv.conf", path, sizeof path);
	if (write_file(path, "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n", 0644, err) < 0)
		return -1;
	/* The init writes its status here; the sandbox user must be able to. */
	rundir_path(r, "status", path, sizeof path);
	if (mkdir(path, 0700) < 0)
		return cs_fail(err, errno, "creating %s", path);
	if ((geteuid() == 0 ? chown(path, p->uid, p->gid) : chmod(path, 0777)) < 0)
		return cs_fail(err, errno, "preparing %s", path);
	return 0;
}

int rundir_copy_private(const char *src, const char *dst, uid_t uid, gid_t gid,
			struct cs_err *err)
{
	struct stat st;
	/* SRC is physical (the plan's): no link on its path, a regular file. */
	cleanup_close int in = safe_open_file_abs(src, &st);
	cleanup_free char *data = NULL;
	bool root = geteuid() == 0;
	size_t len = 0;

	if (in < 0 || safe_read_fd(in, RUNDIR_COPY_MAX, &data, &len) < 0)
		return cs_fail(err, 0, "reading %s: %s", src, safe_strerror(errno));
	return atomic_write_path(dst, data, len, &(struct atomic_opts){
					 .mode = root ? 0400 : 0444, .set_owner = root, .uid = uid,
					 .gid = gid, .no_replace = true, .no_sync = true }, err);
}

/* Remove everything below DIRFD: entries are unlinked by name in their
 * directory and subdirectories opened with O_NOFOLLOW, so a link the
 * sandbox left in its status dir is removed, never followed. */
static void remove_below(int dirfd, int depth)
{
	cleanup_dir DIR *d = fd_opendir(dirfd);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		cleanup_close int sub = -1;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0 || errno != EISDIR)
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && depth < 4)
			remove_below(sub, depth + 1);
		unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
	}
}

static void remove_tree(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		unlink(path);
		return;
	}
	remove_below(fd, 0);
	rmdir(path);
}

void rundir_sweep(const struct runner_identity *self)
{
	char base[PATH_MAX];
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	rundir_base(base, sizeof base);
	d = opendir(base);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX + 300], pid[32], start[32], boot[64], pidns[64];
		cleanup_free char *text = NULL;
		cleanup_close int fd = -1;
		struct stat st;
		int n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/RUNNER", base, de->d_name);
		fd = safe_open_file_abs(path, &st);
		if (fd < 0)
			continue;
		n = safe_read_fd(fd, 512, &text, NULL) < 0 ? 0 :
		    sscanf(text, "%31s %31s %63s %63s", pid, start, boot, pidns);
		if (n != 4 || runner_alive(pid, start, boot, pidns, self))
			continue;
		snprintf(path, sizeof path, "%s/%s", base, de->d_name);
		remove_tree(path);
	}
}

void rundir_remove(struct rundir *r)
{
	if (r->dir[0])
		remove_tree(r->dir);
	r->dir[0] = '\0';
}

int rundir_parse_status(const char *text, int *status, char *stage, size_t stagesz, char *msg,
			size_t msgsz, int *errnum)
{
	int found = 0;

	while (text && *text) {
		size_t len = strcspn(text, "\n");
		char line[1200];

		if (len < sizeof line) {
			memcpy(line, text, len);
			line[len] = '\0';
			if (strncmp(line, "stage=", 6) == 0) {
				snprintf(stage, stagesz, "%s", line + 6);
				found = 1;
			} else if (strncmp(line, "status=", 7) == 0) {
				*status = parse_int(line + 7, *status);
			} else if (strncmp(line, "errno=", 6) == 0) {
				*errnum = parse_int(line + 6, *errnum);
			} else if (strncmp(line, "msg=", 4) == 0) {
				snprintf(msg, msgsz, "%s", line + 4);
			}
		}
		text += len;
		text += *text == '\n';
	}
	/* Printed on the user's terminal: no control characters. */
	for (char *c = stage; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return found;
}

int rundir_read_status(const struct rundir *r, int *status, char *stage, size_t stagesz,
		       char *msg, size_t msgsz, int *errnum)
{
	char path[PATH_MAX + 32];
	cleanup_free char *text = NULL;
	cleanup_close int dir = -1;
	cleanup_close int fd = -1;

	/* The sandbox writes this directory: a link, FIFO or device there
	 * must neither redirect nor block us.  Opened below the run dir's own
	 * fd (not a path), without following links, non-blocking, regular
	 * files only, bounded. */
	rundir_path(r, "status", path, sizeof path);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return 0;
	fd = safe_open_fileat(dir, "status", NULL);
	if (fd < 0) {
		if (errno != ENOENT)
			fprintf(stderr, "codex-sandbox: ignoring the sandbox's status file: %s\n",
				safe_strerror(errno));
		return 0;
	}
	if (safe_read_fd(fd, STATUS_MAX_BYTES, &text, NULL) < 0) {
		fprintf(stderr, "codex-sandbox: ignoring the sandbox's status file: %s\n",
			safe_strerror(errno));
		return 0;
	}
	return rundir_parse_status(text, status, stage, stagesz, msg, msgsz, errnum);
}
