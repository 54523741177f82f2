/* What is mounted is what was checked.  The engine mounts bind sources by
 * path and follows links when it does, so a directory swapped for a link
 * between our check and the mount (another sandbox on the same project can
 * do that) would be mounted instead.  mounts_pin() opens every bind source
 * of a create body without following links (the project's and the Codex
 * home's paths are physical: no link anywhere on them is accepted), takes
 * its device and inode from that fd, and hands the list to the sandbox's
 * PID 1 in CODEX_SANDBOX_MOUNT_PINS ("DEV INO TARGET" lines).  PID 1
 * (runner/init/mountcheck.c) stats every target before anything else runs
 * and refuses to start, exit 125, when one differs. */
#ifndef CS_MOUNTS_H
#define CS_MOUNTS_H

#include <cjson/cJSON.h>

#include "common/error.h"

#define MOUNT_PINS_ENV "CODEX_SANDBOX_MOUNT_PINS"
#define MOUNT_PINS_MAX 64

/* Pin the binds of BODY (a container create body) and add the variable to
 * its Env.  Sources below TRUSTED_DIR (the run dir: ours, 0700) only get
 * O_NOFOLLOW on their last component; every other source must be reachable
 * from / without any link.  A source that is a link, a FIFO or a device is
 * refused (exit 125, one line naming it). */
int mounts_pin(cJSON *body, const char *trusted_dir, struct cs_err *err);

#endif
