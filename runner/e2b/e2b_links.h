/* Where a symlink really leads, decided against the tree on disk, not on
 * the string.  A lexical check is not enough: with `a -> .` and
 * `b -> a/..` already there, `c -> b/..` reads as "inside" but resolves
 * two levels up.  The E2B sync uses this to decide which project links are
 * recreated in the sandbox and to say, for links the sandbox made, where
 * they would lead here (it never creates them on the host: see e2b_xfer.c). */
#ifndef CS_E2B_LINKS_H
#define CS_E2B_LINKS_H

enum link_verdict {
	LINK_INSIDE,     /* every step stays beneath the root */
	LINK_OUTSIDE,    /* some step leaves it (".." above the root, an absolute target) */
	LINK_LOOP,       /* more than LINKS_HOPS_MAX symlinks on the way */
	LINK_BAD,        /* cannot be judged (too deep, too long, the link sits below a symlink, I/O) */
};

#define LINKS_HOPS_MAX 40    /* the kernel's own limit (MAXSYMLINKS) */
#define LINKS_DEPTH_MAX 256  /* directories deep */

/* Resolve a symlink at REL (a clean path beneath the directory ROOTFD) whose
 * target is TARGET, as the kernel would against the tree as it is now:
 * existing components are looked at without being followed, symlinks met on
 * the way are expanded in place, ".." goes back to the directory actually
 * walked through, and a component that does not exist (yet) is taken
 * lexically from there on.  REL's own parent directories must be real
 * directories or missing; a symlink among them gives LINK_BAD.  Only
 * LINK_INSIDE is safe. */
enum link_verdict links_resolve(int rootfd, const char *rel, const char *target);

const char *links_verdict_str(enum link_verdict v);

#endif
