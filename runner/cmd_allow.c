#include "runner/cmd_allow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "common/atomic.h"
#include "common/buf.h"
#include "common/safeopen.h"
#include "common/strv.h"
#include "common/util.h"
#include "runner/cmd_ps.h"
#include "runner/core/allowed_file.h"
#include "runner/core/plan_saved.h"
#include "runner/core/rundir.h"
#include "runner/e2b/e2b.h"


const char cmd_allow_usage[] =
"usage: codex-sandbox allow ID ENTRY... [--save]\n"
"  Open egress of the running sandbox ID (from codex-sandbox ps; a unique prefix\n"
"  is enough) to ENTRY: the syntax of --allow (host, *.domain, IP, CIDR, @preset).\n"
"  Takes effect within a second; /etc/codex/allowed_domains.txt inside shows it.\n"
"  --save   also remember the entries for this project in your own configuration\n"
"           ($XDG_CONFIG_HOME/codex-sandbox/saved-allow.json, never the project\n"
"           directory): later runs of the project start with them.\n";

const char cmd_deny_usage[] =
"usage: codex-sandbox deny ID ENTRY...\n"
"  Take ENTRY off the allowlist of the running sandbox ID.  New connections and\n"
"  lookups are refused within a second; the addresses the name opened are closed.\n";

struct change {
	const char *id;
	bool add, save;
	struct allowlist al;          /* validated, presets expanded */
	struct strv entries;          /* the same, canonical */
};

/* The project of the E2B sandbox ID, from E2B's listing (e2b_ps). */
static int e2b_work_dir(const char *id, char *out, size_t outsz, struct cs_err *err)
{
	cleanup_json cJSON *arr = cJSON_CreateArray();
	const cJSON *o;

	out[0] = '\0';
	if (e2b_ps(arr, err) < 0)
		return -1;
	cJSON_ArrayForEach(o, arr) {
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, "id");
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "work_dir");

		if (cJSON_IsString(i) && strcmp(i->valuestring, id) == 0 && cJSON_IsString(w) &&
		    w->valuestring[0] == '/')
			snprintf(out, outsz, "%s", w->valuestring);
	}
	if (!out[0])
		return cs_fail(err, 0, "--save: E2B's listing names no project for %s", id);
	return 0;
}

static int parse(const struct cs_opts *o, struct change *c, struct cs_err *err)
{
	const char *verb = c->add ? "allow" : "deny";

	for (size_t i = 0; i < o->args.n; i++) {
		const char *a = o->args.v[i];

		if (c->add && strcmp(a, "--save") == 0) {
			c->save = true;
		} else if (a[0] == '-') {
			cs_fail_status(err, CS_EXIT_FAIL, 0, "%s: unknown option '%s'", verb, a);
			return cs_hint(err, "%s", c->add ? "codex-sandbox allow ID ENTRY... [--save]" :
				       "codex-sandbox deny ID ENTRY...");
		} else if (!c->id) {
			c->id = a;
		} else if (allowlist_add_text(&c->al, a, c->add ? "codex-sandbox allow" :
					      "codex-sandbox deny", err) < 0) {
			err->status = CS_EXIT_FAIL;
			return -1;
		}
	}
	if (!c->id || c->al.n == 0) {
		cs_fail_status(err, CS_EXIT_FAIL, 0, "%s needs a sandbox id and at least one entry", verb);
		return cs_hint(err, "codex-sandbox %s ID ENTRY... (codex-sandbox ps lists the ids)", verb);
	}
	return allowed_entries(&c->al, &c->entries, err);
}

/* The sandbox's /etc/codex/allowed_domains.txt, replaced atomically. */
static int rewrite_allowed(const struct docker_sandbox *s, const struct allowlist *al, bool add,
			   struct cs_err *err)
{
	char path[PATH_MAX + 64];
	cleanup_free char *old = NULL, *new_text = NULL;
	cleanup_close int fd = -1;

	snprintf(path, sizeof path, "%s/%s", s->run_dir, RUNDIR_ALLOWED);
	fd = safe_open_file_abs(path, NULL);
	if (fd < 0 || safe_read_fd(fd, ALLOWED_FILE_MAX, &old, NULL) < 0)
		return cs_fail(err, errno, "reading %s", path);
	if (allowed_text_change(old, al, add, &new_text, err) < 0)
		return -1;
	return atomic_write_path(path, new_text, strlen(new_text),
				 &(struct atomic_opts){ .mode = 0644, .no_sync = true }, err);
}

