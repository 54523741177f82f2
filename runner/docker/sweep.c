#include "runner/docker/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "runner/docker/ctr_ops.h"


static const char *label(const cJSON *labels, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sweep_orphans(struct docker *d, const struct runner_identity *self)
{
	cleanup_json cJSON *list = NULL;
	cJSON *c;
	struct cs_err e = { 0 };
	int removed = 0;
	long st;

	st = docker_call_json(d, "GET", SWEEP_LIST_PATH, NULL, &list, &e);
	if (st != 200)
		return 0;
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
			if (runner_alive(label(labels, LABEL_PREFIX "runner-pid"),
					       label(labels, LABEL_PREFIX "runner-start"),
					       label(labels, LABEL_PREFIX "boot-id"),
					       label(labels, LABEL_PREFIX "pidns"), self))
				continue;
			ctr_remove(d, id->valuestring, false);
			fprintf(stderr, "codex-sandbox: removed %s left behind by a runner that is gone\n",
				cJSON_IsString(n0) ? n0->valuestring + (n0->valuestring[0] == '/') :
				id->valuestring);
			removed++;
		}
	}
	return removed;
}
