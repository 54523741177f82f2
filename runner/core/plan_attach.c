/* The attach part of the planning phase (plan_attach.h). */
#include "runner/core/plan_attach.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/env.h"
#include "common/fdio.h"
#include "common/util.h"

bool plan_e2b_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_')
			return false;
	return true;
}

int plan_e2b_state_path(const char *id, char *base, size_t basesz, char *out, size_t outsz)
{
	const char *xdg = cs_getenv("XDG_STATE_HOME"), *home = cs_getenv("HOME");
	char b[PATH_MAX];
	int n;

	if (!plan_e2b_id_ok(id))
		return -1;
	if (xdg && xdg[0] == '/')
		n = snprintf(b, sizeof b, "%s/codex-sandbox", xdg);
	else if (home && home[0] == '/')
		n = snprintf(b, sizeof b, "%s/.local/state/codex-sandbox", home);
	else
		return -1;
	if (n < 0 || (size_t)n >= sizeof b)
		return -1;
	if (base && snprintf(base, basesz, "%s", b) >= (int)basesz)
		return -1;
	if (snprintf(out, outsz, "%s/e2b/%s.json", b, id) >= (int)outsz)
		return -1;
	return 0;
}

int plan_attach_state_hint(const struct plan_attach *a, struct cs_err *err)
{
	return cs_hint(err, "remove %s to attach without it (files that differ then come back "
		       "beside yours as .e2b-remote)", a->state_path ? a->state_path : "the state file");
}

int plan_e2b_state_read(const char *id, struct plan_attach *a, struct cs_err *err)
{
	char path[PATH_MAX];
	int e;

	if (plan_e2b_state_path(id, NULL, 0, path, sizeof path) < 0)
		return 0;
	if (!(a->state_path = strdup(path)))
		return cs_fail(err, ENOMEM, "out of memory");
	/* Our own file, but read as anything from outside: no link followed,
	 * never blocking on a FIFO, a regular file of bounded size. */
	if (read_small_file(path, PLAN_E2B_STATE_MAX, &a->state, &a->state_len) == 0)
		return 1;
	e = errno;
	a->state = NULL;
	if (e == ENOENT)
		return 0;
	if (e == ELOOP || e == EINVAL || e == EFBIG)
		cs_fail(err, EINVAL, "%s: not a regular file of at most 256 MiB", path);
	else
		cs_fail(err, e, "%s: cannot be read", path);
	return plan_attach_state_hint(a, err);
}

/* The root of the tree named "project" in the state, when it is one. */
static char *state_project(const char *text, size_t len)
{
	cleanup_json cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(root, "trees")) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(t, "name");
		const cJSON *rt = cJSON_GetObjectItemCaseSensitive(t, "root");

		if (cJSON_IsString(nm) && strcmp(nm->valuestring, "project") == 0 &&
		    cJSON_IsString(rt) && rt->valuestring[0] == '/')
			return strdup(rt->valuestring);
	}
	return NULL;
}

int plan_attach(const struct cs_opts *o, struct plan_attach *a, struct cs_err *err)
{
	const char *id = o->attach_id ? o->attach_id : "";
	int r;

	if (!plan_e2b_id_ok(id)) {
		cs_fail(err, 0, "'%.80s' is not an E2B sandbox id", id);
		return cs_hint(err, "pass the id printed by --keep (lowercase letters and digits)");
	}
	if (!(a->id = strdup(id)))
		return cs_fail(err, ENOMEM, "out of memory");
	r = plan_e2b_state_read(id, a, err);
	if (r < 0)
		return -1;
	/* A state that is not valid leaves the project unnamed here; the
	 * backend refuses it, all or nothing, before it contacts anything. */
	if (r > 0)
		a->project = state_project(a->state, a->state_len);
	a->workdir_given = o->work_dir != NULL;
	a->workdir_guessed = !o->work_dir && !a->project;
	return 0;
}

cJSON *plan_attach_json(const struct plan_attach *a)
{
	cJSON *x = cJSON_CreateObject();

	if (!x)
		return NULL;
	cJSON_AddStringToObject(x, "sandbox_id", a->id);
	if (a->state_path)
		cJSON_AddStringToObject(x, "state_file", a->state_path);
	cJSON_AddStringToObject(x, "state", a->state ? "read (what --keep uploaded)" :
				"none: files that differ come back beside yours as .e2b-remote");
	cJSON_AddStringToObject(x, "work_dir_from", a->workdir_given ? "--work-dir" :
				a->project ? "the state file" :
				"the current directory (checked against the sandbox)");
	return x;
}

void plan_attach_free(struct plan_attach *a)
{
	free(a->id);
	free(a->state_path);
	free(a->state);
	free(a->project);
	memset(a, 0, sizeof *a);
}
