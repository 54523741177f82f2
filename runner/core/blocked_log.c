#include "runner/core/blocked_log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "firewall/allowlist.h"

void blocked_agg_init(struct blocked_agg *a)
{
	memset(a, 0, sizeof *a);
}

void blocked_agg_free(struct blocked_agg *a)
{
	free(a->v);
	blocked_agg_init(a);
}

/* A printable copy of J's string member KEY (absent or not a string: ""). */
static void take(const cJSON *j, const char *key, char *out, size_t outsz)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	snprintf(out, outsz, "%s", cJSON_IsString(v) && v->valuestring ? v->valuestring : "");
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

static bool same_key(const struct blocked_row *a, const struct blocked_row *b)
{
	return a->port == b->port && !strcmp(a->type, b->type) && !strcmp(a->name, b->name) &&
	       !strcmp(a->addr, b->addr) && !strcmp(a->proto, b->proto);
}

static void add_row(struct blocked_agg *a, const struct blocked_row *r)
{
	a->total += r->count;
	for (size_t i = 0; i < a->n; i++)
		if (same_key(&a->v[i], r)) {
			a->v[i].count += r->count;
			if (r->reason[0])       /* the latest reason wins */
				memcpy(a->v[i].reason, r->reason, sizeof r->reason);
			return;
		}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct blocked_row *v;

		if (a->n >= BLOCKED_ROWS_MAX || !(v = realloc(a->v, cap * sizeof *v)))
			return;         /* counted in total, not listed */
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *r;
}

int blocked_agg_line(struct blocked_agg *a, const char *line, size_t len)
{
	struct blocked_row r;
	const cJSON *port, *count;
	cJSON *j cleanup_json = NULL;

	if (len == 0 || len > BLOCKED_LINE_MAX || !(j = cJSON_ParseWithLength(line, len)) ||
	    !cJSON_IsObject(j)) {
		a->skipped++;
		return 0;
	}
	memset(&r, 0, sizeof r);
	take(j, "type", r.type, sizeof r.type);
	if (strcmp(r.type, "log-full") == 0) {
		a->full = true;
		return 0;
	}
	take(j, "name", r.name, sizeof r.name);
	take(j, "addr", r.addr, sizeof r.addr);
	take(j, "proto", r.proto, sizeof r.proto);
	take(j, "reason", r.reason, sizeof r.reason);
	port = cJSON_GetObjectItemCaseSensitive(j, "port");
	count = cJSON_GetObjectItemCaseSensitive(j, "count");
	r.port = cJSON_IsNumber(port) && port->valuedouble >= 0 && port->valuedouble <= 65535 ?
		 (int)port->valuedouble : -1;
	r.count = cJSON_IsNumber(count) && count->valuedouble >= 1 && count->valuedouble < 1e15 ?
		  (uint64_t)count->valuedouble : 1;
	if (!r.type[0] || (!r.name[0] && !r.addr[0])) {
		a->skipped++;
		return 0;
	}
	add_row(a, &r);
	return 1;
}

size_t blocked_agg_text(struct blocked_agg *a, const char *text, size_t len)
{
	size_t off = 0;

	for (;;) {
		const char *nl = memchr(text + off, '\n', len - off);

		if (!nl)
			return off;
		blocked_agg_line(a, text + off, (size_t)(nl - (text + off)));
		off = (size_t)(nl - text) + 1;
	}
}

int blocked_read(const char *path, uint64_t *offset, struct blocked_agg *a, struct cs_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t want, got = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cs_fail(err, fd < 0 ? errno : EINVAL, "reading %s (a regular file, not a link)", path);
	if ((uint64_t)st.st_size <= *offset || *offset >= BLOCKED_LOG_MAX)
		return 0;
	want = (size_t)((uint64_t)st.st_size - *offset);
	if (want > BLOCKED_LOG_MAX - *offset)
		want = (size_t)(BLOCKED_LOG_MAX - *offset);
	if (!(buf = malloc(want + 1)))
		return cs_fail(err, ENOMEM, "out of memory");
	while (got < want) {
		ssize_t r = pread(fd, buf + got, want - got, (off_t)(*offset + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*offset += blocked_agg_text(a, buf, got);
	return 0;
}

const char *blocked_target(const struct blocked_row *r)
{
	return r->name[0] ? r->name : r->addr;
}

const char *blocked_allow_for(const char *type, const char *name, const char *addr)
{
	struct cs_err err = { 0 };
	struct allow_entry e;
	const char *what;

	if (name && !*name)
		name = NULL;
	if (addr && !*addr)
		addr = NULL;
	if (!type || strcmp(type, "dns-upstream-failed") == 0)
		return NULL;
	/* An explicit address exempts it from the first-bytes check (R5.20):
	 * for a flow refused there (a shared edge asked for another site)
	 * suggesting the edge's address would open every site on it. */
	if (strcmp(type, "flow-refused") == 0 || strcmp(type, "quic-refused") == 0)
		addr = NULL;
	what = strcmp(type, "dns-rebind") == 0 ? addr : name ? name : addr;
	/* a word allow_entry_parse accepts has no shell metacharacter, no
	 * space, no preset's '@' */
	if (!what || what[0] == '@' || allow_entry_parse(what, "blocked.jsonl", &e, &err) < 0)
		return NULL;
	return what;
}
