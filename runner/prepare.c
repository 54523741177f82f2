/* Executing the plan's file side effects on the host: consent for writable
 * mounts outside the project, the Codex home and sessions dirs, and the
 * copies (config.toml, prompts, init hook).  Copies are atomic (temp file +
 * rename), so an interrupted run never leaves a half-written file. */
#include "runner/prepare.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/util.h"

#define PROMPTS_MAX_DEPTH 8

int prepare_consent(const struct sandbox_plan *p, struct cs_err *err)
{
	FILE *tty;
	char answer[16] = "";

	if (p->outside_writable.n == 0 || p->yes)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		cs_fail(err, 0, "refusing writable mount outside the work dir without confirmation: %s",
			p->outside_writable.v[0]);
		return cs_hint(err, "pass -y/--yes to accept it, or keep the Codex home and sessions "
			       "inside the project directory");
	}
	fprintf(stderr, "codex-sandbox: warning: the sandbox will get write access outside the "
		"project directory %s:\n", p->work_dir);
	for (size_t i = 0; i < p->outside_writable.n; i++)
		fprintf(stderr, "  %s\n", p->outside_writable.v[i]);
	fprintf(stderr, "Allow this? [y/N] ");
	fflush(stderr);
	tty = fopen("/dev/tty", "re");
	if (!tty || !fgets(answer, sizeof answer, tty)) {
		if (tty)
			fclose(tty);
		return cs_fail(err, 0, "no confirmation for writable mounts outside the work dir");
	}
	fclose(tty);
	if (answer[0] != 'y' && answer[0] != 'Y') {
		cs_fail(err, 0, "writable mount outside the work dir not confirmed");
		return cs_hint(err, "answer y, or pass -y/--yes");
	}
	return 0;
}

/* mkdir -p, giving new directories to the sandbox user when we are root. */
static int mkdirs_for(const char *path, uid_t uid, gid_t gid, struct cs_err *err)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof tmp)
		return cs_fail(err, ENAMETOOLONG, "%s", path);
	memcpy(tmp, path, len + 1);
	for (char *s = tmp + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(tmp, 0755) == 0) {
				if (geteuid() == 0 && chown(tmp, uid, gid) < 0)
					return cs_fail(err, errno, "chown %s", tmp);
			} else if (errno != EEXIST) {
				return cs_fail(err, errno, "creating %s", tmp);
			}
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int copy_file(const char *src, const char *dst, unsigned int perm, uid_t uid, gid_t gid,
		     struct cs_err *err)
{
	char tmp[PATH_MAX + 32], b[65536];
	cleanup_close int in = -1;
	cleanup_close int out = -1;
	struct stat st;
	ssize_t r;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return cs_fail(err, errno, "reading %s", src);
	if (!perm)
		perm = st.st_mode & 0777;
	snprintf(tmp, sizeof tmp, "%s.codex-sandbox-tmp.%d", dst, (int)getpid());
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, perm);
	if (out < 0)
		return cs_fail(err, errno, "writing %s", tmp);
	while ((r = read(in, b, sizeof b)) > 0) {
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, b + off, (size_t)(r - off));

			if (w < 0) {
				int e = errno;

				unlink(tmp);
				return cs_fail(err, e, "writing %s", tmp);
			}
			off += w;
		}
	}
	if (r < 0 || fchmod(out, perm) < 0 || fsync(out) < 0) {
		int e = errno;

		unlink(tmp);
		return cs_fail(err, e, "copying %s", src);
	}
	if (geteuid() == 0 && fchown(out, uid, gid) < 0) {
		int e = errno;

		unlink(tmp);
		return cs_fail(err, e, "chown %s", tmp);
	}
	if (rename(tmp, dst) < 0) {
		int e = errno;

		unlink(tmp);
		return cs_fail(err, e, "renaming into %s", dst);
	}
	return 0;
}

/* Add files from SRC into DST without overwriting anything there. */
static int merge_tree(const char *src, const char *dst, int depth, uid_t uid, gid_t gid,
		      struct cs_err *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > PROMPTS_MAX_DEPTH)
		return 0;
	if (mkdirs_for(dst, uid, gid, err) < 0)
		return -1;
	d = opendir(src);
	if (!d)
		return cs_fail(err, errno, "reading %s", src);
	while (rc == 0 && (de = readdir(d))) {
		char s[PATH_MAX], t[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(s, sizeof s, "%s/%s", src, de->d_name) >= (int)sizeof s ||
		    snprintf(t, sizeof t, "%s/%s", dst, de->d_name) >= (int)sizeof t)
			continue;
		/* Regular files and directories only: a symlink in someone's
		 * prompts dir must not pull arbitrary host files in. */
		if (lstat(s, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = merge_tree(s, t, depth + 1, uid, gid, err);
		else if (S_ISREG(st.st_mode) && access(t, F_OK) != 0)
			rc = copy_file(s, t, 0, uid, gid, err);
	}
	closedir(d);
	return rc;
}

/* The sandbox user must be able to write the Codex home. */
static int check_writable_by(const char *dir, uid_t uid, gid_t gid, struct cs_err *err)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return cs_fail(err, errno, "%s", dir);
	if (st.st_uid == uid || (st.st_gid == gid && (st.st_mode & 020)) || (st.st_mode & 02))
		return 0;
	cs_fail(err, EACCES, "the Codex home %s belongs to uid %u, but the sandbox runs as uid %u",
		dir, (unsigned)st.st_uid, (unsigned)uid);
	return cs_hint(err, "chown -R %u:%u %s, or run with --user %u:%u", (unsigned)uid,
		       (unsigned)gid, dir, (unsigned)st.st_uid, (unsigned)st.st_gid);
}

int prepare_files(const struct sandbox_plan *p, struct cs_err *err)
{
	for (size_t i = 0; i < p->mkdirs.n; i++)
		if (mkdirs_for(p->mkdirs.v[i], p->uid, p->gid, err) < 0)
			return -1;
	if (check_writable_by(p->codex_home, p->uid, p->gid, err) < 0)
		return -1;
	for (size_t i = 0; i < p->n_copies; i++) {
		const struct plan_copy *c = &p->copies[i];
		int rc;

		switch (c->mode) {
		case COPY_IF_MISSING:
			if (access(c->dest, F_OK) == 0)
				continue;
			rc = copy_file(c->source, c->dest, c->perm, p->uid, p->gid, err);
			break;
		case COPY_REPLACE:
			rc = copy_file(c->source, c->dest, c->perm, p->uid, p->gid, err);
			break;
		default:
			rc = merge_tree(c->source, c->dest, 0, p->uid, p->gid, err);
			break;
		}
		if (rc < 0)
			return cs_wrap(err, "preparing %s", c->why);
	}
	return 0;
}
