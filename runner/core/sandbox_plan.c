/* The plan's lists and its release (sandbox_plan.h). */
#include "runner/core/sandbox_plan.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int plan_add_mount(struct sandbox_plan *p, const char *src, const char *dst, bool ro,
		   bool tmpfs, const char *why)
{
	struct plan_mount m = {
		.source = src ? strdup(src) : NULL, .target = strdup(dst), .read_only = ro,
		.tmpfs = tmpfs, .why = strdup(why),
	};
	struct plan_mount *nm = NULL;

	if ((!src || m.source) && m.target && m.why)
		nm = realloc(p->mounts, (p->n_mounts + 1) * sizeof *nm);
	if (!nm) {
		free(m.source);
		free(m.target);
		free(m.why);
		return -1;
	}
	p->mounts = nm;
	nm[p->n_mounts++] = m;
	return 0;
}

int plan_add_copy(struct sandbox_plan *p, const char *src, const char *dst,
		  enum copy_mode mode, unsigned int perm, const char *why)
{
	struct plan_copy c = {
		.source = strdup(src), .dest = strdup(dst), .mode = mode,
		.perm = perm, .why = strdup(why),
	};
	struct plan_copy *nc = NULL;

	if (c.source && c.dest && c.why)
		nc = realloc(p->copies, (p->n_copies + 1) * sizeof *nc);
	if (!nc) {
		free(c.source);
		free(c.dest);
		free(c.why);
		return -1;
	}
	p->copies = nc;
	nc[p->n_copies++] = c;
	return 0;
}

static void free_lists(struct sandbox_plan *p)
{
	for (size_t i = 0; i < p->n_mounts; i++) {
		free(p->mounts[i].source);
		free(p->mounts[i].target);
		free(p->mounts[i].why);
	}
	free(p->mounts);
	for (size_t i = 0; i < p->n_copies; i++) {
		free(p->copies[i].source);
		free(p->copies[i].dest);
		free(p->copies[i].why);
	}
	free(p->copies);
	strv_free(&p->mkdirs);
	strv_free(&p->env);
	strv_free(&p->env_secret);
	strv_free(&p->command_argv);
	strv_free(&p->outside_writable);
	strv_free(&p->publish);
	strv_free(&p->upstreams);
	allowlist_free(&p->allow);
}

void plan_free(struct sandbox_plan *p)
{
	char **strings[] = {
		&p->work_dir, &p->sandbox_work_dir, &p->codex_home, &p->sandbox_env_dir,
		&p->auth_file, &p->auth_found_by, &p->config_source, &p->config_found_by,
		&p->effective_config, &p->prompts_source, &p->hook_host_path, &p->user_from,
		&p->allow_text, &p->image, &p->template_id, &p->network, &p->dns,
		&p->log_blocked, &p->name_base, &p->saved_file,
	};

	plan_e2b_free(&p->e2b);
	strv_free(&p->saved_allow);
	plan_attach_free(&p->attach);
	free_lists(p);
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		free(*strings[i]);
	memset(p, 0, sizeof *p);
}

bool plan_env_secret(const struct sandbox_plan *p, const char *kv)
{
	size_t nl = strcspn(kv, "=");

	for (size_t i = 0; i < p->env_secret.n; i++)
		if (strlen(p->env_secret.v[i]) == nl && strncmp(p->env_secret.v[i], kv, nl) == 0)
			return true;
	return false;
}
