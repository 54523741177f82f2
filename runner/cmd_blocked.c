#include "runner/cmd_blocked.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "runner/cmd_ps.h"
#include "runner/core/blocked_log.h"
#include "runner/core/rundir.h"
#include "runner/core/sig.h"

#define FOLLOW_POLL_MS 200

const char cmd_blocked_usage[] =
"usage: codex-sandbox blocked ID [--follow]\n"
"  What the firewall of the running sandbox ID blocked: type, name or address,\n"
"  port/protocol, how often, why, and the codex-sandbox allow command that would\n"
"  open it.  --follow keeps printing new blocks until Ctrl-C or the sandbox ends.\n"
"  E2B sandboxes: E2B does not report what its firewall blocked.\n";

static void print_header(void)
{
	printf("%-19s %-40s %-11s %6s  %-32s %s\n", "TYPE", "NAME/ADDRESS", "PORT/PROTO", "COUNT",
	       "REASON", "TO OPEN IT");
}

static void print_row(const struct blocked_row *r, const char *id)
{
	const char *allow = blocked_allow_for(r->type, r->name, r->addr);
	char what[400], pp[32];

	if (r->name[0] && r->addr[0])
		snprintf(what, sizeof what, "%s (%s)", r->name, r->addr);
	else
		snprintf(what, sizeof what, "%s", blocked_target(r));
	if (r->port >= 0)
		snprintf(pp, sizeof pp, "%d/%s", r->port, r->proto[0] ? r->proto : "?");
	else
		snprintf(pp, sizeof pp, "%s", r->proto[0] ? r->proto : "-");
	printf("%-19s %-40s %-11s %6llu  %-32s %s%s%s%s\n", r->type, what, pp,
	       (unsigned long long)r->count, r->reason[0] ? r->reason : "-",
	       allow ? "codex-sandbox allow " : strcmp(r->type, "dns-upstream-failed") == 0 ?
	       "- (allowed; the resolver failed)" : "- (not a host name: cannot be allowed)",
	       allow ? id : "", allow ? " " : "", allow ? allow : "");
}

/* New lines as they come, one row each, until a signal or the run dir goes. */
static int follow(const char *run_dir, const char *path, uint64_t off, const char *id,
		  struct cs_err *err)
{
	struct stat st;

	while (sig_sleep_ms(FOLLOW_POLL_MS) == 0 && !sig_terminating()) {
		struct blocked_agg a;
		struct cs_err e = { 0 };

		if (lstat(run_dir, &st) < 0)
			break;          /* the sandbox ended: its run dir is removed */
		blocked_agg_init(&a);
		if (blocked_read(path, &off, &a, &e) < 0) {
			blocked_agg_free(&a);
			break;
		}
		for (size_t i = 0; i < a.n; i++)
			print_row(&a.v[i], id);
		fflush(stdout);
		blocked_agg_free(&a);
	}
	(void)err;
	return 0;
}

int cmd_blocked(const struct cs_opts *o, struct cs_err *err)
{
	const char *id = NULL;
	bool follow_on = false;
	struct docker_sandbox s;
	struct blocked_agg a;
	char e2b_id[80], path[PATH_MAX + 64];
	uint64_t off = 0;
	int kind, rc;

	for (size_t i = 0; i < o->args.n; i++) {
		if (strcmp(o->args.v[i], "--follow") == 0 || strcmp(o->args.v[i], "-f") == 0) {
			follow_on = true;
		} else if (o->args.v[i][0] != '-' && !id) {
			id = o->args.v[i];
		} else {
			cs_fail_status(err, CS_EXIT_FAIL, 0, "blocked: unexpected argument '%s'", o->args.v[i]);
			return cs_hint(err, "codex-sandbox blocked ID [--follow]");
		}
	}
	if (!id) {
		cs_fail_status(err, CS_EXIT_FAIL, 0, "blocked needs a sandbox id");
		return cs_hint(err, "codex-sandbox blocked ID [--follow] (codex-sandbox ps lists the ids)");
	}
	kind = ps_resolve(id, &s, e2b_id, sizeof e2b_id, err);
	if (kind < 0)
		return -1;
	if (kind == PS_E2B) {
		printf("%s runs on E2B, which does not report what its firewall blocked.\n", e2b_id);
		return 0;
	}
	snprintf(path, sizeof path, "%s/%s", s.run_dir, RUNDIR_BLOCKED);
	blocked_agg_init(&a);
	rc = blocked_read(path, &off, &a, err);
	if (rc == 0) {
		print_header();
		for (size_t i = 0; i < a.n; i++)
			print_row(&a.v[i], s.id);
		if (a.full)
			printf("(the log is full: later blocks are not recorded)\n");
		if (a.n < a.total && a.n == BLOCKED_ROWS_MAX)
			printf("(more distinct blocks than %d: the rest are only counted)\n", BLOCKED_ROWS_MAX);
		fflush(stdout);
	}
	blocked_agg_free(&a);
	if (rc < 0)
		return -1;
	return follow_on ? follow(s.run_dir, path, off, s.id, err) : 0;
}
