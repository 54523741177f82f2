/* Before the sandbox user's first process: the egress rules confirmed,
 * root's files and layout, on threads of their own beside the upload
 * (e2b_gate.c).  Nothing of the user's runs before e2b_gate_join. */
#ifndef CS_E2B_GATE_H
#define CS_E2B_GATE_H

#include <pthread.h>
#include <stdbool.h>

#include "runner/core/plan.h"
#include "runner/e2b/e2b_api.h"

#define AUTH_MAX (1u << 20)

/* The layout script, run as root: $1 is auth.json's mode. */
extern const char e2b_root_script[];

/* What the tasks need, all read-only while they run. */
struct e2b_gate_in {
	const struct sandbox_plan *p;   /* allow_text, auth_file */
	const struct strv *allow_out;   /* the rules E2B must hold */
	const struct e2b_client *cl;    /* the settings (the handles are not used) */
	const struct e2b_sandbox *sb;
	const char *auth_src;           /* auth.json to upload, NULL: none */
	bool auth_rw;                   /* --auth-writeback: the user's, 0600 */
};

struct e2b_gate_task {
	const struct e2b_gate_in *in;
	int (*fn)(const struct e2b_gate_in *in, struct e2b_client *cl, struct cs_err *err);
	struct e2b_client cl;     /* its own curl handles; the settings are shared, read-only */
	struct cs_err err;
	pthread_t t;
	bool threaded;
	int rc;
};

struct e2b_gate {
	struct e2b_gate_in in;
	struct e2b_gate_task task[3];
	size_t n;
};

/* Start the tasks (G->in filled, the sandbox's id known); never fails: a
 * task that cannot have a thread runs here, at once. */
void e2b_gate_start(struct e2b_gate *g);
/* Wait for every task; 0, or -1 with ERR of the first that failed (the
 * egress check's first: a refusal of the rules matters most).  Again: 0. */
int e2b_gate_join(struct e2b_gate *g, struct cs_err *err);

/* Root's files (the allowlist when ALLOWLIST, auth.json) and then its
 * layout, on CL, here (attach: without the allowlist). */
int e2b_root_setup(const struct e2b_gate_in *in, struct e2b_client *cl, bool allowlist,
		   struct cs_err *err);

#endif
