/* Live EVENT conn lines (firewall/parent_conn.h) without root: the test
 * feeds what a dump of the blocked sets would list and reads the parent's
 * stdout.  A new key is reported with its packets, a grown counter with the
 * packets since the last line, an unchanged one not at all; the name that
 * led to an address comes along; the rate limit delays, never loses. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "firewall/config.h"
#include "firewall/parent.h"
#include "firewall/privsep.h"

static struct fw_parent *pp;

#define like(got, want, ...) ok(strstr((got), (want)) != NULL, __VA_ARGS__)

static int no_insert(void *ctx, const struct fw_elem *e4, size_t n4, const struct fw_elem *e6,
		     size_t n6, struct cs_err *err)
{
	(void)ctx; (void)e4; (void)n4; (void)e6; (void)n6; (void)err;
	return 0;
}

/* One dump listing ADDR proto PROTO port PORT with PACKETS; its stdout. */
static const char *seen(const char *ip, uint8_t proto, uint16_t port, uint64_t packets)
{
	static char out[8192];
	unsigned char a[16] = { 0 };
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET, pfd[2], saved;
	ssize_t n;

	inet_pton(family, ip, a);
	fflush(stdout);
	if (pipe(pfd) < 0)
		return "";
	saved = dup(1);
	dup2(pfd[1], 1);
	parent_conn_seen(&pp->conn, family, a, proto, port, packets);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(pfd[1]);
	n = read(pfd[0], out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	return out;
}

int main(void)
{
	struct fw_config cfg;
	struct cs_err err = { 0 };
	struct fw_msg m = { .op = FW_OP_ALLOW, .family = AF_INET, .ttl = 300 };
	int sp[2];

	plan(13);
	fw_config_defaults(&cfg);
	allowlist_add_text(&cfg.al, "named.test", "test", &err);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0 || !(pp = fw_parent_new(&cfg, sp[0], no_insert, NULL)))
		return 1;

	is_str(seen("203.0.113.5", 6, 443, 3),
	       "EVENT {\"type\":\"conn\",\"addr\":\"203.0.113.5\",\"proto\":\"tcp\",\"port\":443,\"count\":3}\n",
	       "a new key: one EVENT with its packets");
	is_str(seen("203.0.113.5", 6, 443, 3), "", "the same count again: nothing");
	like(seen("203.0.113.5", 6, 443, 7), "\"count\":4}", "the counter grew: the packets since the last line");
	like(seen("203.0.113.5", 6, 443, 2), "\"count\":2}", "smaller (the element came back): its packets");
	like(seen("2001:db8::9", 17, 53, 1), "\"addr\":\"2001:db8::9\",\"proto\":\"udp\",\"port\":53",
	     "IPv6 and UDP");
	like(seen("203.0.113.5", 1, 0, 1), "\"proto\":\"icmp\",\"port\":0", "ICMP");

	/* an address a name led to: the name comes along */
	snprintf(m.name, sizeof m.name, "named.test");
	inet_pton(AF_INET, "198.51.100.12", m.addr);
	send(sp[1], &m, sizeof m, 0);
	fw_parent_handle(pp);
	like(seen("198.51.100.12", 6, 80, 1), "\"count\":1,\"name\":\"named.test\"}",
	     "the name that resolved to the address is named");

	/* the rate limit: what it swallows is carried to the next scan */
	{
		int lines = 0;
		char ip[32];

		for (int i = 0; i < 40; i++) {
			snprintf(ip, sizeof ip, "192.0.2.%d", i + 1);
			lines += *seen(ip, 6, 22, 5) != '\0';
		}
		ok(lines < 40, "40 new keys at once: the rate limit holds some back (%d printed)", lines);
		ok(fw_parent_may_emit(pp, FW_EV_FLOW) && fw_parent_may_emit(pp, FW_EV_DNS),
		   "...a conn flood leaves the first-bytes and DNS refusals their own budget");
		ok(!fw_parent_may_emit(pp, FW_EV_CONN), "...while conn lines wait");
		sleep(1);
		like(seen("192.0.2.40", 6, 22, 6), "\"count\":6}",
		     "...a held-back key is reported later with all its packets");
		is_str(seen("192.0.2.1", 6, 22, 5), "", "...a reported one is not repeated");
	}
	ok(parent_conn_timeout(&pp->conn, 0) == 0, "a scan is due at the start");
	fw_parent_free(pp);
	allowlist_free(&cfg.al);
	close(sp[0]);
	close(sp[1]);
	return tap_done();
}
