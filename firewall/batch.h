/* One nftables batch under construction (libnftnl), built without a socket.
 *
 * Every message in it asks for an ACK and carries a label, so a kernel error
 * can be reported as "kernel refused <label>: <errno>" (firewall/nl.h sends
 * the batch and collects the ACKs).
 */
#ifndef FW_BATCH_H
#define FW_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define FW_LABEL_MAX 64

struct nftnl_batch;
struct nlmsghdr;

/* A batch under construction plus what each ACKed message was. */
struct fw_batch {
	struct nftnl_batch *b;
	uint32_t seq_first;          /* seq of the first labelled message */
	uint32_t seq;                /* next seq */
	size_t n_msgs;               /* messages that will be ACKed */
	char (*labels)[FW_LABEL_MAX];
	size_t labels_cap;
	size_t bytes;                /* total length (for SO_SNDBUF) */
};

/* Start a batch (BATCH_BEGIN with SEQ).  Returns 0 or -1 (ENOMEM). */
int fw_batch_init(struct fw_batch *fb, uint32_t seq, struct cs_err *err);
/* Append BATCH_END; call once before sending. */
int fw_batch_finish(struct fw_batch *fb, struct cs_err *err);
/* Frees what FB holds; safe on a zeroed or already freed batch. */
void fw_batch_free(struct fw_batch *fb);
/* Label of the message with SEQ, or "message seq N" if unknown. */
const char *fw_batch_label(const struct fw_batch *fb, uint32_t seq, char *tmp, size_t tmpsz);

/* Reserve the next message (TYPE, FLAGS | NLM_F_ACK, family inet) and record
 * LABEL for its ACK.  Returns the header to fill, or NULL with ERR. */
struct nlmsghdr *fw_batch_msg_begin(struct fw_batch *fb, uint16_t type, uint16_t flags,
				    const char *label, struct cs_err *err);
/* Close the message fw_batch_msg_begin opened.  Returns 0 or -1 with ERR. */
int fw_batch_msg_end(struct fw_batch *fb, struct cs_err *err);

/* The builders' one failure that is not a programming error. */
int fw_batch_oom(struct cs_err *err);

static inline void fw_batch_freep(struct fw_batch *fb) { fw_batch_free(fb); }
/* A batch owned by a scope: declare it zeroed or fw_batch_init it first. */
#define cleanup_fw_batch __attribute__((cleanup(fw_batch_freep)))

#endif
