/* The TLS ClientHello at the start of a TCP stream: its server_name and
 * whether it offers Encrypted Client Hello.  Pure and bounded: reads only
 * the LEN bytes it is given, allocates nothing (one 16 KiB stack buffer for
 * the handshake bytes when the hello spans several records).
 *
 * What is refused (a client that needs any of it is not one we let name a
 * shared address):
 *   - a first record that is not a handshake record of TLS major version 3,
 *     an empty or over-2^14 record, a first handshake message that is not a
 *     ClientHello, or one longer than TLS_HELLO_MAX;
 *   - lengths that do not add up (session id over 32, odd cipher list,
 *     extensions that do not end exactly where the hello ends);
 *   - an extension type that occurs twice, more than TLS_EXT_MAX extensions;
 *   - no server_name, or one whose list is not exactly one host_name entry;
 *   - a host_name that is not a plain host name (flow_name_canon).
 * With ECH (encrypted_client_hello, 0xfe0d) the server_name seen here is the
 * outer, public name: that is the name judged.
 */
#ifndef FW_TLSHELLO_H
#define FW_TLSHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/flowname.h"

#define TLS_HELLO_MAX 16384     /* handshake bytes of the ClientHello (header included) */
#define TLS_EXT_MAX 128
#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_ECH 0xfe0d

struct tls_hello {
	char sni[FLOW_NAME_MAX + 1];  /* canonical (flow_name_canon) */
	bool ech;                     /* offers encrypted_client_hello */
};

/* Parse the first LEN bytes of the client's stream.  Returns 1 with OUT
 * filled once the whole ClientHello is there, 0 when more bytes are needed
 * (nothing seen so far is wrong), or -reason (enum flow_reason). */
int tls_hello_parse(const uint8_t *stream, size_t len, struct tls_hello *out);

#endif
