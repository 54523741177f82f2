#include "firewall/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>

#include "common/util.h"

/* Pages of the batch: a message must fit into the overrun area. */
#define PAGE_SIZE_BATCH (128 * 1024)
#define PAGE_OVERRUN (96 * 1024)

int fw_batch_oom(struct cs_err *err)
{
	return cs_fail(err, ENOMEM, "building the nftables batch");
}

int fw_batch_init(struct fw_batch *fb, uint32_t seq, struct cs_err *err)
{
	memset(fb, 0, sizeof *fb);
	fb->b = nftnl_batch_alloc(PAGE_SIZE_BATCH, PAGE_OVERRUN);
	if (!fb->b)
		return fw_batch_oom(err);
	nftnl_batch_begin(nftnl_batch_buffer(fb->b), seq++);
	nftnl_batch_update(fb->b);
	fb->seq_first = fb->seq = seq;
	return 0;
}

int fw_batch_finish(struct fw_batch *fb, struct cs_err *err)
{
	int n;
	struct iovec *iov cleanup_free = NULL;

	nftnl_batch_end(nftnl_batch_buffer(fb->b), fb->seq++);
	if (nftnl_batch_update(fb->b) < 0)
		return fw_batch_oom(err);
	n = nftnl_batch_iovec_len(fb->b);
	iov = calloc(n > 0 ? (size_t)n : 1, sizeof *iov);
	if (!iov)
		return fw_batch_oom(err);
	nftnl_batch_iovec(fb->b, iov, (uint32_t)n);
	fb->bytes = 0;
	for (int i = 0; i < n; i++)
		fb->bytes += iov[i].iov_len;
	return 0;
}

void fw_batch_free(struct fw_batch *fb)
{
	if (fb->b)
		nftnl_batch_free(fb->b);
	free(fb->labels);
	memset(fb, 0, sizeof *fb);
}

const char *fw_batch_label(const struct fw_batch *fb, uint32_t seq, char *tmp, size_t tmpsz)
{
	size_t i = seq - fb->seq_first;

	if (seq >= fb->seq_first && i < fb->n_msgs)
		return fb->labels[i];
	snprintf(tmp, tmpsz, "message seq %u", seq);
	return tmp;
}

struct nlmsghdr *fw_batch_msg_begin(struct fw_batch *fb, uint16_t type, uint16_t flags,
				    const char *label, struct cs_err *err)
{
	if (fb->n_msgs == fb->labels_cap) {
		size_t ncap = fb->labels_cap ? fb->labels_cap * 2 : 64;
		void *grown = realloc(fb->labels, ncap * sizeof *fb->labels);

		if (!grown) {
			fw_batch_oom(err);
			return NULL;
		}
		fb->labels = grown;
		fb->labels_cap = ncap;
	}
	snprintf(fb->labels[fb->n_msgs++], FW_LABEL_MAX, "%s", label);
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(fb->b), type, NFPROTO_INET,
				     flags | NLM_F_ACK, fb->seq++);
}

int fw_batch_msg_end(struct fw_batch *fb, struct cs_err *err)
{
	if (nftnl_batch_update(fb->b) < 0)
		return fw_batch_oom(err);
	return 0;
}
