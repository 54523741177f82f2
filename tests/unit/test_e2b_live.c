/* E2B's running-sandbox side (issue 12): the live record `ps` lists and
 * `allow`/`deny` rewrite (hostile files refused), the new egress list, the
 * --publish forwarder's request head and its loopback ports.
 *
 * With arguments it is the driver tests/integration/61-e2b-live.sh uses
 * until the face's `ps`/`allow`/`deny` reach these functions:
 *   test_e2b_live ps | has ID | allow ID ENTRY... | deny ID ENTRY...
 * (exit 0, or the error's status with its one line on stderr). */
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/env.h"
#include "runner/e2b/e2b.h"
#include "runner/e2b/e2b_live.h"
#include "runner/e2b/e2b_network.h"
#include "runner/e2b/e2b_ps.h"
#include "runner/e2b/e2b_publish.h"
#include "runner/e2b/e2b_state.h"

static char state_home[256];

static const char *fake(const char *name)
{
	if (strcmp(name, "XDG_STATE_HOME") == 0)
		return state_home;
	return NULL;
}

static void record(const char *id, const char *const *allow)
{
	struct e2b_live l;
	struct cs_err e = { 0 };

	memset(&l, 0, sizeof l);
	snprintf(l.id, sizeof l.id, "%s", id);
	snprintf(l.work_dir, sizeof l.work_dir, "/home/u/proj");
	snprintf(l.started, sizeof l.started, "2026-12-03T14:00:00Z");
	for (size_t i = 0; allow[i]; i++)
		strv_push(&l.allow, allow[i]);
	strv_push(&l.publish, "3000:8080");
	if (e2b_live_save(&l, &e) < 0)
		cs_err_print(&e, "record");
	e2b_live_free(&l);
}

static void path_of(const char *id, char *out, size_t n)
{
	e2b_state_file(id, E2B_LIVE_SUFFIX, out, n, true);
}

static void test_record(void)
{
	static const char *const allow[] = { "api.openai.com", "*.example.org", "203.0.113.7", NULL };
	struct e2b_live l;
	struct cs_err e = { 0 };
	struct strv ids = { 0 };
	char path[512];
	struct stat st;
	cJSON *o;
	char *text;

	record("iabc123", allow);
	ok(e2b_live_load("iabc123", &l, &e) == 1, "a record saved is loaded");
	ok(l.allow.n == 3 && strcmp(l.allow.v[1], "*.example.org") == 0 && l.publish.n == 1 &&
	   strcmp(l.work_dir, "/home/u/proj") == 0 && !l.strict, "... as it was saved");
	o = e2b_ps_object(&l);
	text = cJSON_PrintUnformatted(o);
	ok(text && strstr(text, "\"id\":\"iabc123\",\"backend\":\"e2b\",\"work_dir\":\"/home/u/proj\","
			  "\"started\":\"2026-12-03T14:00:00Z\",\"blocked\":null"),
	   "ps object: id, backend e2b, work_dir, started (RFC 3339), blocked null");
	free(text);
	cJSON_Delete(o);
	e2b_live_free(&l);
	path_of("iabc123", path, sizeof path);
	ok(stat(path, &st) == 0 && (st.st_mode & 077) == 0, "the record is private (0600)");
	ok(e2b_live_ids(&ids) == 0 && ids.n == 1 && strcmp(ids.v[0], "iabc123") == 0,
	   "its id is listed");
	strv_free(&ids);
	ok(e2b_has_sandbox("iabc123") == 1 && e2b_has_sandbox("inone") == 0 &&
	   e2b_has_sandbox("../x") == 0, "has_sandbox: the recorded one only (no path tricks)");
	ok(e2b_live_load("inone", &l, &e) == 0, "no record: 0, not an error");
	e2b_state_remove("iabc123");
	ok(e2b_live_load("iabc123", &l, &e) == 0, "forgetting the sandbox removes its record");
}

