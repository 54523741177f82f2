#include "common/env.h"

#include <stdlib.h>

static env_source_fn source;

const char *cs_getenv(const char *name)
{
	return source ? source(name) : getenv(name);
}

void env_use(env_source_fn fn)
{
	source = fn;
}
