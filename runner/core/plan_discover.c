/* auth.json, config.toml and prompts/ (plan_discover.h). */
#include "runner/core/plan_discover.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/env.h"
#include "common/util.h"
#include "runner/core/plan_paths.h"

/* The seed's search order, first wins.  config.toml and prompts/ are not
 * looked up in the Codex home itself (the last entry): that is where they
 * are copied to. */
enum { N_SEARCH = 7, N_SEARCH_SOURCES = 6 };

struct search_dir {
	char *path;        /* NULL: skip */
	const char *label;
};

struct search {
	struct search_dir d[N_SEARCH];
	char *config_file;   /* --config naming a file */
	char *config_dir;    /* --config's directory */
};

static void search_free(struct search *s)
{
	for (int i = 0; i < N_SEARCH; i++)
		free(s->d[i].path);
	free(s->config_file);
	free(s->config_dir);
}

/* --config FILE|DIR: the file (if one), and the directory searched first. */
static int config_option(const struct cs_opts *o, const struct plan_env *env,
			 const struct sandbox_plan *p, struct search *s, struct cs_err *err)
{
	char *r, *slash;

	if (!o->config)
		return 0;
	r = plan_resolve_user(env, p, o->config, NULL);
	if (!r) {
		plan_path_fail(err, errno, "--config", o->config);
		return cs_hint(err, "pass an existing config.toml or a directory holding one");
	}
	if (plan_is_dir(r)) {
		s->config_dir = r;
		return 0;
	}
	s->config_file = r;
	s->config_dir = strdup(r);
	if (!s->config_dir)
		return cs_fail(err, ENOMEM, "out of memory");
	slash = strrchr(s->config_dir, '/');
	if (slash && slash != s->config_dir)
		*slash = '\0';
	return 0;
}

static int search_dirs(const struct plan_env *env, const struct sandbox_plan *p,
		       struct search *s, struct cs_err *err)
{
	const char *ccd = cs_getenv("CODEX_CONFIG_DIR");
	const char *home = cs_getenv("HOME");

	s->d[0] = (struct search_dir){ s->config_dir ? strdup(s->config_dir) : NULL,
				       "--config directory" };
	if (ccd && *ccd) {
		s->d[1].path = plan_resolve_user(env, p, ccd, NULL);
		s->d[1].label = "CODEX_CONFIG_DIR";
		if (!s->d[1].path || !plan_is_dir(s->d[1].path)) {
			cs_fail(err, s->d[1].path ? ENOTDIR : errno, "CODEX_CONFIG_DIR '%s'", ccd);
			return cs_hint(err, "point CODEX_CONFIG_DIR at an existing directory or unset it");
		}
	}
	if (home && *home) {
		s->d[2] = (struct search_dir){ plan_join(home, ".codex"), "~/.codex" };
		s->d[3] = (struct search_dir){ plan_join(home, ".config/codex"), "~/.config/codex" };
	}
	s->d[4] = (struct search_dir){ plan_join(p->work_dir, "codex"), "WORK_DIR/codex" };
	s->d[5] = (struct search_dir){ plan_join(p->work_dir, ".codex"), "WORK_DIR/.codex" };
	s->d[6] = (struct search_dir){ strdup(p->codex_home), "the Codex home" };
	return 0;
}

/* --auth_file / CODEX_AUTH_FILE: must be a usable, non-empty file. */
static int explicit_auth(const struct plan_env *env, struct sandbox_plan *p, const char *path,
			 const char *label, struct cs_err *err)
{
	struct stat st;
	cleanup_close int fd = -1;

	p->auth_file = plan_resolve_user(env, p, path, NULL);
	if (p->auth_file)
		fd = plan_open_kind(p->auth_file, S_IFREG, &st);
	if (fd < 0 && (errno == ELOOP || errno == EXDEV))
		return plan_path_fail(err, errno, label, path);
	if (fd < 0 || st.st_size == 0) {
		cs_fail(err, fd >= 0 ? EINVAL : errno, "%s '%s' is not a usable auth.json", label, path);
		return cs_hint(err, "pass an existing, non-empty auth.json (or unset %s to let Codex log in)",
			       label);
	}
	p->auth_found_by = strdup(label);
	return 0;
}

