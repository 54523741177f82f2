/* The E2B run as one table of steps (runner/core/ops.h): the run walks it
 * with run(), --dry-run with describe(), which shows each request (method,
 * URL, headers with secrets "(hidden)", body) built by the builders the run
 * uses.  The job is what the steps share. */
#ifndef CS_E2B_STEPS_H
#define CS_E2B_STEPS_H

#include <pthread.h>
#include <stdbool.h>

#include "runner/core/plan.h"
#include "runner/core/rundir.h"
#include "runner/core/writeback.h"
#include "runner/e2b/e2b_api.h"
#include "runner/e2b/e2b_gate.h"
#include "runner/e2b/e2b_publish.h"
#include "runner/e2b/e2b_xfer.h"

struct job {
	const struct sandbox_plan *p;
	struct e2b_client cl;
	struct e2b_sandbox sb;
	const struct plan_e2b *k;   /* the plan's E2B part */
	struct sync_scan project, home;
	struct sync_tree trees[3];
	size_t n_trees;
	char run_id[33];
	bool created;      /* a sandbox of ours exists */
	bool ran;          /* something ran in it: its files come back */
	bool attached;     /* attach: the sandbox was not created by this run */
	bool lost;         /* the connection was lost with the command still running */
	bool interrupted;  /* a step stopped for a signal (sig_terminating) */
	bool remote_tty;   /* attach: the sandbox's command runs on a PTY */
	bool ended;        /* attach: its command had ended before we came back */
	int status;        /* the command's exit status */
	struct e2b_gate gate;   /* the egress check, root's part: beside the upload */
	struct writeback wb;    /* --auth-writeback */
	struct rundir wbdir;    /* its private directory on the host */
	struct e2b_publish pub; /* --publish: the host ports and their forwarder */
};

/* Walk the steps up to and including the command.  The end (the changes
 * back, then kill or keep) is the job's cleanup (e2b.c's finish), done on
 * every path; it is listed in the table for the dry run.  0 (J->status set),
 * or -1 with ERR, or -1 with J->interrupted. */
int e2b_steps_run(struct job *j, struct cs_err *err);
/* The whole table described, for --dry-run (J->project scanned). */
cJSON *e2b_steps_describe(struct job *j, struct cs_err *err);

/* The describe() and run() the attach table (e2b_attach.c) shares with
 * the run's: the requests as the run's builders make them (secrets
 * hidden; the sandbox id "<sandboxID>" until known: attach knows it). */
const char *e2b_describe_id(const struct job *j);
void e2b_describe_api(struct job *j, cJSON *out, const char *method, const char *path);
cJSON *e2b_describe_envd(struct job *j, cJSON *out, const char *method, const char *path,
			 const char *user, const char *type, bool rpc);
int e2b_describe_root_setup(const struct sandbox_plan *p, void *ctx, cJSON *out,
			    struct cs_err *err);
int e2b_describe_sync(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err);
int e2b_describe_end(const struct sandbox_plan *p, void *ctx, cJSON *out, struct cs_err *err);
/* The end's steps: done by the job's cleanup on every path (e2b.c). */
int e2b_step_at_the_end(const struct sandbox_plan *p, void *ctx, struct cs_err *err);
/* What root's part needs of J (e2b_gate.h). */
void e2b_gate_input(struct job *j, struct e2b_gate_in *in);
/* Whether a process with TAG runs in the sandbox. */
bool e2b_tag_running(struct job *j, const char *tag);

#endif
