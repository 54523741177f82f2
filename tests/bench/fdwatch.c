/* LD_PRELOAD=fdwatch.so CS_FDWATCH=FILE PROGRAM...: when PROGRAM exits
 * (exit() or a return from main), append one line to FILE with the file
 * descriptors it still has open and its memory:
 *   pid=P fds=N list=0:/dev/null,1:pipe:[...],... hwm_kb=K rss_kb=R
 * Used by tests/integration/70-load.sh and make bench to show that runs of
 * the runner leak no descriptors and do not grow.  Its own descriptors
 * (the /proc/self/fd listing, FILE) are not counted.  LD_PRELOAD is
 * removed at start so only PROGRAM itself is watched, not what it runs. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void status_kb(const char *key, long *out)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	size_t n = strlen(key);

	*out = -1;
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0)
			*out = atol(line + n);
	fclose(f);
}

__attribute__((constructor)) static void fdwatch_start(void)
{
	unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void fdwatch_report(void)
{
	const char *out = getenv("CS_FDWATCH");
	char list[8192] = "", path[300], target[256];
	size_t used = 0;
	long hwm, rss;
	int count = 0, fd;
	struct dirent *e;
	DIR *d;

	if (!out)
		return;
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((e = readdir(d))) {
		int n;
		ssize_t len;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof target - 1);
		target[len > 0 ? len : 0] = 0;
		n = snprintf(list + used, sizeof list - used, "%s%s:%s", count ? "," : "", e->d_name, target);
		if (n > 0 && (size_t)n < sizeof list - used)
			used += (size_t)n;
		count++;
	}
	closedir(d);
	status_kb("VmHWM:", &hwm);
	status_kb("VmRSS:", &rss);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	dprintf(fd, "pid=%d fds=%d list=%s hwm_kb=%ld rss_kb=%ld\n", (int)getpid(), count, list, hwm, rss);
	close(fd);
}
