#!/usr/bin/env bash
# The local E2B emulator (tests/e2b/emulator), proved faithful by running the
# official `e2b` npm SDK (2.51.0: /v2 routes, 2.50.0: v1 routes) against it,
# plus raw wire checks, CLI fault injection, --no-v2 and SIGTERM cleanup.
# TAP output; exits non-zero when anything fails.  Needs python3, node >= 20.18
# and npm (the pinned SDKs are installed on demand with `npm ci`).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2B=$ROOT/tests/e2b
TMP=$(mktemp -d "${TMPDIR:-/tmp}/e2b-emulator-test.XXXXXX")
KEY=e2b_$(printf 'a%.0s' $(seq 1 40))
EMU_PIDS=()

cleanup() {
    local p
    for p in "${EMU_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${EMU_PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
fails=0
ok()    { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
diag()  { sed 's/^/# /'; }

# start_emulator NAME [ARGS...]: sets PORT_<NAME> / PID_<NAME>, log in $TMP/NAME.log
start_emulator() {
    local name=$1; shift
    rm -f "$TMP/$name.port"
    python3 "$E2B/emulator" --port 0 --port-file "$TMP/$name.port" --log "$TMP/$name.log" \
        --api-key "$KEY" --root-dir "$TMP/$name-roots" "$@" 2>"$TMP/$name.err" &
    local pid=$!
    EMU_PIDS+=("$pid")
    for _ in $(seq 1 100); do
        [ -s "$TMP/$name.port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$TMP/$name.port" ]; then
        diag <"$TMP/$name.err"
        return 1
    fi
    printf -v "PORT_$name" '%s' "$(cat "$TMP/$name.port")"
    printf -v "PID_$name" '%s' "$pid"
}

# run_tap DESC CMD...: runs a script printing "ok - x"/"not ok - x"/"# ..." and renumbers it
run_tap() {
    local desc=$1; shift
    local out rc line seen=0 bad=0
    out=$("$@" 2>"$TMP/stderr.txt"); rc=$?
    while IFS= read -r line; do
        case $line in
            "ok - "*)     ok "${line#ok - }"; seen=$((seen + 1)) ;;
            "not ok - "*) notok "${line#not ok - }"; seen=$((seen + 1)); bad=1 ;;
            *)            echo "$line" ;;
        esac
    done <<<"$out"
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        notok "$desc exited with status $rc"
        tail -n 30 "$TMP/stderr.txt" | diag
    elif [ "$seen" -eq 0 ]; then
        notok "$desc produced no results"
        tail -n 30 "$TMP/stderr.txt" | diag
    fi
}

echo "TAP version 13"
# The plan is a literal: a sub-script that dies early, or a block that
# silently does not run, leaves fewer results than this and fails the file.
plan() { PLAN=$1; echo "1..$1"; }
plan 104

# --- prerequisites ------------------------------------------------------------
for tool in python3 node npm curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        notok "prerequisite $tool is installed"
        exit 1
    fi
done
if "$E2B/sdk-check/ensure-sdk.sh" >"$TMP/npm.txt" 2>&1; then
    ok "official e2b SDKs installed from the pinned lock files (npm ci)"
else
    notok "official e2b SDKs installed from the pinned lock files (npm ci)"
    diag <"$TMP/npm.txt"
    exit 1
fi
# pin DIR: the version package.json pins; the lock file and the installed
# package must say exactly the same, or the checks below test another SDK.
pin() { node -p "require('$1/package.json').dependencies.e2b"; }
PIN_V2=$(pin "$E2B/sdk-check") PIN_V1=$(pin "$E2B/sdk-check-v250")
for d in "sdk-check:2.51.0:$PIN_V2" "sdk-check-v250:2.50.0:$PIN_V1"; do
    IFS=: read -r dir want got <<<"$d"
    lock=$(node -p "require('$E2B/$dir/package-lock.json').packages['node_modules/e2b'].version")
    inst=$(node -p "require('$E2B/$dir/node_modules/e2b/package.json').version")
    if [ "$got" = "$want" ] && [ "$lock" = "$want" ] && [ "$inst" = "$want" ]; then
        ok "$dir: e2b $want pinned in package.json, the lock file and installed"
    else
        notok "$dir: e2b $want pinned (package.json $got, lock $lock, installed $inst)"
    fi
done

# --- main emulator ------------------------------------------------------------
if start_emulator main; then
    ok "emulator listens on an ephemeral loopback port ($PORT_main) and writes --port-file"
else
    notok "emulator starts"
    exit 1
fi
URL=http://127.0.0.1:$PORT_main
if [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/_emulator/health")" = 200 ] &&
   [ "$(curl -s "$URL/health")" = "Health check successful" ]; then
    ok "admin /_emulator/health and API /health answer"
