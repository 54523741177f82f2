/* codex-sandbox doctor: check what a run needs and say what to do. */
#include "runner/cmd_doctor.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/docker/build.h"
#include "runner/docker/container.h"
#include "runner/docker/docker.h"
#include "runner/e2b/e2b.h"
#include "runner/docker/engine_user.h"
#include "runner/docker/mux.h"
#include "runner/core/paths.h"

static int problems;

static void report(const char *status, const char *what, const char *detail, const char *fix)
{
	printf("%-5s %-10s %s\n", status, what, detail);
	if (fix && *fix)
		printf("      %-10s fix: %s\n", "", fix);
	if (strcmp(status, "FAIL") == 0)
		problems++;
}

static void collect(void *ctx, int stream, const char *data, size_t len)
{
	(void)stream;
	(void)!buf_append(ctx, data, len);
}

/* Run `codex-firewall check` in a throwaway container with exactly the
 * owner's privileges: proves nftables works in a container netns here. */
static void check_nftables(struct docker *d, const char *image)
{
	struct runner_identity id;
	cJSON *b = cJSON_CreateObject(), *hc, *a, *resp = NULL, *cid;
	struct cs_err e = { 0 };
	struct buf logs, out;
	char path[300], ctr[80] = "";
	struct mux m;
	long st;
	int code = -1;

	buf_init(&logs, 1u << 16);
	buf_init(&out, 1u << 16);
	runner_identity_init(&id);
	cJSON_AddStringToObject(b, "Image", image);
	cJSON_AddStringToObject(b, "User", "0:0");
	a = cJSON_AddArrayToObject(b, "Entrypoint");
	cJSON_AddItemToArray(a, cJSON_CreateString("/usr/lib/codex-sandbox/codex-firewall"));
	a = cJSON_AddArrayToObject(b, "Cmd");
	cJSON_AddItemToArray(a, cJSON_CreateString("check"));
	cJSON_AddItemToObject(b, "Labels", ctr_labels(NULL, &id, "doctor"));
	hc = cJSON_AddObjectToObject(b, "HostConfig");
	cJSON_AddStringToObject(hc, "NetworkMode", "none");
	a = cJSON_AddArrayToObject(hc, "CapDrop");
	cJSON_AddItemToArray(a, cJSON_CreateString("ALL"));
	a = cJSON_AddArrayToObject(hc, "CapAdd");
	cJSON_AddItemToArray(a, cJSON_CreateString("NET_ADMIN"));
	a = cJSON_AddArrayToObject(hc, "SecurityOpt");
	cJSON_AddItemToArray(a, cJSON_CreateString("no-new-privileges"));
	st = docker_call_json(d, "POST", "/containers/create", b, &resp, &e);
	cJSON_Delete(b);
	cid = cJSON_GetObjectItemCaseSensitive(resp, "Id");
	if (st != 201 || !cJSON_IsString(cid)) {
		char line[1024];

		cs_err_format(&e, line, sizeof line);
		report("FAIL", "nftables", line, "rebuild the image: codex-sandbox build");
		cJSON_Delete(resp);
		goto out;
	}
	snprintf(ctr, sizeof ctr, "%s", cid->valuestring);
	cJSON_Delete(resp);
	resp = NULL;
	snprintf(path, sizeof path, "/containers/%s/start", ctr);
	if (docker_call_json(d, "POST", path, NULL, NULL, &e) < 300) {
		snprintf(path, sizeof path, "/containers/%s/wait?condition=not-running", ctr);
		if (docker_call_json(d, "POST", path, NULL, &resp, &e) == 200) {
			cJSON *sc = cJSON_GetObjectItemCaseSensitive(resp, "StatusCode");

			code = cJSON_IsNumber(sc) ? sc->valueint : -1;
		}
		cJSON_Delete(resp);
	}
	snprintf(path, sizeof path, "/containers/%s/logs?stdout=1&stderr=1", ctr);
	docker_call(d, "GET", path, NULL, &logs, &e);
	mux_init(&m, collect, &out);
	if (logs.len)
		mux_feed(&m, logs.data, logs.len);
	{
		char detail[600];

		snprintf(detail, sizeof detail, "%.*s", (int)(out.len > 500 ? 500 : out.len),
			 out.data ? out.data : "(no output)");
		for (char *c = detail; *c; c++)
			if (*c == '\n')
				*c = ' ';
		if (code == 0)
			report("ok", "nftables", detail, NULL);
		else
			report("FAIL", "nftables", detail,
			       "the kernel needs nf_tables (and the inet family) for network namespaces; "
			       "load the nf_tables module or use a newer kernel");
	}
out:
	if (ctr[0])
		docker_remove_container(d, ctr, false);
	buf_free(&logs);
	buf_free(&out);
}

