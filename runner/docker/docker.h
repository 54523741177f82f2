/* The local backend: the plan executed against the Docker Engine API.  The
 * one header of runner/docker/ the rest of the program includes; it shows
 * what the face needs and nothing of how it is done. */
#ifndef CS_DOCKER_H
#define CS_DOCKER_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
