/* Who this runner is: a random run id for names, and what tells a live
 * runner from a dead one (pid + start time + boot id + pid namespace), so a
 * later run can remove what a killed runner left behind. */
#include "runner/core/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/util.h"

static int read_line(const char *path, char *out, size_t outsz)
{
	cleanup_fclose FILE *f = fopen(path, "re");

	if (!f || !fgets(out, (int)outsz, f))
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* Field 22 of a /proc/PID/stat line (start time), after the ")" that
 * ends comm; 0 when the line has none. */
static unsigned long long start_ticks(const char *stat)
{
	const char *p = strrchr(stat, ')');
	int field = 2;

	if (!p)
		return 0;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

int runner_identity_init(struct runner_identity *id)
{
	unsigned char rnd[16];
	char stat[1024];
	ssize_t n;

	memset(id, 0, sizeof *id);
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(id->run_id + 2 * i, 3, "%02x", rnd[i]);
	id->pid = (long)getpid();
	if (read_line("/proc/self/stat", stat, sizeof stat) == 0)
		id->start_ticks = start_ticks(stat);
	if (read_line("/proc/sys/kernel/random/boot_id", id->boot_id, sizeof id->boot_id) < 0)
		snprintf(id->boot_id, sizeof id->boot_id, "unknown");
	n = readlink("/proc/self/ns/pid", id->pidns, sizeof id->pidns - 1);
	id->pidns[n > 0 ? n : 0] = '\0';
	return 0;
}

int runner_alive(const char *pid, const char *start, const char *boot, const char *pidns,
		       const struct runner_identity *self)
{
	char path[64], stat[1024];

	if (!pid || !start || !boot || !pidns)
		return 1;   /* not ours to judge */
	if (strcmp(pidns, self->pidns) != 0)
		return 1;   /* another pid namespace: cannot check, leave it */
	if (strcmp(boot, self->boot_id) != 0)
		return 0;   /* created before a reboot */
	snprintf(path, sizeof path, "/proc/%ld/stat", strtol(pid, NULL, 10));
	if (read_line(path, stat, sizeof stat) < 0 || !strrchr(stat, ')'))
		return 0;
	/* Same pid, different start time: the pid was reused. */
	return start_ticks(stat) == strtoull(start, NULL, 10);
}
