/* getaddrinfo through /etc/resolv.conf, for tests/integration/41-dns-aaaa.sh,
 * which builds it static against musl: Codex is a static musl binary, and
 * musl fails a whole AF_UNSPEC lookup when its A or its AAAA answer carries
 * an error rcode (glibc would keep the A).
 *
 *   fwtest_gai NAME [4|6]   prints "OK ADDR[,ADDR...]" (exit 0) or
 *                           "FAIL <gai_strerror> (<code>)" (exit 1)
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	const char *sep = "";
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s NAME [4|6]\n", argv[0]);
		return 2;
	}
	hints.ai_family = argc < 3 ? AF_UNSPEC : argv[2][0] == '4' ? AF_INET : AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(argv[1], "80", &hints, &res);
	if (r != 0) {
		printf("FAIL %s (%d)\n", gai_strerror(r), r);
		return 1;
	}
	printf("OK ");
	for (ai = res; ai; ai = ai->ai_next) {
		char buf[INET6_ADDRSTRLEN];
		const void *a = ai->ai_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		printf("%s%s", sep, inet_ntop(ai->ai_family, a, buf, sizeof buf) ? buf : "?");
		sep = ",";
	}
	printf("\n");
	freeaddrinfo(res);
	return 0;
}
