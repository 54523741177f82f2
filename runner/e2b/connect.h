/* The Connect protocol as envd speaks it (JSON codec), pure: no I/O.
 *
 * A streaming body is a sequence of envelopes: 1 flag byte, a big-endian
 * uint32 payload length, the payload (docs/E2B-PROTOCOL.md 3.1).
 * Flag 0x02 marks the end-stream envelope ({} or {"error":{code,message}});
 * flag 0x01 (compressed) is refused, as connect-web refuses it.  Envelopes
 * arrive split across or packed into curl chunks arbitrarily, so the decoder
 * buffers, with a hard limit per envelope: the bytes come from the network
 * and are untrusted (tests/fuzz/fuzz_connect.c).
 *
 * Process events ({"event":{start|data|keepalive|end}}) are parsed here too,
 * with the protojson rules: zero values omitted, bytes as base64 (standard
 * or URL-safe, padded or not). */
#ifndef CS_CONNECT_H
#define CS_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define CONNECT_FLAG_COMPRESSED 0x01
#define CONNECT_FLAG_END_STREAM 0x02
/* envd sends data in chunks of at most 32 KiB (base64: ~44 KiB); anything
 * near this limit is a broken or hostile peer. */
#define CONNECT_MSG_MAX (4u << 20)

/* Append one envelope (flags, length, payload) to OUT. */
int connect_envelope(struct buf *out, uint8_t flags, const void *payload, size_t len)
	__attribute__((warn_unused_result));

struct connect_decoder {
	struct buf in;   /* unconsumed bytes */
	size_t off;      /* start of the next envelope in `in` */
	size_t max_msg;
	bool failed;
};

void connect_decoder_init(struct connect_decoder *d, size_t max_msg);
void connect_decoder_free(struct connect_decoder *d);
/* Add received bytes.  -1 (errno E2BIG/ENOMEM) when they cannot be held. */
int connect_decoder_feed(struct connect_decoder *d, const void *data, size_t len);
/* The next complete envelope: returns 1 with FLAGS/PAYLOAD/LEN (valid until
 * the next feed or next call), 0 when more bytes are needed, -1 on a
 * protocol error (errno EPROTO: compressed or unknown flags; E2BIG: longer
 * than max_msg).  After -1 the decoder stays failed. */
int connect_decoder_next(struct connect_decoder *d, uint8_t *flags, const char **payload,
			 size_t *len);
/* Bytes received but not yet returned as an envelope (a stream that ends
 * with some is truncated). */
size_t connect_decoder_pending(const struct connect_decoder *d);

enum connect_event_kind {
	CEV_UNKNOWN,     /* a valid message we do not use: ignore it */
	CEV_START,
	CEV_DATA,
	CEV_KEEPALIVE,
	CEV_END,
};

enum connect_stream { CSTREAM_PTY, CSTREAM_STDOUT, CSTREAM_STDERR };

struct connect_event {
	enum connect_event_kind kind;
	uint32_t pid;                /* START */
	enum connect_stream stream;  /* DATA */
	unsigned char *data;         /* DATA: decoded bytes (malloc'd) */
	size_t len;
	int exit_code;               /* END: exitCode (0 when omitted, -1 signal) */
	bool exited;                 /* END */
	char status[64];             /* END: "exit status 1", "signal: killed" */
	char error[128];             /* END */
};

/* Parse a data envelope's payload.  0 on success (EV filled; free with
 * connect_event_free), -1 when it is not the JSON object a process stream
 * carries (or its base64 is invalid). */
int connect_parse_event(const char *payload, size_t len, struct connect_event *ev);
void connect_event_free(struct connect_event *ev);

/* Parse an end-stream payload.  Returns 0 for success ({} or no error),
 * 1 when it carries an error (CODE and MSG filled), -1 when it is not JSON. */
int connect_parse_end(const char *payload, size_t len, char *code, size_t codesz,
		      char *msg, size_t msgsz);

/* Exit status of an END event as a shell reports it: the exit code, or
 * 128+N when the process died by signal N (from "signal: killed" etc.). */
int connect_end_status(const struct connect_event *ev);

/* Base64 (RFC 4648).  Encode appends standard padded base64 to OUT.
 * Decode accepts standard and URL-safe alphabets, padded or not; OUT must
 * hold len*3/4+3 bytes; returns the decoded length or -1 when invalid. */
int b64_encode(struct buf *out, const void *data, size_t len) __attribute__((warn_unused_result));
long b64_decode(const char *in, size_t len, unsigned char *out);

#endif
