#!/bin/bash
# E2B backend: create -> first PTY byte, codex-sandbox vs the official e2b
# SDK (tests/e2b/bench-sdk.mjs), against the same local emulator in the same
# run.  Prints "name value unit" lines, then one JSON line.
#
#   tests/bench/e2b.sh [RUNS]          (default 7; one warm-up run each)
#   CS=path/to/codex-sandbox tests/bench/e2b.sh
#
# Both sides start a login shell on a PTY and stop the clock at its first
# output byte.  The runner does everything a real run does before that:
# create, then (in parallel, docs/PERFORMANCE.md) confirm the egress rules,
# root's files, root's layout and the (empty) project upload, then Start on
# a PTY; its figure includes its own exec.  The SDK only creates and starts
# the PTY, inside a warm Node process, so the ratio is the price of those
# guarantees and of starting a process.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CS=${CS:-$ROOT/bin/codex-sandbox}
RUNS=${1:-7}
E2B=$ROOT/tests/e2b
TMP=$(mktemp -d /tmp/cs-e2b-bench.XXXXXX)
KEY=e2b_$(printf '0%.0s' $(seq 1 40))
EMU=
cleanup() {
    [ -n "$EMU" ] && kill -TERM "$EMU" 2>/dev/null && wait "$EMU" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

"$E2B/sdk-check/ensure-sdk.sh" >"$TMP/npm.log" 2>&1 || { echo "# bench: cannot install the e2b SDK"; cat "$TMP/npm.log"; exit 1; }
mkdir -p "$TMP/tpl/home/user" "$TMP/proj" "$TMP/home"
chown 65534:65534 "$TMP/proj"   # the plan refuses a root-owned project
echo 'PATH="$E2B_EMULATOR_ROOT/usr/local/bin:$PATH"' > "$TMP/tpl/home/user/.profile"
python3 "$E2B/emulator" --port 0 --port-file "$TMP/port" --api-key "$KEY" \
    --template-dir "codex=$TMP/tpl" 2>"$TMP/emu.err" &
EMU=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
[ -s "$TMP/port" ] || { echo "# bench: the emulator did not start"; cat "$TMP/emu.err"; exit 1; }
URL=http://127.0.0.1:$(cat "$TMP/port")
export E2B_API_URL=$URL E2B_SANDBOX_URL=$URL E2B_API_KEY=$KEY

# The runner on a PTY of 80x24: milliseconds to the first byte on it (its own
# messages go to stderr, i.e. /dev/null); then `exit` and wait for it.
runner_ms=$(cd "$TMP/proj" && HOME=$TMP/home python3 - "$CS" "$RUNS" <<'EOF'
import os, pty, sys, time, select, fcntl, termios, struct, statistics, json
cs, runs = sys.argv[1], int(sys.argv[2])
samples = []
for i in range(runs + 1):
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        nul = os.open(os.environ.get("BENCH_ERR", "/dev/null"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(nul, 2)
        os.execv(cs, [cs, "--backend", "e2b", "shell"])
    first = None
    deadline = time.time() + 60
    while first is None and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                if os.read(fd, 4096):
                    first = time.perf_counter()
            except OSError:
                break
    os.write(fd, b"exit\r")
    buf = b""
    while True:
        try:
            d = os.read(fd, 4096)
            if not d:
                break
        except OSError:
            break
    _, st = os.waitpid(pid, 0)
    if first is None:
        print("no output from the runner", file=sys.stderr)
        sys.exit(1)
    if i > 0:  # the first run is a warm-up
        samples.append((first - t0) * 1000)
print(json.dumps({"ms": statistics.median(samples), "min_ms": min(samples), "max_ms": max(samples),
                  "samples_ms": [round(s, 1) for s in samples]}))
EOF
) || { echo "# bench: the runner run failed"; exit 1; }
sdk=$(node "$E2B/bench-sdk.mjs" --runs "$RUNS" --warmup 1) || { echo "# bench: the SDK run failed"; exit 1; }

python3 - "$runner_ms" "$sdk" <<'EOF'
import json, sys
r, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = r["ms"] / s["ms"] if s["ms"] else 0
print("e2b_first_pty_byte_runner %.1f ms" % r["ms"])
print("e2b_first_pty_byte_sdk %.1f ms" % s["ms"])
print("e2b_first_pty_byte_ratio %.2f runner/sdk" % ratio)
print(json.dumps({"bench": "e2b-create-to-first-pty-byte", "runner": r, "sdk": {k: s[k] for k in
      ("sdk", "ms", "min_ms", "max_ms", "samples_ms")}, "ratio": round(ratio, 2)}))
EOF
