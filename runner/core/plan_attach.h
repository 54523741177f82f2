/* `codex-sandbox attach ID`, planned like a run: what the host alone knows
 * about a sandbox left running (--keep) is read here, in the planning
 * phase, once -- the sandbox id, the file where the upload was remembered
 * and its contents, and from it the project the sandbox was started for.
 * The E2B backend only executes (it never reads that file itself).  The
 * file is written by the backend (runner/e2b/e2b_state.c) at --keep time;
 * its place is decided here for both. */
#ifndef CS_PLAN_ATTACH_H
#define CS_PLAN_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "runner/core/cli.h"

#define PLAN_E2B_STATE_MAX (256u << 20)

struct plan_attach {
	char *id;              /* the sandbox id: letters, digits, '-', '_' */
	char *state_path;      /* where --keep remembered the upload (NULL: no HOME) */
	char *state;           /* its contents, NUL-terminated; NULL: no file */
	size_t state_len;
	char *project;         /* the project tree's root named in it, or NULL */
	/* Neither the file nor --work-dir named the project: the current
	 * directory is taken, and the backend checks that the sandbox was
	 * started for it. */
	bool workdir_guessed;
	bool workdir_given;    /* --work-dir: it wins over the file */
};

/* Sandbox ids name a file: 1 to 64 letters, digits, '-' and '_'. */
bool plan_e2b_id_ok(const char *id);
/* The state file of sandbox ID: $XDG_STATE_HOME/codex-sandbox/e2b/ID.json,
 * else ~/.local/state/...; BASE (if not NULL) gets the codex-sandbox
 * directory.  -1 when ID is not an id or there is no absolute base. */
int plan_e2b_state_path(const char *id, char *base, size_t basesz, char *out, size_t outsz);
/* Read ID's state file into A (state, state_len, state_path): never
 * through a link, never blocking on a FIFO, a regular file of at most
 * PLAN_E2B_STATE_MAX.  1 read, 0 no file (or no place for one), -1 ERR. */
int plan_e2b_state_read(const char *id, struct plan_attach *a, struct cs_err *err);
/* The attach part of the plan (before the work dir is resolved): the id,
 * the state, the project the state names (plan_workdir takes it unless
 * --work-dir is given). */
int plan_attach(const struct cs_opts *o, struct plan_attach *a, struct cs_err *err);
/* The fix for a state file that cannot be used. */
int plan_attach_state_hint(const struct plan_attach *a, struct cs_err *err);
cJSON *plan_attach_json(const struct plan_attach *a);
void plan_attach_free(struct plan_attach *a);

#endif
