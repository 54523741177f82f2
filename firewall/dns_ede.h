/* Extended DNS Errors (RFC 8914) on the filter's own refusals: the reason a
 * name does not resolve travels in the answer, so a program (or the agent
 * reading its output: `dig` prints it) learns it was a policy block and
 * what would lift it, not only "no such name". */
#ifndef FW_DNS_EDE_H
#define FW_DNS_EDE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_OPT_EDE 15          /* the EDNS option code of an Extended DNS Error */
/* INFO-CODE 15 "Blocked": the resolver's operator blocks the domain by
 * policy.  Not 18 "Prohibited", which says the *client* is not allowed to
 * ask this server (RFC 8914 4.19), nor 17 "Filtered", a filter the client
 * itself asked for. */
#define DNS_EDE_BLOCKED 15

/* Append an EDE option (INFO and TEXT) to the empty OPT RR that ends the
 * reply MSG of LEN bytes (as dns_build_reply builds it for a query with
 * EDNS: the OPT is the last 11 bytes and the only additional RR).  TEXT is
 * cut to what fits in MAXLEN (the client's size); no room even for the bare
 * code, or no such OPT: MSG is left as it is.  Returns the new length. */
size_t dns_add_ede(uint8_t *msg, size_t len, size_t maxlen, uint16_t info, const char *text);

/* The extra text for a refused name: who refused it and the command that
 * would open it ("codex-sandbox allow ID NAME"; ID "<sandbox-id>" when the
 * firewall was not told it).  The name is only in the command (the
 * question has it), so a cut for a small client keeps the most.  NAME ""
 * (not a plain host name): no command. */
void dns_ede_refused_text(char *out, size_t outsz, const char *sandbox_id, const char *name);

#endif
