/* The local backend's entry points: each hands over to the part that does
 * the work (steps.c: the run and its dry run; build.c: the image;
 * doctor.c: the checks). */
#include "runner/docker/docker.h"

#include "runner/core/ops.h"
#include "runner/docker/build.h"
#include "runner/docker/docker_api.h"
#include "runner/docker/doctor.h"
#include "runner/docker/steps.h"

int docker_backend_run(const struct sandbox_plan *p, struct cs_err *err)
{
	return steps_run(p, err);
}

int docker_dry_run(const struct sandbox_plan *p, struct cs_err *err)
{
	cJSON *ops = steps_describe(p, err);

	if (!ops)
		return -1;
	return ops_print_dry_run(p, ops, err);
}

int docker_build_image(const struct docker_build_opts *o, struct cs_err *err)
{
	struct build_req r = { .codex_version = o->codex_version, .build_args = o->build_args,
			       .no_cache = o->no_cache };
	struct docker d;
	int rc;

	if (docker_open(&d, err) < 0)
		return -1;
	rc = image_build(&d, &r, o->image, err);
	docker_close(&d);
	return rc;
}

const char *docker_default_codex_version(void)
{
	return DEFAULT_CODEX_VERSION;
}

int docker_image_codex_version(const char *image, char *out, size_t outsz)
{
	struct cs_err e = { 0 };
	struct docker d;
	int ex;

	if (docker_open(&d, &e) < 0)
		return -1;
	ex = image_codex_version(&d, image, out, outsz, &e);
	docker_close(&d);
	return ex;
}

void docker_doctor(docker_report_fn report)
{
	doctor_checks(report);
}
