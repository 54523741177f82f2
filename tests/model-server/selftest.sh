#!/bin/bash
# selftest.sh: proves server.py drives the REAL Codex CLI on this host.
#
#   tests/model-server/selftest.sh            (TAP on stdout, rc != 0 on failure)
#   CODEX_BIN=/path/to/codex KEEP=1 tests/model-server/selftest.sh
#
# Covers: codex exec (tool call writes a file, tool output logged, final
# message), exec --json, API-key auth (auth.json apikey mode -> Bearer), a
# base URL by host name (and Codex's proxy handling), an unreachable server
# failing fast, and the TUI in tmux (first screen, a turn, a second turn,
# resize, /quit).  Needs python3 and tmux; the by-name case needs root for
# `unshare -m` (it bind-mounts a private /etc/hosts) and is skipped otherwise.
# Every Codex run gets its own HOME/CODEX_HOME under a temp dir.  Only
# loopback is used.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cache=${CODEX_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codex-sandbox}
CODEX_BIN=${CODEX_BIN:-$cache/codex/0.169.0/codex}
PY=${PYTHON:-python3}
SERVER=$here/server.py
CONFIG=$here/codex-config.sh
MOCKLOG=$here/mocklog.py
CATALOG=$here/catalog.json

n=0 failed=0
tmp=
pids=()
tmux_socks=()

cleanup() {
    local p s
    for s in "${tmux_socks[@]}"; do tmux -S "$s" kill-server 2>/dev/null; done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    if [ -n "$tmp" ]; then
        if [ "${KEEP:-0}" = 1 ]; then echo "# kept $tmp"; else rm -rf "$tmp"; fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }
# check DESC CMD...: one TAP line from a command's status
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
lacks() { ! grep -qE -- "$1" "$2"; }    # lacks REGEX FILE

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
# wait_for SECONDS CMD...: poll CMD every 50 ms
wait_for() {
    local end=$(($(date +%s%N) + ${1%.*} * 1000000000)); shift
    until "$@"; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.05
    done
}

bail() { echo "Bail out! $*"; exit 1; }
# The literal plan (tests/run.sh checks it against this file).
plan() { PLAN=$1; echo "1..$1"; }
plan 42
[ -x "$CODEX_BIN" ] || bail "no codex binary at $CODEX_BIN (set CODEX_BIN or run images/fetch-codex.sh)"
command -v "$PY" >/dev/null || bail "python3 not found"
command -v tmux >/dev/null || bail "tmux not found"
[ -f "$CATALOG" ] || bail "missing $CATALOG (run build-catalog.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/model-server-selftest.XXXXXX") || bail "mktemp failed"
echo "# codex: $CODEX_BIN ($("$CODEX_BIN" --version 2>/dev/null </dev/null))"

# start_server NAME [server args...]: sets $url ($tmp/NAME.{port,log,err})
start_server() {
    local name=$1; shift
    "$PY" "$SERVER" --host 127.0.0.1 --port 0 --port-file "$tmp/$name.port" \
        --log "$tmp/$name.log" "$@" 2>"$tmp/$name.err" &
    pids+=($!)
    wait_for 10 test -s "$tmp/$name.port" || { diag <"$tmp/$name.err"; return 1; }
    url=http://127.0.0.1:$(cat "$tmp/$name.port")
}

