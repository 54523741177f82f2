/* codex-sandbox build: the sandbox image, built through the engine. */
#include "runner/cmd_build.h"

#include <stdio.h>

#include "common/env.h"
#include "runner/docker/docker.h"

int cmd_build(const struct cs_opts *o, struct cs_err *err)
{
	struct docker_build_opts b = { .image = o->image ? o->image : cs_getenv("CODEX_DOCKER_IMAGE"),
				       .codex_version = o->codex_version,
				       .build_args = &o->build_args, .no_cache = o->no_cache };

	if (!b.image || !*b.image)
		b.image = DEFAULT_IMAGE;
	if (docker_build_image(&b, err) < 0)
		return -1;
	fprintf(stderr, "codex-sandbox: built %s\n", b.image);
	return 0;
}
