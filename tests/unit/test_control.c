/* The control channel (firewall/control.h) without root: a real listening
 * socket in a private temporary directory, the test as the runner's
 * client and as the DNS child (a SOCK_SEQPACKET pair), recorders for the
 * netlink seams.  What must hold: a valid allow/deny reaches the parent's
 * list, the table (IP/CIDR) and the child (names); a deny closes the
 * DNS-learned addresses the name opened; anything malformed (wrong size,
 * unknown op, unterminated or bad entry) is answered and changes nothing;
 * the number of clients is bounded; the child takes list changes only in
 * the parent's message shape. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "firewall/config.h"
#include "firewall/control.h"
#include "firewall/control_apply.h"
#include "firewall/dnsf_control.h"
#include "firewall/dnsf_state.h"
#include "firewall/parent.h"
#include "firewall/privsep.h"

struct rec {
	int net_calls, drops;
	size_t net_entries;
	bool fail;
	uint8_t dropped[16];
};

static struct rec rec;
static struct fw_parent *pp;
static int child_fd;
static char sock_path[108];

static int rec_net(void *ctx, const struct allowlist *al, struct cs_err *err)
{
	(void)ctx;
	if (rec.fail)
		return cs_fail(err, ENOSPC, "kernel refused elements of allow4_net");
	rec.net_calls++;
	rec.net_entries = 0;
	for (size_t i = 0; i < al->n; i++)
		rec.net_entries += al->v[i].kind != ALLOW_HOST && al->v[i].kind != ALLOW_WILDCARD;
	return 0;
}

static int rec_drop(void *ctx, int family, const uint8_t *addr, struct cs_err *err)
{
	(void)ctx;
	(void)err;
	rec.drops++;
	memcpy(rec.dropped, addr, family == AF_INET ? 4 : 16);
	return 0;
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	return fd;
}

/* One round of the parent's loop for the control channel only. */
static void serve(void)
{
	struct pollfd pfd[FW_CTL_POLLFDS];

	fw_control_pollfds(&pp->ctl, pfd);
	if (poll(pfd, FW_CTL_POLLFDS, 200) > 0)
		fw_control_serve(&pp->ctl, pfd);
}

/* Send LEN bytes of BUF on FD, serve, read one reply into R: 0 or -1. */
static int roundtrip(int fd, const void *buf, size_t len, struct fw_ctl_reply *r)
{
	struct fw_ctl_reply raw;
	ssize_t n;

	if (send(fd, buf, len, 0) != (ssize_t)len)
		return -1;
	serve();
	n = recv(fd, &raw, sizeof raw, MSG_DONTWAIT | MSG_TRUNC);
	return fw_ctl_reply_decode(&raw, n, r);
}

static int req(int fd, uint32_t op, const char *entry, struct fw_ctl_reply *r)
{
	struct fw_ctl_req q;

	fw_ctl_req_encode(&q, op, 7, entry);
	return roundtrip(fd, &q, sizeof q, r);
}

/* What the parent told the child: the op, with the name in NAME; 0 if none. */
static uint32_t told(char *name, size_t namesz)
{
	struct fw_msg m;

	if (recv(child_fd, &m, sizeof m, MSG_DONTWAIT) != (ssize_t)sizeof m)
		return 0;
	snprintf(name, namesz, "%s", m.name);
	return m.op;
}

/* Forget what the parent told the child so far. */
static void drain_child(void)
{
	struct fw_msg m;

	while (recv(child_fd, &m, sizeof m, MSG_DONTWAIT) > 0)
		;
}

/* The child asks for ADDR because NAME resolved to it: the ack status. */
static int child_allow(const char *name, const char *ip)
{
	struct fw_msg m;
	struct fw_ack a;

	memset(&m, 0, sizeof m);
	m.op = FW_OP_ALLOW;
	m.seq = 99;
	m.family = AF_INET;
	m.ttl = 300;
	inet_pton(AF_INET, ip, m.addr);
	snprintf(m.name, sizeof m.name, "%s", name);
	send(child_fd, &m, sizeof m, 0);
	fw_parent_handle(pp);
	return recv(child_fd, &a, sizeof a, MSG_DONTWAIT) == (ssize_t)sizeof a ? a.status : -1;
}

