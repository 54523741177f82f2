#include "runner/docker/blocked_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/util.h"
#include "runner/core/blocked_log.h"

#define FULL_RESERVE 128          /* room kept for the log-full line */

/* The types a line is written for (the firewall's EVENT protocol,
 * firewall/daemon.h, plus the flow checks'). */
static const char *const block_types[] = { "dns-refused", "dns-rebind", "dns-upstream-failed",
	"conn", "flow-refused", "quic-refused", NULL };

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static void utc_time(time_t now, char *out, size_t outsz)
{
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outsz, "1970-01-01T00:00:00Z");
}

static bool is_block(const char *type)
{
	for (size_t i = 0; type && block_types[i]; i++)
		if (strcmp(type, block_types[i]) == 0)
			return true;
	return false;
}

/* What `codex-sandbox allow` would open: the name when one led there, else
 * the address.  A failed upstream is no block: nothing to allow. */
static void add_allow(cJSON *o, const char *type, const char *name, const char *addr,
		      const char *id)
{
	const char *what = blocked_allow_for(type, name, addr);
	char cmd[400];

	if (!what)
		return;
	snprintf(cmd, sizeof cmd, "codex-sandbox allow %s %s", id, what);
	cJSON_AddStringToObject(o, "allow", cmd);
}

char *blocked_log_line(const cJSON *ev, const char *sandbox_id, time_t now)
{
	static const char *const strs[] = { "name", "addr", "proto", "qtype", "reason", NULL };
	const char *type = str_of(ev, "type");
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(ev, "port");
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(ev, "count");
	cleanup_json cJSON *o = NULL;
	char t[32];

	if (!is_block(type) || !(o = cJSON_CreateObject()))
		return NULL;
	utc_time(now, t, sizeof t);
	cJSON_AddStringToObject(o, "time", t);
	cJSON_AddStringToObject(o, "type", type);
	for (size_t i = 0; strs[i]; i++) {
		const char *v = str_of(ev, strs[i]);

		if (v && *v)
			cJSON_AddStringToObject(o, strs[i], v);
		if (i == 1 && cJSON_IsNumber(port) && port->valuedouble >= 0 && port->valuedouble <= 65535)
			cJSON_AddNumberToObject(o, "port", (double)(long)port->valuedouble);
	}
	cJSON_AddNumberToObject(o, "count", cJSON_IsNumber(count) && count->valuedouble >= 1 ?
				(double)(long long)count->valuedouble : 1);
	add_allow(o, type, str_of(ev, "name"), str_of(ev, "addr"), sandbox_id);
	return cJSON_PrintUnformatted(o);
}

int blocked_log_open(struct blocked_log *l, const char *path, const char *sandbox_id,
		     struct cs_err *err)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);

	memset(l, 0, sizeof *l);
	if (fd < 0)
		return cs_fail(err, errno, "opening %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cs_fail(err, EINVAL, "%s is not a regular file", path);
	}
	l->fd = fd;
	l->open = true;
	l->size = (size_t)st.st_size;
	snprintf(l->id, sizeof l->id, "%s", sandbox_id);
	return 0;
}

static void append(struct blocked_log *l, const char *line)
{
	size_t n = strlen(line);

	if (fd_write_all(l->fd, line, n) < 0 || fd_write_all(l->fd, "\n", 1) < 0) {
		blocked_log_close(l);
		return;
	}
	l->size += n + 1;
}

void blocked_log_event(struct blocked_log *l, const cJSON *ev)
{
	cleanup_free char *line = NULL;

	if (!l->open || l->full || !(line = blocked_log_line(ev, l->id, time(NULL))))
		return;
	if (l->size + strlen(line) + 1 > BLOCKED_LOG_CAP - FULL_RESERVE) {
		char full[100], t[32];

		utc_time(time(NULL), t, sizeof t);
		snprintf(full, sizeof full, "{\"time\":\"%s\",\"type\":\"log-full\"}", t);
		l->full = true;
		append(l, full);
		return;
	}
	append(l, line);
}

void blocked_log_close(struct blocked_log *l)
{
	if (l->open)
		close(l->fd);
	l->open = false;
	l->fd = -1;
}
