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
/* The face's running-sandbox commands (REQUIREMENTS 7.x, the issue 12
 * contract).  Append one object per E2B sandbox this user started that E2B
 * still runs: id, backend "e2b", work_dir, started (RFC 3339), blocked null
 * (E2B does not report what it refused), allow, publish.  No record: no
 * API call. */
int e2b_ps(cJSON *array, struct cs_err *err);
/* 1 when ID is an E2B sandbox this user started (its record is here; no
 * network), else 0. */
int e2b_has_sandbox(const char *id);
/* Append the id of every E2B sandbox this user's records name (no network;
 * for id prefixes).  Returns 0, or -1 on ENOMEM. */
int e2b_sandbox_ids(struct strv *out);
/* Change the egress list of running sandbox ID: ADD appended, REMOVE taken
 * out (entries already validated and presets expanded; either may be NULL),
 * mapped as at plan time (plan_egress_e2b.h: refused entries fail the same
 * way), the whole new list sent with PUT /sandboxes/ID/network and read
 * back; recorded only then. */
int e2b_egress_change(const char *id, const struct strv *add, const struct strv *remove,
		      struct cs_err *err);
/* codex-sandbox doctor: one call of REPORT per check (status ok / warn /
 * FAIL / skip, what, detail, the fix). */
typedef void (*e2b_report_fn)(const char *status, const char *what, const char *detail,
			      const char *fix);
void e2b_doctor(e2b_report_fn report);

#endif
