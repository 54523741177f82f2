#include "runner/writeback.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner/sig.h"
#include "runner/util.h"

static char *slurp(const char *path, size_t *len)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *data;
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return NULL;
	data = malloc(AUTH_MAX_BYTES + 1);
	if (!data)
		return NULL;
	while (n < AUTH_MAX_BYTES && (r = read(fd, data + n, AUTH_MAX_BYTES - n)) > 0)
		n += (size_t)r;
	if (n == AUTH_MAX_BYTES) {
		free(data);
		errno = E2BIG;
		return NULL;
	}
	data[n] = '\0';
	*len = n;
	return data;
}

static int write_atomic(const char *dst, const char *data, size_t len, mode_t mode, uid_t uid,
			gid_t gid, bool set_owner, struct cs_err *err)
{
	char tmp[PATH_MAX + 64];
	cleanup_close int fd = -1;

	snprintf(tmp, sizeof tmp, "%s.codex-sandbox-tmp.%d", dst, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0777);
	if (fd < 0)
		return cs_fail(err, errno, "writing %s", tmp);
	if (write(fd, data, len) != (ssize_t)len || fchmod(fd, mode & 0777) < 0 ||
	    (set_owner && fchown(fd, uid, gid) < 0) || fsync(fd) < 0) {
		int e = errno;

		unlink(tmp);
		return cs_fail(err, e, "writing %s", tmp);
	}
	if (rename(tmp, dst) < 0) {
		int e = errno;

		unlink(tmp);
		return cs_fail(err, e, "replacing %s", dst);
	}
	return 0;
}

int writeback_begin(struct writeback *wb, const char *host_auth, const struct rundir *rd,
		    uid_t uid, gid_t gid, struct cs_err *err)
{
	char dir[PATH_MAX], *slash;
	bool said = false;

	memset(wb, 0, sizeof *wb);
	wb->lock_fd = -1;
	snprintf(wb->host_path, sizeof wb->host_path, "%s", host_auth);
	snprintf(dir, sizeof dir, "%s", host_auth);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	/* The lock is on the directory: the file itself is replaced by
	 * rename, so a lock on its inode would protect nothing. */
	wb->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wb->lock_fd < 0)
		return cs_fail(err, errno, "opening %s for --auth-writeback", dir);
	while (flock(wb->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		if (errno != EWOULDBLOCK) {
			cs_fail(err, errno, "locking %s", dir);
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
	/* Read only now: the previous holder may just have written it. */
	wb->orig = slurp(host_auth, &wb->orig_len);
	if (!wb->orig) {
		cs_fail(err, errno, "reading %s", host_auth);
		goto fail;
	}
	rundir_path(rd, "auth.json", wb->private_copy, sizeof wb->private_copy);
	if (write_atomic(wb->private_copy, wb->orig, wb->orig_len, 0600, uid, gid,
			 geteuid() == 0, err) < 0)
		goto fail;
	if (geteuid() != 0 && getuid() != uid && chmod(wb->private_copy, 0666) < 0) {
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
	size_t now_len = 0, host_len = 0;
	struct stat st;
	cJSON *j;
	int rc = 0;

	if (!wb->active)
		return 0;
	wb->active = false;
	now = slurp(wb->private_copy, &now_len);
	if (!now) {
		rc = cs_fail(err, errno, "reading the sandbox's auth.json");
		goto out;
	}
	if (now_len == wb->orig_len && memcmp(now, wb->orig, now_len) == 0)
		goto out;   /* unchanged: nothing to write */
	j = cJSON_ParseWithLength(now, now_len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		rc = cs_fail(err, 0, "the sandbox left an invalid auth.json; %s was not changed",
			     wb->host_path);
		goto out;
	}
	cJSON_Delete(j);
	host_now = slurp(wb->host_path, &host_len);
	if (!host_now || stat(wb->host_path, &st) < 0) {
		rc = cs_fail(err, errno, "reading %s", wb->host_path);
		goto out;
	}
	if (host_len != wb->orig_len || memcmp(host_now, wb->orig, host_len) != 0) {
		/* Someone (Codex on the host?) changed it during the run. */
		char beside[PATH_MAX + 64];

		snprintf(beside, sizeof beside, "%s.sandbox-%ld", wb->host_path, (long)time(NULL));
		if (write_atomic(beside, now, now_len, 0600, 0, 0, false, err) < 0) {
			rc = -1;
			goto out;
		}
		rc = cs_fail(err, 0, "%s changed on the host during the run; the sandbox's refreshed "
			     "credentials were saved to %s instead", wb->host_path, beside);
		cs_hint(err, "keep whichever login is newer");
		goto out;
	}
	if (write_atomic(wb->host_path, now, now_len, st.st_mode, st.st_uid, st.st_gid,
			 geteuid() == 0, err) < 0)
		rc = -1;
out:
	close(wb->lock_fd);
	wb->lock_fd = -1;
	free(wb->orig);
	wb->orig = NULL;
	unlink(wb->private_copy);
	return rc;
}