static int rec_insert(void *ctx, const struct fw_elem *e4, size_t n4, const struct fw_elem *e6,
		      size_t n6, struct cs_err *err)
{
	(void)ctx, (void)e4, (void)n4, (void)e6, (void)n6, (void)err;
	return 0;
}

static void test_codec(void)
{
	struct fw_ctl_req q, out;
	struct fw_ctl_reply r, rout;
	char why[128], big[400];

	ok(fw_ctl_req_encode(&q, FW_CTL_ALLOW, 1, "example.com") == 0 &&
	   fw_ctl_req_decode(&q, sizeof q, &out, why, sizeof why) == 0 &&
	   strcmp(out.entry, "example.com") == 0, "codec: a request round-trips");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ok(fw_ctl_req_encode(&q, FW_CTL_ALLOW, 1, big) < 0, "codec: an entry over 255 bytes is refused");
	fw_ctl_req_encode(&q, FW_CTL_ALLOW, 1, "example.com");
	ok(fw_ctl_req_decode(&q, sizeof q - 1, &out, why, sizeof why) < 0 && strstr(why, "bytes"),
	   "codec: a short message is refused (%s)", why);
	ok(fw_ctl_req_decode(&q, 0, &out, why, sizeof why) < 0, "codec: an empty message is refused");
	q.op = 9;
	ok(fw_ctl_req_decode(&q, sizeof q, &out, why, sizeof why) < 0, "codec: an unknown op is refused");
	q.op = FW_CTL_ALLOW;
	memset(q.entry, 'a', sizeof q.entry);
	ok(fw_ctl_req_decode(&q, sizeof q, &out, why, sizeof why) < 0 && strstr(why, "terminated"),
	   "codec: an unterminated entry is refused");
	fw_ctl_req_encode(&q, FW_CTL_ALLOW, 1, "a.com b.com");
	ok(fw_ctl_req_decode(&q, sizeof q, &out, why, sizeof why) < 0, "codec: two entries in one are refused");
	fw_ctl_req_encode(&q, FW_CTL_DENY, 1, "");
	ok(fw_ctl_req_decode(&q, sizeof q, &out, why, sizeof why) < 0, "codec: an empty entry is refused");
	memset(&r, 0, sizeof r);
	r.status = FW_CTL_OK;
	snprintf(r.text, sizeof r.text, "a\033[2Jb");
	ok(fw_ctl_reply_decode(&r, sizeof r, &rout) == 0 && strcmp(rout.text, "a?[2Jb") == 0,
	   "codec: control bytes of a reply are made '?'");
	r.status = 42;
	ok(fw_ctl_reply_decode(&r, sizeof r, &rout) < 0, "codec: an unknown reply status is refused");
}

