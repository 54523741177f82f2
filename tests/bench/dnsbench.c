/* DNS load for make bench (tests/integration/firewall-netns.sh builds it):
 * CLIENTS processes, each sending COUNT A queries for NAME to SERVER:53 one
 * at a time (the next after the answer), as a resolver library does.  NAME
 * with a "%u" gets a fresh number per query (nothing can be cached).
 * Prints one line: "qps=TOTAL/WALL median_us=M p99_us=P lost=L".
 *   dnsbench SERVER NAME COUNT [CLIENTS] */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t query(uint8_t *b, uint16_t id, const char *name)
{
	size_t n = 12;
	const char *l = name;

	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 0x01;            /* RD */
	b[5] = 1;
	while (*l) {
		const char *dot = strchr(l, '.');
		size_t len = dot ? (size_t)(dot - l) : strlen(l);

		b[n++] = (uint8_t)len;
		memcpy(b + n, l, len);
		n += len;
		l += len + (dot ? 1 : 0);
	}
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 1;             /* A */
	b[n++] = 0;
	b[n++] = 1;             /* IN */
	return n;
}

/* One client: COUNT queries, latencies (ns) into LAT; returns lost ones. */
static int client(const char *server, const char *name, int count, int64_t *lat, unsigned seed)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), lost = 0;

	inet_pton(AF_INET, server, &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return count;
	for (int i = 0; i < count; i++) {
		uint8_t q[300], r[1500];
		char nm[256];
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint16_t id = (uint16_t)(rand_r(&seed));
		int64_t t = now_ns();

		snprintf(nm, sizeof nm, name, seed * 100000u + (unsigned)i);
		if (send(fd, q, query(q, id, nm), 0) < 0)
			return count;
		lat[i] = -1;
		while (poll(&pfd, 1, 2000) > 0) {
			ssize_t n = recv(fd, r, sizeof r, 0);

			if (n >= 12 && (r[0] << 8 | r[1]) == id) {
				lat[i] = now_ns() - t;
				break;
			}
		}
		lost += lat[i] < 0;
	}
	close(fd);
	return lost;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int count, clients, lost = 0, n = 0;
	int64_t *lat, t0, wall;

	if (argc < 4) {
		fprintf(stderr, "usage: dnsbench SERVER NAME COUNT [CLIENTS]\n");
		return 2;
	}
	count = atoi(argv[3]);
	clients = argc > 4 ? atoi(argv[4]) : 1;
	if (count < 1 || clients < 1 || clients > 64)
		return 2;
	lat = mmap(NULL, sizeof *lat * (size_t)count * (size_t)clients, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED)
		return 1;
	t0 = now_ns();
	for (int c = 0; c < clients; c++)
		if (fork() == 0)
			_exit(client(argv[1], argv[2], count, lat + (size_t)c * (size_t)count, (unsigned)c + 1) ? 1 : 0);
	for (int c = 0; c < clients; c++) {
		int st;

		wait(&st);
	}
	wall = now_ns() - t0;
	for (size_t i = 0; i < (size_t)count * (size_t)clients; i++) {
		if (lat[i] < 0)
			lost++;
		else
			lat[n++] = lat[i];
	}
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("qps=%.0f median_us=%lld p99_us=%lld lost=%d\n", (double)n * 1e9 / (double)wall,
	       n ? (long long)(lat[n / 2] / 1000) : -1LL, n ? (long long)(lat[n * 99 / 100] / 1000) : -1LL, lost);
	return 0;
}
