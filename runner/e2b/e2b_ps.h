/* `ps` for E2B (e2b_ps and e2b_has_sandbox are declared in e2b.h, the
 * face's header); the object of one sandbox, alone for the tests. */
#ifndef CS_E2B_PS_H
#define CS_E2B_PS_H

#include <cjson/cJSON.h>

#include "runner/e2b/e2b_live.h"

/* {id, backend "e2b", work_dir, started, blocked null, allow, publish}. */
cJSON *e2b_ps_object(const struct e2b_live *l);

#endif
