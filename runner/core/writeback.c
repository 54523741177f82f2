#include "runner/core/writeback.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic.h"
#include "common/fdio.h"
#include "common/safeopen.h"
#include "runner/core/sig.h"
#include "common/util.h"

/* A regular file below DIRFD, read whole (bounded), without following a
 * link or waiting on a FIFO; ST describes what was read. */
static char *slurp_at(int dirfd, const char *name, size_t *len, struct stat *st)
{
	cleanup_close int fd = safe_open_fileat(dirfd, name, st);
	char *data = NULL;

	if (fd < 0 || safe_read_fd(fd, AUTH_MAX_BYTES, &data, len) < 0)
		return NULL;
	return data;
}

int writeback_begin(struct writeback *wb, const char *host_auth, const struct rundir *rd,
		    uid_t uid, gid_t gid, struct cs_err *err)
{
	cleanup_close int rfd = -1;
	const char *name = NULL;
	bool said = false;

	memset(wb, 0, sizeof *wb);
	wb->lock_fd = -1;
	snprintf(wb->host_path, sizeof wb->host_path, "%s", host_auth);
	/* The plan's path is physical: its directory is opened without
	 * following any link, and everything below goes through that fd.
	 * The lock is on the directory too: the file itself is replaced by
	 * rename, so a lock on its inode would protect nothing. */
	wb->lock_fd = safe_open_parent_abs(host_auth, &name);
	if (wb->lock_fd < 0)
		return cs_fail(err, 0, "opening the directory of %s for --auth-writeback: %s", host_auth,
			       safe_strerror(errno));
	snprintf(wb->name, sizeof wb->name, "%s", name);
	while (flock(wb->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		if (errno != EWOULDBLOCK) {
			cs_fail(err, errno, "locking the directory of %s", host_auth);
			goto fail;
		}
		if (!said) {
			fprintf(stderr, "codex-sandbox: another sandbox is using %s with --auth-writeback; "
				"waiting for it to finish (its refresh token is single-use)\n", host_auth);
			said = true;
		}
		if (sig_terminating()) {
			cs_fail(err, EINTR, "interrupted while waiting for the auth.json lock");
			goto fail;
		}
		nanosleep(&ts, NULL);
	}
	/* Read only now: the previous holder may just have written it.  The
	 * file read is the one (device, inode) written back later. */
	wb->orig = slurp_at(wb->lock_fd, wb->name, &wb->orig_len, &wb->orig_st);
	if (!wb->orig) {
		cs_fail(err, 0, "reading %s: %s", host_auth, safe_strerror(errno));
		goto fail;
	}
	rundir_path(rd, "auth.json", wb->private_copy, sizeof wb->private_copy);
	rfd = open(rd->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0) {
		cs_fail(err, errno, "opening %s", rd->dir);
		goto fail;
	}
	if (atomic_write_at(rfd, "auth.json", wb->orig, wb->orig_len, &(struct atomic_opts){
				    .mode = 0600, .set_owner = geteuid() == 0, .uid = uid, .gid = gid,
				    .no_sync = true }, err) < 0)
		goto fail;
	if (geteuid() != 0 && getuid() != uid && fchmodat(rfd, "auth.json", 0666, 0) < 0) {
		cs_fail(err, errno, "chmod %s", wb->private_copy);
		goto fail;
	}
	wb->active = true;
	return 0;
fail:
	close(wb->lock_fd);
	wb->lock_fd = -1;
	free(wb->orig);
	wb->orig = NULL;
	return -1;
}

int writeback_finish(struct writeback *wb, struct cs_err *err)
{
	cleanup_free char *now = NULL, *host_now = NULL;
	cleanup_close int rfd = -1;
	size_t now_len = 0, host_len = 0;
	struct stat st, cst;
	const char *cname = NULL;
	cleanup_json cJSON *j = NULL;
	int rc = 0;

	if (!wb->active)
		return 0;
	wb->active = false;
	/* The sandbox wrote the copy: no link, no FIFO, bounded. */
	rfd = safe_open_parent_abs(wb->private_copy, &cname);
	now = rfd < 0 ? NULL : slurp_at(rfd, cname, &now_len, &cst);
	if (!now) {
		rc = cs_fail(err, 0, "reading the sandbox's auth.json: %s", safe_strerror(errno));
		goto out;
	}
	if (now_len == wb->orig_len && memcmp(now, wb->orig, now_len) == 0)
		goto out;   /* unchanged: nothing to write */
	j = cJSON_ParseWithLength(now, now_len);
	if (!cJSON_IsObject(j)) {
		rc = cs_fail(err, 0, "the sandbox left an invalid auth.json; %s was not changed",
			     wb->host_path);
		goto out;
	}
	host_now = slurp_at(wb->lock_fd, wb->name, &host_len, &st);
	if (!host_now || st.st_dev != wb->orig_st.st_dev || st.st_ino != wb->orig_st.st_ino ||
	    host_len != wb->orig_len || memcmp(host_now, wb->orig, host_len) != 0) {
		/* Someone (Codex on the host?) changed or replaced it during the
		 * run: never overwrite; keep the sandbox's version beside it. */
		char beside[NAME_MAX + 64];

		snprintf(beside, sizeof beside, "%.200s.sandbox-%ld", wb->name, (long)time(NULL));
		if (atomic_write_at(wb->lock_fd, beside, now, now_len,
				    &(struct atomic_opts){ .mode = 0600 }, err) < 0) {
			rc = -1;
			goto out;
		}
		rc = cs_fail(err, 0, "%s changed on the host during the run; the sandbox's refreshed "
			     "credentials were saved to %s instead", wb->host_path, beside);
		cs_hint(err, "keep whichever login is newer");
		goto out;
	}
	/* Same mode and owner; only over the file that was read at the start. */
	if (atomic_write_at(wb->lock_fd, wb->name, now, now_len, &(struct atomic_opts){
				    .mode = st.st_mode & 0777, .set_owner = geteuid() == 0,
				    .uid = st.st_uid, .gid = st.st_gid, .expect = &wb->orig_st }, err) < 0)
		rc = cs_wrap(err, "--auth-writeback");
out:
	close(wb->lock_fd);
	wb->lock_fd = -1;
	free(wb->orig);
	wb->orig = NULL;
	if (rfd >= 0 && cname)
		unlinkat(rfd, cname, 0);
	else
		unlink(wb->private_copy);
	return rc;
}
