/* DNS message codec for the filter (RFC 1035, EDNS0 from RFC 6891).
 *
 * Pure and bounded: every read is checked against the message length,
 * compression pointers must point strictly backwards (so they cannot loop)
 * and at most DNS_MAX_JUMPS are followed, names are at most 255 octets on the
 * wire.  Runs only in the unprivileged DNS child (and in the fuzzers).
 *
 * Names are handled in two forms: the wire form (lowercased, uncompressed,
 * for exact comparison: unambiguous even when a label holds a '.') and a text
 * form that is only produced when every label is a plain host-name label
 * ([A-Za-z0-9_-]); anything else cannot be on the allowlist anyway.
 */
#ifndef FW_DNS_H
#define FW_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR 12
#define DNS_NAME_MAX 255        /* wire octets */
#define DNS_UDP_MAX_PLAIN 512   /* without EDNS */
#define DNS_UDP_MAX_EDNS 1232   /* what we advertise and accept over UDP */
#define DNS_TCP_MAX 65535
#define DNS_MAX_JUMPS 64        /* compression pointers followed per name */
#define DNS_MAX_CHAIN 16        /* CNAME links followed from the question */
#define DNS_MAX_ADDRS 64        /* A/AAAA kept from one answer */
#define DNS_MAX_RRS 512         /* answer-section RRs examined */

enum { DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
       DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41,
       DNS_T_SVCB = 64, DNS_T_HTTPS = 65, DNS_T_ANY = 255 };
enum { DNS_C_IN = 1 };
enum { DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
       DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5 };

/* Flag bits in the second 16-bit header word. */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_RCODE(f) ((f) & 0xf)

/* Parse errors (negative returns). */
enum { DNS_E_SHORT = -1, DNS_E_FORMAT = -2, DNS_E_NAME = -3, DNS_E_MISMATCH = -4,
       DNS_E_SPACE = -5 };

struct dns_name {
	uint8_t wire[DNS_NAME_MAX]; /* lowercased, uncompressed, ends with the 0 label */
	size_t len;
};

struct dns_query {
	uint16_t id, flags;
	struct dns_name qname;
	char text[256];             /* "" when the name is not a plain host name */
	uint16_t qtype, qclass;
	const uint8_t *qraw;        /* the question as received (case kept), in the caller's buffer */
	size_t qraw_len;
	bool edns;                  /* an OPT RR was present */
	uint16_t udp_size;          /* client's EDNS size, 512 without EDNS */
};

struct dns_addr {
	int family;                 /* AF_INET / AF_INET6 */
	uint8_t addr[16];
	uint32_t ttl;
};

struct dns_answer {
	uint16_t id, flags;
	int rcode;
	bool truncated;
	size_t n_chain;             /* names after the question: chain[0] is the first CNAME target */
	struct dns_name chain[DNS_MAX_CHAIN];
	uint32_t chain_ttl[DNS_MAX_CHAIN];
	size_t n_addr;
	struct dns_addr addr[DNS_MAX_ADDRS];
	size_t dropped;             /* A/AAAA beyond DNS_MAX_ADDRS */
	uint32_t min_ttl;           /* over the chain and the addresses; 0 if none */
};

/* Read a possibly compressed name at *OFF into OUT (lowercased wire form) and
 * advance *OFF past it in the message.  Returns 0 or a DNS_E_* code. */
int dns_read_name(const uint8_t *msg, size_t len, size_t *off, struct dns_name *out);

/* Text form of a wire name ("api.example.com", "." for the root).  Returns
 * the length, or -1 when a label holds anything but [a-z0-9_-]. */
int dns_name_text(const struct dns_name *n, char *out, size_t outsz);
/* Printable form of any wire name for logs: other bytes become \DDD.
 * Always NUL-terminates; truncates to OUTSZ. */
void dns_name_print(const struct dns_name *n, char *out, size_t outsz);

/* Parse a query: QR=0, exactly one question, no answer/authority records,
 * an optional OPT in the additional section.  Returns 0 or DNS_E_*.  Q's
 * pointers refer into MSG, which must outlive Q.  On DNS_E_FORMAT with at
 * least a header, Q->id and Q->flags are set (for a FORMERR reply). */
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);

/* Parse an upstream answer to the question (QNAME, QTYPE, class IN): the
 * header must be a response with one question equal to the query's (case
 * insensitive).  Follows the CNAME chain from QNAME through the answer
 * section, accepting only RRs whose owner is the current end of the chain
 * (others are ignored), then collects the A (QTYPE A) or AAAA (QTYPE AAAA)
 * records owned by the last name.  Returns 0 or DNS_E_*. */
int dns_parse_answer(const uint8_t *msg, size_t len, const struct dns_name *qname,
		     uint16_t qtype, struct dns_answer *a);

/* Build a reply to Q into OUT: header (Q's id, QR, RD copied, RA, RCODE),
 * the question exactly as received, then - when A is not NULL - the chain as
 * CNAME RRs and the A/AAAA records in A (TTLs capped at TTL_CAP), then an OPT
 * RR when the query had one.  RRs that do not fit into MAXLEN are left out
 * and TC is set.  Returns the length, or DNS_E_SPACE. */
int dns_build_reply(uint8_t *out, size_t maxlen, const struct dns_query *q, int rcode,
		    const struct dns_answer *a, uint32_t ttl_cap);

/* Build a fresh query (id ID, RD, one question from Q with the case of the
 * client's question, EDNS OPT advertising DNS_UDP_MAX_EDNS) - nothing else
 * of the client's message reaches the upstream.  Returns length or DNS_E_SPACE. */
int dns_build_query(uint8_t *out, size_t maxlen, uint16_t id, const struct dns_query *q);

/* Name of a query type for events ("A", "AAAA", "TYPE99"); OUT >= 16. */
const char *dns_type_name(uint16_t t, char *out, size_t outsz);

#endif
