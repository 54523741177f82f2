#include "runner/core/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/env.h"

static int exists(const char *dir, const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", dir, file);
	return access(p, R_OK) == 0;
}

int paths_find(struct cs_paths *p, struct cs_err *err)
{
	const char *d = cs_getenv("CODEX_SANDBOX_DATA_DIR");
	const char *l = cs_getenv("CODEX_SANDBOX_LIBEXEC_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n < 0)
		return cs_fail(err, errno, "finding our own executable");
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	/* Source tree: bin/codex-sandbox next to bin/codex-sandbox-init. */
	snprintf(p->data, sizeof p->data, "%s/..", exe);
	snprintf(p->libexec, sizeof p->libexec, "%s", exe);
	if (!exists(p->data, "Dockerfile.codex-sandbox")) {
		snprintf(p->data, sizeof p->data, "%s/../share/codex-sandbox", exe);
		snprintf(p->libexec, sizeof p->libexec, "%s/../lib/codex-sandbox", exe);
	}
	if (d && *d)
		snprintf(p->data, sizeof p->data, "%s", d);
	if (l && *l)
		snprintf(p->libexec, sizeof p->libexec, "%s", l);
	if (!exists(p->data, "Dockerfile.codex-sandbox")) {
		cs_fail(err, ENOENT, "Dockerfile.codex-sandbox not found in %s", p->data);
		return cs_hint(err, "run codex-sandbox from its build tree or install it with 'make install'");
	}
	if (!exists(p->libexec, "codex-sandbox-init") || !exists(p->libexec, "codex-firewall")) {
		cs_fail(err, ENOENT, "codex-sandbox-init/codex-firewall not found in %s", p->libexec);
		return cs_hint(err, "run 'make' (and 'make install') in the codex-sandbox tree");
	}
	return 0;
}
