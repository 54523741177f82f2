/* The local backend: the plan executed against the Docker Engine API.  The
 * one header of runner/docker/ the rest of the program includes; it shows
 * what the face needs and nothing of how it is done. */
#ifndef CS_DOCKER_H
#define CS_DOCKER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/strv.h"
#include "runner/core/plan.h"

/* Run the plan locally.  Returns the command's exit status (>= 0), or -1
 * with ERR (whose status is the exit code to use). */
int docker_backend_run(const struct sandbox_plan *p, struct cs_err *err);
/* --dry-run: the plan JSON with "operations", the steps docker_backend_run
 * walks, each with its request (method, path, body).  Asks no engine and
 * creates nothing. */
int docker_dry_run(const struct sandbox_plan *p, struct cs_err *err);

/* codex-sandbox build */
struct docker_build_opts {
	const char *image;              /* name[:tag] */
	const char *codex_version;      /* NULL: CODEX_VERSION build arg or the default */
	const struct strv *build_args;  /* KEY=VALUE */
	bool no_cache;
};
int docker_build_image(const struct docker_build_opts *o, struct cs_err *err);

/* The Codex version images are built with unless told otherwise. */
const char *docker_default_codex_version(void);
/* The Codex version IMAGE was built with, into OUT: 1; 0 when the image
 * does not exist; -1 when the engine cannot be asked (never an error for
 * --version). */
int docker_image_codex_version(const char *image, char *out, size_t outsz);

/* codex-sandbox doctor: one call of REPORT per check (status ok / warn /
 * FAIL / skip / info, what, detail, the fix or NULL); the same shape as
 * e2b.h's e2b_report_fn. */
typedef void (*docker_report_fn)(const char *status, const char *what, const char *detail,
				 const char *fix);
void docker_doctor(docker_report_fn report);

/* ---- running sandboxes: ps, allow, deny, blocked ------------------------ */

struct docker_sandbox {
	char id[33];                  /* the run id (label and run dir name) */
	char owner[80];               /* its network owner container */
	char work_dir[PATH_MAX];      /* the project */
	char run_dir[PATH_MAX];       /* this user's own run dir (checked: no link) */
	int64_t created;              /* seconds since the epoch */
};

/* The running local sandboxes of this user: a running network owner whose
 * runner is alive and whose run dir is ours.  *OUT (free()) holds *N.
 * Returns 0, or -1 with ERR (no engine). */
int docker_sandboxes(struct docker_sandbox **out, size_t *n, struct cs_err *err);
/* Exec `codex-firewall ctl OP ENTRIES...` in S's network owner (the
 * control channel only the Engine API reaches); what it printed (bounded)
 * into OUT.  Returns its exit status, or -1 with ERR. */
int docker_fw_ctl(const struct docker_sandbox *s, const char *op, const struct strv *entries,
		  struct buf *out, struct cs_err *err);

#endif
