/* `allow`/`deny` on a running E2B sandbox (e2b_egress_change is declared in
 * e2b.h, the face's header); the list arithmetic alone for the tests. */
#ifndef CS_E2B_NETWORK_H
#define CS_E2B_NETWORK_H

#include "common/strv.h"
#include "firewall/allowlist.h"
#include "runner/e2b/e2b_live.h"

/* L's recorded list with REMOVE taken out (compared in canonical form) and
 * ADD appended (either may be NULL), into AL (initialized by the caller).
 * 0, or -1 with ERR naming a bad entry. */
int e2b_egress_next(const struct e2b_live *l, const struct strv *add, const struct strv *remove,
		    struct allowlist *al, struct cs_err *err);

#endif
