/* The image: build it through POST /build, bootstrapping the base from
 * Debian when it is absent and cannot be pulled, and keep it keyed by the
 * content that went into it so a run rebuilds only when that changed. */
#include "runner/docker/build.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/env.h"
#include "runner/core/paths.h"
#include "runner/docker/proc.h"
#include "common/sha256.h"
#include "runner/docker/tar.h"
#include "common/util.h"

#define DEFAULT_BASE "debian:bookworm-slim"
#define BASE_REPO "codex-sandbox-base"
#define KEY_LABEL "org.codex-sandbox.key"

static const char *build_arg(const struct strv *args, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; args && i < args->n; i++)
		if (strncmp(args->v[i], name, n) == 0 && args->v[i][n] == '=')
			return args->v[i] + n + 1;
	return NULL;
}

const char *build_codex_version(const struct build_req *r)
{
	const char *v = r->codex_version ? r->codex_version : build_arg(r->build_args, "CODEX_VERSION");

	return v ? v : DEFAULT_CODEX_VERSION;
}

/* The content key: everything that goes into the image except the base's
 * bytes (a base is named; `codex-sandbox build` rebuilds on demand). */
int build_key(const struct cs_paths *paths, const struct build_req *r, char key[65],
	      struct cs_err *err)
{
	static const char *const files[] = { "Dockerfile.codex-sandbox", NULL };
	static const char *const bins[] = { "codex-sandbox-init", "codex-firewall", NULL };
	struct sha256 s;
	char p[PATH_MAX + 64];

