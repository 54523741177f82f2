#include "runner/docker/mux.h"

#include <string.h>

void mux_init(struct mux *m, void (*cb)(void *, int, const char *, size_t), void *ctx)
{
	memset(m, 0, sizeof *m);
	m->cb = cb;
	m->ctx = ctx;
}

void mux_feed(struct mux *m, const char *data, size_t len)
{
	while (len) {
		if (m->left == 0) {
			size_t take = 8 - m->have;

			if (take > len)
				take = len;
			memcpy(m->hdr + m->have, data, take);
			m->have += take;
			data += take;
			len -= take;
			if (m->have < 8)
				return;
			m->have = 0;
			m->stream = m->hdr[0];
			m->left = ((size_t)m->hdr[4] << 24) | ((size_t)m->hdr[5] << 16) |
				  ((size_t)m->hdr[6] << 8) | m->hdr[7];
			continue;
		}
		{
			size_t take = m->left < len ? m->left : len;

			m->cb(m->ctx, m->stream, data, take);
			data += take;
			len -= take;
			m->left -= take;
		}
	}
}