else
    notok "admin /_emulator/health and API /health answer"
fi

export E2B_API_URL=$URL E2B_SANDBOX_URL=$URL E2B_API_KEY=$KEY EMU_URL=$URL EMU_LOG=$TMP/main.log
unset E2B_DOMAIN E2B_DEBUG E2B_ACCESS_TOKEN

run_tap "raw wire checks" timeout 300 node "$E2B/protocol-check.mjs"
run_tap "e2b SDK $PIN_V2 check" timeout 300 env SDK_DIR="$E2B/sdk-check" EXPECT_SDK="$PIN_V2" node "$E2B/sdk-check/sdk-faithful.mjs"
run_tap "e2b SDK $PIN_V1 check" timeout 300 env SDK_DIR="$E2B/sdk-check-v250" EXPECT_SDK="$PIN_V1" node "$E2B/sdk-check/sdk-faithful.mjs"

bench=$(timeout 120 node "$E2B/bench-sdk.mjs" --runs 3 2>&1)
if printf '%s' "$bench" | node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8"));process.exit(j.ms>0?0:1)' 2>/dev/null; then
    ok "bench-sdk.mjs prints create -> first PTY byte as JSON"
    echo "# $bench"
else
    notok "bench-sdk.mjs prints create -> first PTY byte as JSON"
    printf '%s\n' "$bench" | diag
fi

if python3 - "$TMP/main.log" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs, "empty log"
for r in recs:
    assert "seq" in r and "time" in r and "plane" in r, r
    if r["plane"] in ("api", "envd"):
        assert r.get("method") and r.get("path") and "headers" in r and "status" in r, r
        assert r["headers"].get("x-api-key", "[redacted]") == "[redacted]", r
        assert r["headers"].get("x-access-token", "[redacted]") == "[redacted]", r
EOF
then
    ok "request log is JSONL with seq/time/plane/method/path/headers/status, secrets redacted"
else
    notok "request log is JSONL with seq/time/plane/method/path/headers/status, secrets redacted"
fi

# --- CLI fault injection and --no-v2 ---------------------------------------------
if start_emulator faults --no-v2 \
        --fail 'POST /sandboxes=429:Retry-After=2:times=1' \
        --fail 'GET /sandboxes/*=503:error_code=sandbox_capacity_unavailable:message=busy: try later' \
        --fail 'DELETE /sandboxes/*=close:times=1' \
        --fail 'POST /sandboxes/*/timeout=0:delay=300:times=1'; then
    F=http://127.0.0.1:$PORT_faults
    h=(-H "X-API-KEY: $KEY" -H 'content-type: application/json')
    code=$(curl -s -o "$TMP/b1" -D "$TMP/h1" -w '%{http_code}' "${h[@]}" -d '{"templateID":"codex"}' "$F/sandboxes")
    if [ "$code" = 429 ] && grep -qi '^Retry-After: 2' "$TMP/h1" && grep -q '"code": 429' "$TMP/b1"; then
        ok "--fail 'POST /sandboxes=429:Retry-After=2:times=1' -> 429 + Retry-After + {code,message}"
    else
        notok "--fail 429 with Retry-After (got $code)"; diag <"$TMP/h1"
    fi
    sid=$(curl -s "${h[@]}" -d '{"templateID":"codex","secure":true}' "$F/sandboxes" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sandboxID"])' 2>/dev/null)
    if [ -n "$sid" ]; then ok "fault with times=1 fires once; next create -> 201"; else notok "fault with times=1 fires once; next create -> 201"; fi
    body=$(curl -s -w ' %{http_code}' "${h[@]}" "$F/sandboxes/$sid")
    if [ "$body" = '{"code": 503, "message": "busy: try later", "error_code": "sandbox_capacity_unavailable"} 503' ]; then
        ok "--fail with glob path, error_code and a message containing ':'"
    else
        notok "--fail with glob path, error_code and message: $body"
    fi
    t0=$(date +%s%N)
    code=$(curl -s -o /dev/null -w '%{http_code}' "${h[@]}" -d '{"timeout":30}' "$F/sandboxes/$sid/timeout")
    dt=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [ "$code" = 204 ] && [ "$dt" -ge 280 ]; then ok "status 0 + delay=300 -> delayed normal answer (${dt} ms)"; else notok "delay fault (code $code, $dt ms)"; fi
    curl -s -o /dev/null "${h[@]}" -X DELETE "$F/sandboxes/$sid"; rc=$?
    if [ "$rc" = 52 ] || [ "$rc" = 56 ]; then ok "=close drops the connection without a response (curl rc $rc)"; else notok "=close drops the connection (curl rc $rc)"; fi
    code=$(curl -s -o "$TMP/b2" -w '%{http_code}' "${h[@]}" -d '{"templateID":"codex"}' "$F/v2/sandboxes")
    if [ "$code" = 404 ] && [ "$(cat "$TMP/b2")" = "404 page not found" ]; then
        ok "--no-v2: POST /v2/sandboxes -> plain 404 (runner falls back to v1)"
    else
        notok "--no-v2: POST /v2/sandboxes -> plain 404 (got $code)"
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
        -d '{"method":"POST","path":"/sandboxes","status":500,"times":1,"message":"boom"}' "$F/_emulator/fail")
    c2=$(curl -s -o "$TMP/b3" -w '%{http_code}' "${h[@]}" -d '{"templateID":"codex"}' "$F/sandboxes")
    if [ "$code" = 200 ] && [ "$c2" = 500 ] && grep -q boom "$TMP/b3"; then
        ok "POST /_emulator/fail adds a fault at run time"
    else
        notok "POST /_emulator/fail adds a fault at run time ($code/$c2)"
    fi
    if grep -q '"fault"' "$TMP/faults.log"; then ok "injected faults are recorded in the request log"; else notok "injected faults are recorded in the request log"; fi