static void test_hostile(void)
{
	static const char *const bad[] = {
		"", "[]", "{\"sandboxID\":\"iother\",\"strict\":false}",
		"{\"sandboxID\":\"ih\",\"strict\":false,\"work_dir\":\"/w\",\"started\":\"t\","
		"\"allow\":[1],\"publish\":[]}",
		"{\"sandboxID\":\"ih\",\"work_dir\":\"/w\",\"started\":\"t\",\"allow\":[],\"publish\":[]}",
		NULL };
	struct e2b_live l;
	struct cs_err e = { 0 };
	char path[512];
	int fd;

	for (size_t i = 0; bad[i]; i++) {
		cs_err_clear(&e);
		ok(e2b_live_parse(bad[i], strlen(bad[i]), "ih", &l, &e) < 0 && strstr(e.msg, "ih"),
		   "a record not exactly as written is refused (%zu)", i);
	}
	path_of("ih", path, sizeof path);
	unlink(path);
	ok(symlink("/etc/passwd", path) == 0, "a record replaced by a link...");
	cs_err_clear(&e);
	ok(e2b_live_load("ih", &l, &e) < 0 && strstr(e.msg, "not a regular file") && e.hint[0],
	   "... is refused, with the fix");
	unlink(path);
	ok(mkfifo(path, 0600) == 0, "a record replaced by a FIFO...");
	cs_err_clear(&e);
	ok(e2b_live_load("ih", &l, &e) < 0, "... is refused without hanging");
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && ftruncate(fd, E2B_LIVE_MAX + 1) == 0, "a record of more than 4 MiB...");
	close(fd);
	cs_err_clear(&e);
	ok(e2b_live_load("ih", &l, &e) < 0, "... is refused");
	unlink(path);
}

static int next(const char *const *have, const char *add, const char *rm, struct strv *out,
		struct cs_err *e)
{
	struct e2b_live l;
	struct strv a = { 0 }, r = { 0 };
	struct allowlist al;
	int rc;

	memset(&l, 0, sizeof l);
	for (size_t i = 0; have[i]; i++)
		strv_push(&l.allow, have[i]);
	if (add)
		strv_push(&a, add);
	if (rm)
		strv_push(&r, rm);
	allowlist_init(&al);
	rc = e2b_egress_next(&l, &a, &r, &al, e);
	for (size_t i = 0; rc == 0 && i < al.n; i++) {
		char t[300];

		allow_entry_format(&al.v[i], t, sizeof t);
		strv_push(out, t);
	}
	allowlist_free(&al);
	strv_free(&a);
	strv_free(&r);
	e2b_live_free(&l);
	return rc;
}

static void test_next(void)
{
	static const char *const have[] = { "api.openai.com", "example.com", "*.pypi.org", NULL };
	struct strv out = { 0 };
	struct cs_err e = { 0 };

	ok(next(have, "Files.Example.NET.", NULL, &out, &e) == 0 && out.n == 4 &&
	   strcmp(out.v[3], "files.example.net") == 0, "allow: appended, canonical");
	strv_free(&out);
	ok(next(have, "example.com", NULL, &out, &e) == 0 && out.n == 3, "allow of a listed entry: no duplicate");
	strv_free(&out);
	ok(next(have, NULL, "EXAMPLE.com.", &out, &e) == 0 && out.n == 2 &&
	   strcmp(out.v[1], "*.pypi.org") == 0, "deny: removed whatever its spelling");
	strv_free(&out);
	ok(next(have, NULL, "pypi.org", &out, &e) == 0 && out.n == 3,
	   "deny of the apex does not remove the wildcard");
	strv_free(&out);
	cs_err_clear(&e);
	ok(next(have, "exa mple..com", NULL, &out, &e) < 0 && strstr(e.msg, "allow"),
	   "an invalid entry is refused, naming where it came from");
	strv_free(&out);
}

