#include "runner/core/ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "runner/core/plan_json.h"

static bool wanted(const struct op *o, const struct sandbox_plan *p)
{
	return !o->applies || o->applies(p);
}

int ops_run(const struct op *ops, size_t n, const struct sandbox_plan *p, void *ctx,
	    size_t *done, struct cs_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (done)
			*done = i;
		if (!wanted(&ops[i], p))
			continue;
		if (ops[i].run(p, ctx, err) < 0)
			return -1;
	}
	if (done)
		*done = n;
	return 0;
}

cJSON *ops_describe(const struct op *ops, size_t n, const struct sandbox_plan *p, void *ctx,
		    struct cs_err *err)
{
	cleanup_json cJSON *list = cJSON_CreateArray();

	if (!list) {
		cs_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *o;

		if (!wanted(&ops[i], p))
			continue;
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(list, o)) {
			cJSON_Delete(o);
			cs_fail(err, ENOMEM, "out of memory");
			return NULL;
		}
		cJSON_AddStringToObject(o, "op", ops[i].name);
		cJSON_AddStringToObject(o, "why", ops[i].why);
		if (ops[i].describe && ops[i].describe(p, ctx, o, err) < 0)
			return NULL;
	}
	return steal_pointer(&list);
}

int ops_print_dry_run(const struct sandbox_plan *p, cJSON *operations, struct cs_err *err)
{
	cleanup_json cJSON *root = plan_json(p);
	cleanup_free char *out = NULL;

	if (!root || !cJSON_AddItemToObject(root, "operations", operations)) {
		cJSON_Delete(operations);
		return cs_fail(err, ENOMEM, "out of memory");
	}
	out = cJSON_Print(root);
	if (!out)
		return cs_fail(err, ENOMEM, "out of memory");
	if (printf("%s\n", out) < 0 || fflush(stdout) == EOF)
		return cs_fail(err, errno, "cannot print the plan");
	return 0;
}
