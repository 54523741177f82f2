/* codex-sandbox doctor: check what a run needs and say what to do.  The
 * face prints; each backend checks its own part (docker_doctor,
 * e2b_doctor) through the one report function. */
#include "runner/cmd_doctor.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "runner/core/paths.h"
#include "runner/docker/docker.h"
#include "runner/e2b/e2b.h"

static int problems;

static void report(const char *status, const char *what, const char *detail, const char *fix)
{
	printf("%-5s %-10s %s\n", status, what, detail);
	if (fix && *fix)
		printf("      %-10s fix: %s\n", "", fix);
	if (strcmp(status, "FAIL") == 0)
		problems++;
}

int cmd_doctor(void)
{
	struct cs_err e = { 0 };
	struct cs_paths paths;
	char line[2048], detail[2 * PATH_MAX + 64];

	problems = 0;
	if (paths_find(&paths, &e) < 0) {
		cs_err_format(&e, line, sizeof line);
		report("FAIL", "install", line, e.hint);
	} else {
		snprintf(detail, sizeof detail, "data %s, helpers %s", paths.data, paths.libexec);
		report("ok", "install", detail, NULL);
	}
	docker_doctor(report);
	e2b_doctor(report);
	printf("%s\n", problems ? "problems found" : "all checks passed");
	return problems ? 1 : 0;
}
