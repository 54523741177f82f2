/* Speed of the first-bytes judge (firewall/flowcheck.c): ns per ClientHello
 * (a post-quantum sized one in two segments, and a small one in one) and
 * per HTTP request.  Prints figures, never pass/fail.
 *   cc -O2 -I. -Itests/unit tests/bench/flowcheck_bench.c build/libfw.a build/libcommon.a */
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "flowhello.h"
#include "firewall/flowcheck.h"

static bool learned(void *ctx, const char *name, int family, const unsigned char *addr)
{
	(void)ctx; (void)name; (void)family; (void)addr;
	return true;
}

static uint8_t hs[20000], st[24000];
static struct flowcheck fc;

static double run(struct flow_judge *j, uint16_t port, const uint8_t *s, size_t n, size_t cut, int iters)
{
	const unsigned char a[4] = { 203, 0, 113, 10 };
	struct timespec t0, t1;
	int allowed = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < iters; i++) {
		flowcheck_init(&fc, j, AF_INET, a, port, 1000);
		if (cut)
			flowcheck_feed(&fc, 1001, s, cut);
		allowed += flowcheck_feed(&fc, 1001 + (uint32_t)cut, s + cut, n - cut) == FLOW_ALLOW;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (allowed != iters)
		printf("# bench: not allowed!\n");
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / iters;
}

int main(void)
{
	struct allowlist al;
	struct flow_judge j = { &al, learned, NULL };
	struct hello_opts o = { .sni = "api.allowed.test", .pq = 1184 };
	struct cs_err err;
	const char *req = "GET / HTTP/1.1\r\nHost: api.allowed.test\r\nUser-Agent: x/1\r\nAccept: */*\r\n\r\n";
	size_t n;

	allowlist_init(&al);
	allowlist_add_text(&al, "api.allowed.test *.cdn.test", "bench", &err);
	n = wrap_records(st, hs, build_hello(hs, &o), 16384);
	printf("# bench: flowcheck ClientHello %zu bytes (ML-KEM share), 2 segments: %.0f ns\n", n,
	       run(&j, 443, st, n, 1448, 200000));
	o.pq = 0;
	n = wrap_records(st, hs, build_hello(hs, &o), 16384);
	printf("# bench: flowcheck ClientHello %zu bytes, 1 segment: %.0f ns\n", n, run(&j, 443, st, n, 0, 200000));
	printf("# bench: flowcheck HTTP request %zu bytes: %.0f ns\n", strlen(req),
	       run(&j, 80, (const uint8_t *)req, strlen(req), 0, 200000));
	allowlist_free(&al);
	return 0;
}
