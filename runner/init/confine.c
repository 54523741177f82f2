/* PID 1 confines itself; PID 1 clears the namespace after the init hook.
 *
 * Why PID 1 itself: the init hook comes from the project (a repository can
 * ship one, an agent can write one for the next run), so it must run under
 * the same filter as the command, and so must whatever it leaves running.
 * Installing the filter in PID 1 before the first fork gives every later
 * process the filter by inheritance, with no window.
 *
 * Why not dumpable: PID 1 runs as the sandbox user's uid (the engine starts
 * the container as that user), so without it the user could ptrace PID 1,
 * read or write its memory through /proc/1/mem or process_vm_writev, and
 * run code outside the hook-time rules.  A non-dumpable task's /proc files
 * belong to root, and ptrace_may_access() refuses a caller without
 * CAP_SYS_PTRACE; the container has no capabilities.  The flag is inherited
 * by fork and reset by execve, so the hook and the command are ordinary.
 */
#include "runner/init/confine.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/init/filter.h"

int confine_self(char *why, size_t whysz)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whysz, "PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(why, whysz, "PR_SET_DUMPABLE");
		return -1;
	}
	return filter_install(why, whysz);
}

int reap_all(int timeout_ms)
{
	const struct timespec ms = { 0, 1000 * 1000 };

	/* kill(-1) anywhere else would hit every process of this uid. */
	if (getpid() != 1) {
		errno = EPERM;
		return -1;
	}
	for (int waited = 0; waited <= timeout_ms;) {
		bool reaped = false;
		pid_t p;

		/* Every process but us; ESRCH once none (not even a zombie)
		 * is left.  Repeated because one may fork while we kill. */
		if (kill(-1, SIGKILL) < 0)
			return errno == ESRCH ? 0 : -1;
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0 || (p < 0 && errno == EINTR))
			reaped = true;
		if (!reaped) {
			nanosleep(&ms, NULL);   /* dying, not yet a zombie */
			waited++;
		}
	}
	errno = EBUSY;
	return -1;
}
