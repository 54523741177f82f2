/* A growable, NULL-terminated vector of owned strings (argv-shaped), used by
 * the CLI, the plan and both backends. */
#ifndef CS_STRV_H
#define CS_STRV_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct strv {
	char **v;   /* NULL-terminated; NULL while empty */
	size_t n;
};

/* Append a copy of STR.  0, or -1 with errno (ENOMEM). */
int strv_push(struct strv *s, const char *str);
void strv_free(struct strv *s);
/* Add S to OBJ as the array KEY (the JSON form every body and the plan
 * use).  The array, or NULL when out of memory. */
cJSON *strv_add_json(cJSON *obj, const char *key, const struct strv *s);

static inline void strv_freep(struct strv *s) { strv_free(s); }
#define cleanup_strv __attribute__((cleanup(strv_freep)))

#endif
