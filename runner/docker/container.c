#include "runner/docker/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "runner/docker/engine_user.h"

/* The agent may fork a lot (builds, test runners) but not without bound. */
#define SANDBOX_PIDS_LIMIT 4096

int ctr_path(char *out, size_t outsz, const char *id, const char *tail)
{
	int n = snprintf(out, outsz, "/containers/%s%s", id, tail);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int ctr_create_path(char *out, size_t outsz, const char *name)
{
	int n = snprintf(out, outsz, "/containers/create?name=%s", name);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

void ctr_attach_tail(char *out, size_t outsz, bool attach_stdin, bool detach_keys)
{
	snprintf(out, outsz, "/attach?stream=1&stdin=%d&stdout=1&stderr=1%s", attach_stdin ? 1 : 0,
		 detach_keys ? "&detachKeys=ctrl-%5D,ctrl-%5E,ctrl-%5D,ctrl-%5E" : "");
}

cJSON *ctr_labels(const struct sandbox_plan *p, const struct runner_identity *id, const char *role)
{
	cJSON *l = cJSON_CreateObject();
	char num[32];

	cJSON_AddStringToObject(l, LABEL_MANAGED, "1");
	cJSON_AddStringToObject(l, LABEL_PREFIX "role", role);
	cJSON_AddStringToObject(l, LABEL_PREFIX "run-id", id->run_id);
	snprintf(num, sizeof num, "%ld", id->pid);
	cJSON_AddStringToObject(l, LABEL_PREFIX "runner-pid", num);
	snprintf(num, sizeof num, "%llu", id->start_ticks);
	cJSON_AddStringToObject(l, LABEL_PREFIX "runner-start", num);
	cJSON_AddStringToObject(l, LABEL_PREFIX "boot-id", id->boot_id);
	cJSON_AddStringToObject(l, LABEL_PREFIX "pidns", id->pidns);
	if (p && p->work_dir)
		cJSON_AddStringToObject(l, LABEL_PREFIX "workdir", p->work_dir);
	return l;
}

static void add_bind(cJSON *mounts, const char *src, const char *dst, bool ro)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "Type", "bind");
	cJSON_AddStringToObject(m, "Source", src);
	cJSON_AddStringToObject(m, "Target", dst);
	cJSON_AddBoolToObject(m, "ReadOnly", ro);
	/* Mounts under the project stay private to this sandbox. */
	cJSON_AddItemToObject(m, "BindOptions", cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetObjectItem(m, "BindOptions"), "Propagation", "rprivate");
	cJSON_AddItemToArray(mounts, m);
}

cJSON *ctr_base_body(const struct sandbox_plan *p, const struct runner_identity *id,
		     const struct ctr_base *base)
{
	cJSON *b = cJSON_CreateObject(), *hc, *a;

	cJSON_AddStringToObject(b, "Image", base->image);
	cJSON_AddStringToObject(b, "User", base->user);
	cJSON_AddItemToObject(b, "Labels", ctr_labels(p, id, base->role));
	hc = cJSON_AddObjectToObject(b, "HostConfig");
	cJSON_AddStringToObject(hc, "NetworkMode", base->network_mode);
	a = cJSON_AddArrayToObject(hc, "CapDrop");
	cJSON_AddItemToArray(a, cJSON_CreateString("ALL"));
	if (base->cap_add) {
		a = cJSON_AddArrayToObject(hc, "CapAdd");
		for (size_t i = 0; base->cap_add[i]; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(base->cap_add[i]));
	}
	a = cJSON_AddArrayToObject(hc, "SecurityOpt");
	cJSON_AddItemToArray(a, cJSON_CreateString("no-new-privileges"));
	cJSON_AddBoolToObject(hc, "ReadonlyRootfs", true);
	cJSON_AddNumberToObject(hc, "PidsLimit", base->pids_limit);
	return b;
}

