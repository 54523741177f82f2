/* The exact create bodies sent to the engine (curl's tests-assert-on-bytes
 * habit, applied to JSON): isolation settings that must never regress. */
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "runner/docker/container.h"
#include "runner/docker/pod.h"

static const char *get_str(cJSON *o, const char *path)
{
	char buf[256], *tok, *save;
	cJSON *cur = o;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
		cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static bool array_has(cJSON *arr, const char *s)
{
	cJSON *i;

	cJSON_ArrayForEach(i, arr)
		if (cJSON_IsString(i) && strcmp(i->valuestring, s) == 0)
			return true;
	return false;
}

static cJSON *find_mount(cJSON *mounts, const char *target)
{
	cJSON *m;

	cJSON_ArrayForEach(m, mounts) {
		cJSON *t = cJSON_GetObjectItem(m, "Target");

		if (cJSON_IsString(t) && strcmp(t->valuestring, target) == 0)
			return m;
	}
	return NULL;
}

int main(void)
{
	plan(36);
	struct sandbox_plan p;
	struct runner_identity id;
	struct plan_mount mounts[4] = {
		{ .source = "/w", .target = "/app/w", .why = "project" },
		{ .source = "/w/.codex/.environment", .target = "/codex_home", .why = "home" },
		{ .source = "/h/.codex/auth.json", .target = "/codex_home/auth.json", .read_only = true, .why = "auth" },
		{ .target = "/tmp", .tmpfs = true, .why = "tmp" },
	};
	char *cmdv[] = { "codex", "exec", NULL };
	char *envv[] = { "HOME=/home/codex", NULL };
	struct ctr_paths cp = { .passwd = "/r/passwd", .group = "/r/group", .status_dir = "/r/status",
				.etc_dir = "/r/etc-codex", .resolv_conf = "/r/resolv" };
	cJSON *b, *hc, *m;

	memset(&p, 0, sizeof p);
	p.image = "codex-sandbox";
	p.uid = 1000;
	p.gid = 1001;
	p.sandbox_work_dir = "/app/w";
	p.work_dir = "/w";
	p.tty = true;
	p.attach_stdin = true;
	p.run_hook = true;
	p.mounts = mounts;
	p.n_mounts = 4;
	p.command_argv = (struct strv){ cmdv, 2 };
	p.env = (struct strv){ envv, 1 };
	p.name_base = "codex_w";
	allowlist_init(&p.allow);
	allowlist_add_defaults(&p.allow);
	memset(&id, 0, sizeof id);
	snprintf(id.run_id, sizeof id.run_id, "0123456789abcdef0123456789abcdef");
	id.pid = 42;

	b = ctr_sandbox_body(&p, &id, &cp, "container:abc");
	hc = cJSON_GetObjectItem(b, "HostConfig");
	is_str(get_str(b, "User"), "1000:1001", "runs as the work dir owner's uid:gid");
	ok(array_has(cJSON_GetObjectItem(hc, "CapDrop"), "ALL"), "CapDrop ALL");
	ok(!cJSON_GetObjectItem(hc, "CapAdd"), "no capability added to the sandbox");
	ok(array_has(cJSON_GetObjectItem(hc, "SecurityOpt"), "no-new-privileges"), "no-new-privileges");
	ok(cJSON_IsTrue(cJSON_GetObjectItem(hc, "ReadonlyRootfs")), "read-only root filesystem");
	ok(cJSON_GetObjectItem(hc, "PidsLimit") && cJSON_GetObjectItem(hc, "PidsLimit")->valueint > 0, "PidsLimit");
	ok(!cJSON_GetObjectItem(hc, "Binds"), "Mounts, never Binds");
	ok(!cJSON_GetObjectItem(hc, "Privileged"), "not privileged");
	is_str(get_str(hc, "NetworkMode"), "container:abc", "joins the owner's network namespace");
	ok(!cJSON_GetObjectItem(b, "Hostname"), "no Hostname with a joined netns (the engine refuses it)");
	ok(!cJSON_GetObjectItem(hc, "Dns"), "no Dns with a joined netns");
	m = find_mount(cJSON_GetObjectItem(hc, "Mounts"), "/codex_home/auth.json");
	ok(m && cJSON_IsTrue(cJSON_GetObjectItem(m, "ReadOnly")), "auth.json bind is read-only");
	m = find_mount(cJSON_GetObjectItem(hc, "Mounts"), "/app/w");
	ok(m && cJSON_IsFalse(cJSON_GetObjectItem(m, "ReadOnly")), "work dir bind is read-write");
	ok(!find_mount(cJSON_GetObjectItem(hc, "Mounts"), "/tmp"), "tmpfs not in Mounts");
	ok(strstr(get_str(hc, "Tmpfs./tmp"), "exec") != NULL, "/tmp tmpfs allows exec");
	ok(strstr(get_str(hc, "Tmpfs./home/codex"), "uid=1000,gid=1001") != NULL, "HOME tmpfs owned by the user");
	m = find_mount(cJSON_GetObjectItem(hc, "Mounts"), "/etc/resolv.conf");
	ok(m && cJSON_IsTrue(cJSON_GetObjectItem(m, "ReadOnly")), "resolv.conf: ours, read-only");
	m = find_mount(cJSON_GetObjectItem(hc, "Mounts"), SANDBOX_ETC_DIR);
	ok(m && cJSON_IsTrue(cJSON_GetObjectItem(m, "ReadOnly")), "/etc/codex (allowlist, blocked log) read-only");
	ok(array_has(cJSON_GetObjectItem(b, "Entrypoint"), SANDBOX_INIT), "our init is PID 1");
	ok(array_has(cJSON_GetObjectItem(b, "Entrypoint"), "--hook"), "hook passed to the init");
	ok(cJSON_IsTrue(cJSON_GetObjectItem(b, "Tty")) && cJSON_IsTrue(cJSON_GetObjectItem(b, "OpenStdin")),
	   "TTY and stdin");
	ok(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Labels"), "org.codex-sandbox.run-id") &&
	   cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Labels"), "org.codex-sandbox.runner-pid") &&
	   cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Labels"), "org.codex-sandbox.boot-id") &&
	   cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Labels"), "org.codex-sandbox.workdir"),
	   "labels: run id, runner pid, boot id, workdir");
	cJSON_Delete(b);

	cp.auth_override = "/r/auth.json";
	cp.auth_override_rw = true;
	b = ctr_sandbox_body(&p, &id, &cp, "none");
	hc = cJSON_GetObjectItem(b, "HostConfig");
	m = find_mount(cJSON_GetObjectItem(hc, "Mounts"), "/codex_home/auth.json");
	ok(m && strcmp(cJSON_GetObjectItem(m, "Source")->valuestring, "/r/auth.json") == 0 &&
	   cJSON_IsFalse(cJSON_GetObjectItem(m, "ReadOnly")), "writeback: the private copy, writable");
	cJSON_Delete(b);

	/* The network owner: root with only what it needs. */
	{
		char *pub[] = { "3000:8080", NULL };

		p.publish = (struct strv){ pub, 1 };
		b = pod_owner_body(&p, &id);
		hc = cJSON_GetObjectItem(b, "HostConfig");
		is_str(get_str(b, "User"), "0:0", "owner runs as root (added caps need it)");
		ok(array_has(cJSON_GetObjectItem(hc, "CapDrop"), "ALL"), "owner: CapDrop ALL");
		ok(cJSON_GetArraySize(cJSON_GetObjectItem(hc, "CapAdd")) == 3 &&
		   array_has(cJSON_GetObjectItem(hc, "CapAdd"), "NET_ADMIN") &&
		   array_has(cJSON_GetObjectItem(hc, "CapAdd"), "SETUID") &&
		   array_has(cJSON_GetObjectItem(hc, "CapAdd"), "SETGID"), "owner: only NET_ADMIN, SETUID, SETGID");
		ok(array_has(cJSON_GetObjectItem(hc, "SecurityOpt"), "no-new-privileges"), "owner: no-new-privileges");
		ok(cJSON_IsTrue(cJSON_GetObjectItem(hc, "ReadonlyRootfs")), "owner: read-only rootfs");
		is_str(get_str(hc, "NetworkMode"), "bridge", "owner: default bridge");
		m = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(hc, "PortBindings"), "3000/tcp"), 0);
		ok(m && strcmp(get_str(m, "HostIp"), "127.0.0.1") == 0 && strcmp(get_str(m, "HostPort"), "8080") == 0,
		   "--publish 3000:8080 on 127.0.0.1 only");
		ok(array_has(cJSON_GetObjectItem(b, "Cmd"), "api.openai.com"), "allowlist passed to the firewall");
		cJSON_Delete(b);
	}
	/* doctor's probe: the owner's privileges, from the same base, no network. */
	b = pod_check_body("img", &id);
	hc = cJSON_GetObjectItem(b, "HostConfig");
	is_str(get_str(b, "User"), "0:0", "probe: root, as the owner");
	ok(array_has(cJSON_GetObjectItem(hc, "CapDrop"), "ALL") &&
	   cJSON_GetArraySize(cJSON_GetObjectItem(hc, "CapAdd")) == 3 &&
	   array_has(cJSON_GetObjectItem(hc, "CapAdd"), "NET_ADMIN"), "probe: the owner's capabilities only");
	ok(array_has(cJSON_GetObjectItem(hc, "SecurityOpt"), "no-new-privileges") &&
	   cJSON_IsTrue(cJSON_GetObjectItem(hc, "ReadonlyRootfs")), "probe: no-new-privileges, read-only root");
	is_str(get_str(hc, "NetworkMode"), "none", "probe: no network");
	ok(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Labels"), LABEL_MANAGED) &&
	   array_has(cJSON_GetObjectItem(b, "Cmd"), "check") &&
	   array_has(cJSON_GetObjectItem(b, "Entrypoint"), SANDBOX_FIREWALL),
	   "probe: ours (swept if left), codex-firewall check");
	cJSON_Delete(b);
	allowlist_free(&p.allow);
	return tap_done();
}
