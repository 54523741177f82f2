/* Interim: the E2B client lands with its issue; until then the backend
 * refuses clearly instead of pretending. */
#include "runner/e2b.h"

#include <stdio.h>
#include <stdlib.h>

static int unavailable(struct cs_err *err)
{
	cs_fail(err, 0, "the E2B backend is not available in this build yet");
	return cs_hint(err, "use the local backend (--backend docker)");
}

int e2b_backend_run(const struct sandbox_plan *p, struct cs_err *err)
{
	(void)p;
	return unavailable(err);
}

int e2b_dry_run(const struct sandbox_plan *p, const char *plan_json, struct cs_err *err)
{
	(void)p;
	(void)plan_json;
	return unavailable(err);
}

int e2b_attach(const struct cs_opts *o, struct cs_err *err)
{
	(void)o;
	return unavailable(err);
}

void e2b_doctor(doctor_report_fn report)
{
	report("skip", "e2b", getenv("E2B_API_KEY") ? "E2B_API_KEY is set; the E2B backend is not in this build yet"
						    : "E2B_API_KEY not set (only needed for --backend e2b)", NULL);
}
