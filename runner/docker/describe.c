#include "runner/docker/describe.h"

#include <stdio.h>
#include <string.h>

#include "runner/docker/container.h"
#include "runner/docker/mounts.h"

void describe_request(cJSON *out, const char *method, const char *path)
{
	cJSON_AddStringToObject(out, "method", method);
	cJSON_AddStringToObject(out, "path", path);
}

void describe_also(cJSON *out, const char *method, const char *path, const char *when)
{
	cJSON *also = cJSON_GetObjectItemCaseSensitive(out, "also");
	cJSON *r = cJSON_CreateObject();

	if (!also)
		also = cJSON_AddArrayToObject(out, "also");
	cJSON_AddStringToObject(r, "method", method);
	cJSON_AddStringToObject(r, "path", path);
	cJSON_AddStringToObject(r, "when", when);
	cJSON_AddItemToArray(also, r);
}

/* Who created the container is known only at run time. */
static void identity_placeholders(cJSON *labels)
{
	static const char *const keys[][2] = {
		{ LABEL_PREFIX "run-id", "<run-id>" },
		{ LABEL_PREFIX "runner-pid", "<runner-pid>" },
		{ LABEL_PREFIX "runner-start", "<runner-start>" },
		{ LABEL_PREFIX "boot-id", "<boot-id>" },
		{ LABEL_PREFIX "pidns", "<pidns>" },
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (cJSON_GetObjectItemCaseSensitive(labels, keys[i][0]))
			cJSON_ReplaceItemInObjectCaseSensitive(labels, keys[i][0],
							       cJSON_CreateString(keys[i][1]));
}

void describe_body(cJSON *out, cJSON *body, const struct sandbox_plan *p)
{
	cJSON *env = cJSON_GetObjectItemCaseSensitive(body, "Env"), *e;

	identity_placeholders(cJSON_GetObjectItemCaseSensitive(body, "Labels"));
	cJSON_ArrayForEach(e, env) {
		char hidden[300];

		if (!cJSON_IsString(e) || !plan_env_secret(p, e->valuestring))
			continue;
		snprintf(hidden, sizeof hidden, "%.*s=(hidden)", (int)strcspn(e->valuestring, "="),
			 e->valuestring);
		cJSON_SetValuestring(e, hidden);
	}
	cJSON_AddItemToObject(out, "body", body);
}

void describe_pins(cJSON *body)
{
	cJSON *env = cJSON_GetObjectItemCaseSensitive(body, "Env");

	if (!cJSON_IsArray(env))
		env = cJSON_AddArrayToObject(body, "Env");
	cJSON_AddItemToArray(env, cJSON_CreateString(MOUNT_PINS_ENV "=<device and inode of every "
						      "bind source, taken right before the create>"));
}
