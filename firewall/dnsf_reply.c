#include "firewall/dnsf_reply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firewall/dns_ede.h"

void dnsf_conn_close(struct dnsf_state *st, int i)
{
	struct dnsf_conn *c = &st->c[i];

	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

void dnsf_conn_flush(struct dnsf_state *st, int i)
{
	struct dnsf_conn *c = &st->c[i];

	while (c->out && c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				dnsf_conn_close(st, i);
			return;
		}
		c->out_off += (size_t)w;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->busy = false;
	c->deadline = dnsf_now_ms() + DNSF_TCP_IDLE_MS;
}

static void send_reply(struct dnsf_state *st, const struct dnsf_client *cl, const uint8_t *msg,
		       size_t len)
{
	struct dnsf_conn *c;

	if (!cl->tcp) {
		(void)sendto(st->cfg->udp_fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)&cl->sa,
			     cl->salen);
		return;
	}
	c = &st->c[cl->conn];
	if (c->fd < 0 || c->gen != cl->gen || c->out)
		return;                 /* the client went away meanwhile */
	if (!(c->out = malloc(len + 2))) {
		dnsf_conn_close(st, cl->conn);
		return;
	}
	c->out[0] = (uint8_t)(len >> 8);
	c->out[1] = (uint8_t)len;
	memcpy(c->out + 2, msg, len);
	c->out_len = len + 2;
	c->out_off = 0;
	dnsf_conn_flush(st, cl->conn);
}

static size_t reply_max(const struct dnsf_client *cl, const struct dns_query *q)
{
	if (cl->tcp)
		return DNS_TCP_MAX;
	if (!q->edns)
		return DNS_UDP_MAX_PLAIN;
	return q->udp_size < DNS_UDP_MAX_EDNS ? q->udp_size : DNS_UDP_MAX_EDNS;
}

void dnsf_reply(struct dnsf_state *st, const struct dnsf_client *cl, const struct dns_query *q,
		int rcode, const struct dns_answer *a)
{
	uint8_t out[DNS_TCP_MAX];
	int n = dns_build_reply(out, reply_max(cl, q), q, rcode, a, st->cfg->ttl_cap);

	if (n > 0)
		send_reply(st, cl, out, (size_t)n);
}

void dnsf_reply_blocked(struct dnsf_state *st, const struct dnsf_client *cl, const struct dns_query *q)
{
	uint8_t out[DNS_TCP_MAX];
	char text[512];
	size_t max = reply_max(cl, q);
	int n = dns_build_reply(out, max, q, DNS_R_NXDOMAIN, NULL, 0);

	if (n <= 0)
		return;
	if (q->edns) {
		dns_ede_refused_text(text, sizeof text, st->cfg->sandbox_id, q->text);
		n = (int)dns_add_ede(out, (size_t)n, max, DNS_EDE_BLOCKED, text);
	}
	send_reply(st, cl, out, (size_t)n);
}

void dnsf_reply_formerr(struct dnsf_state *st, const struct dnsf_client *cl, const struct dns_query *q)
{
	uint8_t h[DNS_HDR] = { 0 };
	uint16_t f = (uint16_t)(DNS_F_QR | (q->flags & (0x7800 | DNS_F_RD)) | DNS_R_FORMERR);

	h[0] = (uint8_t)(q->id >> 8);
	h[1] = (uint8_t)q->id;
	h[2] = (uint8_t)(f >> 8);
	h[3] = (uint8_t)f;
	send_reply(st, cl, h, sizeof h);
}