	sha256_init(&s);
	for (int i = 0; files[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", paths->data, files[i]);
		if (sha256_file(&s, p) < 0)
			return cs_fail(err, errno, "reading %s", p);
	}
	for (int i = 0; bins[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", paths->libexec, bins[i]);
		if (sha256_file(&s, p) < 0)
			return cs_fail(err, errno, "reading %s", p);
	}
	sha256_update(&s, "\0version=", 9);
	sha256_update(&s, build_codex_version(r), strlen(build_codex_version(r)));
	for (size_t i = 0; r->build_args && i < r->build_args->n; i++) {
		sha256_update(&s, "\0", 1);
		sha256_update(&s, r->build_args->v[i], strlen(r->build_args->v[i]));
	}
	sha256_hex(&s, key);
	return 0;
}

int image_inspect_path(const char *name, char *out, size_t outsz)
{
	char enc[512];
	int n;

	if (url_encode(name, enc, sizeof enc) < 0)
		return -1;
	n = snprintf(out, outsz, "/images/%s/json", enc);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static int image_exists(struct docker *d, const char *name, cJSON **info, struct cs_err *err)
{
	char path[600];
	struct cs_err e2 = { 0 };
	long st;

	if (image_inspect_path(name, path, sizeof path) < 0)
		return cs_fail(err, ENAMETOOLONG, "image name '%s'", name);
	st = docker_call_json(d, "GET", path, NULL, info, &e2);
	if (st == 200)
		return 1;
	if (st == 404)
		return 0;
	*err = e2;
	return -1;
}

/* A JSON-stream line from build/import/pull: print progress, catch errors
 * (a failed build still answers HTTP 200). */
struct progress {
	struct cs_err *err;
	const char *what;
	bool quiet;
	bool saw_error;
	char last_status[256];
};

static int on_progress_line(const char *line, size_t len, void *vctx)
{
	struct progress *pr = vctx;
	cleanup_json cJSON *j = cJSON_ParseWithLength(line, len);
	cJSON *s, *e;

	if (!j)
		return 0;
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(e)) {
		char msg[768];

		snprintf(msg, sizeof msg, "%s", e->valuestring);
		for (char *c = msg; *c; c++)
			if (*c == '\n')
				*c = ' ';
		cs_fail(pr->err, 0, "%s failed: %s", pr->what, msg);
		pr->saw_error = true;
		return 0;
	}
	s = cJSON_GetObjectItemCaseSensitive(j, "stream");
	if (cJSON_IsString(s) && !pr->quiet) {
		/* "Step 3/9 : RUN ..." lines and the command output. */
		fputs(s->valuestring, stderr);
	}
	s = cJSON_GetObjectItemCaseSensitive(j, "status");
	if (cJSON_IsString(s))
		snprintf(pr->last_status, sizeof pr->last_status, "%s", s->valuestring);
	return 0;
}

struct upload {
	struct tar_stream *tar;
	int fd;
	uint64_t total, sent;
	bool show;
	int last_pct;
	const char *label;
};

static void show_upload(struct upload *u)
{
	int pct = u->total ? (int)(u->sent * 100 / u->total) : 100;

	if (!u->show || pct == u->last_pct)
		return;
	u->last_pct = pct;
	fprintf(stderr, "\r%s: %3d%% of %llu MB", u->label, pct,
		(unsigned long long)(u->total >> 20));
	if (pct == 100)
		fputs("\n", stderr);
	fflush(stderr);
}

static size_t read_tar(char *buf, size_t len, void *ctx)
{
	struct upload *u = ctx;
	size_t n = tar_read(u->tar, buf, len);

	if (n == (size_t)-1)
		return CURL_READFUNC_ABORT;
	u->sent += n;
	show_upload(u);
	return n;
}

static size_t read_fd(char *buf, size_t len, void *ctx)
{
	struct upload *u = ctx;
	ssize_t n = read(u->fd, buf, len);

	if (n < 0)
		return CURL_READFUNC_ABORT;
	u->sent += (uint64_t)n;
	show_upload(u);
	return (size_t)n;
}

/* The tar at TARPATH imported as BASE_REPO:TAG. */
static int import_base(struct docker *d, const char *tarpath, const char *tag, struct cs_err *err)
{
	struct progress pr = { .err = err, .what = "importing the base image", .quiet = true };
	struct upload u = { .show = isatty(STDERR_FILENO), .last_pct = -1,
			    .label = "importing base image" };
	cleanup_close int fd = open(tarpath, O_RDONLY | O_CLOEXEC);
	char path[256];
	struct stat st;
	long hs;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cs_fail(err, errno, "opening %s", tarpath);
	u.fd = fd;
	u.total = (uint64_t)st.st_size;
	snprintf(path, sizeof path, "/images/create?fromSrc=-&repo=" BASE_REPO "&tag=%s"
		 "&message=codex-sandbox+debootstrap+base", tag);
	hs = docker_stream(d, "POST", path, "application/x-tar", read_fd, &u,
			   (curl_off_t)st.st_size, on_progress_line, &pr, err);
	if (hs < 0 || pr.saw_error)
		return -1;
	if (hs != 200)
		return cs_fail(err, 0, "importing the base image: HTTP %ld", hs);
	return 0;
}

/* Debian base from debootstrap, imported as codex-sandbox-base:<key>. */
static int bootstrap_base(struct docker *d, const struct cs_paths *paths, char *out,
			  size_t outsz, struct cs_err *err)
{
	char script[PATH_MAX + 64], tarpath[PATH_MAX], key[65], tag[80];
	char *argv[] = { script, tarpath, NULL };
	const char *tmp = cs_getenv("TMPDIR");
	struct sha256 s;
	int rc, ex;

	snprintf(script, sizeof script, "%s/images/bootstrap-base.sh", paths->data);
	sha256_init(&s);
	if (sha256_file(&s, script) < 0)
		return cs_fail(err, errno, "reading %s", script);
	sha256_hex(&s, key);
	snprintf(tag, sizeof tag, "%.12s", key);
	snprintf(out, outsz, BASE_REPO ":%s", tag);
	ex = image_exists(d, out, NULL, err);
	if (ex != 0)
		return ex < 0 ? -1 : 0;

	fprintf(stderr, "codex-sandbox: base image %s is not available and cannot be pulled; "
		"bootstrapping it from Debian (once, cached as %s)\n", DEFAULT_BASE, out);
	snprintf(tarpath, sizeof tarpath, "%s/codex-sandbox-base-%s-%d.tar",
		 tmp && *tmp ? tmp : "/tmp", tag, (int)getpid());
	rc = proc_run(argv, "bootstrapping the Debian base", err);
	if (rc != 0) {
		unlink(tarpath);
		if (rc > 0) {
			cs_fail(err, 0, "bootstrapping the base image failed (status %d, see above)", rc);
			return cs_hint(err, "the base needs root and Debian's archive once: run "
				       "'sudo codex-sandbox build', or make %s available", DEFAULT_BASE);
		}
		return -1;
	}
	rc = import_base(d, tarpath, tag, err);
	unlink(tarpath);
	return rc;
}

static int resolve_base(struct docker *d, const struct cs_paths *paths, const struct build_req *r,
			char *out, size_t outsz, struct cs_err *err)
{
	const char *base = build_arg(r->build_args, "BASE_IMAGE");
	int ex;

	snprintf(out, outsz, "%s", base ? base : DEFAULT_BASE);
	ex = image_exists(d, out, NULL, err);
	if (ex < 0)
		return -1;
	if (ex)
		return 0;
	/* Try a pull, as docker build would. */
	{
		char img[256], tagp[128], path[1024];
		const char *colon = strrchr(out, ':');
		struct progress pr = { .err = err, .what = "pulling the base image", .quiet = true };
		struct cs_err perr = { 0 };
		long st;

		if (colon && !strchr(colon, '/')) {
			snprintf(img, sizeof img, "%.*s", (int)(colon - out), out);
			snprintf(tagp, sizeof tagp, "%s", colon + 1);
		} else {
			snprintf(img, sizeof img, "%s", out);
			snprintf(tagp, sizeof tagp, "latest");
		}
		{
			char ei[512], et[256];

			url_encode(img, ei, sizeof ei);
			url_encode(tagp, et, sizeof et);
			snprintf(path, sizeof path, "/images/create?fromImage=%s&tag=%s", ei, et);
		}
		pr.err = &perr;
		st = docker_stream(d, "POST", path, NULL, NULL, NULL, 0, on_progress_line, &pr, &perr);
		if (st == 200 && !pr.saw_error)
			return 0;
		if (base && strcmp(base, DEFAULT_BASE) != 0) {
			char line[1024];

			cs_err_format(&perr, line, sizeof line);
			cs_fail(err, 0, "base image %s is absent and cannot be pulled (%s)", out, line);
			return cs_hint(err, "load it into the engine, or build without --build-arg BASE_IMAGE "
				       "to bootstrap a Debian base");
		}
	}
	return bootstrap_base(d, paths, out, outsz, err);
}

/* The /build query: tag, build args (BASE_IMAGE, CODEX_VERSION and the
 * user's --build-arg), the content key as a label. */
static int build_path(const struct build_req *r, const char *image, const char *base,
		      const char *key, char *path, size_t pathsz, struct cs_err *err)
{
	cleanup_json cJSON *args = cJSON_CreateObject();
	cleanup_json cJSON *labels = cJSON_CreateObject();
	cleanup_free char *args_text = NULL, *labels_text = NULL;
	char enc_img[512], enc_args[2048], enc_labels[512];
	int n;

	cJSON_AddStringToObject(args, "BASE_IMAGE", base);
	cJSON_AddStringToObject(args, "CODEX_VERSION", build_codex_version(r));
	for (size_t i = 0; r->build_args && i < r->build_args->n; i++) {
		const char *kv = r->build_args->v[i], *eq = strchr(kv, '=');
		char name[128];

		if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof name) {
			cs_fail(err, 0, "invalid --build-arg '%s'", kv);
			return cs_hint(err, "use --build-arg NAME=VALUE");
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
		if (strcmp(name, "BASE_IMAGE") == 0 || strcmp(name, "CODEX_VERSION") == 0)
			continue;
		cJSON_AddStringToObject(args, name, eq + 1);
	}
	cJSON_AddStringToObject(labels, KEY_LABEL, key);
	args_text = cJSON_PrintUnformatted(args);
	labels_text = cJSON_PrintUnformatted(labels);
	if (!args_text || !labels_text || url_encode(image, enc_img, sizeof enc_img) < 0 ||
	    url_encode(args_text, enc_args, sizeof enc_args) < 0 ||
	    url_encode(labels_text, enc_labels, sizeof enc_labels) < 0)
		return cs_fail(err, E2BIG, "build parameters too long");
	n = snprintf(path, pathsz, "/build?t=%s&dockerfile=Dockerfile&rm=1&forcerm=1&buildargs=%s"
		     "&labels=%s%s", enc_img, enc_args, enc_labels, r->no_cache ? "&nocache=1" : "");
	return n < 0 || (size_t)n >= pathsz ? cs_fail(err, E2BIG, "build parameters too long") : 0;
}

/* Codex fetched into CTX_DIR, then the build context: the Dockerfile,
 * Codex, our init and firewall. */
static int build_context(struct tar_stream *tar, const struct cs_paths *paths, const char *version,
			 const char *ctx_dir, struct cs_err *err)
{
	char fetch[PATH_MAX + 64], codex[PATH_MAX + 16], dockerfile[PATH_MAX + 64];
	char init_bin[PATH_MAX + 32], fw_bin[PATH_MAX + 32];
	char *argv[] = { fetch, (char *)version, (char *)ctx_dir, NULL };
	int frc;

	snprintf(fetch, sizeof fetch, "%s/images/fetch-codex.sh", paths->data);
	frc = proc_run(argv, "fetching Codex from the npm registry", err);
	if (frc != 0) {
		if (frc > 0) {
			cs_fail(err, 0, "fetching @openai/codex@%s failed (status %d, see above)", version, frc);
			cs_hint(err, "check that the npm registry is reachable and the version exists");
		}
		return -1;
	}
	snprintf(dockerfile, sizeof dockerfile, "%s/Dockerfile.codex-sandbox", paths->data);
	snprintf(codex, sizeof codex, "%s/codex", ctx_dir);
	snprintf(init_bin, sizeof init_bin, "%s/codex-sandbox-init", paths->libexec);
	snprintf(fw_bin, sizeof fw_bin, "%s/codex-firewall", paths->libexec);
	if (tar_add_file(tar, "Dockerfile", dockerfile, 0644, err) < 0 ||
	    tar_add_file(tar, "codex", codex, 0755, err) < 0 ||
	    tar_add_file(tar, "codex-sandbox-init", init_bin, 0755, err) < 0 ||
	    tar_add_file(tar, "codex-firewall", fw_bin, 0755, err) < 0)
		return -1;
	return 0;
}

int image_build(struct docker *d, const struct build_req *r, const char *image,
		struct cs_err *err)
{
	struct cs_paths paths;
	char key[65], base[256], ctx_dir[PATH_MAX], path[8192];
	const char *version = build_codex_version(r);
	const char *tmp = cs_getenv("TMPDIR");
	struct tar_stream tar;
	struct progress pr = { .err = err, .what = "building the image", .quiet = r->quiet };
	struct upload u = { .tar = &tar, .fd = -1, .show = isatty(STDERR_FILENO) && !r->quiet,
			    .last_pct = -1, .label = "sending build context" };
	int rc = -1;
	long st;

	tar_init(&tar);
	ctx_dir[0] = '\0';
	if (paths_find(&paths, err) < 0 || build_key(&paths, r, key, err) < 0)
		return -1;
	if (resolve_base(d, &paths, r, base, sizeof base, err) < 0)
		return cs_wrap(err, "building %s", image);

	snprintf(ctx_dir, sizeof ctx_dir, "%s/codex-sandbox-build.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(ctx_dir)) {
		cs_fail(err, errno, "creating a build directory");
		ctx_dir[0] = '\0';
		goto out;
	}
	if (build_context(&tar, &paths, version, ctx_dir, err) < 0 ||
	    build_path(r, image, base, key, path, sizeof path, err) < 0)
		goto out;
	u.total = tar_size(&tar);
	if (!r->quiet)
		fprintf(stderr, "codex-sandbox: building %s (Codex %s, base %s)\n", image, version, base);
	st = docker_stream(d, "POST", path, "application/x-tar", read_tar, &u,
			   (curl_off_t)u.total, on_progress_line, &pr, err);
	if (st < 0 || pr.saw_error)
		goto out;
	if (st != 200) {
		cs_fail(err, 0, "building the image: HTTP %ld", st);
		goto out;
	}
	rc = 0;
out:
	tar_close(&tar);
	if (ctx_dir[0]) {
		snprintf(path, sizeof path, "%s/codex", ctx_dir);
		unlink(path);
		rmdir(ctx_dir);
	}
	if (rc < 0)
		cs_wrap(err, "building %s", image);
	return rc;
}

static const char *image_label(const cJSON *info, const char *name)
{
	const cJSON *lab = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(info, "Config"), "Labels"), name);

