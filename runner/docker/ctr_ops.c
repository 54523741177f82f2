#include "runner/docker/ctr_ops.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "runner/core/sig.h"
#include "runner/docker/container.h"

long ctr_create(struct docker *d, const char *name, const cJSON *body, char *id, size_t idsz,
		struct cs_err *err)
{
	cleanup_json cJSON *resp = NULL;
	const cJSON *cid;
	char path[400];
	long st;

	if (name ? ctr_create_path(path, sizeof path, name) < 0 :
		   snprintf(path, sizeof path, "/containers/create") < 0)
		return cs_fail(err, ENAMETOOLONG, "container name '%s'", name);
	st = docker_call_json(d, "POST", path, body, &resp, err);
	if (st != 201) {
		if (!err->set)
			cs_fail(err, EPROTO, "POST %s: HTTP %ld", path, st);
		return st;
	}
	cid = cJSON_GetObjectItemCaseSensitive(resp, "Id");
	if (!cJSON_IsString(cid) || strlen(cid->valuestring) >= idsz)
		return cs_fail(err, EPROTO, "container create: no Id in the engine's answer");
	snprintf(id, idsz, "%s", cid->valuestring);
	return st;
}

int ctr_start(struct docker *d, const char *id, struct cs_err *err)
{
	char path[200];
	long st;

	if (ctr_path(path, sizeof path, id, CTR_START) < 0)
		return cs_fail(err, ENAMETOOLONG, "container id");
	st = docker_call_json(d, "POST", path, NULL, NULL, err);
	if (st >= 0 && st < 300 && !err->set)
		return 0;
	if (!err->set)
		cs_fail(err, EPROTO, "POST %s: HTTP %ld", path, st);
	return -1;
}

int ctr_wait(struct docker *d, const char *id, int *code, struct cs_err *err)
{
	cleanup_json cJSON *resp = NULL;
	const cJSON *sc;
	char path[200];
	long st;

	if (ctr_path(path, sizeof path, id, CTR_WAIT) < 0)
		return cs_fail(err, ENAMETOOLONG, "container id");
	st = docker_call_json(d, "POST", path, NULL, &resp, err);
	if (st != 200) {
		if (!err->set)
			cs_fail(err, EPROTO, "POST %s: HTTP %ld", path, st);
		return -1;
	}
	sc = cJSON_GetObjectItemCaseSensitive(resp, "StatusCode");
	*code = cJSON_IsNumber(sc) ? sc->valueint : CS_EXIT_FAIL;
	return 0;
}

void ctr_remove(struct docker *d, const char *id, bool stop_first)
{
	/* a handle that never aborts (teardown's thread, docker_bg.h) leaves
	 * the process-wide policy alone: the main thread may be swapping it */
	bool swap = !d->never_abort;
	enum sig_abort saved_abort = swap ? sig_swap_abort(SIG_ABORT_NEVER) : SIG_ABORT_NEVER;
	struct cs_err e = { 0 };
	char path[200];

	if (stop_first && ctr_path(path, sizeof path, id, CTR_STOP) == 0)
		docker_call(d, "POST", path, NULL, NULL, &e);
	if (ctr_path(path, sizeof path, id, CTR_REMOVE) == 0)
		docker_call(d, "DELETE", path, NULL, NULL, &e);
	if (swap)
		sig_swap_abort(saved_abort);
}
