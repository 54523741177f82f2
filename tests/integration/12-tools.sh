#!/usr/bin/env bash
# The everyday tools an agent runs still work under our seccomp filter (and
# with PID 1 confined): git, python3, node, gcc, curl, rg, each doing real
# work — processes, threads, pipes, loopback sockets — in a real sandbox.
# Runs in codex-sandbox-tools:test (tests/lib/tools-image.sh: the default
# image plus node and gcc, with this tree's init).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tools-image.sh"
plan 11
trap 'cleanup_projects' EXIT

img=$(tools_image); rc=$?
is "$rc:$img" "0:$TOOLS_IMAGE" "tools image built (FROM codex-sandbox, this tree's init)"

p=$(new_project)
cat > "$p/work.sh" <<'EOF2'
set -u
grep '^Seccomp:' /proc/self/status | sed 's/^/self-/'
grep '^Seccomp:' /proc/1/status | sed 's/^/pid1-/'

# git: a repository, a commit, a clone (fork, exec, pipes)
( git init -q r && cd r && git config user.email t@example.invalid && git config user.name t &&
  echo hello > f && git add f && git commit -qm one && cd .. && git clone -q r r2 &&
  [ "$(git -C r2 log --format=%s)" = one ] ) && echo "git ok"

# python3: threads, a subprocess, a process pool
python3 - <<'PY' && echo "python3 ok"
import concurrent.futures, subprocess, threading
out = []
ts = [threading.Thread(target=out.append, args=(i,)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
assert sorted(out) == list(range(8))
assert subprocess.run(["sh", "-c", "echo sub"], capture_output=True, text=True).stdout == "sub\n"
with concurrent.futures.ProcessPoolExecutor(2) as ex:
    assert list(ex.map(abs, [-1, -2])) == [1, 2]
PY

# node: a child process, a worker thread, an HTTP server and client on loopback
node - <<'JS' && echo "node ok"
const cp = require('child_process'), http = require('http'), { Worker } = require('worker_threads');
if (cp.execFileSync('sh', ['-c', 'echo sub']).toString() !== 'sub\n') process.exit(1);
new Worker('require("worker_threads").parentPort.postMessage(42)', { eval: true }).on('message', (m) => {
  if (m !== 42) process.exit(1);
  const srv = http.createServer((q, r) => r.end('pong')).listen(0, '127.0.0.1', () => {
    http.get({ host: '127.0.0.1', port: srv.address().port }, (r) => {
      let b = ''; r.on('data', (d) => b += d); r.on('end', () => { srv.close(); process.exit(b === 'pong' ? 0 : 1); });
    });
  });
});
JS

# gcc: compile and run a threaded program
cat > t.c <<'C'
#include <pthread.h>
#include <stdio.h>
static int n;
static void *run(void *a) { __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST); return a; }
int main(void) { pthread_t t[4]; for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, run, 0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], 0); printf("%d\n", n); return n != 4; }
C
gcc -O2 -pthread -o t t.c && [ "$(./t)" = 4 ] && echo "gcc ok"

# curl: from a server on loopback inside the sandbox
echo served-content > page.txt
python3 -c '
import http.server, socketserver, sys
s = socketserver.TCPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
open("port.tmp", "w").write(str(s.server_address[1])); __import__("os").rename("port.tmp", "port")
s.handle_request()' >/dev/null 2>&1 &
i=0; while [ ! -s port ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(curl -sS --max-time 10 "http://127.0.0.1:$(cat port)/page.txt")" = served-content ] && echo "curl ok"
wait

# rg: a search across files
mkdir -p s/a s/b && echo 'needle one' > s/a/x && echo 'needle two' > s/b/y && echo hay > s/z
[ "$(rg -c needle s | wc -l)" = 2 ] && echo "rg ok"
EOF2
chown -R "$TEST_UID:$TEST_GID" "$p"
out=$(cd "$p" && timeout -k 5 300 env HOME=/tmp/cs-test-home "$CS" exec --image "$TOOLS_IMAGE" -- bash "/app$p/work.sh" </dev/null 2>&1); rc=$?
is "$rc" 0 "the tools run completes"
like "$out" '^self-Seccomp:[[:space:]]+2' "the tools run under a seccomp filter"
like "$out" '^pid1-Seccomp:[[:space:]]+2' "... and so does PID 1 (this tree's init)"
for t in git python3 node gcc curl rg; do
    like "$out" "^$t ok\$" "$t works under the filter"
done
[ "$T_FAIL" -eq 0 ] || diag "$out"
is "$(our_containers)" "" "no container of ours left"
done_testing