static void test_head(void)
{
	static const char req[] = "GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: */*\r\n"
				  "E2B-Traffic-Access-Token: forged\r\nConnection: keep-alive\r\n"
				  "e2b-sandbox-id: iother\r\n\r\n";
	static const char ws[] = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				 "Connection: Upgrade\r\n\r\n";
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n",                       /* no end */
		"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",               /* folded */
		"GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n",               /* bare LF */
		"GET /\x01 HTTP/1.1\r\n\r\n",                         /* control byte */
		"GARBAGE\r\n\r\n",
		"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : evil\r\n\r\n",         /* a name that is no token */
		"GET / HTTP/1.1\r\nE2b-Sandbox-Id : other\r\n\r\n",
		"GET http://other.example/ HTTP/1.1\r\n\r\n",   /* absolute form: routed by its host */
		NULL };
	char *h = e2b_publish_head(req, strlen(req), "3000-iabc.e2b.app", "iabc", 3000, "TOK");

	is_str(h, "GET /a?b=1 HTTP/1.1\r\nHost: 3000-iabc.e2b.app\r\nAccept: */*\r\n"
	       "Connection: close\r\ne2b-traffic-access-token: TOK\r\nE2b-Sandbox-Id: iabc\r\n"
	       "E2b-Sandbox-Port: 3000\r\n\r\n",
	       "request head: Host is E2B's, the client's e2b headers dropped, the token added, "
	       "one request per connection");
	free(h);
	h = e2b_publish_head(ws, strlen(ws), "h", "iabc", 3000, "TOK");
	ok(h && strstr(h, "Upgrade: websocket\r\n") && strstr(h, "Connection: Upgrade\r\n") &&
	   !strstr(h, "close"), "an upgrade (WebSocket) keeps Connection: Upgrade");
	free(h);
	for (size_t i = 0; bad[i]; i++)
		ok(e2b_publish_head(bad[i], strlen(bad[i]), "h", "i", 1, "T") == NULL,
		   "not a request head: refused (%zu)", i);
	ok(e2b_publish_head("GET / HTTP/1.1\r\n\0X: y\r\n\r\n", 26, "h", "i", 1, "T") == NULL,
	   "a NUL in the head: refused");
	{
		struct e2b_cfg c = { .domain = "e2b.app" };

		h = e2b_publish_url(&c, "iabc", NULL, 3000);
		is_str(h, "https://3000-iabc.e2b.app", "E2B's per-port host");
		free(h);
		h = e2b_publish_url(&c, "iabc", "eu.example.dev", 3000);
		is_str(h, "https://3000-iabc.eu.example.dev", "... in the sandbox's own domain");
		free(h);
		c.sandbox_url = "http://127.0.0.1:9";
		h = e2b_publish_url(&c, "iabc", NULL, 3000);
		is_str(h, "http://127.0.0.1:9", "one endpoint for all (E2B_SANDBOX_URL): the headers route");
		free(h);
	}
}

static void test_bind(void)
{
	struct e2b_publish pub, pub2;
	struct strv s = { 0 };
	struct cs_err e = { 0 };
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	char spec[32];
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof sin);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	port = ntohs(sin.sin_port);
	close(fd);
	snprintf(spec, sizeof spec, "3000:%d", port);
	strv_push(&s, spec);
	ok(e2b_publish_bind(&pub, &s, &e) == 0 && pub.n == 1 && pub.host_port[0] == port,
	   "--publish binds the host port");
	sl = sizeof sin;
	getsockname(pub.fd[0], (struct sockaddr *)&sin, &sl);
	ok(sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "... on 127.0.0.1 only");
	ok(e2b_publish_bind(&pub2, &s, &e) < 0 && e.status == 125 && strstr(e.msg, "cannot listen") &&
	   strstr(e.hint, "in use"), "a port in use: refused (exit 125), with the fix");
	ok(pub2.n == 0, "... nothing left bound");
	e2b_publish_stop(&pub);
	e2b_publish_stop(&pub);
	ok(pub.n == 0 && pub.pid == 0, "stop twice is harmless");
	strv_free(&s);
}