static void test_allow_deny(int fd)
{
	struct fw_ctl_reply r;
	char name[300];
	size_t n0 = pp->cfg->al.n;

	ok(child_allow("new.test", "203.0.113.20") == FW_ACK_INVALID, "before: new.test is refused");
	ok(req(fd, FW_CTL_ALLOW, "NEW.test.", &r) == 0 && r.status == FW_CTL_OK && r.seq == 7,
	   "allow new.test: OK (%s)", r.text);
	ok(told(name, sizeof name) == FW_OP_CTL_ALLOW && strcmp(name, "new.test") == 0,
	   "...the child is told the canonical entry");
	ok(allowlist_match_name(&pp->cfg->al, "new.test"), "...the parent's list has it");
	ok(child_allow("new.test", "203.0.113.20") == FW_ACK_OK, "...and its addresses are inserted");
	ok(req(fd, FW_CTL_ALLOW, "new.test", &r) == 0 && r.status == FW_CTL_OK &&
	   strstr(r.text, "already") && told(name, sizeof name) == FW_OP_CTL_ALLOW,
	   "allow again: already allowed, the child is told again (idempotent)");
	is_int(rec.net_calls, 0, "names never touch the interval sets");

	ok(req(fd, FW_CTL_ALLOW, "198.51.100.0/24", &r) == 0 && r.status == FW_CTL_OK,
	   "allow a CIDR: OK");
	ok(rec.net_calls == 1 && rec.net_entries == 2, "...the interval sets are rewritten with both IP entries");
	ok(told(name, sizeof name) == FW_OP_CTL_ALLOW && strcmp(name, "198.51.100.0/24") == 0,
	   "...the child is told too (its rebinding guard lets the range through)");
	rec.fail = true;
	ok(req(fd, FW_CTL_ALLOW, "198.51.101.0/24", &r) == 0 && r.status == FW_CTL_FAILED &&
	   strstr(r.text, "kernel"), "a kernel failure: FAILED with its reason");
	ok(!allowlist_match_addr(&pp->cfg->al, AF_INET, (const unsigned char *)"\xc6\x33\x65\x01"),
	   "...and the entry is not on the list");
	rec.fail = false;

	static const char *const bad[] = { "http://x.test/", "*.com", "10.0.0.1/8", "x..test",
					   "0.0.0.0/0", "a.test:443", NULL };
	size_t before = pp->cfg->al.n;
	int calls = rec.net_calls;

	for (int i = 0; bad[i]; i++)
		ok(req(fd, FW_CTL_ALLOW, bad[i], &r) == 0 && r.status == FW_CTL_BAD && r.text[0],
		   "bad entry '%s': BAD (%s)", bad[i], r.text);
	ok(pp->cfg->al.n == before && rec.net_calls == calls && told(name, sizeof name) == 0,
	   "...none changed the list, the table or the child");

	ok(req(fd, FW_CTL_DENY, "new.test", &r) == 0 && r.status == FW_CTL_OK && strstr(r.text, "1 learned"),
	   "deny new.test: OK (%s)", r.text);
	ok(told(name, sizeof name) == FW_OP_CTL_DENY && strcmp(name, "new.test") == 0, "...the child is told");
	ok(rec.drops == 1 && memcmp(rec.dropped, "\xcb\x00\x71\x14", 4) == 0,
	   "...the address only it opened is removed from allow4");
	ok(child_allow("new.test", "203.0.113.20") == FW_ACK_INVALID, "...and the child can no longer open it");
	ok(child_allow("allowed.test", "203.0.113.21") == FW_ACK_OK, "other names are untouched");
	ok(req(fd, FW_CTL_DENY, "new.test", &r) == 0 && r.status == FW_CTL_OK && strstr(r.text, "not on") &&
	   told(name, sizeof name) == FW_OP_CTL_DENY, "deny again: was not on the list, the child is told again");
	ok(req(fd, FW_CTL_DENY, "198.51.100.0/24", &r) == 0 && r.status == FW_CTL_OK &&
	   rec.net_entries == 1 && told(name, sizeof name) == FW_OP_CTL_DENY,
	   "deny the CIDR: the interval sets are rewritten without it, the child is told");
	is_int(pp->cfg->al.n, n0, "the list is back to where it started");
}

/* R5.34: a deny closes what the name opened even once the parent's
 * bounded names tally is full (the address's name is then unknown). */
static void test_deny_tally_full(int fd)
{
	struct fw_ctl_reply r;
	char name[300], key[64];
	bool first;
	int drops = rec.drops;

	drain_child();

	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof key, "fill%d.test", i);
		if (!tally_hit(&pp->names, key, 0, &first))
			break;
	}
	ok(req(fd, FW_CTL_ALLOW, "late.test", &r) == 0 && r.status == FW_CTL_OK &&
	   told(name, sizeof name) == FW_OP_CTL_ALLOW, "tally full: allow late.test");
	ok(child_allow("late.test", "203.0.113.30") == FW_ACK_OK, "...its address is inserted");
	ok(req(fd, FW_CTL_DENY, "late.test", &r) == 0 && r.status == FW_CTL_OK &&
	   told(name, sizeof name) == FW_OP_CTL_DENY, "deny late.test: OK (%s)", r.text);
	ok(rec.drops == drops + 1 && memcmp(rec.dropped, "\xcb\x00\x71\x1e", 4) == 0,
	   "...the address it opened is closed though its name was never recorded");
}

