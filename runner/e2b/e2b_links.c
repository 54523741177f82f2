/* The physical symlink check (e2b_links.h).  The walk keeps the stack of
 * directories it went through, so ".." returns to the directory it came
 * from, the way the kernel resolves a path, and never looks a name up in a
 * directory it reached through a link it did not expand itself. */
#include "runner/e2b/e2b_links.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REST_MAX (2 * PATH_MAX)

struct walk {
	int fd[LINKS_DEPTH_MAX + 1];   /* -1: a directory that does not exist (yet) */
	int n;                         /* fd[0] is the root */
};

static void walk_close(struct walk *w)
{
	while (w->n > 0) {
		w->n--;
		if (w->fd[w->n] >= 0)
			close(w->fd[w->n]);
	}
}

static bool push(struct walk *w, int fd)
{
	if (w->n > LINKS_DEPTH_MAX) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	w->fd[w->n++] = fd;
	return true;
}

/* ".." : false when it would leave the root. */
static bool pop(struct walk *w)
{
	if (w->n <= 1)
		return false;
	w->n--;
	if (w->fd[w->n] >= 0)
		close(w->fd[w->n]);
	return true;
}

/* Step into NAME below the top of the walk, as a directory.  1 done, 0 it
 * is something else (ST says what), -1 error. */
static int step(struct walk *w, const char *name, struct stat *st)
{
	int top = w->fd[w->n - 1], fd;

	if (top < 0)
		return push(w, -1) ? 1 : -1;
	if (fstatat(top, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return push(w, -1) ? 1 : -1;
		return -1;
	}
	if (!S_ISDIR(st->st_mode))
		return 0;
	fd = openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return push(w, fd) ? 1 : -1;
}

/* The next component of *P (slashes skipped) into NAME; false at the end. */
static bool next_comp(const char **p, char name[NAME_MAX + 1], bool *toolong)
{
	const char *s = *p, *e;

	while (*s == '/')
		s++;
	if (!*s)
		return false;
	e = strchrnul(s, '/');
	*toolong = (size_t)(e - s) > NAME_MAX;
	if (!*toolong) {
		memcpy(name, s, (size_t)(e - s));
		name[e - s] = '\0';
	}
	*p = e;
	return true;
}

static bool rest_empty(const char *p)
{
	while (*p == '/')
		p++;
	return !*p;
}

static enum link_verdict follow(struct walk *w, const char *target)
{
	char rest[REST_MAX], tmp[REST_MAX], name[NAME_MAX + 1], lt[PATH_MAX];
	const char *p = rest;
	int hops = 0;
	bool toolong;

	if (!target[0] || strlen(target) >= sizeof rest)
		return LINK_BAD;
	if (target[0] == '/')
		return LINK_OUTSIDE;
	memcpy(rest, target, strlen(target) + 1);
	while (next_comp(&p, name, &toolong)) {
		struct stat st;
		ssize_t n;
		int r;

		if (toolong)
			return LINK_BAD;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (!pop(w))
				return LINK_OUTSIDE;
			continue;
		}
		r = step(w, name, &st);
		if (r < 0)
			return LINK_BAD;
		if (r > 0)
			continue;
		if (!S_ISLNK(st.st_mode))
			/* A file at the end is where the link leads; a file in
			 * the middle is a dead end we refuse to judge. */
			return rest_empty(p) ? LINK_INSIDE : LINK_BAD;
		if (++hops > LINKS_HOPS_MAX)
			return LINK_LOOP;
		n = readlinkat(w->fd[w->n - 1], name, lt, sizeof lt);
		if (n <= 0 || (size_t)n >= sizeof lt)
			return LINK_BAD;
		lt[n] = '\0';
		if (lt[0] == '/')
			return LINK_OUTSIDE;
		/* Expand in place: the link's target, then what was left. */
		if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", lt, p) >= sizeof tmp)
			return LINK_BAD;
		memcpy(rest, tmp, strlen(tmp) + 1);
		p = rest;
	}
	return LINK_INSIDE;
}

enum link_verdict links_resolve(int rootfd, const char *rel, const char *target)
{
	struct walk w = { .n = 0 };
	char name[NAME_MAX + 1];
	const char *p = rel, *last = strrchr(rel, '/');
	enum link_verdict v = LINK_BAD;
	bool toolong;
	int fd;

	if (!rel[0] || !target)
		return LINK_BAD;
	fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !push(&w, fd))
		return LINK_BAD;
	/* To the directory that holds the link: real directories (or ones
	 * still to be made), never through a symlink. */
	while (last && p < last && next_comp(&p, name, &toolong)) {
		struct stat st;

		if (toolong || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    step(&w, name, &st) != 1)
			goto out;
	}
	v = follow(&w, target);
out:
	walk_close(&w);
	return v;
}

const char *links_verdict_str(enum link_verdict v)
{
	switch (v) {
	case LINK_INSIDE: return "it stays inside";
	case LINK_OUTSIDE: return "it leads outside the project";
	case LINK_LOOP: return "it is a loop of symlinks";
	case LINK_BAD: break;
	}
	return "it cannot be resolved safely";
}
