#ifndef CS_BUILD_H
#define CS_BUILD_H

#include <stdbool.h>

#include "runner/core/cli.h"
#include "runner/docker/docker_api.h"
#include "runner/core/paths.h"

/* Keep in sync with images/fetch-codex.sh and Dockerfile.codex-sandbox. */
#define DEFAULT_CODEX_VERSION "0.169.0"

struct build_req {
	const char *codex_version;      /* NULL: CODEX_VERSION build arg or the default */
	const struct strv *build_args;  /* KEY=VALUE (BASE_IMAGE, CODEX_VERSION, ...) */
	bool no_cache;
	bool quiet;
};

const char *build_codex_version(const struct build_req *r);
/* GET this path inspects image NAME.  0, or -1 when it does not fit. */
int image_inspect_path(const char *name, char *out, size_t outsz);
int build_key(const struct cs_paths *paths, const struct build_req *r, char key[65],
	      struct cs_err *err);
/* Build IMAGE (name[:tag]) from Dockerfile.codex-sandbox, bootstrapping the
 * base when needed, with progress on stderr. */
int image_build(struct docker *d, const struct build_req *r, const char *image,
		struct cs_err *err);
/* Make sure IMAGE exists: the default image is (re)built when missing or
 * built from other contents; a user-chosen image must exist. */
int image_ensure(struct docker *d, const char *image, bool is_default, struct cs_err *err);

/* Set by Dockerfile.codex-sandbox from the version its build verified. */
#define CODEX_VERSION_LABEL "org.codex-sandbox.codex-version"
int image_codex_version(struct docker *d, const char *image, char *out, size_t outsz,
			struct cs_err *err);

#endif