/* R5.34: a deny the child could not be told about (its channel full) is
 * FAILED, and a retry tells the child although the parent's list already
 * agrees. */
static void test_deny_retry(int fd)
{
	struct fw_ctl_reply r;
	struct fw_msg m;
	char name[300];
	int full = 0;

	drain_child();

	ok(req(fd, FW_CTL_ALLOW, "retry.test", &r) == 0 && r.status == FW_CTL_OK &&
	   told(name, sizeof name) == FW_OP_CTL_ALLOW, "allow retry.test");
	memset(&m, 0, sizeof m);
	m.op = FW_OP_CTL_ALLOW;
	while (full < 100000 && send(pp->priv_fd, &m, sizeof m, MSG_DONTWAIT) == (ssize_t)sizeof m)
		full++;
	ok(req(fd, FW_CTL_DENY, "retry.test", &r) == 0 && r.status == FW_CTL_FAILED,
	   "deny with the child's channel full: FAILED (%s)", r.text);
	drain_child();
	ok(req(fd, FW_CTL_DENY, "retry.test", &r) == 0 && r.status == FW_CTL_OK &&
	   told(name, sizeof name) == FW_OP_CTL_DENY && strcmp(name, "retry.test") == 0,
	   "...the retry tells the child (%s)", r.text);
}

static void test_list_and_bad_messages(int fd)
{
	struct fw_ctl_reply r, raw;
	struct fw_ctl_req q;
	int n = 0;
	char junk[600];

	fw_ctl_req_encode(&q, FW_CTL_LIST, 3, "");
	send(fd, &q, sizeof q, 0);
	serve();
	while (recv(fd, &raw, sizeof raw, MSG_DONTWAIT | MSG_TRUNC) == (ssize_t)sizeof raw &&
	       fw_ctl_reply_decode(&raw, sizeof raw, &r) == 0 && r.status == FW_CTL_MORE)
		n++;
	ok(n == (int)pp->cfg->al.n && r.status == FW_CTL_OK, "list: one reply per entry, then OK (%d)", n);

	memset(junk, 'x', sizeof junk);
	ok(roundtrip(fd, junk, 10, &r) == 0 && r.status == FW_CTL_BAD, "a 10-byte message: BAD (%s)", r.text);
	ok(roundtrip(fd, junk, sizeof junk, &r) == 0 && r.status == FW_CTL_BAD, "a too long message: BAD");
	fw_ctl_req_encode(&q, FW_CTL_ALLOW, 4, "x.test");
	memset(q.entry, 'b', sizeof q.entry);
	ok(roundtrip(fd, &q, sizeof q, &r) == 0 && r.status == FW_CTL_BAD, "an unterminated entry: BAD");
	ok(!allowlist_match_name(&pp->cfg->al, "x.test"), "...nothing was added");
	ok(req(fd, FW_CTL_ALLOW, "after.test", &r) == 0 && r.status == FW_CTL_OK,
	   "the connection still serves after bad messages");
	req(fd, FW_CTL_DENY, "after.test", &r);
	(void)told(junk, sizeof junk);
	(void)told(junk, sizeof junk);
}

/* Random messages of random sizes (a fixed seed): every one is answered,
 * none changes the list, the channel keeps serving. */
static void test_fuzz(int fd)
{
	unsigned char buf[600];
	struct fw_ctl_reply r;
	size_t n0 = pp->cfg->al.n;
	int answered = 0, changed = 0;

	srand(12);
	for (int i = 0; i < 300; i++) {
		size_t len = 1 + (size_t)rand() % sizeof buf;

		for (size_t k = 0; k < len; k++)
			buf[k] = (unsigned char)rand();
		if (i % 3 == 0)
			len = sizeof(struct fw_ctl_req);   /* the right size, random content */
		if (i % 6 == 0)
			buf[0] = FW_CTL_ALLOW, buf[1] = buf[2] = buf[3] = 0;
		answered += roundtrip(fd, buf, len, &r) == 0 && r.status == FW_CTL_BAD;
		changed += pp->cfg->al.n != n0;
	}
	is_int(answered, 300, "fuzz: 300 random messages, each refused with a reply");
	is_int(changed, 0, "fuzz: none changed the list");
	ok(req(fd, FW_CTL_LIST, "", &r) == 0, "fuzz: the channel still serves");
	while (recv(fd, &r, sizeof r, MSG_DONTWAIT) > 0)
		;
}

