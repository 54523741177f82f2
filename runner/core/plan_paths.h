/* The path rules of the planning phase.  Every path the plan stores is
 * absolute and physical.  Where the sandbox (or a cloned repository) can
 * write -- the project and the Codex home -- no link is ever followed: a
 * path there is walked component by component (common/safeopen.h) and a
 * link, FIFO or device is refused or treated as absent.  Elsewhere links
 * are the user's own and resolved (realpath). */
#ifndef CS_PLAN_PATHS_H
#define CS_PLAN_PATHS_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/error.h"
#include "runner/core/sandbox_plan.h"

/* "A" + "/" + "B" (one slash between them); NULL when out of memory. */
char *plan_join(const char *a, const char *b);
/* realpath() of PATH relative to ENV's cwd; NULL with errno. */
char *plan_resolve(const struct plan_env *env, const char *path);
/* A path the user named (a flag or the environment).  Written as a path
 * inside the project, it is taken as written and must lead there without
 * any link (ELOOP; '..' is EXDEV); elsewhere it is resolved.  EXISTS NULL:
 * the path must exist; else it may be missing (its parent may not).
 * NULL with errno. */
char *plan_resolve_user(const struct plan_env *env, const struct sandbox_plan *p,
			const char *path, bool *exists);
/* One error line naming the path; link refusals say why in words.  -1. */
int plan_path_fail(struct cs_err *err, int e, const char *what, const char *path);
/* Is PATH ROOT or below it (whole components)? */
bool path_is_within(const char *path, const char *root);
/* Open PATH (absolute, physical) as KIND (S_IFDIR, S_IFREG) without
 * following any link: an O_PATH fd for a directory, a non-blocking read fd
 * for a file.  -1 with errno. */
int plan_open_kind(const char *path, mode_t kind, struct stat *st);
bool plan_is_dir(const char *path);
/* An optional NAME in DIR of the KIND wanted: its physical path, or NULL.
 * Where the sandbox can write, a link, FIFO or device there is never
 * followed: said on stderr and treated as absent.  NONEMPTY: an empty file
 * counts as absent (Docker leaves an empty placeholder where it mounted a
 * file before). */
char *plan_lookup(const struct sandbox_plan *p, const char *dir, const char *name, mode_t kind,
		  bool nonempty, struct stat *st);
/* Can UID:GID read PATH by its mode bits (the sandbox's view)? */
bool plan_readable_by(const char *path, uid_t uid, gid_t gid);

#endif
