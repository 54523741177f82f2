/* The plan's data: what plan_build() (plan.h) resolves and the backends
 * execute -- mounts, copies, environment, network, the E2B knobs -- and the
 * few operations on it every planning step shares. */
#ifndef CS_SANDBOX_PLAN_H
#define CS_SANDBOX_PLAN_H

#include <stdbool.h>
#include <sys/types.h>

#include "firewall/allowlist.h"
#include "runner/core/cli.h"
#include "runner/core/plan_attach.h"
#include "runner/core/plan_e2b.h"
#include "common/strv.h"

/* Fixed paths inside the sandbox. */
#define SANDBOX_CODEX_HOME   "/codex_home"
#define SANDBOX_HOME         "/home/codex"
#define SANDBOX_RUN_DIR      "/run/codex-sandbox"
/* /etc/codex is a read-only bind of the run dir's etc-codex/ (RUNDIR_ETC):
 * a directory, not single files, so the files in it can be replaced
 * (renamed over) and appended while the sandbox runs and it sees the
 * change: the effective allowlist (changed by `allow`/`deny`) and the log
 * of what was blocked. */
#define SANDBOX_ETC_DIR "/etc/codex"
#define SANDBOX_ALLOWED_FILE SANDBOX_ETC_DIR "/allowed_domains.txt"
#define SANDBOX_BLOCKED_FILE SANDBOX_ETC_DIR "/blocked.jsonl"
#define SANDBOX_INIT         "/usr/lib/codex-sandbox/codex-sandbox-init"
#define SANDBOX_FIREWALL     "/usr/lib/codex-sandbox/codex-firewall"
#define SANDBOX_APP_PREFIX   "/app"
/* The firewall's DNS child runs as this uid; the sandbox user never may. */
#define FIREWALL_DNS_UID     65353
#define FIREWALL_CTL_DIR     "/run/codex-firewall"   /* the owner's private tmpfs: control.sock */
#define DEFAULT_IMAGE        "codex-sandbox"
#define DEFAULT_TEMPLATE     "codex"

enum backend_kind { BACKEND_DOCKER, BACKEND_E2B };

struct plan_mount {
	char *source;     /* host path (NULL for tmpfs) */
	char *target;     /* path in the sandbox */
	bool read_only;
	bool tmpfs;
	char *why;        /* shown by --dry-run */
};

enum copy_mode {
	COPY_IF_MISSING,       /* config.toml found by search */
	COPY_REPLACE,          /* explicit --config / CODEX_CONFIG_DIR, --init-script */
	COPY_TREE_NO_CLOBBER,  /* prompts/: add missing files, never overwrite */
};

struct plan_copy {
	char *source;
	char *dest;
	enum copy_mode mode;
	unsigned int perm;     /* 0 = keep the source's */
	char *why;
};

/* Where the plan is made, apart from the environment variables (those are
 * read through cs_getenv, common/env.h): the directory relative paths start
 * from and whether stdin/stdout are terminals.  Tests give their own. */
struct plan_env {
	const char *cwd;
	bool stdin_tty;
	bool stdout_tty;
};

struct sandbox_plan {
	enum cs_command command;
	enum backend_kind backend;
	char *work_dir;            /* realpath on the host */
	char *sandbox_work_dir;    /* /app$WORK_DIR */
	char *codex_home;          /* host path */
	bool codex_home_in_workdir;
	bool codex_home_exists;
	char *sandbox_env_dir;     /* SANDBOX_ENV_DIR inside the sandbox */
	char *auth_file;           /* host path or NULL: Codex shows its login */
	char *auth_found_by;       /* which rule found it */
	bool auth_writeback;
	bool auth_private_copy;    /* the sandbox user cannot read the file: mount a private copy */
	char *config_source;       /* config.toml copied into the Codex home, or NULL */
	char *config_found_by;
	char *effective_config;    /* the config.toml Codex will read (maybe not yet existing) */
	char *prompts_source;
	bool run_hook;             /* .environment/init.sh runs before the command */
	char *hook_host_path;
	uid_t uid;
	gid_t gid;
	char *user_from;           /* "--user" or "owner of WORK_DIR" */
	bool tty;                  /* allocate a TTY (stdin and stdout are terminals) */
	bool attach_stdin;
	struct plan_mount *mounts;
	size_t n_mounts;
	struct plan_copy *copies;
	size_t n_copies;
	struct strv mkdirs;        /* host dirs to create (codex home, sessions) */
	struct strv env;           /* NAME=VALUE for the sandbox */
	struct strv env_secret;    /* names whose values --dry-run must not show */
	struct strv command_argv;  /* what the init execs */
	struct strv outside_writable; /* writable host paths outside WORK_DIR: need consent */
	struct allowlist allow;
	char *allow_text;          /* effective list, one entry per line */
	char *saved_file;          /* where the entries saved for this project came from */
	struct strv saved_allow;   /* those entries (runner/core/plan_saved.h) */
	char *image;
	bool image_is_default;
	char *template_id;
	char *network;             /* NULL: default bridge */
	char *dns;
	struct strv upstreams;     /* resolvers the DNS filter asks; empty: Docker's view */
	bool upstream_docker_dns;  /* fallback on a user-defined network: 127.0.0.11 */
	int dns_min_ttl;           /* floor for DNS-learned entries (s); -1: the firewall's */
	struct strv publish;       /* "PORT:HOSTPORT" normalized */
	char *log_blocked;
	char *name_base;           /* codex_<sanitized path> */
	char run_id[33];           /* local: chosen here, so Codex's instructions can name it
	                            * (`codex-sandbox allow ID`); "<run-id>" in a dry run */
	bool yes;
	bool dry_run;
	bool keep;
	bool strict_egress;
	struct plan_e2b e2b;       /* BACKEND_E2B: resolved here too (plan_e2b.c) */
	struct plan_attach attach; /* CMD_ATTACH: the kept sandbox (plan_attach.c) */
};

/* Append a mount / a copy (strings copied).  0, or -1 (out of memory). */
int plan_add_mount(struct sandbox_plan *p, const char *src, const char *dst, bool ro,
		   bool tmpfs, const char *why);
int plan_add_copy(struct sandbox_plan *p, const char *src, const char *dst,
		  enum copy_mode mode, unsigned int perm, const char *why);
/* Free everything the plan holds; P is zeroed (plan_free twice is safe). */
void plan_free(struct sandbox_plan *p);
/* Is the variable of KV ("NAME=VALUE" or "NAME") one whose value nothing
 * may show (--dry-run, the request descriptions)? */
bool plan_env_secret(const struct sandbox_plan *p, const char *kv);
static inline void plan_freep(struct sandbox_plan *p) { plan_free(p); }
/* Scope guard for a plan declared "= { 0 }" (plan_build fills it). */
#define cleanup_plan __attribute__((cleanup(plan_freep)))

#endif