	return cJSON_IsString(lab) ? lab->valuestring : NULL;
}

int image_ensure(struct docker *d, const char *image, bool is_default, struct cs_err *err)
{
	struct build_req r = { 0 };
	struct cs_paths paths;
	char key[65];
	cleanup_json cJSON *info = NULL;
	const char *have;
	int ex = image_exists(d, image, &info, err);

	if (ex < 0)
		return -1;
	if (!is_default) {
		if (ex)
			return 0;
		cs_fail(err, 0, "image %s not found", image);
		return cs_hint(err, "build it (codex-sandbox build) or unset CODEX_DOCKER_IMAGE / --image");
	}
	if (paths_find(&paths, err) < 0 || build_key(&paths, &r, key, err) < 0)
		return -1;
	if (ex) {
		have = image_label(info, KEY_LABEL);
		if (have && strcmp(have, key) == 0)
			return 0;
		fprintf(stderr, "codex-sandbox: image %s was built from other contents "
			"(another codex-sandbox build or Codex version); rebuilding\n", image);
	} else {
		fprintf(stderr, "codex-sandbox: image %s not found; building it first\n", image);
	}
	return image_build(d, &r, image, err);
}

/* The Codex version IMAGE was built with: the label the Dockerfile sets
 * from the version its build checked with `codex --version`.  1 with OUT
 * set, 0 when the image does not exist, -1 on an engine error.  An image
 * without the label (not built by us) gives "unknown". */
int image_codex_version(struct docker *d, const char *image, char *out, size_t outsz,
			struct cs_err *err)
{
	cleanup_json cJSON *info = NULL;
	const char *v;
	int ex = image_exists(d, image, &info, err);

	if (ex <= 0)
		return ex;
	v = image_label(info, CODEX_VERSION_LABEL);
	snprintf(out, outsz, "%.64s", v && *v ? v : "unknown");
	return 1;
}
