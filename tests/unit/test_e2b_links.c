/* The physical symlink check (runner/e2b/e2b_links.c): where a link really
 * leads against a tree on disk.  The chain (a -> ., b -> a/..,
 * c -> b/..) reads "inside" to a lexical check and is two levels up. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/e2b/e2b_links.h"

static char root[PATH_MAX];
static int rfd = -1;

static void mk(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", root, rel);
	if (mkdir(p, 0755) < 0)
		printf("# mkdir %s: %s\n", p, strerror(errno));
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", root, rel);
	if (symlink(target, p) < 0)
		printf("# symlink %s: %s\n", p, strerror(errno));
}

static void touch(const char *rel)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

#define V(rel, target) links_resolve(rfd, rel, target)

/* With nothing on disk the walk is lexical: the old rules still hold. */
static void test_lexical(void)
{
	is_int(V("link", "README"), LINK_INSIDE, "a sibling target is inside");
	is_int(V("a/b/link", "../c/x"), LINK_INSIDE, "up one, down one");
	is_int(V("a/link", ".."), LINK_INSIDE, "up to the root itself");
	is_int(V("link", ".."), LINK_OUTSIDE, "the root's parent is outside");
	is_int(V("link", "../x"), LINK_OUTSIDE, "above the root is outside");
	is_int(V("a/link", "../../x"), LINK_OUTSIDE, "two levels above is outside");
	is_int(V("a/link", "x/../../../y"), LINK_OUTSIDE, "climbing out through a detour");
	is_int(V("link", "/etc/passwd"), LINK_OUTSIDE, "an absolute target is outside");
	is_int(V("link", ""), LINK_BAD, "an empty target is refused");
	is_int(V("a/link", "./x/./y"), LINK_INSIDE, ". components are harmless");
	is_int(V("new/dir/l", "../../x"), LINK_INSIDE, "parents still to be made count as directories");
	is_int(V("new/dir/l", "../../../x"), LINK_OUTSIDE, "... and cannot be climbed above the root");
}

static void test_physical(void)
{
	mk("d");
	mk("d/e");
	touch("file");
	ln(".", "a");
	ln("a/..", "b");
	ln("..", "d/up");
	ln("/etc", "abs");
	ln("l2", "l1");
	ln("l1", "l2");
	ln("d/e", "deep");

	/* the chain */
	is_int(V("b", "a/.."), LINK_OUTSIDE, "b -> a/.. with a -> . on disk: outside (lexically inside)");
	is_int(V("c", "b/.."), LINK_OUTSIDE, "c -> b/.. with a -> ., b -> a/..: outside");
	is_int(V("c", "a/file"), LINK_INSIDE, "positive control: c -> a/file through a -> . stays inside");
	is_int(V("r", "d/up/.."), LINK_OUTSIDE, "through a link to '..' in a subdirectory, then up: outside");
	is_int(V("r", "d/up/file"), LINK_INSIDE, "... the same link, then down: inside");
	is_int(V("d/e/l", "../../file"), LINK_INSIDE, "'..' from a real directory goes back the way it came");
	is_int(V("d/e/l", "../../../file"), LINK_OUTSIDE, "... and not above the root");
	is_int(V("m", "deep/../.."), LINK_INSIDE, "'..' after a link returns to its target's parent: deep/../.. is the root");
	is_int(V("m", "deep/../../.."), LINK_OUTSIDE, "... one more '..' is outside");
	is_int(V("m", "deep/../x"), LINK_INSIDE, "... deep/../x is d/x");
	is_int(V("y", "abs/passwd"), LINK_OUTSIDE, "through an absolute link on disk: outside");
	is_int(V("x", "l1"), LINK_LOOP, "a loop of links");
	is_int(V("abs/z", "file"), LINK_BAD, "a link below a symlinked directory cannot be judged");
	is_int(V("x", "file/y"), LINK_BAD, "a regular file in the middle is refused");
	is_int(V("x", "missing/../../x"), LINK_OUTSIDE, "a missing directory, then '..' twice: outside");
	is_int(V("x", "missing/../x"), LINK_INSIDE, "... once: inside");
	is_int(V("d/l", "e"), LINK_INSIDE, "a relative target starts at the link's own directory");
}

/* The limits, as literals (the header's values are what is tested): 40
 * links followed (the kernel's), then a loop; 256 directories deep. */
static void test_limits(void)
{
	char name[32], target[32], deep[4 * 260];

	mk("chain");
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "chain/h%d", i);
		snprintf(target, sizeof target, i + 1 < 40 ? "h%d" : "end", i + 1);
		ln(target, name);
	}
	is_int(V("chain/x", "h0"), LINK_INSIDE, "40 links on the way: followed");
	is_int(V("x", "chain/h0"), LINK_INSIDE, "... from the root too");
	ln("h0", "chain/h-1");
	is_int(V("chain/x", "h-1"), LINK_LOOP, "41 links on the way: a loop");
	deep[0] = '\0';
	for (int i = 0; i < 255; i++)
		strcat(deep, "v/");
	strcat(deep, "x");
	is_int(V("l", deep), LINK_INSIDE, "256 directories deep is still judged");
	strcat(deep, "/v/x");
	is_int(V("l", deep), LINK_BAD, "deeper than that is refused");
	is_str(links_verdict_str(LINK_OUTSIDE), "it leads outside the project", "the verdict is said in words");
}

int main(void)
{
	plan(36);
	snprintf(root, sizeof root, "/tmp/cs-test-links.XXXXXX");
	ok(mkdtemp(root) != NULL, "a scratch directory");
	rfd = open(root, O_RDONLY | O_DIRECTORY);
	if (rfd < 0) {
		printf("# %s: %s\n", root, strerror(errno));
		return 1;   /* fewer results than planned: run.sh fails the file */
	}
	test_lexical();
	test_physical();
	test_limits();
	{
		char cmd[PATH_MAX + 20];

		close(rfd);
		snprintf(cmd, sizeof cmd, "rm -rf %s", root);
		if (system(cmd) != 0)
			printf("# cleanup failed\n");
	}
	return tap_done();
}
