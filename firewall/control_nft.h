/* The control channel's kernel side: fw_control_open plus the netlink
 * seams (firewall/control.h) over the parent's privileged socket. */
#ifndef FW_CONTROL_NFT_H
#define FW_CONTROL_NFT_H

#include "firewall/control.h"
#include "firewall/nl.h"
#include "common/error.h"

/* Listen on PATH (nothing when NULL) and wire C's seams to NL and its
 * requests to PP (firewall/control_apply.h).  Returns 0
 * or -1 with ERR. */
struct fw_parent;
int fw_control_start(struct fw_control *c, struct fw_parent *pp, struct nl *nl, const char *path,
		     struct cs_err *err);

#endif
