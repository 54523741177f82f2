/* STUB until helper e2bx's runner/e2b/e2b_ps.c and e2b_network.c are
 * merged (issue 12's contract): the face links against these.  Delete this
 * file when they land (the link then fails loudly on the duplicates). */
#include "runner/e2b/e2b_live_stub.h"

int e2b_ps(cJSON *array, struct cs_err *err)
{
	(void)array;
	(void)err;
	return 0;
}

int e2b_has_sandbox(const char *id)
{
	(void)id;
	return 0;
}

int e2b_egress_change(const char *id, const struct strv *add, const struct strv *remove,
		      struct cs_err *err)
{
	(void)add;
	(void)remove;
	return cs_fail(err, 0, "this build cannot change the E2B sandbox %s", id);
}
