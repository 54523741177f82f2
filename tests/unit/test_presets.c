/* Egress presets (firewall/presets.c): every list expands through the same
 * validation as typed entries, @github opens nothing that uploads, unknown
 * names are refused with the known ones, and docs/PRESETS.md is the table
 * row for row (run from the repository root, as tests/run.sh does). */
#include <stdlib.h>
#include <string.h>

#include "firewall/allowlist.h"
#include "firewall/presets.h"
#include "tap.h"

static bool has_host(const struct allowlist *al, const char *h)
{
	for (size_t i = 0; i < al->n; i++)
		if (al->v[i].kind == ALLOW_HOST && strcmp(al->v[i].name, h) == 0)
			return true;
	return false;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *b;
	size_t n;

	if (!f)
		return NULL;
	b = calloc(1, 1 << 16);
	n = b ? fread(b, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (b)
		b[n] = '\0';
	return b;
}

/* The doc section of preset P: from "## @name\n" to the next "## ". */
static bool doc_matches(const char *doc, const struct preset *p, char *why, size_t whysz)
{
	char head[80], row[600];
	const char *sec, *end;
	size_t rows = 0, want = 0;

	snprintf(head, sizeof head, "\n## @%s\n", p->name);
	sec = strstr(doc, head);
	if (!sec) {
		snprintf(why, whysz, "no heading for @%s", p->name);
		return false;
	}
	sec += strlen(head);
	end = strstr(sec, "\n## ");
	if (!end)
		end = sec + strlen(sec);
	for (const char *l = sec; l < end && (l = strstr(l, "\n| ")) && l < end; l++)
		if (strncmp(l, "\n| host |", 9) != 0)
			rows++;
	for (const struct preset_host *h = p->hosts; h->host; h++, want++) {
		const char *hit;

		snprintf(row, sizeof row, "\n| %s | %s |\n", h->host, h->why);
		hit = strstr(sec, row);
		if (!hit || hit >= end) {
			snprintf(why, whysz, "@%s: no row for %s with the table's reason", p->name, h->host);
			return false;
		}
	}
	if (rows != want) {
		snprintf(why, whysz, "@%s: %zu rows in the doc, %zu hosts in the table", p->name, rows, want);
		return false;
	}
	return true;
}

int main(void)
{
	struct allowlist al;
	struct cs_err err = { 0 };
	char names[512], why[200] = "";
	char *doc;
	int n, bad = 0, count = 0;

	plan(17);

	/* Every host of every preset is a valid exact host entry. */
	for (const struct preset *p = presets; p->name; p++)
		for (const struct preset_host *h = p->hosts; h->host; h++) {
			struct allow_entry e;
			struct cs_err e2 = { 0 };

			count++;
			if (allow_entry_parse(h->host, "presets", &e, &e2) < 0 || e.kind != ALLOW_HOST ||
			    !h->why || strlen(h->why) < 10)
				bad++;
		}
	ok(count > 20 && bad == 0, "all %d preset hosts are exact host names with a reason", count);

	n = 0;
	for (const char *need[] = { "npm", "pypi", "github", "crates", "go", "maven", "debian",
				    "docker-hub", NULL }, **q = need; *q; q++) {
		char w[40];

		snprintf(w, sizeof w, "@%s", *q);
		n += preset_find(w) != NULL;
	}
	is_int(n, 8, "the eight presets the issue names exist");
	ok(preset_find("@NPM") && preset_find("@NPM") == preset_find("@npm"), "names are case-insensitive");
	ok(!preset_find("npm") && !preset_find("xnpm") && !preset_find("@") && !preset_find("@npm2"),
	   "only @NAME, exactly");

	allowlist_init(&al);
	n = allowlist_add_text(&al, "@npm", "--allow", &err);
	ok(n == 3 && has_host(&al, "registry.npmjs.org") && !err.set, "@npm expands to its hosts (%d)", n);
	n = allowlist_add_text(&al, "@npm,registry.npmjs.org", "--allow", &err);
	is_int(n, 0, "a preset twice, or a host already there, adds nothing");
	allowlist_free(&al);

	allowlist_init(&al);
	n = allowlist_add_text(&al, "@github", "--allow", &err);
	ok(n > 0 && has_host(&al, "github.com") && has_host(&al, "api.github.com") &&
	   has_host(&al, "raw.githubusercontent.com") && has_host(&al, "codeload.github.com"),
	   "@github: clone, API, raw content, archives");
	ok(!has_host(&al, "uploads.github.com") && !has_host(&al, "gist.github.com") &&
	   !has_host(&al, "gist.githubusercontent.com"), "@github has no upload or gist host");
	allowlist_free(&al);

	allowlist_init(&al);
	n = allowlist_add_text(&al, "@github-write", "--allow", &err);
	ok(has_host(&al, "github.com") && has_host(&al, "uploads.github.com") &&
	   has_host(&al, "gist.github.com"), "@github-write is @github plus uploads and gists");
	allowlist_free(&al);

	allowlist_init(&al);
	err = (struct cs_err){ 0 };
	n = allowlist_add_text(&al, "x.example.com @nope", "OPENAI_ALLOWED_DOMAINS", &err);
	presets_names(names, sizeof names);
	ok(n < 0 && strstr(err.msg, "'@nope'") && strstr(err.msg, "OPENAI_ALLOWED_DOMAINS"),
	   "an unknown preset is refused, naming it and its source");
	ok(strstr(err.hint, names) && strstr(names, "@docker-hub") && strstr(names, "@npm"),
	   "the refusal names every known preset");
	allowlist_free(&al);

	allowlist_init(&al);
	err = (struct cs_err){ 0 };
	ok(allowlist_add_text(&al, "@", "--allow", &err) < 0, "a bare '@' is refused");
	allowlist_free(&al);
	allowlist_init(&al);
	err = (struct cs_err){ 0 };
	ok(allowlist_add_text(&al, "@npm/../x", "--allow", &err) < 0, "a preset name with junk is refused");
	allowlist_free(&al);

	/* The doc is the table. */
	doc = slurp("docs/PRESETS.md");
	ok(doc != NULL, "docs/PRESETS.md exists");
	bad = 0;
	for (const struct preset *p = presets; doc && p->name; p++)
		if (!doc_matches(doc, p, why, sizeof why))
			bad++;
	ok(doc && bad == 0, "docs/PRESETS.md lists every host of every preset with its reason%s%s",
	   why[0] ? ": " : "", why);
	{
		char ver[64];

		snprintf(ver, sizeof ver, "\nVersion: %s\n", PRESETS_VERSION);
		ok(doc && strstr(doc, ver), "the doc names the presets' version %s", PRESETS_VERSION);
	}
	{
		int sections = 0, presets_n = 0;

		for (const char *s = doc; s && (s = strstr(s, "\n## @")); s++)
			sections++;
		for (const struct preset *p = presets; p->name; p++)
			presets_n++;
		is_int(sections, presets_n, "no preset in the doc that the table lacks");
	}
	free(doc);
	return tap_done();
}
