#ifndef CS_TEARDOWN_H
#define CS_TEARDOWN_H

#include <stddef.h>

#include "runner/core/ops.h"

/* The teardown steps (ctx: struct run_ctx). */
extern const struct op teardown_ops[];
extern const size_t teardown_n_ops;

#endif
