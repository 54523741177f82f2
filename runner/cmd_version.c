/* codex-sandbox --version */
#include "runner/cmd_version.h"

#include <stdio.h>

#include "common/env.h"
#include "runner/docker/docker.h"

/* Ours, then the image's Codex when the engine answers and the image exists
 * (never an error: --version must work without an engine). */
int cmd_version(const struct cs_opts *o)
{
	const char *image = o->image ? o->image : cs_getenv("CODEX_DOCKER_IMAGE");
	char v[80];
	int ex;

	if (!image || !*image)
		image = DEFAULT_IMAGE;
	printf("codex-sandbox %s (Codex %s by default)\n", CS_VERSION, docker_default_codex_version());
	fflush(stdout);
	ex = docker_image_codex_version(image, v, sizeof v);
	if (ex > 0)
		printf("image %s: Codex %s\n", image, v);
	else if (ex == 0)
		printf("image %s: not built yet (codex-sandbox build)\n", image);
	return 0;
}