static void test_bounded(void)
{
	int fds[FW_CTL_CLIENTS + 1];
	struct fw_ctl_reply r;
	char b;

	for (int i = 0; i <= FW_CTL_CLIENTS; i++) {
		fds[i] = client();
		serve();
	}
	/* the first connection is still open from the main test: one more fits */
	ok(recv(fds[FW_CTL_CLIENTS], &b, 1, MSG_DONTWAIT) == 0 || recv(fds[FW_CTL_CLIENTS - 1], &b, 1,
	   MSG_DONTWAIT) == 0, "a client beyond %d is closed at once", FW_CTL_CLIENTS);
	ok(req(fds[0], FW_CTL_LIST, "", &r) == 0, "an admitted client is served");
	for (int i = 0; i <= FW_CTL_CLIENTS; i++)
		close(fds[i]);
	for (int i = 0; i < 8; i++)
		serve();
	int again = client();

	ok(again >= 0 && (serve(), 1) && req(again, FW_CTL_DENY, "none.test", &r) == 0,
	   "closed clients free their slots");
	close(again);
}

static void test_child(void)
{
	struct allowlist al;
	struct dnsf_cfg cfg;
	struct dnsf_state *st;
	struct fw_msg m;
	struct cs_err err = { 0 };
	int sp[2];

	allowlist_init(&al);
	allowlist_add_text(&al, "kept.test", "test", &err);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	cfg = (struct dnsf_cfg){ .al = &al, .priv_fd = sp[1], .udp_fd = -1, .tcp_fd = -1 };
	st = dnsf_state_new(&cfg);
	memset(&m, 0, sizeof m);
	m.op = FW_OP_CTL_ALLOW;
	snprintf(m.name, sizeof m.name, "*.added.test");
	send(sp[0], &m, sizeof m, 0);
	ok(dnsf_parent_input(st) == 1 && allowlist_match_name(&al, "a.added.test"),
	   "child: the parent's allow reaches the filter's list");
	m.op = FW_OP_CTL_DENY;
	st->cache.used = 0;
	ok(dnsf_control_apply(st, &m) == 0 && !allowlist_match_name(&al, "a.added.test") &&
	   allowlist_match_name(&al, "kept.test"), "child: a deny removes it, others stay");
	ok(st->cache.n_slots > 0 && st->cache.used == 0, "child: the cache is emptied, still usable");
	m.op = FW_OP_CTL_ALLOW;
	memset(m.name, 'a', sizeof m.name);
	ok(dnsf_control_apply(st, &m) < 0 && al.n == 1, "child: an unterminated name is ignored");
	snprintf(m.name, sizeof m.name, "*.com");
	ok(dnsf_control_apply(st, &m) < 0 && al.n == 1, "child: an invalid entry is ignored");
	m.op = FW_OP_REFUSED;
	snprintf(m.name, sizeof m.name, "x.test");
	ok(dnsf_control_apply(st, &m) < 0 && al.n == 1, "child: other ops change nothing");
	send(sp[0], "shortmsg", 8, 0);
	ok(dnsf_parent_input(st) == 1 && al.n == 1, "child: a message of another size is dropped");
	close(sp[0]);
	ok(dnsf_parent_input(st) == 0, "child: EOF means the parent is gone");
	dnsf_state_free(st);
	close(sp[1]);
	allowlist_free(&al);
}

/* A list longer than the socket buffer holds (a few hundred replies): a
 * reader that keeps up gets every entry, then OK; one that stops reading
 * makes the list end FAILED, saying how many were sent and where the whole
 * list is; never a short list that looks whole.  Each reader is a child
 * process; it writes "N STATUS" (entries, final status) to a pipe. */
