#include "runner/docker/doctor.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/env.h"
#include "common/util.h"
#include "runner/core/paths.h"
#include "runner/docker/build.h"
#include "runner/docker/container.h"
#include "runner/docker/ctr_ops.h"
#include "runner/docker/engine_user.h"
#include "runner/docker/mux.h"
#include "runner/docker/pod.h"

static void collect(void *ctx, int stream, const char *data, size_t len)
{
	(void)stream;
	(void)!buf_append(ctx, data, len);
}

/* Run `codex-firewall check` in a throwaway container with exactly the
 * owner's privileges (pod_check_body: the same base as every container of
 * ours): proves nftables works in a container netns here. */
static void check_nftables(struct docker *d, const char *image, check_report_fn report)
{
	struct runner_identity id;
	cleanup_json cJSON *body = NULL;
	cleanup_buf struct buf logs;
	cleanup_buf struct buf out;
	struct cs_err e = { 0 };
	char path[300], ctr[80] = "", detail[600];
	struct mux m;
	int code = -1;

	buf_init(&logs, 1u << 16);
	buf_init(&out, 1u << 16);
	runner_identity_init(&id);
	body = pod_check_body(image, &id);
	if (ctr_create(d, NULL, body, ctr, sizeof ctr, &e) != 201) {
		char line[1024];

		cs_err_format(&e, line, sizeof line);
		report("FAIL", "nftables", line, "rebuild the image: codex-sandbox build");
		return;
	}
	if (ctr_start(d, ctr, &e) == 0 && ctr_wait(d, ctr, &code, &e) < 0)
		code = -1;
	if (ctr_path(path, sizeof path, ctr, CTR_LOGS) == 0)
		docker_call(d, "GET", path, NULL, &logs, &e);
	ctr_remove(d, ctr, false);
	mux_init(&m, collect, &out);
	if (logs.len)
		mux_feed(&m, logs.data, logs.len);
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

/* The run's decision (engine_user.h) for files owned like the current
 * directory, which is whose files a run from here writes by default. */
static void check_engine_user(struct docker *d, check_report_fn report)
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

/* The image exists, and the default one was built from these contents. */
static void check_image(struct docker *d, const char *image, bool default_image,
			check_report_fn report)
{
	cleanup_json cJSON *img = NULL;
	struct cs_err e = { 0 };
	char path[600], detail[PATH_MAX], line[2048];
	long st = -1;

	if (image_inspect_path(image, path, sizeof path) == 0)
		st = docker_call_json(d, "GET", path, NULL, &img, &e);
	if (st == 200) {
		char key[65] = "";
		struct build_req r = { 0 };
		struct cs_paths paths;
		const char *have = NULL;
		cJSON *lab = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(img, "Config"), "Labels"),
			"org.codex-sandbox.key");

		if (cJSON_IsString(lab))
			have = lab->valuestring;
		if (default_image && paths_find(&paths, &e) == 0 && build_key(&paths, &r, key, &e) == 0 &&
		    (!have || strcmp(have, key)))
			report("warn", "image", "codex-sandbox exists but was built from other "
			       "contents; the next run rebuilds it", "codex-sandbox build");
		else
			report("ok", "image", image, NULL);
		check_nftables(d, image, report);
	} else if (st == 404) {
		snprintf(detail, sizeof detail, "%s not built yet (a run builds it first)", image);
		report(default_image ? "warn" : "FAIL", "image", detail,
		       default_image ? "codex-sandbox build" : "build it or unset CODEX_DOCKER_IMAGE");
		report("skip", "nftables", "needs the image", "codex-sandbox build");
	} else {
		cs_err_format(&e, line, sizeof line);
		report("FAIL", "image", line, NULL);
	}
}

void doctor_checks(check_report_fn report)
{
	const char *image = cs_getenv("CODEX_DOCKER_IMAGE");
	bool default_image = !image || !*image;
	struct cs_err e = { 0 };
	struct docker d;
	char line[2048];

	if (default_image)
		image = DEFAULT_IMAGE;
	if (docker_open(&d, &e) < 0) {
		snprintf(line, sizeof line, "%s%s%s", e.msg, e.errnum ? ": " : "",
			 e.errnum ? strerror(e.errnum) : "");
		report("FAIL", "engine", line, e.hint);
	} else {
		snprintf(line, sizeof line, "Docker %s at %s: API %s (the engine speaks %s to %s)",
			 d.engine_version, d.socket_path, d.api_version,
			 d.engine_api_min[0] ? d.engine_api_min : "?", d.engine_api_max);
		report("ok", "engine", line, NULL);
		check_engine_user(&d, report);
		check_image(&d, image, default_image, report);
		docker_close(&d);
	}
	if (access("/usr/sbin/debootstrap", X_OK) != 0 && access("/usr/bin/debootstrap", X_OK) != 0)
		report("info", "build", "debootstrap not installed: needed only when the base image "
		       "cannot be pulled", "apt-get install debootstrap");
}
