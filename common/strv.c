#include "common/strv.h"

#include <stdlib.h>
#include <string.h>

int strv_push(struct strv *s, const char *str)
{
	char **nv = realloc(s->v, (s->n + 2) * sizeof *nv);

	if (!nv)
		return -1;
	s->v = nv;
	s->v[s->n] = strdup(str);
	if (!s->v[s->n])
		return -1;
	s->v[++s->n] = NULL;
	return 0;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

cJSON *strv_add_json(cJSON *obj, const char *key, const struct strv *s)
{
	cJSON *a = cJSON_AddArrayToObject(obj, key);

	for (size_t i = 0; a && i < s->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->v[i]));
	return a;
}
