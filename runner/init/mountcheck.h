/* PID 1's half of mount pinning (runner/docker/mounts.h): before anything of the
 * sandbox runs, every bind target must be the device and inode the runner
 * checked on the host. */
#ifndef CS_MOUNTCHECK_H
#define CS_MOUNTCHECK_H

#include <stddef.h>

/* Verify the pins in TEXT ("DEV INO TARGET" lines).  0 when all match;
 * -1 with a one-line reason in WHY otherwise (a malformed list too). */
int mountcheck_verify(const char *text, char *why, size_t whysz);
/* The same for CODEX_SANDBOX_MOUNT_PINS, removed from the environment
 * afterwards (the command need not see it).  No variable: nothing to check. */
int mountcheck_env(char *why, size_t whysz);

#endif
