#include "runner/docker/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/docker/docker.h"

int sweep_runner_alive(const char *pid, const char *start, const char *boot, const char *pidns,
		       const struct runner_identity *self)
{
	char path[64], stat[1024], *p;
	FILE *f;
	unsigned long long ticks = 0;
	int field = 2;

	if (!pid || !start || !boot || !pidns)
		return 1;   /* not ours to judge */
	if (strcmp(pidns, self->pidns) != 0)
		return 1;   /* another pid namespace: cannot check, leave it */
	if (strcmp(boot, self->boot_id) != 0)
		return 0;   /* created before a reboot */
	snprintf(path, sizeof path, "/proc/%ld/stat", strtol(pid, NULL, 10));
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(stat, sizeof stat, f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(stat, ')');
	if (!p)
		return 0;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	ticks = strtoull(p, NULL, 10);
	/* Same pid, different start time: the pid was reused. */
	return ticks == strtoull(start, NULL, 10);
}

static const char *label(const cJSON *labels, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sweep_orphans(struct docker *d, const struct runner_identity *self)
{
	cJSON *list = NULL, *c;
	struct cs_err e = { 0 };
	int removed = 0;
	long st;

	st = docker_call_json(d, "GET", "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22"
			      LABEL_MANAGED "%3D1%22%5D%7D", NULL, &list, &e);
	if (st != 200) {
		cJSON_Delete(list);
		return 0;
	}
	/* Sandboxes first: they live in their owner's network namespace. */
	for (int pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(c, list) {
			const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "Id");
			const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "Names");
			const char *role = label(labels, LABEL_PREFIX "role");
			const cJSON *n0 = cJSON_GetArrayItem(names, 0);

			if (!cJSON_IsString(id) || !role)
				continue;
			if ((pass == 0) != (strcmp(role, "sandbox") == 0))
				continue;
			if (sweep_runner_alive(label(labels, LABEL_PREFIX "runner-pid"),
					       label(labels, LABEL_PREFIX "runner-start"),
					       label(labels, LABEL_PREFIX "boot-id"),
					       label(labels, LABEL_PREFIX "pidns"), self))
				continue;
			docker_remove_container(d, id->valuestring, false);
			fprintf(stderr, "codex-sandbox: removed %s left behind by a runner that is gone\n",
				cJSON_IsString(n0) ? n0->valuestring + (n0->valuestring[0] == '/') :
				id->valuestring);
			removed++;
		}
	}
	cJSON_Delete(list);
	return removed;
}
