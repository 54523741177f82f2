/* codex-sandbox build: the sandbox image, built through the engine. */
#include "runner/cmd_build.h"

#include <stdio.h>
#include <stdlib.h>

#include "runner/docker/build.h"
#include "runner/docker/docker.h"

int cmd_build(const struct cs_opts *o, struct cs_err *err)
{
	struct build_req r = { .codex_version = o->codex_version, .build_args = &o->build_args,
			       .no_cache = o->no_cache };
	const char *image = o->image ? o->image : getenv("CODEX_DOCKER_IMAGE");
	struct docker d;
	int rc;

	if (!image || !*image)
		image = DEFAULT_IMAGE;
	if (docker_open(&d, err) < 0)
		return -1;
	rc = image_build(&d, &r, image, err);
	docker_close(&d);
	if (rc == 0)
		fprintf(stderr, "codex-sandbox: built %s\n", image);
	return rc;
}
