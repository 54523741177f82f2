/* The plan translated for E2B: knobs, refused options, the create request,
 * the wrapper every sandbox-user process runs through, what to upload. */
#include "runner/e2b/e2b_setup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/util.h"

/* The plan's environment for E2B: HOME and USER belong to E2B's own user
 * (/home/user, `user`); the Codex home is /codex_home here too; everything
 * else (LANG, TERM, CODEX_SANDBOX, --env) is passed as it is. */
cJSON *e2b_create_body(const struct sandbox_plan *p, const struct e2b_egress *eg,
		       const char *run_id, int ttl, bool hide)
{
	cJSON *b = cJSON_CreateObject(), *md, *env, *net;

	cJSON_AddStringToObject(b, "templateID", p->template_id);
	cJSON_AddNumberToObject(b, "timeout", ttl);
	md = cJSON_AddObjectToObject(b, "metadata");
	cJSON_AddStringToObject(md, "tool", "codex-sandbox");
	cJSON_AddStringToObject(md, "workdir", p->work_dir);
	cJSON_AddStringToObject(md, "run", run_id);
	cJSON_AddStringToObject(md, "command", cli_command_name(p->command));
	cJSON_AddStringToObject(md, "tty", p->tty ? "1" : "0");
	env = cJSON_AddObjectToObject(b, "envVars");
	for (size_t i = 0; i < p->env.n; i++) {
		const char *kv = p->env.v[i], *eq = strchr(kv, '=');
		char name[256];
		size_t nl = eq ? (size_t)(eq - kv) : strlen(kv);
		bool secret = false;

		if (!eq || nl >= sizeof name)
			continue;
		memcpy(name, kv, nl);
		name[nl] = '\0';
		if (strcmp(name, "HOME") == 0 || strcmp(name, "USER") == 0)
			continue;
		secret = plan_env_secret(p, kv);
		cJSON_DeleteItemFromObjectCaseSensitive(env, name);
		if (strcmp(name, "SANDBOX_ENV_DIR") == 0 || strcmp(name, "CODEX_HOME") == 0)
			cJSON_AddStringToObject(env, name, E2B_REMOTE_CODEX_HOME);
		else
			cJSON_AddStringToObject(env, name, hide && secret ? "(hidden)" : eq + 1);
	}
	cJSON_AddStringToObject(env, "CODEX_SANDBOX_BACKEND", "e2b");
	net = cJSON_AddObjectToObject(b, "network");
	strv_add_json(net, "allowOut", &eg->allow_out);
	strv_add_json(net, "denyOut", &eg->deny_out);
	/* --publish: the ports answer only with the traffic access token,
	 * which the forwarder on 127.0.0.1 adds (e2b_publish.h). */
	if (p->publish.n)
		cJSON_AddFalseToObject(net, "allowPublicTraffic");
	return b;
}

/* Every process of the sandbox user starts here (bash -l -c, as the SDK
 * runs commands, so the template's profile sets PATH).  Sandbox paths are
 * resolved against the root the process sees: "" on E2B, a directory in
 * the project's emulator (which runs processes on the host).  The first
 * run also applies what a file upload cannot carry: executable bits and
 * symlinks, from NUL-separated lists (never parsed as shell code). */
static const char wrapper[] =
	/* cd -P, not $(pwd -P): no subshell (a fork) before the first byte */
	"cd -P . || exit 125\n"
	"R=$PWD; [ \"$R\" = / ] && R=\n"
	"export CODEX_HOME=\"$R" E2B_REMOTE_CODEX_HOME "\" SANDBOX_ENV_DIR=\"$R" E2B_REMOTE_CODEX_HOME "\"\n"
	"cd \"$R$2\" || exit 125\n"
	"f=\"$R/tmp/codex-sandbox-$3\"\n"
	"if [ -d \"$f\" ]; then\n"
	"  [ -s \"$f/exec\" ] && xargs -0 -r chmod +x -- < \"$f/exec\"\n"
	"  [ -s \"$f/links\" ] && xargs -0 -r -n 2 sh -c "
	"'mkdir -p -- \"$(dirname -- \"$1\")\" && ln -sfn -- \"$0\" \"$1\"' < \"$f/links\"\n"
	"  rm -rf -- \"$f\"\n"
	"fi\n"
	"m=$1; shift 3\n"
	"if [ \"$m\" = hook ]; then\n"
	"  chmod u+x \"$CODEX_HOME/init.sh\" 2>/dev/null\n"
	"  exec \"$CODEX_HOME/init.sh\"\n"
	"fi\n"
	"exec \"$@\"\n";