static void list_reader(int fd, int delay_ms, int out)
{
	struct fw_ctl_reply raw, r = { .status = -1 };
	struct pollfd p = { fd, POLLIN, 0 };
	int n = 0;

	usleep((useconds_t)delay_ms * 1000);
	while (poll(&p, 1, 3000) > 0 &&
	       recv(fd, &raw, sizeof raw, MSG_TRUNC) == (ssize_t)sizeof raw &&
	       fw_ctl_reply_decode(&raw, sizeof raw, &r) == 0 && r.status == FW_CTL_MORE)
		n++;
	dprintf(out, "%d %d %s", n, r.status, r.status == FW_CTL_MORE ? "" : r.text);
	_exit(0);
}

static void long_list(int delay_ms, int *n, int *status, char *text, size_t textsz)
{
	struct fw_ctl_req q;
	int fd = client(), pfd[2];
	char buf[400] = "";
	pid_t pid;

	*n = -1;
	*status = -1;
	if (fd < 0 || pipe(pfd) < 0)
		return;
	serve();                        /* accept */
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		list_reader(fd, delay_ms, pfd[1]);
	}
	close(pfd[1]);
	fw_ctl_req_encode(&q, FW_CTL_LIST, 9, "");
	send(fd, &q, sizeof q, 0);
	serve();
	waitpid(pid, NULL, 0);
	if (read(pfd[0], buf, sizeof buf - 1) > 0 && sscanf(buf, "%d %d", n, status) == 2) {
		const char *t = strchr(strchr(buf, ' ') + 1, ' ');

		snprintf(text, textsz, "%s", t ? t + 1 : "");
	}
	close(pfd[0]);
	close(fd);
	serve();                        /* the closed connection frees its slot */
}

static void test_long_list(void)
{
	struct cs_err err = { 0 };
	char name[64], text[300] = "";
	int n, status;

	for (int i = 0; i < 1500; i++) {
		snprintf(name, sizeof name, "long%d.list.test", i);
		allowlist_add_text(&pp->cfg->al, name, "test", &err);
	}
	long_list(0, &n, &status, text, sizeof text);
	ok(n == (int)pp->cfg->al.n && status == FW_CTL_OK,
	   "a list of %zu entries, read as it comes: every entry, then OK (%d, %d)", pp->cfg->al.n, n, status);
	long_list(1500, &n, &status, text, sizeof text);
	ok(n < (int)pp->cfg->al.n && status == FW_CTL_FAILED,
	   "a reader that stalls: FAILED after %d entries, not a short list that looks whole (%d)", n, status);
	ok(strstr(text, " entries sent") && strstr(text, "/etc/codex/allowed_domains.txt"),
	   "...saying how many were sent and where the whole list is: %s", text);
}

int main(void)
{
	struct fw_config cfg;
	struct cs_err err = { 0 };
	char dir[] = "/tmp/test-control-XXXXXX";
	int sp[2], fd;

	plan(69);
	test_codec();
	fw_config_defaults(&cfg);
	allowlist_add_text(&cfg.al, "allowed.test 10.0.0.5", "test", &err);
	if (!mkdtemp(dir) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		return 1;
	child_fd = sp[1];
	snprintf(sock_path, sizeof sock_path, "%s/control.sock", dir);
	pp = fw_parent_new(&cfg, sp[0], rec_insert, NULL);
	ok(pp && fw_control_open(&pp->ctl, sock_path, &err) == 0, "listening (%s)", err.msg);
	if (!pp)
		return tap_done();
	pp->ctl.set_net = rec_net;
	pp->ctl.drop = rec_drop;
	pp->ctl.apply = fw_control_apply;
	pp->ctl.apply_arg = pp;
	fd = client();
	serve();
	ok(fd >= 0, "a client connects");
	test_allow_deny(fd);
	test_list_and_bad_messages(fd);
	test_fuzz(fd);
	test_bounded();
	test_deny_tally_full(fd);
	test_deny_retry(fd);
	test_long_list();
	close(fd);
	test_child();
	fw_parent_free(pp);
	unlink(sock_path);
	rmdir(dir);
	close(sp[0]);
	close(sp[1]);
	allowlist_free(&cfg.al);
	return tap_done();
}