/* auth.json: never copied, mounted read-only (plan_mounts.c). */
static int plan_auth(const struct cs_opts *o, const struct plan_env *env,
		     struct sandbox_plan *p, const struct search *s, struct cs_err *err)
{
	const char *path = o->auth_file ? o->auth_file : cs_getenv("CODEX_AUTH_FILE");

	if (path && *path)
		return explicit_auth(env, p, path, o->auth_file ? "--auth_file" : "CODEX_AUTH_FILE", err);
	for (int i = 0; i < N_SEARCH && !p->auth_file; i++) {
		struct stat st;

		p->auth_file = plan_lookup(p, s->d[i].path, "auth.json", S_IFREG, true, &st);
		if (p->auth_file)
			p->auth_found_by = strdup(s->d[i].label);
	}
	return 0;
}

/* config.toml: explicit sources replace the copy, found ones fill a gap. */
static int plan_config(struct sandbox_plan *p, const struct search *s, struct cs_err *err)
{
	cleanup_free char *dest = plan_join(p->codex_home, "config.toml");
	cleanup_free char *existing = NULL;
	struct stat st;
	bool explicit_src;

	if (!dest || !(p->effective_config = strdup(dest)))
		return cs_fail(err, ENOMEM, "out of memory");
	if (s->config_file) {
		p->config_source = strdup(s->config_file);
		p->config_found_by = strdup("--config");
	}
	for (int i = 0; i < N_SEARCH_SOURCES && !p->config_source; i++) {
		p->config_source = plan_lookup(p, s->d[i].path, "config.toml", S_IFREG, true, &st);
		if (p->config_source)
			p->config_found_by = strdup(s->d[i].label);
	}
	if (!p->config_source)
		return 0;
	explicit_src = s->config_file || (p->config_found_by &&
		(strcmp(p->config_found_by, "--config directory") == 0 ||
		 strcmp(p->config_found_by, "CODEX_CONFIG_DIR") == 0));
	/* Both paths are physical: equal strings, the same file (already the
	 * Codex home's own, nothing to copy). */
	if (strcmp(dest, p->config_source) != 0 &&
	    plan_add_copy(p, p->config_source, dest, explicit_src ? COPY_REPLACE : COPY_IF_MISSING, 0600,
			  explicit_src ? "config.toml (explicit source: replaces the copy)"
				       : "config.toml (copied only when missing)") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	if (!explicit_src && (existing = plan_lookup(p, p->codex_home, "config.toml", S_IFREG, true, &st))) {
		free(p->config_source);
		p->config_source = NULL;  /* the existing copy wins */
		free(p->config_found_by);
		p->config_found_by = strdup("existing Codex home config.toml");
	}
	return 0;
}

/* prompts/: the first directory found, merged without overwriting. */
static int plan_prompts(struct sandbox_plan *p, const struct search *s, struct cs_err *err)
{
	cleanup_free char *pd = NULL;
	struct stat st;

	for (int i = 0; i < N_SEARCH_SOURCES && !p->prompts_source; i++)
		p->prompts_source = plan_lookup(p, s->d[i].path, "prompts", S_IFDIR, false, &st);
	if (!p->prompts_source)
		return 0;
	pd = plan_join(p->codex_home, "prompts");
	if (!pd)
		return cs_fail(err, ENOMEM, "out of memory");
	if (strcmp(p->prompts_source, pd) != 0 &&
	    plan_add_copy(p, p->prompts_source, pd, COPY_TREE_NO_CLOBBER, 0,
			  "prompts (added without overwriting)") < 0)
		return cs_fail(err, ENOMEM, "out of memory");
	return 0;
}

int plan_discover(const struct cs_opts *o, const struct plan_env *env,
		  struct sandbox_plan *p, struct cs_err *err)
{
	struct search s = { 0 };
	int rc = -1;

	if (config_option(o, env, p, &s, err) == 0 && search_dirs(env, p, &s, err) == 0 &&
	    plan_auth(o, env, p, &s, err) == 0 && plan_config(p, &s, err) == 0 &&
	    plan_prompts(p, &s, err) == 0)
		rc = 0;
	search_free(&s);
	return rc;
}
