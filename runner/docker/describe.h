/* What --dry-run prints for a step that sends a request (steps.c): the
 * method, the path as built for the run, and the body the run's own builder
 * made, with what only the run knows as <placeholders> and the values of
 * secret variables as "(hidden)". */
#ifndef CS_DESCRIBE_H
#define CS_DESCRIBE_H

#include <cjson/cJSON.h>

#include "runner/core/plan.h"

/* "method", "path" (without the /vX.Y prefix the run adds) into OUT. */
void describe_request(cJSON *out, const char *method, const char *path);
/* A request sent only sometimes: appended to OUT's "also" list with WHEN. */
void describe_also(cJSON *out, const char *method, const char *path, const char *when);
/* BODY (taken) as OUT's "body": the runner's identity labels as
 * placeholders, secret Env values hidden. */
void describe_body(cJSON *out, cJSON *body, const struct sandbox_plan *p);
/* The mount pins (mounts.h) the run adds to a create body right before it
 * is sent, as a placeholder. */
void describe_pins(cJSON *body);

#endif
