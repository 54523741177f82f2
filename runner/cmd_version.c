/* codex-sandbox --version */
#include "runner/cmd_version.h"

#include <stdio.h>
#include <stdlib.h>

#include "runner/docker/build.h"
#include "runner/docker/docker.h"

/* Ours, then the image's Codex when the engine answers and the image exists
 * (never an error: --version must work without an engine). */
int cmd_version(const struct cs_opts *o)
{
	const char *image = o->image ? o->image : getenv("CODEX_DOCKER_IMAGE");
	struct cs_err e = { 0 };
	struct docker d;
	char v[80];
	int ex;

	if (!image || !*image)
		image = DEFAULT_IMAGE;
	printf("codex-sandbox %s (Codex %s by default)\n", CS_VERSION, DEFAULT_CODEX_VERSION);
	fflush(stdout);
	if (docker_open(&d, &e) < 0)
		return 0;
	ex = image_codex_version(&d, image, v, sizeof v, &e);
	docker_close(&d);
	if (ex > 0)
		printf("image %s: Codex %s\n", image, v);
	else if (ex == 0)
		printf("image %s: not built yet (codex-sandbox build)\n", image);
	return 0;
}