cJSON *ctr_sandbox_body(const struct sandbox_plan *p, const struct runner_identity *id,
			const struct ctr_paths *paths, const char *network_mode)
{
	cJSON *b, *hc, *mounts, *tmpfs, *ep, *a;
	char user[32], opts[128], status_file[128];
	unsigned uid = paths->ids ? (unsigned)paths->ids->uid : (unsigned)p->uid;
	unsigned gid = paths->ids ? (unsigned)paths->ids->gid : (unsigned)p->gid;
	struct ctr_base base = { .image = p->image, .user = user, .role = "sandbox",
				 .network_mode = network_mode ? network_mode : "none",
				 .pids_limit = SANDBOX_PIDS_LIMIT };

	snprintf(user, sizeof user, "%u:%u", uid, gid);
	b = ctr_base_body(p, id, &base);
	hc = cJSON_GetObjectItemCaseSensitive(b, "HostConfig");
	cJSON_AddStringToObject(b, "WorkingDir", p->sandbox_work_dir);
	cJSON_AddBoolToObject(b, "Tty", p->tty);
	cJSON_AddBoolToObject(b, "OpenStdin", p->attach_stdin);
	cJSON_AddBoolToObject(b, "StdinOnce", p->attach_stdin);
	cJSON_AddBoolToObject(b, "AttachStdin", p->attach_stdin);
	cJSON_AddBoolToObject(b, "AttachStdout", true);
	cJSON_AddBoolToObject(b, "AttachStderr", true);
	cJSON_AddStringToObject(b, "StopSignal", "SIGTERM");
	cJSON_AddNumberToObject(b, "StopTimeout", 5);
	/* A joined network namespace brings its owner's hostname. */
	if (!network_mode || strncmp(network_mode, "container:", 10) != 0)
		cJSON_AddStringToObject(b, "Hostname", "codex-sandbox");

	ep = cJSON_AddArrayToObject(b, "Entrypoint");
	cJSON_AddItemToArray(ep, cJSON_CreateString(SANDBOX_INIT));
	snprintf(status_file, sizeof status_file, "%s/status/status", SANDBOX_RUN_DIR);
	cJSON_AddItemToArray(ep, cJSON_CreateString("--status"));
	cJSON_AddItemToArray(ep, cJSON_CreateString(status_file));
	if (p->run_hook) {
		cJSON_AddItemToArray(ep, cJSON_CreateString("--hook"));
		cJSON_AddItemToArray(ep, cJSON_CreateString(SANDBOX_CODEX_HOME "/init.sh"));
	}
	cJSON_AddItemToArray(ep, cJSON_CreateString("--"));
	strv_add_json(b, "Cmd", &p->command_argv);
	strv_add_json(b, "Env", &p->env);
	cJSON_AddBoolToObject(hc, "Init", false);   /* our init is PID 1 */
	if (p->tty && paths->console_rows && paths->console_cols) {
		a = cJSON_AddArrayToObject(hc, "ConsoleSize");
		cJSON_AddItemToArray(a, cJSON_CreateNumber(paths->console_rows));
		cJSON_AddItemToArray(a, cJSON_CreateNumber(paths->console_cols));
	}
	tmpfs = cJSON_AddObjectToObject(hc, "Tmpfs");
	/* Scratch space where builds and tests run binaries: exec allowed. */
	cJSON_AddStringToObject(tmpfs, "/tmp", "rw,exec,nosuid,nodev,mode=1777");
	snprintf(opts, sizeof opts, "rw,exec,nosuid,nodev,mode=0700,uid=%u,gid=%u", uid, gid);
	cJSON_AddStringToObject(tmpfs, SANDBOX_HOME, opts);

	/* Mounts, never Binds: a missing source must fail, not become a
	 * root-owned directory on the host. */
	mounts = cJSON_AddArrayToObject(hc, "Mounts");
	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct plan_mount *m = &p->mounts[i];
		const char *src = m->source;

		if (m->tmpfs)
			continue;
		if (paths->auth_override && strcmp(m->target, SANDBOX_CODEX_HOME "/auth.json") == 0) {
			add_bind(mounts, paths->auth_override, m->target, !paths->auth_override_rw);
			continue;
		}
		add_bind(mounts, src, m->target, m->read_only);
	}
	add_bind(mounts, paths->passwd, "/etc/passwd", true);
	add_bind(mounts, paths->group, "/etc/group", true);
	add_bind(mounts, paths->status_dir, SANDBOX_RUN_DIR "/status", false);
	if (paths->etc_dir)
		add_bind(mounts, paths->etc_dir, SANDBOX_ETC_DIR, true);
	if (paths->resolv_conf)
		add_bind(mounts, paths->resolv_conf, "/etc/resolv.conf", true);
	return b;
}
