/* Whose files the sandbox writes: the rootless / userns-remap decision
 * (engine_user.h) on /info answers of real engines, and what the create
 * body then says (User, HOME's tmpfs owner, ConsoleSize by API version). */
#include "tap.h"

#include <cjson/cJSON.h>

#include "runner/docker/container.h"
#include "runner/docker/engine_user.h"

/* Facts from an /info SecurityOptions array given as JSON text. */
static struct engine_facts facts(const char *secopts, bool peer_known, uid_t peer)
{
	char text[512];
	struct engine_facts f;
	cJSON *info;

	snprintf(text, sizeof text, "{\"SecurityOptions\":%s}", secopts);
	info = cJSON_Parse(text);
	engine_facts_parse(info, peer_known, peer, &f);
	cJSON_Delete(info);
	return f;
}

/* "uid:gid" or "uid:gid root", or "ERR: message | hint". */
static const char *decide(struct engine_facts f, uid_t uid, bool docker_dns)
{
	static char out[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 16];
	struct cs_err e = { 0 };
	struct sandbox_ids ids = { 4242, 4242, false };

	if (engine_user_decide(&f, uid, 1001, "owner of the work dir", docker_dns, &ids, &e) < 0) {
		snprintf(out, sizeof out, "ERR%d: %s | %s", e.status, e.msg, e.hint);
		return out;
	}
	snprintf(out, sizeof out, "%u:%u%s", (unsigned)ids.uid, (unsigned)ids.gid,
		 ids.userns_root ? " root" : "");
	return out;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *body_str(cJSON *b, const char *k1, const char *k2)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(b, k1);

	if (k2)
		o = cJSON_GetObjectItemCaseSensitive(o, k2);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

int main(void)
{
	static const char rootful[] = "[\"name=apparmor\",\"name=seccomp,profile=default\",\"name=cgroupns\"]";
	static const char rootless[] = "[\"name=seccomp,profile=default\",\"name=rootless\",\"name=cgroupns\"]";
	static const char userns[] = "[\"name=seccomp,profile=default\",\"name=userns\"]";
	struct engine_facts f;
	const char *r;

	plan(25);
	f = facts(rootful, true, 0);
	ok(!f.rootless && !f.userns_remap, "Engine 20.10 rootful: neither rootless nor userns");
	f = facts(rootless, true, 1000);
	ok(f.rootless && !f.userns_remap && f.owner_known && f.owner_uid == 1000, "rootless seen, owner kept");
	f = facts(userns, true, 0);
	ok(f.userns_remap && !f.rootless, "userns-remap seen");
	f = facts("[\"name=seccomp,profile=rootless\",\"name=usernsx\",\"xname=rootless\",7]", true, 0);
	ok(!f.rootless && !f.userns_remap, "only an exact name= field counts");
	f = facts("\"name=rootless\"", true, 0);
	ok(!f.rootless, "SecurityOptions not an array: nothing claimed");

	/* The decision. */
	is_str(decide(facts(rootful, true, 0), 1000, false), "1000:1001",
	       "rootful: the sandbox runs as the work dir's owner");
	is_str(decide(facts(rootful, true, 0), 1000, true), "1000:1001",
	       "rootful with Docker's DNS: unchanged (the sandbox is never uid 0)");
	r = decide(facts(rootful, true, 1000), 1000, false);
	ok(starts(r, "ERR125: the Docker engine's socket is served by uid 1000, not root, and the "
		  "engine does not say it is rootless"), "not rootless, but not served by root: refused");
	r = decide(facts(rootful, false, 0), 1000, false);
	ok(starts(r, "ERR125: the Docker engine's socket is served by an unknown uid, not root"),
	   "not rootless, peer unknown: refused (fail closed)");
	is_str(decide(facts(rootless, true, 1000), 1000, false), "0:0 root",
	       "rootless engine of the same user: 0:0 inside");
	r = decide(facts(rootless, true, 1002), 1000, false);
	ok(strstr(r, "ERR125: the rootless Docker engine belongs to uid 1002: files the sandbox "
		  "writes would belong to uid 1002 on the host, not to uid 1000 (owner of the work dir)") == r,
	   "rootless engine of another user: refused, 125, says why");
	ok(strstr(r, "| use uid 1000's own rootless engine (DOCKER_HOST=unix:///run/user/1000/docker.sock)"),
	   "... and what to do");
	r = decide(facts(rootless, false, 0), 1000, false);
	ok(starts(r, "ERR125: the Docker engine is rootless, and whose it is cannot be told"),
	   "rootless with unknown owner: refused (fail closed)");
	r = decide(facts(rootless, true, 0), 1000, false);
	ok(starts(r, "ERR125: the rootless Docker engine belongs to uid 0"),
	   "rootless engine reached through a root-owned socket: refused");
	r = decide(facts(userns, true, 0), 1000, false);
	ok(starts(r, "ERR125: the Docker engine runs with userns-remap"),
	   "userns-remap: refused");
	r = decide(facts("[\"name=rootless\",\"name=userns\"]", true, 1000), 1000, false);
	ok(starts(r, "ERR125: the Docker engine runs with userns-remap"),
	   "userns-remap wins over rootless of the same user");
	r = decide(facts(rootless, true, 1000), 1000, true);
	ok(starts(r, "ERR125: in a rootless engine the sandbox runs as uid 0") &&
	   strstr(r, "--dns IP"), "rootless + Docker's DNS (uid 0 exempt in the firewall): refused");

	/* The create body. */
	{
		struct sandbox_plan p;
		struct runner_identity id = { .run_id = "0123456789abcdef0123456789abcdef" };
		struct sandbox_ids root = { 0, 0, true };
		struct ctr_paths cp = { .passwd = "/r/passwd", .group = "/r/group", .status_dir = "/r/s" };
		cJSON *b, *cs;

		memset(&p, 0, sizeof p);
		p.image = "codex-sandbox";
		p.uid = 1000;
		p.gid = 1001;
		p.sandbox_work_dir = "/app/w";
		p.work_dir = "/w";
		p.tty = true;
		p.name_base = "codex_w";
		b = ctr_sandbox_body(&p, &id, &cp, "none");
		is_str(body_str(b, "User", NULL), "1000:1001", "no ids: the plan's uid:gid");
		ok(!cJSON_GetObjectItem(cJSON_GetObjectItem(b, "HostConfig"), "ConsoleSize"),
		   "no size given: no ConsoleSize (API 1.41)");
		cJSON_Delete(b);

		cp.ids = &root;
		cp.console_rows = 30;
		cp.console_cols = 100;
		b = ctr_sandbox_body(&p, &id, &cp, "none");
		is_str(body_str(b, "User", NULL), "0:0", "rootless of the same user: User 0:0");
		r = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "HostConfig"), "Tmpfs"),
					SANDBOX_HOME)->valuestring;
		ok(strstr(r, "uid=0,gid=0") != NULL, "HOME's tmpfs belongs to the sandbox user (0:0)");
		cs = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "HostConfig"), "ConsoleSize");
		ok(cJSON_GetArraySize(cs) == 2 && cJSON_GetArrayItem(cs, 0)->valueint == 30 &&
		   cJSON_GetArrayItem(cs, 1)->valueint == 100, "ConsoleSize is [rows, cols]");
		ok(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "HostConfig"), "CapDrop")) &&
		   strcmp(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "HostConfig"),
								  "CapDrop"), 0)->valuestring, "ALL") == 0,
		   "uid 0 inside still drops every capability");
		cJSON_Delete(b);

		p.tty = false;
		b = ctr_sandbox_body(&p, &id, &cp, "none");
		ok(!cJSON_GetObjectItem(cJSON_GetObjectItem(b, "HostConfig"), "ConsoleSize"),
		   "no TTY: no ConsoleSize");
		cJSON_Delete(b);
		p.tty = true;
		cp.console_cols = 0;
		b = ctr_sandbox_body(&p, &id, &cp, "none");
		ok(!cJSON_GetObjectItem(cJSON_GetObjectItem(b, "HostConfig"), "ConsoleSize"),
		   "an unknown size (0) is not sent");
		cJSON_Delete(b);
	}
	return tap_done();
}
