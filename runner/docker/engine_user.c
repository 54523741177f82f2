#include "runner/docker/engine_user.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* "name=seccomp,profile=default": is one of its fields exactly WANT? */
static bool has_field(const char *opt, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = opt; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, want, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

void engine_facts_parse(const cJSON *info, bool peer_known, uid_t peer_uid,
			struct engine_facts *f)
{
	const cJSON *so = cJSON_GetObjectItemCaseSensitive(info, "SecurityOptions"), *o;

	memset(f, 0, sizeof *f);
	f->owner_known = peer_known;
	f->owner_uid = peer_uid;
	cJSON_ArrayForEach(o, so) {
		if (!cJSON_IsString(o))
			continue;
		if (has_field(o->valuestring, "name=rootless"))
			f->rootless = true;
		if (has_field(o->valuestring, "name=userns"))
			f->userns_remap = true;
	}
}

int engine_facts_read(struct docker *d, struct engine_facts *f, struct cs_err *err)
{
	cleanup_json cJSON *info = NULL;
	long st = docker_call_json(d, "GET", "/info", NULL, &info, err);

	if (st != 200 || !cJSON_IsObject(info)) {
		if (!err->set)
			cs_fail(err, EPROTO, "GET /info: no answer the runner can read (HTTP %ld)", st);
		return cs_wrap(err, "asking the engine whether it is rootless");
	}
	engine_facts_parse(info, d->peer_known, d->peer_uid, f);
	return 0;
}

int engine_user_decide(const struct engine_facts *f, uid_t want_uid, gid_t want_gid,
		       const char *why, bool docker_dns_as_root, struct sandbox_ids *out,
		       struct cs_err *err)
{
	unsigned want = (unsigned)want_uid;

	if (f->userns_remap) {
		cs_fail(err, 0, "the Docker engine runs with userns-remap: files the sandbox writes "
			"would belong to a subordinate uid on the host, not to uid %u (%s)", want, why);
		return cs_hint(err, "use an engine without userns-remap (remove it from "
			       "/etc/docker/daemon.json), or the rootless engine of uid %u", want);
	}
	if (!f->rootless) {
		/* A rootful engine listens as root.  Anyone else on the socket
		 * (Docker Desktop, a user's proxy) maps uids in ways we cannot
		 * see: refuse rather than write files as a stranger. */
		if (!f->owner_known || f->owner_uid != 0) {
			char who[32] = "an unknown uid";

			if (f->owner_known)
				snprintf(who, sizeof who, "uid %u", (unsigned)f->owner_uid);
			cs_fail(err, 0, "the Docker engine's socket is served by %s, not root, and the "
				"engine does not say it is rootless: files the sandbox writes might not "
				"belong to uid %u", who, want);
			return cs_hint(err, "point DOCKER_HOST at the engine's own socket (rootful: "
				       "unix:///var/run/docker.sock; rootless: unix:///run/user/%u/docker.sock)",
				       want);
		}
		*out = (struct sandbox_ids){ .uid = want_uid, .gid = want_gid };
		return 0;
	}
	if (!f->owner_known) {
		cs_fail(err, 0, "the Docker engine is rootless, and whose it is cannot be told (no "
			"credentials on its socket): files the sandbox writes might not belong to uid %u",
			want);
		return cs_hint(err, "use a rootful engine, or point DOCKER_HOST at the rootless "
			       "engine's own socket (unix:///run/user/%u/docker.sock)", want);
	}
	if (f->owner_uid != want_uid) {
		cs_fail(err, 0, "the rootless Docker engine belongs to uid %u: files the sandbox writes "
			"would belong to uid %u on the host, not to uid %u (%s)",
			(unsigned)f->owner_uid, (unsigned)f->owner_uid, want, why);
		return cs_hint(err, "use uid %u's own rootless engine (DOCKER_HOST=unix:///run/user/%u/"
			       "docker.sock) or a rootful engine", want, want);
	}
	if (docker_dns_as_root) {
		/* The firewall lets uid 0 send DNS anywhere for Docker's embedded
		 * resolver; the sandbox at uid 0 would inherit that hole. */
		cs_fail(err, 0, "in a rootless engine the sandbox runs as uid 0, which the firewall "
			"lets through to any DNS server for Docker's embedded resolver");
		return cs_hint(err, "name the DNS filter's upstream with --dns IP (not 127.0.0.11)");
	}
	*out = (struct sandbox_ids){ .uid = 0, .gid = 0, .userns_root = true };
	return 0;
}
