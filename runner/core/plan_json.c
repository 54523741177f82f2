/* The plan as JSON (plan_json.h). */
#include "runner/core/plan_json.h"

#include <string.h>

#include "common/util.h"

static const char *copy_mode_name(enum copy_mode m)
{
	switch (m) {
	case COPY_IF_MISSING: return "if-missing";
	case COPY_REPLACE: return "replace";
	case COPY_TREE_NO_CLOBBER: return "merge-no-overwrite";
	}
	return "?";
}

/* Where the sandbox runs, as whom, with which credentials and config. */
static void add_identity(cJSON *root, const struct sandbox_plan *p)
{
	cJSON *o;

	cJSON_AddStringToObject(root, "command", cli_command_name(p->command));
	cJSON_AddStringToObject(root, "backend", p->backend == BACKEND_E2B ? "e2b" : "docker");
	cJSON_AddStringToObject(root, "work_dir", p->work_dir);
	cJSON_AddStringToObject(root, "sandbox_work_dir", p->sandbox_work_dir);
	cJSON_AddStringToObject(root, "codex_home", p->codex_home);
	cJSON_AddStringToObject(root, "sandbox_env_dir", p->sandbox_env_dir);
	o = cJSON_AddObjectToObject(root, "user");
	cJSON_AddNumberToObject(o, "uid", p->uid);
	cJSON_AddNumberToObject(o, "gid", p->gid);
	cJSON_AddStringToObject(o, "from", p->user_from);
	o = cJSON_AddObjectToObject(root, "auth");
	if (p->auth_file) {
		cJSON_AddStringToObject(o, "file", p->auth_file);
		cJSON_AddStringToObject(o, "found_by", p->auth_found_by);
		cJSON_AddStringToObject(o, "mode", p->auth_writeback ? "writeback" :
					p->auth_private_copy ? "read-only (private copy)" : "read-only");
	} else {
		cJSON_AddNullToObject(o, "file");
		cJSON_AddStringToObject(o, "note", "none found: Codex shows its own login");
	}
	o = cJSON_AddObjectToObject(root, "config");
	if (p->config_found_by)
		cJSON_AddStringToObject(o, "found_by", p->config_found_by);
	cJSON_AddStringToObject(o, "codex_reads", p->effective_config);
	if (p->prompts_source)
		cJSON_AddStringToObject(root, "prompts_source", p->prompts_source);
	if (p->run_hook)
		cJSON_AddStringToObject(root, "init_hook", p->hook_host_path);
	else
		cJSON_AddNullToObject(root, "init_hook");
}

static void add_files(cJSON *root, const struct sandbox_plan *p)
{
	cJSON *a = cJSON_AddArrayToObject(root, "mounts");

	for (size_t i = 0; a && i < p->n_mounts; i++) {
		cJSON *m = cJSON_CreateObject();

		cJSON_AddStringToObject(m, "type", p->mounts[i].tmpfs ? "tmpfs" : "bind");
		if (p->mounts[i].source)
			cJSON_AddStringToObject(m, "source", p->mounts[i].source);
		cJSON_AddStringToObject(m, "target", p->mounts[i].target);
		cJSON_AddBoolToObject(m, "read_only", p->mounts[i].read_only);
		cJSON_AddStringToObject(m, "why", p->mounts[i].why);
		cJSON_AddItemToArray(a, m);
	}
	a = cJSON_AddArrayToObject(root, "copies");
	for (size_t i = 0; a && i < p->n_copies; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "source", p->copies[i].source);
		cJSON_AddStringToObject(c, "dest", p->copies[i].dest);
		cJSON_AddStringToObject(c, "mode", copy_mode_name(p->copies[i].mode));
		cJSON_AddStringToObject(c, "why", p->copies[i].why);
		cJSON_AddItemToArray(a, c);
	}
	strv_add_json(root, "create_dirs", &p->mkdirs);
	strv_add_json(root, "writable_outside_work_dir", &p->outside_writable);
}

/* Names always; values of --env variables never. */
static void add_env(cJSON *root, const struct sandbox_plan *p)
{
	cJSON *env = cJSON_AddObjectToObject(root, "env");

	for (size_t i = 0; env && i < p->env.n; i++) {
		const char *kv = p->env.v[i], *eq = strchr(kv, '=');
		char name[256];
		size_t nl = eq ? (size_t)(eq - kv) : strlen(kv);

		if (nl >= sizeof name)
			nl = sizeof name - 1;
		memcpy(name, kv, nl);
		name[nl] = '\0';
		if (plan_env_secret(p, kv))
			cJSON_AddStringToObject(env, name, "(hidden)");
		else
			cJSON_AddStringToObject(env, name, eq ? eq + 1 : "");
	}
	strv_add_json(root, "command_argv", &p->command_argv);
	cJSON_AddBoolToObject(root, "tty", p->tty);
	cJSON_AddBoolToObject(root, "attach_stdin", p->attach_stdin);
	cJSON_AddStringToObject(root, "image", p->image);
	if (p->backend == BACKEND_E2B)
		cJSON_AddStringToObject(root, "template", p->template_id);
	cJSON_AddStringToObject(root, "container_name_prefix", p->name_base);
}

static void add_network(cJSON *root, const struct sandbox_plan *p)
{
	cJSON *net = cJSON_AddObjectToObject(root, "network"), *a;

	if (!net)
		return;
	cJSON_AddStringToObject(net, "policy", "default-deny");
	cJSON_AddStringToObject(net, "docker_network", p->network ? p->network : "bridge");
	if (p->upstreams.n)
		strv_add_json(net, "dns_upstreams", &p->upstreams);
	else
		cJSON_AddStringToObject(net, "dns_upstreams", p->upstream_docker_dns ?
					"Docker's embedded resolver (127.0.0.11)" : "as Docker configures the sandbox");
	if (p->dns_min_ttl >= 0)
		cJSON_AddNumberToObject(net, "dns_min_ttl", p->dns_min_ttl);
	a = cJSON_AddArrayToObject(net, "allowlist");
	for (size_t i = 0; a && i < p->allow.n; i++) {
		char e[300];

		allow_entry_format(&p->allow.v[i], e, sizeof e);
		cJSON_AddItemToArray(a, cJSON_CreateString(e));
	}
	if (p->saved_allow.n) {
		cJSON *s = cJSON_AddObjectToObject(net, "allowlist_saved");

		cJSON_AddStringToObject(s, "file", p->saved_file);
		strv_add_json(s, "entries", &p->saved_allow);
	}
	strv_add_json(net, "publish", &p->publish);
	if (p->log_blocked)
		cJSON_AddStringToObject(net, "log_blocked", p->log_blocked);
}

cJSON *plan_json(const struct sandbox_plan *p)
{
	cJSON *root = cJSON_CreateObject();

	if (!root)
		return NULL;
	add_identity(root, p);
	add_files(root, p);
	add_env(root, p);
	add_network(root, p);
	if (p->backend == BACKEND_E2B)
		cJSON_AddItemToObject(root, "e2b", plan_e2b_json(&p->e2b));
	if (p->command == CMD_ATTACH)
		cJSON_AddItemToObject(root, "attach", plan_attach_json(&p->attach));
	return root;
}