else
    notok "emulator with --fail/--no-v2 starts"
fi

# --- SIGTERM: all sandbox processes die, roots are removed ------------------------
cat >"$TMP/spawn.mjs" <<'EOF'
const U = process.env.EMU_URL, K = process.env.E2B_API_KEY
const sb = await (await fetch(U + '/v2/sandboxes', { method: 'POST', headers: { 'X-API-KEY': K, 'content-type': 'application/json' }, body: JSON.stringify({ templateID: 'codex' }) })).json()
const hdr = { 'E2b-Sandbox-Id': sb.sandboxID, 'X-Access-Token': sb.envdAccessToken, 'content-type': 'application/connect+json' }
const env = (o) => { const p = Buffer.from(JSON.stringify(o)); const h = Buffer.alloc(5); h.writeUInt32BE(p.length, 1); return Buffer.concat([h, p]) }
for (const req of [{ process: { cmd: '/bin/sh', args: ['-c', 'sleep 1000 & sleep 1000'] } },
                   { process: { cmd: '/bin/bash', args: ['-i'] }, pty: { size: { cols: 80, rows: 24 } } }]) {
  const ac = new AbortController()
  const r = await fetch(U + '/process.Process/Start', { method: 'POST', headers: hdr, body: env(req), signal: ac.signal })
  await r.body.getReader().read()
  ac.abort()
}
const st = await (await fetch(U + '/_emulator/sandboxes')).json()
const me = st.find((s) => s.sandboxID === sb.sandboxID)
console.log(me.root, me.processes.map((p) => p.pid).join(' '))
EOF
if start_emulator term; then
    read -r root pids < <(EMU_URL=http://127.0.0.1:$PORT_term timeout 30 node "$TMP/spawn.mjs" 2>"$TMP/spawn.err")
    # Wait for the state, not a time: the first process's session holds
    # its shell and both backgrounded sleeps before we look.
    first=${pids%% *}
    for _ in $(seq 1 200); do
        [ -n "$first" ] && [ "$(pgrep -s "$first" | wc -l)" -ge 3 ] && break
        sleep 0.05
    done
    # each process runs in its own session, with its backgrounded grandchildren
    members=$(for p in $pids; do pgrep -s "$p"; done | tr '\n' ' ')
    kill -TERM "$PID_term"
    for _ in $(seq 1 100); do kill -0 "$PID_term" 2>/dev/null || break; sleep 0.1; done
    # SIGKILL is asynchronous and orphans are reaped by init: allow a moment,
    # and do not count zombies
    for _ in $(seq 1 40); do
        alive=""
        for p in $pids $members; do
            st=$(ps -o stat= -p "$p" 2>/dev/null)
            [ -n "$st" ] && [ "${st#Z}" = "$st" ] && alive="$alive $p"
        done
        [ -z "$alive" ] && break
        sleep 0.05
    done
    if [ -n "$root" ] && [ -n "$pids" ] && ! kill -0 "$PID_term" 2>/dev/null && [ -z "$alive" ] && [ ! -e "$root" ]; then
        ok "SIGTERM: emulator exits, kills every sandbox process (incl. grandchildren: $(echo $members | wc -w) procs) and removes the roots"
    else
        notok "SIGTERM cleanup (root=$root pids=$pids alive=$alive exists=$([ -e "$root" ] && echo yes))"
        diag <"$TMP/spawn.err"
    fi
else
    notok "emulator for the SIGTERM check starts"
fi

if [ "$n" -ne "$PLAN" ]; then
    echo "# planned $PLAN results, reported $n"
    exit 1
fi
if [ "$fails" -ne 0 ]; then
    echo "# $fails of $n failed"
    exit 1
fi
echo "# all $n passed"
exit 0
