/* The E2B backend (--backend e2b): the same plan run in a remote E2B
 * sandbox.  Protocol facts: docs/E2B-PROTOCOL.md. */
#ifndef CS_E2B_H
#define CS_E2B_H

#include "runner/core/cli.h"
#include "runner/core/plan.h"

int e2b_backend_run(const struct sandbox_plan *p, struct cs_err *err);
/* --dry-run: the plan plus the operations the run executes, each with the
 * request it sends (no secrets). */
int e2b_dry_run(const struct sandbox_plan *p, struct cs_err *err);
/* codex-sandbox attach ID: the plan (P->attach, planned like a run) executed
 * on the kept sandbox. */
int e2b_attach(const struct sandbox_plan *p, struct cs_err *err);
/* attach --dry-run: the plan plus the operations the attach executes. */
int e2b_attach_dry_run(const struct sandbox_plan *p, struct cs_err *err);
/* codex-sandbox doctor: one call of REPORT per check (status ok / warn /
 * FAIL / skip, what, detail, the fix). */
typedef void (*e2b_report_fn)(const char *status, const char *what, const char *detail,
			      const char *fix);
void e2b_doctor(e2b_report_fn report);

#endif
