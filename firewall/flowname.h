/* What the first bytes of a TCP flow may name, and why a flow is refused.
 *
 * Shared by the two first-bytes parsers (firewall/tlshello.c for the TLS
 * ClientHello's server_name, firewall/httphost.c for the HTTP/1.x Host
 * header) and the judge (firewall/flowcheck.c).  Pure: no I/O, no state.
 */
#ifndef FW_FLOWNAME_H
#define FW_FLOWNAME_H

#include <stddef.h>
#include <stdint.h>

#define FLOW_NAME_MAX 253      /* text form, without trailing dot */

enum flow_reason {
	FLOW_R_NONE = 0,
	FLOW_R_NOT_TLS,        /* port 443: not a TLS handshake record */
	FLOW_R_NOT_HTTP,       /* port 80: not an HTTP/1.x request line */
	FLOW_R_MALFORMED,      /* a length or field that does not add up */
	FLOW_R_TOO_BIG,        /* the name did not come within the byte/field caps */
	FLOW_R_SEQUENCE,       /* a gap, or a resent byte that differs */
	FLOW_R_NO_SNI,         /* ClientHello without server_name host_name */
	FLOW_R_DUP_EXT,        /* an extension type twice */
	FLOW_R_NO_HOST,        /* request without Host */
	FLOW_R_DUP_HOST,       /* Host twice */
	FLOW_R_FOLDED,         /* obsolete line folding */
	FLOW_R_TARGET,         /* absolute or authority form: names another host */
	FLOW_R_BAD_NAME,       /* not a plain host name (IP literal, odd bytes) */
	FLOW_R_NOT_ALLOWED,    /* the name is not on the allowlist */
	FLOW_R_NOT_LEARNED,    /* allowed, but it never resolved to this address */
	FLOW_R_PORT,           /* not a port the check knows (80, 443) */
	FLOW_R_URGENT,         /* urgent data (URG) before the verdict */
	FLOW_R_TABLE_FULL,     /* more flows waiting for their first bytes than the table holds */
	FLOW_R_UNKNOWN_FLOW,   /* a packet of a flow the check does not know (swept, or never seen) */
};

/* Short fixed text for logs and EVENT lines ("no-sni", "not-learned"...). */
const char *flow_reason_text(enum flow_reason r);

/* The canonical form of the N name bytes at S into OUT: lowercase, one
 * trailing dot dropped.  Refuses (returns -1) an empty name or label, a
 * label over 63 or a name over 253 bytes, bytes outside [A-Za-z0-9_.-],
 * and a last label of digits only (an IPv4 literal is not a name).
 * Returns the length. */
int flow_name_canon(const uint8_t *s, size_t n, char out[FLOW_NAME_MAX + 1]);

#endif
