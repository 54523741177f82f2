/* The DNS filter's side of the control channel (firewall/control.h): list
 * changes arrive from the privileged parent over the privsep channel, and
 * from nowhere else (the child has no other channel that could carry them). */
#ifndef FW_DNSF_CONTROL_H
#define FW_DNSF_CONTROL_H

#include "firewall/dnsf_state.h"
#include "firewall/privsep.h"

/* Read what the parent sent outside an ack wait.  Returns 0 when the
 * parent closed the channel, 1 otherwise (a message of another size is
 * dropped). */
int dnsf_parent_input(struct dnsf_state *st);

/* Apply FW_OP_CTL_ALLOW / FW_OP_CTL_DENY M to the filter's list (a deny also
 * empties the answer cache).  Anything else is ignored.  Returns 0 when
 * applied, -1 when ignored. */
int dnsf_control_apply(struct dnsf_state *st, const struct fw_msg *m);

#endif
