/* codex-sandbox attach ID: back onto a sandbox left running (--keep). */
#include "runner/cmd_attach.h"

#include "runner/e2b/e2b.h"

int cmd_attach(const struct cs_opts *o, struct cs_err *err)
{
	return e2b_attach(o, err);
}
