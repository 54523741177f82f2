/* The preset lists.  A host is listed only when the ecosystem's own tools
 * contact it in normal use (install, fetch, resolve); hosts that let the
 * sandbox publish or upload are kept out of the read presets (@github has no
 * upload or gist host: @github-write adds them). */
#include "firewall/presets.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct preset_host npm[] = {
	{ "registry.npmjs.org", "package metadata and tarballs (npm, pnpm, yarn berry default)" },
	{ "registry.yarnpkg.com", "yarn classic's registry host (a front of the npm registry)" },
	{ "nodejs.org", "node-gyp downloads Node's headers to build native modules" },
	{ NULL, NULL },
};

static const struct preset_host pypi[] = {
	{ "pypi.org", "the package index (simple and JSON APIs) pip and uv read" },
	{ "files.pythonhosted.org", "where the index points for wheels and sdists" },
	{ NULL, NULL },
};

static const struct preset_host github[] = {
	{ "github.com", "git clone/fetch over HTTPS, release and archive URLs (redirects)" },
	{ "api.github.com", "REST and GraphQL API (gh, GitHub Actions tooling, go/npm resolvers)" },
	{ "codeload.github.com", "archive downloads (tarball/zipball) github.com redirects to" },
	{ "raw.githubusercontent.com", "raw file content (install scripts, lock-pinned files)" },
	{ "objects.githubusercontent.com", "release assets and LFS objects github.com redirects to" },
	{ "release-assets.githubusercontent.com", "release assets (the newer redirect target)" },
	{ NULL, NULL },
};

static const struct preset_host github_write[] = {
	{ "uploads.github.com", "uploading release assets" },
	{ "gist.github.com", "creating and cloning gists" },
	{ "gist.githubusercontent.com", "raw gist content" },
	{ NULL, NULL },
};

static const struct preset_host crates[] = {
	{ "crates.io", "the crates.io API cargo asks (search, publish checks, owners)" },
	{ "index.crates.io", "the sparse registry index (cargo's default protocol)" },
	{ "static.crates.io", "crate downloads" },
	{ NULL, NULL },
};

static const struct preset_host go[] = {
	{ "proxy.golang.org", "the module proxy (GOPROXY default), also toolchain downloads" },
	{ "sum.golang.org", "the checksum database (GOSUMDB default) go verifies modules with" },
	{ NULL, NULL },
};

static const struct preset_host maven[] = {
	{ "repo.maven.apache.org", "Maven Central (Maven's and Gradle's mavenCentral())" },
	{ "repo1.maven.org", "Maven Central under its older name, still in many builds" },
	{ "plugins.gradle.org", "the Gradle plugin portal (plugins { id ... })" },
	{ "services.gradle.org", "Gradle wrapper distributions (gradlew)" },
	{ "downloads.gradle.org", "where services.gradle.org redirects wrapper downloads" },
	{ NULL, NULL },
};

static const struct preset_host debian[] = {
	{ "deb.debian.org", "the Debian archive (apt's default mirror)" },
	{ "security.debian.org", "Debian security updates" },
	{ NULL, NULL },
};

static const struct preset_host docker_hub[] = {
	{ "registry-1.docker.io", "the Docker Hub registry API (manifests)" },
	{ "auth.docker.io", "Docker Hub's token service (anonymous pulls need a token too)" },
	{ "production.cloudflare.docker.com", "image layer blobs the registry redirects to" },
	{ "index.docker.io", "the registry's older name some clients still use" },
	{ NULL, NULL },
};

const struct preset presets[] = {
	{ "npm", "Node.js packages (npm, yarn, pnpm)", NULL, npm },
	{ "pypi", "Python packages (pip, uv, poetry)", NULL, pypi },
	{ "github", "GitHub read access: clone, fetch, API, raw content, releases", NULL, github },
	{ "github-write", "@github plus uploads and gists", "github", github_write },
	{ "crates", "Rust crates (cargo)", NULL, crates },
	{ "go", "Go modules (go get, go mod download)", NULL, go },
	{ "maven", "Java packages (Maven, Gradle)", NULL, maven },
	{ "debian", "Debian packages (apt)", NULL, debian },
	{ "docker-hub", "pulling images from Docker Hub", NULL, docker_hub },
	{ NULL, NULL, NULL, NULL },
};

const struct preset *preset_find(const char *word)
{
	if (!word || word[0] != '@')
		return NULL;
	for (const struct preset *p = presets; p->name; p++)
		if (strcasecmp(p->name, word + 1) == 0)
			return p;
	return NULL;
}

void presets_names(char *out, size_t outsz)
{
	size_t len = 0;

	if (!outsz)
		return;
	out[0] = '\0';
	for (const struct preset *p = presets; p->name; p++) {
		int n = snprintf(out + len, outsz - len, "%s@%s", len ? ", " : "", p->name);

		if (n < 0 || (size_t)n >= outsz - len)
			return;
		len += (size_t)n;
	}
}

int preset_each_host(const struct preset *p, int (*fn)(const char *host, void *ctx), void *ctx)
{
	if (p->includes) {
		char base[64];
		const struct preset *inc;

		snprintf(base, sizeof base, "@%s", p->includes);
		inc = preset_find(base);
		if (inc && inc != p && preset_each_host(inc, fn, ctx) < 0)
			return -1;
	}
	for (const struct preset_host *h = p->hosts; h->host; h++)
		if (fn(h->host, ctx) < 0)
			return -1;
	return 0;
}