int e2b_wrapper_argv(struct strv *out, const char *mode, const char *workdir, const char *run_id,
		     const struct strv *argv)
{
	if (strv_push(out, "/bin/bash") < 0 || strv_push(out, "-l") < 0 ||
	    strv_push(out, "-c") < 0 || strv_push(out, wrapper) < 0 ||
	    strv_push(out, "codex-sandbox") < 0 || strv_push(out, mode) < 0 ||
	    strv_push(out, workdir) < 0 || strv_push(out, run_id) < 0)
		return -1;
	for (size_t i = 0; argv && i < argv->n; i++)
		if (strv_push(out, argv->v[i]) < 0)
			return -1;
	return 0;
}

static int add_regular(struct sync_scan *s, const char *dir, const char *rel, const char *as,
		       struct cs_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	struct sync_entry e = { .type = SYNC_FILE };

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	e.path = (char *)as;
	e.size = (uint64_t)st.st_size;
	e.mode = st.st_mode & 0111 ? 0755 : 0644;
	s->bytes += e.size;
	if (sync_list_add(&s->files, &e) < 0)
		return cs_fail(err, errno, "listing %s", dir);
	return 0;
}

int e2b_scan_codex_home(const struct sandbox_plan *p, struct sync_scan *out, struct cs_err *err)
{
	char prompts[PATH_MAX];
	struct stat st;

	memset(out, 0, sizeof *out);
	/* A Codex home inside the project is reached without following a
	 * link (a hostile repository's .codex/.environment -> ~): refused
	 * here, before anything is created.  The upload itself opens every
	 * file beneath it the same way (sync_open_root, safe_openat). */
	{
		int hfd = sync_open_root(p->work_dir, p->codex_home, err);

		if (hfd < 0)
			return -1;
		close(hfd);
	}
	if (add_regular(out, p->codex_home, "config.toml", "config.toml", err) < 0 ||
	    (p->run_hook && add_regular(out, p->codex_home, "init.sh", "init.sh", err) < 0))
		return -1;
	snprintf(prompts, sizeof prompts, "%s/prompts", p->codex_home);
	if (lstat(prompts, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct sync_scan ps;

		if (sync_scan(prompts, false, NULL, PLAN_E2B_DEFAULT_LIMIT, p->uid, p->gid, &ps, err) < 0) {
			sync_scan_free(&ps);
			return -1;
		}
		for (size_t i = 0; i < ps.files.n; i++) {
			char rel[SYNC_PATH_MAX + 16];
			struct sync_entry e = ps.files.v[i];

			if (e.type != SYNC_FILE)
				continue;   /* no symlinks in the Codex home */
			snprintf(rel, sizeof rel, "prompts/%s", e.path);
			e.path = rel;
			out->bytes += e.size;
			if (sync_list_add(&out->files, &e) < 0) {
				sync_scan_free(&ps);
				return cs_fail(err, errno, "listing %s", prompts);
			}
		}
		sync_scan_free(&ps);
	}
	sync_list_sort(&out->files);
	return 0;
}

static int push_rel(struct strv *out, const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!path || strncmp(path, root, n) != 0 || path[n] != '/' || !path[n + 1])
		return 0;
	return strv_push(out, path + n + 1);
}

const char *e2b_sessions_path(const struct sandbox_plan *p)
{
	char inside[PATH_MAX];

	snprintf(inside, sizeof inside, "%s/sessions", p->codex_home);
	for (size_t i = 0; i < p->n_mounts; i++)
		if (p->mounts[i].source && strcmp(p->mounts[i].target, SANDBOX_CODEX_HOME "/sessions") == 0)
			return strcmp(p->mounts[i].source, inside) == 0 ? NULL : p->mounts[i].source;
	return NULL;
}

int e2b_project_excludes(const struct sandbox_plan *p, struct strv *out)
{
	if (push_rel(out, p->codex_home, p->work_dir) < 0 ||
	    push_rel(out, e2b_sessions_path(p), p->work_dir) < 0 ||
	    push_rel(out, p->auth_file, p->work_dir) < 0)
		return -1;
	return 0;
}