/* The run's decision (engine_user.h) for files owned like the current
 * directory, which is whose files a run from here writes by default. */
static void check_engine_user(struct docker *d)
{
	struct engine_facts f;
	struct sandbox_ids ids;
	struct cs_err e = { 0 };
	struct stat st;
	uid_t uid = getuid();
	gid_t gid = getgid();
	char line[1400];

	if (stat(".", &st) == 0 && st.st_uid != 0) {
		uid = st.st_uid;
		gid = st.st_gid;
	}
	if (engine_facts_read(d, &f, &e) < 0 ||
	    engine_user_decide(&f, uid, gid, "owner of the current directory", false, &ids, &e) < 0) {
		snprintf(line, sizeof line, "%s", e.msg);
		report("FAIL", "user", line, e.hint);
		return;
	}
	if (ids.userns_root)
		snprintf(line, sizeof line, "rootless engine of uid %u: the sandbox runs as 0:0 inside, "
			 "files land as uid %u", (unsigned)uid, (unsigned)uid);
	else
		snprintf(line, sizeof line, "rootful engine: the sandbox runs as the work dir's owner");
	report("ok", "user", line, NULL);
}

int cmd_doctor(void)
{
	struct docker d;
	struct cs_err e = { 0 };
	struct cs_paths paths;
	const char *image = getenv("CODEX_DOCKER_IMAGE");
	bool default_image = !image || !*image;
	char line[2048], detail[2 * PATH_MAX + 64];

	problems = 0;
	if (default_image)
		image = "codex-sandbox";

	if (paths_find(&paths, &e) < 0) {
		cs_err_format(&e, line, sizeof line);
		report("FAIL", "install", line, e.hint);
	} else {
		snprintf(detail, sizeof detail, "data %s, helpers %s", paths.data, paths.libexec);
		report("ok", "install", detail, NULL);
	}
	cs_err_clear(&e);
	if (docker_open(&d, &e) < 0) {
		snprintf(line, sizeof line, "%s%s%s", e.msg, e.errnum ? ": " : "",
			 e.errnum ? strerror(e.errnum) : "");
		report("FAIL", "engine", line, e.hint);
	} else {
		cJSON *img = NULL;

		snprintf(detail, sizeof detail, "Docker %s at %s: API %s (the engine speaks %s to %s)",
			 d.engine_version, d.socket_path, d.api_version,
			 d.engine_api_min[0] ? d.engine_api_min : "?", d.engine_api_max);
		report("ok", "engine", detail, NULL);
		check_engine_user(&d);
		cs_err_clear(&e);
		{
			char path[600], enc[400];
			long st;

			url_encode(image, enc, sizeof enc);
			snprintf(path, sizeof path, "/images/%s/json", enc);
			st = docker_call_json(&d, "GET", path, NULL, &img, &e);
			if (st == 200) {
				char key[65] = "";
				struct build_req r = { 0 };
				const char *have = NULL;
				cJSON *lab = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
					cJSON_GetObjectItemCaseSensitive(img, "Config"), "Labels"),
					"org.codex-sandbox.key");

				if (cJSON_IsString(lab))
					have = lab->valuestring;
				if (default_image && build_key(&paths, &r, key, &e) == 0 && (!have || strcmp(have, key)))
					report("warn", "image", "codex-sandbox exists but was built from other "
					       "contents; the next run rebuilds it", "codex-sandbox build");
				else
					report("ok", "image", image, NULL);
				check_nftables(&d, image);
			} else if (st == 404) {
				snprintf(detail, sizeof detail, "%s not built yet (a run builds it first)", image);
				report(default_image ? "warn" : "FAIL", "image", detail,
				       default_image ? "codex-sandbox build" : "build it or unset CODEX_DOCKER_IMAGE");
				report("skip", "nftables", "needs the image", "codex-sandbox build");
			} else {
				cs_err_format(&e, line, sizeof line);
				report("FAIL", "image", line, NULL);
			}
			cJSON_Delete(img);
		}
		docker_close(&d);
	}
	e2b_doctor(report);
	if (access("/usr/sbin/debootstrap", X_OK) != 0 && access("/usr/bin/debootstrap", X_OK) != 0)
		report("info", "build", "debootstrap not installed: needed only when the base image "
		       "cannot be pulled", "apt-get install debootstrap");
	printf("%s\n", problems ? "problems found" : "all checks passed");
	return problems ? 1 : 0;
}