/* What the firewall printed, one line each, made printable. */
static void print_answer(const struct buf *out)
{
	for (size_t i = 0; out->data && i < out->len; i++) {
		unsigned char ch = (unsigned char)out->data[i];

		putchar(ch == '\n' || (ch >= 0x20 && ch < 0x7f) ? ch : '?');
	}
	if (out->len && out->data[out->len - 1] != '\n')
		putchar('\n');
}

/* The firewall answers one line per entry, "ok ENTRY: ..." for each it
 * applied (firewall/control_client.c); it goes on after a refusal, so a
 * change can be partial.  DONE gets the entries of C it confirmed (only
 * those we sent: the answer is matched, not trusted). */
static int confirmed(const struct buf *out, const struct change *c, struct allowlist *done,
		     struct cs_err *err)
{
	for (size_t i = 0; i < c->entries.n; i++) {
		const char *e = c->entries.v[i];
		char want[300];             /* entries are at most 255 bytes */
		const char *at;

		snprintf(want, sizeof want, "ok %s: ", e);
		for (at = out->data; at && (at = strstr(at, want)); at++)
			if (at == out->data || at[-1] == '\n')
				break;
		if (at && allowlist_add_text(done, e, "the firewall's answer", err) < 0)
			return -1;
	}
	return 0;
}

static int change_local(const struct docker_sandbox *s, struct change *c, struct cs_err *err)
{
	cleanup_buf struct buf out;
	/* one change at a time per sandbox: the file rewrite reads, then replaces */
	cleanup_close int dirfd = open(s->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (dirfd < 0 || flock(dirfd, LOCK_EX) < 0)
		return cs_fail(err, errno, "locking %s", s->run_dir);
	buf_init(&out, 1);
	rc = docker_fw_ctl(s, c->add ? "allow" : "deny", &c->entries, &out, err);
	if (rc < 0)
		return -1;
	print_answer(&out);
	if (rc != 0) {
		struct allowlist done;
		int r;

		/* Partial: the entries marked ok above are in force; the file
		 * the sandbox reads must say so too. */
		allowlist_init(&done);
		r = confirmed(&out, c, &done, err);
		if (r == 0 && done.n)
			r = rewrite_allowed(s, &done, c->add, err);
		allowlist_free(&done);
		if (r < 0)
			return -1;
		cs_fail_status(err, CS_EXIT_FAIL, 0, "the sandbox's firewall %s (status %d)",
			       rc == 125 ? "refused an entry" : "failed", rc);
		return cs_hint(err, "the entries marked ok above were applied (and are in "
			       "/etc/codex/allowed_domains.txt); the others were not");
	}
	return rewrite_allowed(s, &c->al, c->add, err);
}

int cmd_allow(const struct cs_opts *o, struct cs_err *err)
{
	struct change c = { .add = o->command == CMD_ALLOW };
	struct docker_sandbox s;
	char e2b_id[80];
	struct saved_tx tx = { .lock = -1 };
	int kind, rc = -1;

	allowlist_init(&c.al);
	if (parse(o, &c, err) < 0)
		goto out;
	kind = ps_resolve(c.id, &s, e2b_id, sizeof e2b_id, err);
	/* a --save that would be refused is refused before anything changes */
	if (c.save && kind == PS_E2B && e2b_work_dir(e2b_id, s.work_dir, sizeof s.work_dir, err) < 0)
		goto out;
	if (c.save && (kind == PS_LOCAL || kind == PS_E2B) &&
	    saved_begin(s.work_dir, &c.entries, &tx, err) < 0)
		goto out;
	if (kind == PS_LOCAL) {
		rc = change_local(&s, &c, err);
	} else if (kind == PS_E2B) {
		rc = e2b_egress_change(e2b_id, c.add ? &c.entries : NULL, c.add ? NULL : &c.entries, err);
		for (size_t i = 0; rc == 0 && i < c.entries.n; i++)
			printf("ok %s: %s\n", c.entries.v[i], c.add ? "added" : "removed");
	}
	if (rc == 0 && c.save) {
		rc = saved_commit(&tx, err);
		if (rc == 0)
			printf("saved for %s in %s\n", s.work_dir, tx.path);
		else
			cs_hint(err, "the change is applied to the running sandbox; only --save failed");
	}
out:
	saved_end(&tx);
	allowlist_free(&c.al);
	strv_free(&c.entries);
	return rc < 0 ? -1 : 0;
}
