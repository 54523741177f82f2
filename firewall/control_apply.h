/* The parent applying a control request (firewall/control.h) to its
 * allowlist, the live table (through the channel's seams) and the DNS
 * child's list (FW_OP_CTL_* over the privsep channel). */
#ifndef FW_CONTROL_APPLY_H
#define FW_CONTROL_APPLY_H

#include "firewall/control.h"

/* A fw_ctl_apply_fn: PARENT is the struct fw_parent.  Allow: the entry
 * joins the list (IP/CIDR: allow4_net/allow6_net are replaced in one
 * transaction; names: the child is told).  Deny: it leaves the list, the
 * child is told (and drops its cached answers), and the DNS-learned
 * elements whose recorded name the list no longer allows are removed.
 * A kernel failure leaves the list as it was (FW_CTL_FAILED). */
void fw_control_apply(void *parent, const struct fw_ctl_req *req, struct fw_ctl_reply *reply,
		      bool (*each)(void *arg, const struct fw_ctl_reply *r), void *arg);

#endif
