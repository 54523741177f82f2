/* The runner's identity (run id, pid, start time, boot id, pid namespace):
 * written into the labels and run-directory names of everything a run
 * creates, and checked by the sweeps of both. */
#ifndef CS_IDENTITY_H
#define CS_IDENTITY_H

struct runner_identity {
	char run_id[33];
	long pid;
	unsigned long long start_ticks;
	char boot_id[40];
	char pidns[32];
};

/* 0, or -1 with errno (getrandom). */
int runner_identity_init(struct runner_identity *id);
/* Is the runner these labels name still running?  1 alive, or not ours to
 * judge (a label missing, another pid namespace); 0 gone (rebooted since,
 * no such pid, or the pid was reused). */
int runner_alive(const char *pid, const char *start, const char *boot, const char *pidns,
		 const struct runner_identity *self);

#endif
