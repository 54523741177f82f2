/* The host's addresses the runner hands to the firewall's guard
 * (pod_host_addrs), checked against the kernel's IPv4 list read another way
 * (SIOCGIFCONF, not netlink). */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "firewall/guard.h"
#include "runner/docker/pod.h"

static bool listed(const cJSON *cmd, const char *addr)
{
	const cJSON *e;
	bool next = false;

	cJSON_ArrayForEach(e, cmd) {
		if (next && strcmp(e->valuestring, addr) == 0)
			return true;
		next = strcmp(e->valuestring, "--guard-host") == 0;
	}
	return false;
}

int main(void)
{
	cJSON *cmd = cJSON_CreateArray();
	struct cs_err err = { 0 };
	struct guard empty, seen;
	const cJSON *e;
	int n = 0, bad = 0, dup = 0, missing = 0, checked = 0, fd;
	struct ifreq ifr[64];
	struct ifconf ifc = { .ifc_len = sizeof ifr, .ifc_req = ifr };

	plan(6);
	guard_init(&empty);
	guard_init(&seen);
	is_int(pod_host_addrs(cmd, &err), 0, "host addresses collected (%s)", err.msg);
	cJSON_ArrayForEach(e, cmd) {
		unsigned char a[16];
		int fam;

		if (strcmp(e->valuestring, "--guard-host") != 0) {
			bad++;
			continue;
		}
		e = e->next;
		fam = e && strchr(e->valuestring, ':') ? AF_INET6 : AF_INET;
		if (!e || inet_pton(fam, e->valuestring, a) != 1 || guard_check(&empty, fam, a)) {
			bad++;
			if (!e)
				break;
			continue;
		}
		dup += guard_add_host(&seen, fam, a) == 0;
		n++;
	}
	is_int(bad, 0, "only '--guard-host ADDR' pairs, none already refused by range (%d addresses)", n);
	is_int(dup, 0, "no address twice");
	ok(!listed(cmd, "127.0.0.1") && !listed(cmd, "::1"), "loopback left out (the guard refuses it anyway)");

	/* every IPv4 address of an interface that is up, as SIOCGIFCONF sees it */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ok(fd >= 0 && ioctl(fd, SIOCGIFCONF, &ifc) == 0, "SIOCGIFCONF");
	for (int i = 0; fd >= 0 && i < (int)(ifc.ifc_len / (int)sizeof ifr[0]); i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ifr[i].ifr_addr;
		char t[INET_ADDRSTRLEN];

		if (guard_check(&empty, AF_INET, (const unsigned char *)&sin->sin_addr))
			continue;
		inet_ntop(AF_INET, &sin->sin_addr, t, sizeof t);
		checked++;
		if (!listed(cmd, t)) {
			missing++;
			printf("# missing: %s (%s)\n", t, ifr[i].ifr_name);
		}
	}
	if (fd >= 0)
		close(fd);
	ok(missing == 0, "every unguarded IPv4 address of the host is passed (%d checked)", checked);
	cJSON_Delete(cmd);
	return tap_done();
}
