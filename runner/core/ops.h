/* A backend's work as one list of operations.  Each backend keeps a single
 * table of steps; the run walks it calling run(), --dry-run walks the same
 * table calling describe(), which prints the request that step will send
 * (method, path or URL, body, built by the same builders the run uses, with
 * run-time values such as container or sandbox ids as <placeholders> and
 * secrets as "(hidden)").  So the dry run is the list the backend then
 * executes, not a description kept by hand beside it.
 *
 * A step that is not needed for this plan says so through applies(); a run
 * stops at the first failing step and the backend undoes what was done. */
#ifndef CS_OPS_H
#define CS_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "runner/core/plan.h"

struct op {
	const char *name;   /* short, stable: "create-sandbox" */
	const char *why;    /* one line for people */
	/* NULL: always.  Otherwise whether this plan needs the step. */
	bool (*applies)(const struct sandbox_plan *p);
	/* Add to OUT what the step will do: "method", "path" or "url",
	 * "body", "headers", "files"...  NULL for a local step (the name and
	 * why say it).  0, or -1 with ERR (the run would refuse the same). */
	int (*describe)(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err);
	/* Do it.  0, or -1 with ERR. */
	int (*run)(const struct sandbox_plan *p, void *ctx, struct cs_err *err);
};

/* Run the steps in order; *DONE (if not NULL) is how many steps completed,
 * so the caller knows what to undo.  0, or -1 with ERR from the step.
 * With CODEX_SANDBOX_TRACE=1 (stderr) or =FILE (appended), one line per step
 * run: "cs-trace step=NAME ms=DURATION start=EPOCH.MICROS status=ok|failed". */
int ops_run(const struct op *ops, size_t n, const struct sandbox_plan *p, void *ctx,
	    size_t *done, struct cs_err *err);
/* The steps as a JSON array of {"op", "why", ...describe()} (skipped steps
 * left out).  NULL with ERR if a step refuses; CTX as describe() takes it. */
cJSON *ops_describe(const struct op *ops, size_t n, const struct sandbox_plan *p, void *ctx,
		    struct cs_err *err);
/* --dry-run's output: the plan JSON with "operations" added, printed. */
int ops_print_dry_run(const struct sandbox_plan *p, cJSON *operations, struct cs_err *err);

#endif