http_status() {   # http_status METHOD URL [BODY]
    "$PY" - "$@" <<'EOF'
import sys, urllib.request, urllib.error
m, u = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else None
req = urllib.request.Request(u, data=data, method=m, headers={"Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
}

# fresh NAME: a clean HOME, CODEX_HOME and work dir; sets $home $chome $work
fresh() {
    home=$tmp/$1/home chome=$tmp/$1/codex_home work=$tmp/$1/work
    mkdir -p "$home" "$chome" "$work"
}

# codex_exec NAME BASE_URL [config.sh args] -- [codex exec args]:
# runs `codex exec` in $tmp/NAME; sets $rc $elapsed; output in $dir/{out,err}
codex_exec() {
    local name=$1 base=$2; shift 2
    local cargs=() cfg t0 t1
    while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
    shift
    dir=$tmp/$name
    mapfile -t cfg < <("$CONFIG" --base-url "$base/v1" "${cargs[@]}")
    t0=$(now)
    # shellcheck disable=SC2086  # EXTRA_ENV: VAR=value words for env
    (cd "$work" && env HOME="$home" CODEX_HOME="$chome" ${EXTRA_ENV:-} timeout 60 \
        "$CODEX_BIN" exec "${cfg[@]}" --skip-git-repo-check \
        --dangerously-bypass-approvals-and-sandbox "$@" \
        >"$dir/out" 2>"$dir/err" </dev/null)
    rc=$?
    t1=$(now)
    elapsed=$(secs "$t0" "$t1")
}

# ----------------------------------------------------------------------------
# The server on its own

cat >"$tmp/one.json" <<'EOF'
[[{"call": "exec_command", "args": {"cmd": "echo hello > proof.txt && cat proof.txt"},
   "expect_output_contains": "hello"},
  {"say": "proof written"}],
 [{"say": "turn two"}]]
EOF

start_server main --script "$tmp/one.json" --models || bail "server did not start"
main=$url
check "server: GET /_health is 200" test "$(http_status GET "$main/_health")" = 200
check "server: GET /v1/models answers with --models" test "$(http_status GET "$main/v1/models")" = 200
check "server: a malformed script is refused (400)" \
    test "$(http_status POST "$main/_script" '[[{"nonsense": 1}]]')" = 400
check "server: the good script is still loaded" \
    "$PY" -c 'import json,sys,urllib.request as u; d=json.load(u.urlopen(sys.argv[1]+"/_script")); sys.exit(d["turns"][0][1]["say"]!="proof written")' "$main"

# ----------------------------------------------------------------------------
# codex exec: one turn with a tool call

fresh exec
codex_exec exec "$main" --catalog "$CATALOG" -- "write the proof file"
echo "# exec one turn: $elapsed s"
check "exec: exits 0" test "$rc" = 0
check "exec: the tool call wrote proof.txt" grep -qx hello "$work/proof.txt"
check "exec: stdout is the final message" test "$(cat "$dir/out")" = "proof written"
check "exec: the log has the tool output (call_mock_t0_s0, exit 0, 'hello')" \
    "$MOCKLOG" "$tmp/main.log" --event tool_output --where call_id=call_mock_t0_s0 \
    --where exit_code=0 --contains stdout=hello -q
check "exec: expect_output_contains recorded as a pass" \
    "$MOCKLOG" "$tmp/main.log" --event expect --where pass=true -q
check "exec: no metadata warning with the catalog" lacks "Model metadata" "$dir/err"
check "exec: request went to POST /v1/responses, originator codex_exec" \
    "$MOCKLOG" "$tmp/main.log" --event request --where path=/v1/responses \
    --where headers.originator=codex_exec -q
check "exec: no Authorization header without auth" \
    "$MOCKLOG" "$tmp/main.log" --event request --where path=/v1/responses \
    --where headers.authorization=null --min 2 -q
[ "$rc" = 0 ] || diag <"$dir/err"

# ----------------------------------------------------------------------------
# codex exec --json

fresh json
codex_exec json "$main" --catalog "$CATALOG" -- --json "write the proof file"
echo "# exec --json one turn: $elapsed s"
check "exec --json: exits 0" test "$rc" = 0
check "exec --json: every stdout line is JSON; command_execution and agent_message present" \
    "$PY" - "$dir/out" <<'EOF'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
types = [e.get("item", {}).get("type") for e in items if e.get("type") == "item.completed"]
cmd = [e["item"] for e in items if e.get("item", {}).get("type") == "command_execution"
       and e.get("type") == "item.completed"]
ok = ("command_execution" in types and "agent_message" in types and "error" not in types
      and cmd and cmd[0]["exit_code"] == 0 and "hello" in cmd[0]["aggregated_output"]
      and items[-1].get("type") == "turn.completed")
if not ok:
    print("# types: %s" % types)
sys.exit(0 if ok else 1)
EOF

# ----------------------------------------------------------------------------
# API-key mode: requires_openai_auth=true, key from CODEX_HOME/auth.json

start_server auth --script "$tmp/one.json" --auth-token sk-test || bail "auth server did not start"
auth=$url
fresh apikey
printf '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test"}\n' >"$chome/auth.json"
chmod 0600 "$chome/auth.json"
codex_exec apikey "$auth" --auth apikey --catalog "$CATALOG" -- "write the proof file"
echo "# exec with API key: $elapsed s"
check "apikey: exec with auth.json (apikey mode) exits 0" test "$rc" = 0
check "apikey: requests carry Authorization: Bearer sk-test" \
    "$MOCKLOG" "$tmp/auth.log" --event request --where "headers.authorization=Bearer sk-test" --min 2 -q
check "apikey: the tool ran" grep -qx hello "$work/proof.txt"

fresh noauth
codex_exec noauth "$auth" --auth apikey --catalog "$CATALOG" -- "write the proof file"
check "apikey: without auth.json exec fails (rc $rc, ${elapsed}s)" test "$rc" != 0
check "apikey: ... saying 401 Unauthorized" grep -q "401 Unauthorized" "$dir/err"
check "apikey: ... and sent no Authorization header" \
    "$MOCKLOG" "$tmp/auth.log" --event auth_rejected --where authorization=null -q
grep ERROR "$dir/err" | head -2 | diag

# ----------------------------------------------------------------------------
# Unreachable server + the fast-failure config: no infinite "Reconnecting..."

dead_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fresh dead
codex_exec dead "http://127.0.0.1:$dead_port" -- "hello"
echo "# exec against an unreachable server: $elapsed s"
check "unreachable: exec fails (rc $rc)" test "$rc" != 0 -a "$rc" != 124
check "unreachable: ... within 1.5 s (${elapsed}s)" awk -v e="$elapsed" 'BEGIN { exit !(e < 1.5) }'
check "unreachable: ... with 'Connection failed'" grep -q "Connection failed" "$dir/err"

# ----------------------------------------------------------------------------
# By host name, as the sandbox will reach the server (model.test), and
# Codex's proxy handling for the model URL.

port=${main##*:}
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    printf '127.0.0.1 localhost\n127.0.0.1 model.test\n' >"$tmp/hosts"
    byname() {  # byname NAME ENV...: codex exec against http://model.test:PORT
        local name=$1; shift
        fresh "$name"
        EXTRA_ENV="$*" codex_exec "$name" "http://model.test:$port" --catalog "$CATALOG" -- \
            "write the proof file"
    }
    # Resolve model.test without touching the host: codex runs in a private
    # mount namespace whose /etc/hosts is ours.
    real_bin=$CODEX_BIN
    cat >"$tmp/codex-ns" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount --bind "\$0" /etc/hosts && exec "\$@"' "$tmp/hosts" "$real_bin" "\$@"
EOF
    chmod +x "$tmp/codex-ns"
    CODEX_BIN=$tmp/codex-ns
    byname name
    check "by name: base_url http://model.test:$port/v1 works (rc $rc)" test "$rc" = 0 -a -s "$work/proof.txt"
    check "by name: Host header is model.test:$port" \
        "$MOCKLOG" "$tmp/main.log" --event request --where "headers.host=model.test:$port" -q
    byname proxied HTTP_PROXY=http://127.0.0.1:9
    check "by name: HTTP_PROXY (dead) is honoured for the model URL, so it fails (rc $rc)" test "$rc" != 0
    byname noproxy HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=model.test
    check "by name: ... and NO_PROXY=model.test bypasses it (rc $rc)" test "$rc" = 0
    byname httpsproxy HTTPS_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
    check "by name: HTTPS_PROXY alone does not touch the http:// model URL (rc $rc)" test "$rc" = 0
    CODEX_BIN=$real_bin
else
    for d in "by name: base_url http://model.test works" "by name: Host header" \
             "by name: HTTP_PROXY honoured" "by name: NO_PROXY bypass" "by name: HTTPS_PROXY ignored"; do
        skip "$d" "needs root and unshare -m"
    done
fi

# ----------------------------------------------------------------------------
# The TUI in tmux

fresh tui
mkdir -p "$work/.git/objects" "$work/.git/refs"     # look like a git repo: the
printf 'ref: refs/heads/main\n' >"$work/.git/HEAD"   # trust screen would show
tsock=$tmp/tmux.sock
tmux_socks+=("$tsock")
mapfile -t cfg < <("$CONFIG" --base-url "$main/v1" --catalog "$CATALOG" --trust "$work")
{
    echo '#!/bin/bash'
    printf 'cd %q || exit 99\n' "$work"
    printf 'export HOME=%q CODEX_HOME=%q\n' "$home" "$chome"
    printf '%q --dangerously-bypass-approvals-and-sandbox' "$CODEX_BIN"
    printf ' %q' "${cfg[@]}"
    printf ' 2>%q\n' "$tmp/tui/stderr"
    printf 'echo $? >%q\n' "$tmp/tui/rc"
} >"$tmp/tui/run"
chmod +x "$tmp/tui/run"

screen() { tmux -S "$tsock" capture-pane -p -t cx 2>/dev/null; }
screen_has() { screen | grep -qF -- "$1"; }
# tui_wait SECONDS TEXT: wait for TEXT on screen; give up at once if Codex exited
tui_wait() {
    local end=$(($(date +%s%N) + $1 * 1000000000))
    until screen_has "$2"; do
        [ ! -e "$tmp/tui/rc" ] && [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.05
    done
}
screen_has_all() { local s; s=$(screen); for t; do grep -qF -- "$t" <<<"$s" || return 1; done; }
screen_lacks() { ! screen | grep -qE -- "$1"; }
composer_row() { screen | grep -n 'Ask Codex to do anything' | tail -1 | cut -d: -f1; }
# type TEXT then Enter.  Keys arriving in one burst are taken as a paste, in
# which Enter inserts a newline instead of submitting: wait until the text is
# on screen and the burst window has passed before pressing Enter.
type_line() {
    tmux -S "$tsock" send-keys -t cx -l "$1"
    tui_wait 5 "$1" || return 1
    sleep 0.3
    tmux -S "$tsock" send-keys -t cx Enter
}

t0=$(now)
tmux -f /dev/null -S "$tsock" new-session -d -s cx -x 120 -y 40 "$tmp/tui/run"
tui_wait 20 "Ask Codex to do anything"; ready=$?
t1=$(now)
echo "# TUI composer visible after $(secs "$t0" "$t1") s"
tui_wait 3 "Mock Model"      # the status line comes a moment later
echo "# first screen:"
screen | sed '/^[[:space:]]*$/d' | diag
check "tui: first screen renders the composer" test "$ready" = 0
check "tui: header shows OpenAI Codex (v...)" screen_has "OpenAI Codex (v"
check "tui: no trust or login screen (git-looking cwd trusted via projects={...})" \
    screen_lacks "Trust this folder|Sign in with ChatGPT"

t0=$(now)
type_line "write the proof file"
tui_wait 20 "proof written"; got=$?
t1=$(now)
echo "# TUI turn: $(secs "$t0" "$t1") s"
check "tui: a typed prompt runs a turn and shows the answer" test "$got" = 0
check "tui: the command and its output are shown" \
    screen_has_all "Ran echo hello > proof.txt" "└ hello"
check "tui: the tool call wrote proof.txt" grep -qx hello "$work/proof.txt"
check "tui: the thread-title request was answered" \
    "$MOCKLOG" "$tmp/main.log" --event response --where kind=title -q
tui_wait 5 "Mock task"
check "tui: status line shows the title 'Mock task'" screen_has "Mock task"

type_line "and now?"
tui_wait 20 "turn two"
check "tui: a second prompt gets the second scripted turn" screen_has "turn two"
check "tui: originator codex-tui" \
    "$MOCKLOG" "$tmp/main.log" --event request --where headers.originator=codex-tui -q

row40=$(composer_row)
tmux -S "$tsock" resize-window -t cx -x 80 -y 24
redrawn24() { r=$(composer_row); [ -n "$r" ] && [ "$r" -le 24 ] && [ "$r" != "$row40" ]; }
wait_for 5 redrawn24
row24=$(composer_row)
wide=$(screen | awk '{ if (length($0) > 80) n++ } END { print n + 0 }')
check "tui: resize to 80x24 redraws (composer row $row40 -> ${row24:-none}, $wide lines wider than 80)" \
    test -n "$row24" -a "${row24:-99}" -le 24 -a "$wide" = 0
tmux -S "$tsock" resize-window -t cx -x 120 -y 40
redrawn40() { r=$(composer_row); [ -n "$r" ] && [ "$r" -gt 24 ]; }
wait_for 5 redrawn40
check "tui: resize back to 120x40 redraws (composer row $(composer_row))" redrawn40

t0=$(now)
tmux -S "$tsock" send-keys -t cx -l "/quit"
tui_wait 5 "/quit"
sleep 0.3
tmux -S "$tsock" send-keys -t cx Enter
wait_for 15 test -s "$tmp/tui/rc"
t1=$(now)
echo "# TUI /quit: $(secs "$t0" "$t1") s"
check "tui: /quit exits Codex with rc 0 (rc $(cat "$tmp/tui/rc" 2>/dev/null || echo none))" \
    test "$(cat "$tmp/tui/rc" 2>/dev/null)" = 0
check "tui: no app-server daemon (nothing under CODEX_HOME/packages)" test ! -e "$chome/packages"
[ "$(cat "$tmp/tui/rc" 2>/dev/null)" = 0 ] || { screen | diag; diag <"$tmp/tui/stderr"; }

# ----------------------------------------------------------------------------

[ "$n" = "$PLAN" ] || { echo "# planned $PLAN results, reported $n"; exit 1; }
[ "$failed" = 0 ] || echo "# $failed of $n failed"
[ "$failed" = 0 ]
