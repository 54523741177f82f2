#ifndef CS_INIT_CONFINE_H
#define CS_INIT_CONFINE_H

#include <stddef.h>

/* Confine the calling process (PID 1) before anything from the project
 * runs: no_new_privs, not dumpable (its /proc files become root's and the
 * sandbox user cannot trace, read or write it), then the seccomp filter,
 * which the hook, the command and all they start inherit.  -1 with errno
 * and WHY on failure. */
int confine_self(char *why, size_t whysz);

/* Only as PID 1 of its PID namespace: SIGKILL every other process in it and
 * reap them, until none is left (the init hook's leftovers must not outlive
 * it into the command's run).  Gives up after TIMEOUT_MS rounds (each at
 * most about 1 ms) with EBUSY;
 * anywhere but PID 1 it refuses with EPERM and signals nothing. */
int reap_all(int timeout_ms);

#endif
