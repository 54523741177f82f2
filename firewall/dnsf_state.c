#include "firewall/dnsf_state.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct dnsf_state *dnsf_state_new(const struct dnsf_cfg *cfg)
{
	struct dnsf_state *st = calloc(1, sizeof *st);

	if (!st)
		return NULL;
	st->cfg = cfg;
	for (int i = 0; i < DNSF_MAX_TCP; i++)
		st->c[i].fd = -1;
	for (int i = 0; i < DNSF_MAX_PENDING; i++)
		st->p[i].fd = st->p[i].sock = -1;
	for (int i = 0; i < DNSF_UPSOCKS; i++)
		st->us[i].fd = -1;
	if (dnscache_init(&st->cache, cfg->cache_off ? 0 : DNSCACHE_SLOTS, DNSCACHE_BYTES) < 0) {
		free(st);
		return NULL;
	}
	return st;
}

void dnsf_state_free(struct dnsf_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < DNSF_MAX_PENDING; i++) {
		if (st->p[i].fd >= 0)
			close(st->p[i].fd);
		free(st->p[i].in);
	}
	for (int i = 0; i < DNSF_MAX_TCP; i++) {
		if (st->c[i].fd >= 0)
			close(st->c[i].fd);
		free(st->c[i].out);
	}
	for (int i = 0; i < DNSF_UPSOCKS; i++)
		if (st->us[i].fd >= 0)
			close(st->us[i].fd);
	dnscache_free(&st->cache);
	free(st);
}

int64_t dnsf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint16_t dnsf_rand16(struct dnsf_state *st)
{
	uint16_t v;

	if (st->rnd_left < 2) {
		if (getrandom(st->rnd, sizeof st->rnd, 0) != (ssize_t)sizeof st->rnd) {
			/* never observed; fall back to something unpredictable enough */
			uint64_t t = (uint64_t)dnsf_now_ms() * 2654435761u;

			memcpy(st->rnd, &t, sizeof t);
		}
		st->rnd_left = sizeof st->rnd;
	}
	memcpy(&v, st->rnd + sizeof st->rnd - st->rnd_left, 2);
	st->rnd_left -= 2;
	return v;
}