static void test_no_records(void)
{
	cJSON *a = cJSON_CreateArray();
	struct cs_err e = { 0 };
	struct strv add = { 0 };

	/* No E2B_API_KEY in the fake environment: a call would fail. */
	ok(e2b_ps(a, &e) == 0 && cJSON_GetArraySize(a) == 0, "ps with no record: empty, E2B not asked");
	cJSON_Delete(a);
	strv_push(&add, "example.com");
	ok(e2b_egress_change("inone", &add, NULL, &e) < 0 && strstr(e.msg, "inone") &&
	   strstr(e.hint, "ps"), "allow on an unknown sandbox: refused, pointing at ps");
	strv_free(&add);
}

static int driver(int argc, char **argv)
{
	struct cs_err e = { 0 };
	struct strv list = { 0 };
	int rc = 0;

	for (int i = 3; i < argc; i++)
		strv_push(&list, argv[i]);
	if (strcmp(argv[1], "ps") == 0) {
		cJSON *a = cJSON_CreateArray();
		char *t;

		rc = e2b_ps(a, &e);
		t = cJSON_PrintUnformatted(a);
		if (rc == 0)
			printf("%s\n", t);
		free(t);
		cJSON_Delete(a);
	} else if (strcmp(argv[1], "has") == 0 && argc == 3) {
		return e2b_has_sandbox(argv[2]) ? 0 : 1;
	} else if (argc > 3 && strcmp(argv[1], "allow") == 0) {
		rc = e2b_egress_change(argv[2], &list, NULL, &e);
	} else if (argc > 3 && strcmp(argv[1], "deny") == 0) {
		rc = e2b_egress_change(argv[2], NULL, &list, &e);
	} else {
		fprintf(stderr, "usage: test_e2b_live ps | has ID | allow|deny ID ENTRY...\n");
		return 2;
	}
	strv_free(&list);
	if (rc == 0)
		return 0;
	cs_err_print(&e, "codex-sandbox");
	return e.status ? e.status : 125;
}

/* The end of the run against an `allow` holding the record's lock: the
 * removal waits for it (else the allow would write the record back after
 * it), then the record and the lock file are both gone. */
static void test_remove_waits(void)
{
	static const char *const allow[] = { "api.openai.com", NULL };
	char lock_path[512], path[512];
	struct e2b_live l;
	struct cs_err e = { 0 };
	struct timespec t0, t1;
	struct stat st;
	int sync[2];
	pid_t pid;

	record("iwait01", allow);
	e2b_state_file("iwait01", E2B_LOCK_SUFFIX, lock_path, sizeof lock_path, true);
	path_of("iwait01", path, sizeof path);
	if (pipe(sync) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		static const char *const more[] = { "api.openai.com", "late.example.com", NULL };

		flock(fd, LOCK_EX);
		(void)!write(sync[1], "x", 1);
		usleep(300 * 1000);
		record("iwait01", more);        /* the allow's save, under its lock */
		_exit(0);
	}
	close(sync[1]);
	(void)!read(sync[0], path + sizeof path - 1, 1);
	close(sync[0]);
	path[sizeof path - 1] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e2b_state_remove("iwait01");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(pid, NULL, 0);
	ok((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 200,
	   "removal waits for an allow holding the record's lock");
	ok(e2b_live_load("iwait01", &l, &e) == 0, "... the record is gone (not written back after it)");
	ok(lstat(lock_path, &st) < 0 && errno == ENOENT, "... and so is the lock file");
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test-e2b-live.XXXXXX";

	if (argc > 1)
		return driver(argc, argv);
	plan(49);
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(state_home, sizeof state_home, "%s", tmpl);
	env_use(fake);
	test_record();
	test_hostile();
	test_next();
	test_head();
	test_bind();
	test_no_records();
	test_remove_waits();
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpl);
	}
	return tap_done();
}
