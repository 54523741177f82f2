#!/usr/bin/env bash
# The E2B backend (--backend e2b) against the project's E2B emulator
# (tests/e2b/emulator: control plane + envd, real processes on real PTYs,
# real files; proved faithful by the official SDK in e2b-emulator.sh).
#
# The emulator runs sandbox processes on this host as TEST_UID (--user-uid),
# so file modes really bind the sandbox user; each sandbox's filesystem is a
# directory, and our wrapper resolves sandbox paths against it.  The
# template's `codex` is a small script (tests cannot reach a model).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"

plan 192

E2B=$ROOT/tests/e2b
TMP=$(mktemp -d /tmp/cs-e2b-test.XXXXXX)
chmod 755 "$TMP"                       # the sandbox user traverses the roots below it
KEY=e2b_$(printf '0%.0s' $(seq 1 40))
EMU_PIDS=()
export CS_HOME=$TMP/home
mkdir -p "$CS_HOME"
# Where the test and the sandbox's commands meet: the emulator runs them on
# this host as TEST_UID, so a file here is a signal both sides can wait on.
SIG=$TMP/sig
mkdir -p "$SIG"; chmod 777 "$SIG"
# wait_long SECS CMD...: wait for a state that takes longer than wait_for's 10 s.
wait_long() { local n=$(($1 * 10)); shift; local i; for i in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }

cleanup() {
    tmux_stop
    for p in "${EMU_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${EMU_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    cleanup_projects
    rm -rf "$TMP"
}
trap cleanup EXIT

for tool in python3 tmux git jq curl sha256sum; do
    command -v "$tool" >/dev/null || { not_ok "prerequisite $tool is installed"; done_testing; exit 1; }
done

# --- the template: a login profile that finds the template's binaries, and
# a fake `codex` that prints its argv and runs $CODEX_FAKE.
TPL=$TMP/tpl
mkdir -p "$TPL/home/user" "$TPL/usr/local/bin"
echo 'PATH="$E2B_EMULATOR_ROOT/usr/local/bin:$PATH"' > "$TPL/home/user/.profile"
cat > "$TPL/usr/local/bin/codex" <<'EOF'
#!/bin/sh
printf 'codex-args:'; for a in "$@"; do printf ' [%s]' "$a"; done; echo
[ -n "$CODEX_FAKE" ] && eval "$CODEX_FAKE"
exit 0
EOF
chmod 755 "$TPL/usr/local/bin/codex"

# start_emulator NAME [ARGS...]: sets PORT_<NAME>, PID_<NAME>; log $TMP/NAME.log
start_emulator() {
    local name=$1; shift
    python3 "$E2B/emulator" --port 0 --port-file "$TMP/$name.port" --log "$TMP/$name.log" \
        --api-key "$KEY" --root-dir "$TMP/roots-$name" --template-dir "codex=$TPL" \
        --user-uid "$TEST_UID:$TEST_GID" "$@" 2>"$TMP/$name.err" &
    local pid=$!
    EMU_PIDS+=("$pid")
    for _ in $(seq 100); do [ -s "$TMP/$name.port" ] && break; sleep 0.05; done
    [ -s "$TMP/$name.port" ] || return 1
    printf -v "PORT_$name" '%s' "$(cat "$TMP/$name.port")"
    printf -v "PID_$name" '%s' "$pid"
}

if start_emulator main; then ok "emulator started (port $PORT_main)"; else not_ok "emulator starts"; done_testing; exit 1; fi
URL=http://127.0.0.1:$PORT_main
LOG=$TMP/main.log
EENV=(E2B_API_URL="$URL" E2B_SANDBOX_URL="$URL" E2B_API_KEY="$KEY" HOME="$CS_HOME")

# run DIR ARGS... : the runner in DIR; stdout/stderr in $OUT/$ERR, status in $RC.
# MARK is the log position before the run (newlog shows what it sent).
run() {
    local dir=$1; shift
    MARK=$(wc -l < "$LOG")
    (cd "$dir" && env "${EENV[@]}" ${XENV:+"${XENV[@]}"} "$CS" --backend e2b "$@" \
        <"${STDIN:-/dev/null}" >"$TMP/out" 2>"$TMP/err")
    RC=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}
newlog() { tail -n +$((MARK + 1)) "$LOG"; }
# sent FILTER: the run sent a request matching the jq FILTER (jq 1.6's -e
# only looks at the last input, so count the matches instead).
sent() { newlog | jq -c "select($1)" | grep -q .; }
created() { newlog | jq -c 'select(.plane=="api" and .method=="POST" and (.path=="/v2/sandboxes" or .path=="/sandboxes"))'; }
live() { curl -s "$URL/_emulator/sandboxes" | jq length; }
# Error lines: what the runner says, minus its progress and notice lines.
errlines() {
    grep '^codex-sandbox: ' <<<"$ERR" | grep -cvE '^codex-sandbox: (E2B sandbox i|on E2B the egress|uploading |not uploaded: |from the sandbox: |no changes came back)'
}
errtext() {
    grep '^codex-sandbox: ' <<<"$ERR" | grep -vE '^codex-sandbox: (E2B sandbox i|on E2B the egress|uploading |not uploaded: |from the sandbox: |no changes came back)'
}
own() { chown -R "$TEST_UID:$TEST_GID" "$@"; }

# A git project: a .gitignore, an executable, links inside and out.
p=$(new_project)
(cd "$p" && git init -q . && printf 'secret.env\nbuild/\n' > .gitignore &&
 echo hello > README && echo original > conflict.txt && echo doomed > doomed.txt &&
 echo "KEY=1" > secret.env && mkdir -p build bin && echo junk > build/out.o &&
 printf '#!/bin/sh\necho run\n' > bin/run.sh && chmod 755 bin/run.sh &&
 ln -s README inside-link && ln -s /etc out-link)
own "$p"

# --- refusals before anything exists ------------------------------------------------
MARK=$(wc -l < "$LOG")
out=$(cd "$p" && env -u E2B_API_KEY E2B_API_URL="$URL" E2B_SANDBOX_URL="$URL" HOME="$CS_HOME" \
      "$CS" --backend e2b exec -- true </dev/null 2>&1); rc=$?
is "$rc" 125 "no E2B_API_KEY: exit 125"
like "$out" '^codex-sandbox: E2B_API_KEY is not set.*fix: export E2B_API_KEY' "... one line naming the variable and the fix"
is "$(created)" "" "... nothing created"

run "$p" --strict-egress exec -- true
is "$RC" 125 "--strict-egress: refused (exit 125)"
like "$ERR" 'strict-egress: E2B cannot give the local egress guarantee: DNS is not filtered' "... naming what E2B does not enforce"
is "$(errlines)" 1 "... in one line"
is "$(created)" "" "... nothing created"

run "$p" --allow 2001:db8::1 exec -- true
is "$RC:$(created)" "125:" "an IPv6 entry E2B cannot express: refused, nothing created"
like "$ERR" "'2001:db8::1' cannot be enforced on E2B: its egress rules are IPv4 only" "... naming the entry"
run "$p" --allow 10.1.2.3 exec -- true
is "$RC:$(created)" "125:" "a private address (always blocked by E2B): refused, nothing created"
like "$ERR" "'10.1.2.3' cannot be enforced on E2B.*10.0.0.0/8" "... naming the entry and the range"

XENV=(CODEX_SANDBOX_E2B_SYNC_LIMIT=20); run "$p" exec -- true; unset XENV
is "$RC:$(created)" "125:" "upload over CODEX_SANDBOX_E2B_SYNC_LIMIT: refused, nothing created"
like "$ERR" 'more than 20 bytes to upload.*CODEX_SANDBOX_E2B_SYNC_LIMIT' "... naming the limit and the variable"

# --- a default run: Codex, the create request, the notice, the exit status ----------
mkdir -p "$CS_HOME/.codex"
echo '{"tokens":{"access_token":"tok-1"}}' > "$CS_HOME/.codex/auth.json"
XENV=(OPENAI_ALLOWED_DOMAINS=example.org)
run "$p" --allow '*.example.com' -e FOO=bar -e SECRET_TOKEN=s3cr3t -e 'CODEX_FAKE=echo "foo=$FOO"; exit 3'
unset XENV
is "$RC" 3 "a default run ends with Codex's exit status (3)"
like "$OUT" "codex-args: \[-c\] \[sandbox_mode=\"danger-full-access\"\]" "Codex gets the runner's overrides"
like "$OUT" "\[projects=\{\"/app$p\"=\{trust_level=\"trusted\"\}\}\]" "... and trusts /app\$WORK_DIR, the project's path in the sandbox"
like "$OUT" 'foo=bar' "-e variables reach the sandbox"
body=$(created | jq -c .body)
is "$(jq -r .templateID <<<"$body")" codex "create: template codex"
is "$(jq -c .network <<<"$body")" '{"allowOut":["api.openai.com","chatgpt.com","auth.openai.com","example.org","*.example.com"],"denyOut":["0.0.0.0/0"]}' \
    "create: the allowlist (defaults, OPENAI_ALLOWED_DOMAINS, --allow) as network.allowOut, denyOut 0.0.0.0/0"
is "$(jq -r '.metadata.workdir + " " + .metadata.tool + " " + (.metadata.run|length|tostring)' <<<"$body")" "$p codex-sandbox 32" \
    "create: metadata workdir, tool and a run id"
is "$(jq -r '[.envVars.CODEX_HOME, .envVars.SANDBOX_ENV_DIR, .envVars.LANG, .envVars.FOO, (.envVars.HOME // "-")] | join(" ")' <<<"$body")" \
    "/codex_home /codex_home C.UTF-8 bar -" "create: env adapted (Codex home /codex_home, no HOME/USER of the local image)"
is "$(jq -r .timeout <<<"$body")" 900 "create: a timeout (900 s by default)"
is "$(grep -c 'what differs' <<<"$ERR")" 1 "the notice of what E2B enforces differently is printed once"
like "$ERR" 'DNS is not filtered.*8\.8\.8\.8' "... it names the open resolver"
like "$ERR" 'HTTP Host header \(port 80\) and TLS SNI \(port 443\)' "... and the Host/SNI matching on 80/443"
check "the egress rules E2B holds were checked after create" sent '.method=="GET" and ((.path // "")|startswith("/sandboxes/i"))'
is "$(newlog | jq -r 'select(.method=="DELETE") | .status')" 204 "the sandbox is killed at the end"
is "$(live)" 0 "no sandbox left"
is "$(newlog | jq -r 'select(.path=="/process.Process/Start") | .headers["connect-timeout-ms"] // "none"' | sort -u)" none \
    "no Connect-Timeout-Ms on any Start (it would kill the process)"

# --- files in: .gitignore, links, modes, layout, auth.json read-only ---------------
uploaded=$(newlog | jq -r 'select(.path=="/files" and .method=="POST") | .files[]?.path' | sort)
like "$uploaded" "^/app$p/README$" "the project is uploaded to /app\$WORK_DIR"
like "$uploaded" "^/app$p/bin/run.sh$" "... with its files in subdirectories"
unlike "$uploaded" 'secret\.env|build/out\.o' ".gitignore'd files are not uploaded"
unlike "$uploaded" '/\.git/' ".git is not uploaded"
like "$uploaded" '^/codex_home/auth.json$' "auth.json goes to /codex_home/auth.json"
like "$ERR" 'not uploaded: 1 symlinks pointing outside the project' "a symlink pointing outside is reported, not uploaded"
run "$p" exec -- sh -c 'id -u; test -x bin/run.sh && echo exec-ok; readlink inside-link; test -e out-link || echo no-out-link
  ls -ld "$CODEX_HOME" | cut -c1-10; stat -c "%a %U" "$CODEX_HOME/auth.json"
  echo x > "$CODEX_HOME/auth.json" 2>/dev/null || echo cannot-write
  rm -f "$CODEX_HOME/auth.json" 2>/dev/null || echo cannot-remove
  mv "$CODEX_HOME/auth.json" "$CODEX_HOME/a2" 2>/dev/null || echo cannot-move
  chmod 666 "$CODEX_HOME/auth.json" 2>/dev/null || echo cannot-chmod
  cat "$CODEX_HOME/auth.json"; echo; cat "$CODEX_HOME/../etc/codex/allowed_domains.txt" | head -1'
is "$RC" 0 "exec in the sandbox"
is "$(sed -n 1p <<<"$OUT")" "$TEST_UID" "... runs as the sandbox user (not root)"
like "$OUT" 'exec-ok' "the executable bit survives the upload"
like "$OUT" '^README$' "a symlink inside the project is recreated"
like "$OUT" 'no-out-link' "... one pointing outside is not"
like "$OUT" '^drwxrwxrwt' "/codex_home is root's sticky directory"
like "$OUT" '^444 root$' "auth.json is root's, mode 0444"
like "$OUT" 'cannot-write' "the sandbox user cannot modify auth.json"
like "$OUT" 'cannot-remove' "... nor remove it"
like "$OUT" 'cannot-move' "... nor move it away"
like "$OUT" 'cannot-chmod' "... nor change its mode"
like "$OUT" 'tok-1' "... but can read it"
like "$OUT" '^api.openai.com$' "the effective allowlist is in /etc/codex/allowed_domains.txt"

# --auth-writeback: a token Codex refreshes in the sandbox comes back.
run "$p" --auth-writeback exec -- sh -c 'stat -c "%a %u" "$CODEX_HOME/auth.json"
  echo "{\"tokens\":{\"access_token\":\"tok-refreshed\"}}" > "$CODEX_HOME/auth.json" && echo wrote'
is "$RC" 0 "--auth-writeback"
like "$OUT" "^600 $TEST_UID\$" "... auth.json is the sandbox user's (0600)"
like "$OUT" '^wrote$' "... and writable"
like "$(cat "$CS_HOME/.codex/auth.json")" 'tok-refreshed' "... the refreshed token is written back to the host file"
check "... and never copied into the project" test ! -e "$p/auth.json"
echo '{"tokens":{"access_token":"tok-1"}}' > "$CS_HOME/.codex/auth.json"
run "$p" --auth-writeback exec -- sh -c 'echo "not json" > "$CODEX_HOME/auth.json"'
is "$RC:$(cat "$CS_HOME/.codex/auth.json")" '125:{"tokens":{"access_token":"tok-1"}}' \
    "... an invalid auth.json from the sandbox is never written back (exit 125, as locally)"
like "$ERR" 'invalid auth.json' "... and the user is told"

# --- the init hook ------------------------------------------------------------------
printf '#!/bin/sh\necho "hook-out $SANDBOX_ENV_DIR"\necho hook >> order.txt\nexit ${HOOK_RC:-0}\n' > "$TMP/hook.sh"
run "$p" --init_script "$TMP/hook.sh" exec -- sh -c 'echo cmd >> order.txt; echo cmd-out'
is "$RC" 0 "with an init hook"
like "$OUT" 'hook-out .*/codex_home' "the hook's output is streamed, with SANDBOX_ENV_DIR"
is "$(tr '\n' ' ' < "$p/order.txt")" "hook cmd " "the hook runs before the command (and its files come back)"
rm -f "$p/order.txt"
run "$p" -e HOOK_RC=4 --init_script "$TMP/hook.sh" exec -- sh -c 'echo cmd >> order.txt'
is "$RC" 4 "a failing hook: exit status is the hook's"
like "$ERR" 'the init hook /codex_home/init.sh failed with status 4; the command was not started' "... the same message as locally"
is "$(cat "$p/order.txt")" "hook" "... the command never ran"
is "$(live)" 0 "... and the sandbox is gone"
rm -f "$p/order.txt" "$p/.codex/.environment/init.sh"

# --- stdio without a TTY, exit codes ------------------------------------------------
printf 'line1\nline2\n' > "$TMP/in.txt"
STDIN=$TMP/in.txt run "$p" exec -- sh -c 'cat; echo to-stderr >&2; exit 7'; unset STDIN
is "$RC" 7 "exec: the command's exit status (7)"
is "$OUT" $'line1\nline2' "piped stdin reaches the command, its stdout comes back on stdout"
like "$ERR" '^to-stderr$' "stderr stays separate"
unlike "$OUT" 'to-stderr' "... and out of stdout"
check "stdin was closed at EOF (CloseStdin)" sent '.path=="/process.Process/CloseStdin"'
head -c 300000 /dev/urandom > "$TMP/big.bin"
STDIN=$TMP/big.bin run "$p" exec -- sha256sum; unset STDIN
is "${OUT%% *}" "$(sha256sum < "$TMP/big.bin" | cut -d' ' -f1)" "300 kB of binary stdin arrive intact and in order"
run "$p" exec -- no-such-command-xyz
is "$RC" 127 "an unknown command: 127"

# --- sync back: updates, new files, deletions, ignored files, a conflict, the guard --
mkdir -p "$TMP/outside"; chmod 777 "$TMP/outside"
ln -s "$TMP/outside" "$p/trap"; own "$p"
# The local edit lands after the upload and before the sync back: the
# command says when it is running, and waits for the edit to be done.
rm -f "$SIG/running" "$SIG/edited"
( wait_for test -e "$SIG/running" && echo "local edit" > "$p/conflict.txt"; touch "$SIG/edited" ) & editor=$!
run "$p" -e SIG="$SIG" exec -- sh -c 'echo "remote change" >> README; echo new > new.txt; mkdir -p deep/er && echo d > deep/er/f.txt
  rm doomed.txt; echo ignored > secret.env; echo remote > conflict.txt; ln -s ../.. climbing; ln -s README in-sbx
  rm -f trap; mkdir trap; echo escaped > trap/f.txt; chmod +x new.txt
  touch "$SIG/running"; while [ ! -e "$SIG/edited" ]; do sleep 0.05; done'
wait "$editor"
is "$RC" 0 "a run that changes files"
is "$(cat "$p/README")" $'hello\nremote change' "a file changed remotely (untouched here) is updated"
is "$(cat "$p/new.txt"):$(cat "$p/deep/er/f.txt")" "new:d" "new files and directories are created"
is "$(stat -c %u "$p/new.txt" "$p/deep/er")" "$TEST_UID"$'\n'"$TEST_UID" "... owned by the project's owner"
check "... with the executable bit from the sandbox" test -x "$p/new.txt"
is "$(cat "$p/conflict.txt")" "local edit" "a file changed on both sides keeps the local edit"
is "$(cat "$p/conflict.txt.e2b-remote")" "remote" "... and the sandbox's version is kept beside it"
like "$ERR" 'conflict: conflict.txt changed here too; kept yours, the sandbox.s version is conflict.txt.e2b-remote' "... the user is told"
check "a file deleted in the sandbox is kept here" test -f "$p/doomed.txt"
like "$ERR" 'deleted in the sandbox, kept here: doomed.txt' "... and reported"
is "$(cat "$p/secret.env")" "KEY=1" "a .gitignore'd file written remotely is not copied back"
check "a symlink climbing out of the project is not created" test ! -e "$p/climbing" -a ! -L "$p/climbing"
like "$ERR" 'not created: symlink climbing -> \.\./\.\. \(it leads outside the project\)' "... and reported as leading outside"
check "a symlink made in the sandbox is never created here, even pointing inside" test ! -L "$p/in-sbx"
like "$ERR" 'not created: symlink in-sbx -> README \(links from the sandbox are not made here; make it with ln -s' "... it is reported, with how to make it"
check "nothing is written through a local symlink pointing outside" test ! -e "$TMP/outside/f.txt"
like "$ERR" 'from the sandbox: 1 updated, 2 created, 1 conflicts .* 1 deleted there' "a summary of what came back"
is "$(live)" 0 "no sandbox left"
rm -f "$p/trap" "$p/conflict.txt.e2b-remote"

# --- the timeout is extended while attached; keepalives are watched -------------------
XENV=(CODEX_SANDBOX_E2B_TIMEOUT=3); run "$p" exec -- sh -c 'sleep 5; echo survived'; unset XENV
is "$RC:$OUT" "0:survived" "a 3 s sandbox survives a 5 s command (its timeout is extended)"
check "... by POST /sandboxes/ID/timeout while attached" sh -c "[ \$(tail -n +$((MARK + 1)) '$LOG' | jq -r 'select((.path // \"\")|test(\"/timeout$\")) | .path' | wc -l) -ge 3 ]"
XENV=(CODEX_SANDBOX_E2B_KEEPALIVE=1); run "$p" exec -- sh -c 'sleep 6; echo quiet-done'; unset XENV
is "$RC:$OUT" "0:quiet-done" "a command silent for 6 s with 1 s keepalives"
is "$(newlog | jq -r 'select(.path=="/process.Process/Start" and .body.tag=="codex-sandbox") | .headers["keepalive-ping-interval"]')" 1 \
    "... asks envd for keepalives (Keepalive-Ping-Interval)"
unlike "$ERR" 'connection to the sandbox lost' "... and keepalives keep the stream alive"
# A stream that goes silent (the emulator stopped) is declared dead and
# reattached with Connect; the command carries on.
# Each step waits for the state it needs: the command's first output, the
# runner noticing the silence, the reconnect; only then may it finish.
rm -f "$SIG/go"
MARK=$(wc -l < "$LOG")
XENV=(CODEX_SANDBOX_E2B_KEEPALIVE=1)
( run "$p" -e SIG="$SIG" exec -- sh -c 'echo before; while [ ! -e "$SIG/go" ]; do sleep 0.1; done; echo after'
  echo "$RC" > "$TMP/stop.rc" ) & bg=$!
unset XENV
check "a stream that will go silent: the command runs" wait_long 30 grep -q before "$TMP/out"
kill -STOP "$PID_main"
check "... the emulator is stopped: the runner notices the silence" \
    wait_long 30 grep -q 'connection to the sandbox lost' "$TMP/err"
kill -CONT "$PID_main"
check "... it continues: the runner reconnects" wait_long 30 grep -q 'reconnected' "$TMP/err"
touch "$SIG/go"
wait "$bg"
RC=$(cat "$TMP/stop.rc"); OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
is "$RC" 0 "a stream silent for a while: the command still finishes"
like "$ERR" 'connection to the sandbox lost \(no data or keepalive for [0-9]+ s\); reconnecting' "... the silence is detected"
like "$ERR" 'reconnected' "... the runner reconnects"
like "$OUT" 'after' "... and gets the rest of the output"
check "... with process.Process/Connect" sent '.path=="/process.Process/Connect"'

# --- signals ------------------------------------------------------------------------
for sig in TERM INT HUP; do
    (cd "$p" && exec env "${EENV[@]}" "$CS" --backend e2b exec -- sleep 100 </dev/null >/dev/null 2>"$TMP/sig.err") &
    runner=$!
    check "SIG$sig: first the command runs in the sandbox" \
        wait_long 30 sh -c "[ \$(curl -s $URL/_emulator/sandboxes | jq '[.[].processes[]] | length') -ge 1 ]"
    kill -"$sig" "$runner"; wait "$runner"; rc=$?
    want=$((128 + $(kill -l "$sig")))
    is "$rc" "$want" "SIG$sig to the runner: exit $want"
    is "$(live)" 0 "... the sandbox is killed"
    like "$(cat "$TMP/sig.err")" "interrupted by signal $(kill -l "$sig"); the sandbox was removed" "... and it says so"
done

# --- the terminal: a real one (tmux) -----------------------------------------------------
cat > "$TMP/pane.sh" <<EOF
cd "$p"
sh -c 'echo \$\$ > "$TMP/pid.\$CS_PANE"; exec "\$@"' sh env ${EENV[*]} "$CS" --backend e2b \$CS_ARGS
echo "RUNNER-EXIT=\$?"
stty -a | tr '\n' ' ' > "$TMP/stty.\$CS_PANE"
sleep 600
EOF
tmux_start 100 30 "CS_PANE=t1 CS_ARGS=shell bash --norc $TMP/pane.sh"
tm send-keys -t "$TMUX_S" 'echo typed-$((40+2))' Enter
check "PTY: typed keys reach the shell in the sandbox" wait_screen '^typed-42$'
tm send-keys -t "$TMUX_S" 'stty size' Enter
check "PTY: the size is the terminal's from the start (30 100)" wait_screen '^30 100$'
tm resize-window -t "$TMUX_S" -x 120 -y 40
check "PTY: the resize reached envd (Update 120x40)" wait_for sh -c \
    "jq -c 'select(.path==\"/process.Process/Update\" and .body.pty.size.cols==120 and .body.pty.size.rows==40)' '$LOG' | grep -q ."
tm send-keys -t "$TMUX_S" 'clear; stty size' Enter
check "PTY: resizes follow (40 120)" wait_screen '^40 120$'
tm send-keys -t "$TMUX_S" 'sleep 100.0427; echo NOT-INTERRUPTED' Enter
check "PTY: the program runs in the sandbox" wait_for pgrep -u "$TEST_UID" -xf 'sleep 100.0427'
tm send-keys -t "$TMUX_S" C-c
tm send-keys -t "$TMUX_S" 'echo after-$((6*7))-ctrl-c' Enter
check "PTY: Ctrl-C interrupts the program in the sandbox" wait_screen '^after-42-ctrl-c$'
tm send-keys -t "$TMUX_S" 'exit 5' Enter
check "PTY: the runner ends with the shell" wait_screen 'RUNNER-EXIT='
like "$(screen)" 'RUNNER-EXIT=5' "PTY: the exit status is the shell's"
check "PTY: the pane recorded the terminal's settings after the runner" wait_for test -s "$TMP/stty.t1"
like "$(cat "$TMP/stty.t1")" '(^| )icanon( |$).*(^| )echo( |$)' "PTY: the terminal is restored"
MARK=0
check "PTY: Start asked for a PTY of the terminal's size" sent '.path=="/process.Process/Start" and .body.pty.size.cols==100 and .body.pty.size.rows==30'

subseq() {   # subseq OPS...: those dry-run operations' requests occur in the real run, in order
    python3 - "$TMP/dry-requests" "$TMP/real-requests" "$@" <<'PY'
import sys
dry = dict(l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines())
real = open(sys.argv[2]).read().splitlines()
i = 0
for op in sys.argv[3:]:
    want = dry[op]
    while i < len(real) and real[i] != want:
        i += 1
    if i == len(real):
        sys.exit("%s (%s) not found in order" % (op, want))
    i += 1
PY
}

# --- --keep, detach, attach (by tag, redraw, fresh credentials) -------------------------
tmux_stop
tmux_start 90 25 "CS_PANE=t2 CS_ARGS='--keep shell' bash --norc $TMP/pane.sh"
tm send-keys -t "$TMUX_S" 'echo first-$((1+1)); touch kept-file' Enter
check "--keep: the session runs" wait_screen '^first-2$'
kill -HUP "$(cat "$TMP/pid.t2")"
check "--keep + SIGHUP: the runner detaches and prints the id" wait_screen 'RUNNER-EXIT=129'
sid=$(screen | grep -oE 'attach i[a-z0-9]{20}' | head -1 | cut -d' ' -f2)
like "$sid" '^i[a-z0-9]{20}$' "--keep: the sandbox id is printed"
is "$(live)" 1 "--keep: the sandbox is still running"
check "--keep: what was uploaded is remembered for attach" test -f "$CS_HOME/.local/state/codex-sandbox/e2b/$sid.json"
echo '{"tokens":{"access_token":"tok-2"}}' > "$CS_HOME/.codex/auth.json"
MARK=$(wc -l < "$LOG")
tmux_stop
tmux_start 80 20 "cd $p; env ${EENV[*]} $CS attach $sid; echo ATTACH-EXIT=\$?; sleep 600"
check "attach: reconnects to the kept sandbox" wait_screen "attached to E2B sandbox $sid"
tm send-keys -t "$TMUX_S" 'echo again-$((2+2)); stty size; cat $CODEX_HOME/auth.json; echo' Enter
check "attach: the same shell takes input again" wait_screen '^again-4$'
check "attach: the PTY has the new terminal's size" wait_screen '^20 80$'
check "attach: fresh credentials were uploaded" wait_screen 'tok-2'
check "attach: found the process by its tag" sent '.path=="/process.Process/Connect" and .body.process.tag=="codex-sandbox"'
is "$(newlog | jq -r 'select(.path=="/process.Process/Update") | .body.pty.size.cols' | tr '\n' ' ')" "79 80 " \
    "attach: nudged the size (one column off, then back) so the program redraws"
tm send-keys -t "$TMUX_S" 'echo more > kept2.txt; exit 4' Enter
check "attach: ends with the command" wait_screen 'ATTACH-EXIT='
like "$(screen)" 'ATTACH-EXIT=4' "attach: the command's exit status"
check "attach: the work done before and after detaching comes back" test -f "$p/kept-file" -a -f "$p/kept2.txt"
is "$(live)" 0 "attach: the sandbox is killed at the end"
check "attach: the remembered state is removed" test ! -e "$CS_HOME/.local/state/codex-sandbox/e2b/$sid.json"
tmux_stop
rm -f "$p/kept-file" "$p/kept2.txt"

run "$p" --keep exec -- sh -c 'echo done-early > early.txt'
is "$RC" 0 "--keep with a command that ends: its status"
sid=$OUT
is "$(live):$(cat "$p/early.txt")" "1:done-early" "... files came back, the sandbox is left running, its id on stdout"
MARK=$(wc -l < "$LOG")
# attach is planned like a run: --dry-run prints the plan and the step table
# the attach then walks, and contacts nothing.
DRY=$(cd "$p" && env "${EENV[@]}" "$CS" attach --dry-run "$sid" </dev/null 2>/dev/null); rc=$?
is "$rc" 0 "attach --dry-run"
is "$(jq -r '[.operations[] | .op] | join(",")' <<<"$DRY" 2>/dev/null)" \
    "connect,check-sandbox,publish-forward,root-files,root-setup,find-command,reattach,sync-back,end" \
    "... lists the attach's operations in order"
is "$(jq -r '[.command, .backend, .work_dir, .attach.sandbox_id, .attach.work_dir_from, .operations[0].body.timeout, (.operations[] | select(.op == "reattach") | .body.process.tag), .operations[0].headers["X-API-KEY"]] | map(tostring) | join(" ")' <<<"$DRY" 2>/dev/null)" \
    "attach e2b $p $sid the state file 900 codex-sandbox (hidden)" \
    "... the project from the state file --keep wrote, the bodies from the run's builders, the key hidden"
is "$(newlog | grep -c .):$(live)" "0:1" "... makes no request and leaves the sandbox as it was"
out=$(cd "$p" && env "${EENV[@]}" "$CS" attach "$sid" </dev/null 2>&1); rc=$?
is "$rc" 0 "attach to a kept sandbox whose command ended"
like "$out" 'nothing is running in sandbox' "... says so"
is "$(live)" 0 "... and kills it"
newlog | jq -r 'select(.plane=="api" or .plane=="envd") | .method + " " + .path + (if .query.username then "?username=" + (.query.username | if type=="array" then .[0] else . end) else "" end)' > "$TMP/real-requests"
# (publish-forward sends no request: it binds local ports, none here)
jq -r '.operations[] | select(.method) | .op + " " + .method + " " + (.url | sub("^http://[^/]*"; ""))' <<<"$DRY" > "$TMP/dry-requests"
check "... the attach makes the listed requests in order (the command had ended: no reattach)" \
    subseq connect check-sandbox root-files root-setup find-command sync-back end
rm -f "$p/early.txt"
out=$(cd "$p" && env "${EENV[@]}" "$CS" attach "$sid" </dev/null 2>&1); rc=$?
is "$rc" 125 "attach to a sandbox that is gone: exit 125"
like "$out" 'no such sandbox' "... one clear line"

# --- API errors: one line, exit 125, nothing left ----------------------------------------
fault() { curl -s -X POST -d "{\"spec\":\"$1\"}" "$URL/_emulator/fail" >/dev/null; }
nofault() { curl -s -X DELETE "$URL/_emulator/fail" >/dev/null; }
EENV_OK=("${EENV[@]}")
EENV=(E2B_API_URL="$URL" E2B_SANDBOX_URL="$URL" E2B_API_KEY=e2b_wrong HOME="$CS_HOME")
run "$p" exec -- true
EENV=("${EENV_OK[@]}")
is "$RC:$(errlines)" "125:1" "401: exit 125, one line"
is "$(errtext)" "codex-sandbox: creating the E2B sandbox: E2B rejected the API key (code 401: Invalid API key, please visit https://e2b.dev/docs/quickstart/api-key to get your API key.) (fix: check E2B_API_KEY (a key from https://e2b.dev/dashboard?tab=keys))" \
    "... naming E2B's exact code and message, and the fix"
run "$p" --template no-such-template exec -- true
is "$RC:$(errlines)" "125:1" "404 template: exit 125, one line"
is "$(errtext)" "codex-sandbox: creating the E2B sandbox: E2B template 'no-such-template' not found (code 404: template 'no-such-template' not found) (fix: pass --template NAME or set E2B_TEMPLATE_ID to a template your team can use (default: codex))" \
    "... naming the template, E2B's exact code and message, and the fix"
fault 'POST /v2/sandboxes=429:Retry-After=1:times=2'
t0=$(date +%s%N); run "$p" exec -- echo after-429; dt=$(( ($(date +%s%N) - t0) / 1000000 ))
nofault
is "$RC:$OUT" "0:after-429" "429 with Retry-After: retried, then the run goes ahead"
check "... after honouring Retry-After (${dt} ms >= 2000)" test "$dt" -ge 2000
fault 'POST /v2/sandboxes=429:Retry-After=1'
run "$p" exec -- true
nofault
is "$RC:$(errlines)" "125:1" "429 that persists: exit 125, one line"
is "$(errtext)" "codex-sandbox: creating the E2B sandbox: E2B's rate limit (code 429: emulated fault), still limited after 3 retries (fix: wait a moment and try again; see your E2B plan's limits)" \
    "... after bounded retries, with the exact code and message"
fault 'POST /v2/sandboxes=503:error_code=sandbox_capacity_unavailable:message=no capacity'
run "$p" exec -- true
nofault
is "$RC:$(errlines)" "125:1" "5xx that persists: exit 125, one line"
is "$(errtext)" "codex-sandbox: creating the E2B sandbox: E2B API error (code 503: no capacity [sandbox_capacity_unavailable]) after 4 attempts (fix: E2B may be having trouble; try again later)" \
    "... with E2B's exact code, message and error_code"
fault 'POST /v2/sandboxes=500:times=1'
run "$p" exec -- echo after-500
nofault
is "$RC:$OUT" "0:after-500" "a single 5xx: retried"
fault 'POST /process.Process/Start=502:times=1'
run "$p" exec -- true
nofault
is "$RC:$(errlines)" "125:1" "envd failing after create: exit 125, one line"
is "$(errtext)" "codex-sandbox: preparing the layout as root in the sandbox: the sandbox is gone (killed or timed out) (code 502: emulated fault) (fix: start a new run; for long sessions raise CODEX_SANDBOX_E2B_TIMEOUT)" \
    "... saying exactly what happened"
is "$(live)" 0 "after every API error: no sandbox left"

# --- v1 fallback, dry run, doctor ---------------------------------------------------------
if start_emulator nov2 --no-v2; then
    MARK2=$(wc -l < "$TMP/nov2.log")
    out=$(cd "$p" && env E2B_API_URL=http://127.0.0.1:$PORT_nov2 E2B_SANDBOX_URL=http://127.0.0.1:$PORT_nov2 \
          E2B_API_KEY="$KEY" HOME="$CS_HOME" "$CS" --backend e2b exec -- echo v1-ok </dev/null 2>/dev/null); rc=$?
    is "$rc:$out" "0:v1-ok" "an API without /v2 routes: the v1 routes are used"
    is "$(tail -n +$((MARK2 + 1)) "$TMP/nov2.log" | jq -r 'select(.plane=="api" and .method=="POST" and (.path|endswith("sandboxes"))) | "\(.path) \(.status) \(.body.secure // "")"' | tr '\n' ',')" \
        "/v2/sandboxes 404 ,/sandboxes 201 true," "... POST /sandboxes with \"secure\": true after the 404"
else
    not_ok "emulator with --no-v2 starts"
fi

MARK=$(wc -l < "$LOG")
out=$(cd "$p" && env "${EENV[@]}" "$CS" --backend e2b --dry-run -e OPENAI_API_KEY=sk-dry-secret </dev/null 2>&1); rc=$?
is "$rc" 0 "--dry-run"
is "$(jq -r '[.operations[] | .op + " " + .method + " " + (.url | sub("^http://[^/]*"; ""))] | join(",")' <<<"$out" 2>/dev/null)" \
    "create-sandbox POST /v2/sandboxes,confirm-egress GET /sandboxes/<sandboxID>,root-files POST /files?username=root,root-setup POST /process.Process/Start,upload POST /files?username=user,command POST /process.Process/Start,sync-back POST /process.Process/Start,end DELETE /sandboxes/<sandboxID>" \
    "... lists the operations in order, each with its request"
is "$(jq -r '[.operations[0].body.envVars.OPENAI_API_KEY, .operations[0].headers["X-API-KEY"], .operations[2].headers["X-Access-Token"], .e2b.api_key] | join(" ")' <<<"$out" 2>/dev/null)" \
    "(hidden) (hidden) (hidden) (hidden)" "... with secrets hidden"
is "$(jq -r '[.operations[0].body.network.denyOut[0], .operations[0].body.metadata.run, .operations[3].body.process.cmd, .operations[5].body.tag, .e2b.egress.denyOut[0], (.e2b.egress.weaker_than_local | length > 0), .e2b.timeouts.sandbox_s, (.operations[4].scan.files > 0)] | map(tostring) | join(" ")' <<<"$out" 2>/dev/null)" \
    "0.0.0.0/0 <run-id> /bin/sh codex-sandbox 0.0.0.0/0 true 900 true" \
    "... the bodies from the run's builders, the egress mapping, the timeouts, the upload scan"
DRY=$out
check "... no secret anywhere in it" sh -c "! grep -qE 'sk-dry-secret|$KEY|tok-2' <<'EOF'
$out
EOF"
is "$(newlog | grep -c .)" 0 "... and makes no request"
# The operations the dry run lists are the requests a real run makes, in
# order.  confirm-egress, root-files and root-setup run on threads of their
# own beside the upload (root-setup after root-files on one thread when
# there is an auth.json, whose mode it sets), so each thread's sequence is
# checked on its own; all of them before the command.
real_requests() {
    newlog | jq -r 'select(.plane=="api" or .plane=="envd") | .method + " " + (.path | sub("^/sandboxes/[^/]+"; "/sandboxes/<sandboxID>")) + (if .query.username then "?username=" + (.query.username | if type=="array" then .[0] else . end) else "" end)' > "$TMP/real-requests"
}
run "$p" -e OPENAI_API_KEY=sk-dry-secret exec -- true
real_requests
jq -r '.operations[] | .op + " " + .method + " " + (.url | sub("^http://[^/]*"; ""))' <<<"$DRY" > "$TMP/dry-requests"
check "... the real run makes the listed requests in order (this thread)" \
    subseq create-sandbox upload command sync-back end
check "... and (the egress check's thread)" subseq create-sandbox confirm-egress command
check "... and (root's thread: auth.json, then the layout that sets its mode)" \
    subseq create-sandbox root-files root-setup command
is "$RC" 0 "... (that run succeeds)"
is "$(grep -c 'POST /process.Process/Start' "$TMP/real-requests")" 3 "... one Start each: root's layout, the command, the sync back"
# Without an auth.json the layout waits for nothing: three threads; still
# all before the command.
mv "$CS_HOME/.codex/auth.json" "$TMP/auth.away"
run "$p" exec -- true
mv "$TMP/auth.away" "$CS_HOME/.codex/auth.json"
real_requests
is "$RC" 0 "no auth.json: the run succeeds"
check "... the egress check before the command" subseq create-sandbox confirm-egress command
check "... root's files before the command" subseq create-sandbox root-files command
check "... root's layout before the command" subseq create-sandbox root-setup command
check "... the upload before the command, then the sync back" subseq create-sandbox upload command sync-back end
# The egress check fails while root's part and the upload run beside it:
# the run is refused, nothing of the user's starts, the sandbox is killed.
fault 'GET /sandboxes/i*=404:times=1:message=gone'
run "$p" exec -- sh -c 'echo RAN > ran-despite-refusal.txt'
nofault
is "$RC" 125 "the egress check fails: the run is refused (exit 125)"
like "$ERR" "checking the sandbox's egress rules" "... saying why"
is "$(newlog | jq -r 'select(.path=="/process.Process/Start" and .body.process.cmd=="/bin/bash") | .path' | grep -c .)" 0 \
    "... no process of the user's was started"
check "... nothing came back from it" test ! -e "$p/ran-despite-refusal.txt"
is "$(live)" 0 "... and the sandbox is killed"
out=$(env "${EENV[@]}" "$CS" doctor 2>&1)
like "$out" 'ok +e2b +E2B API at .* accepts E2B_API_KEY' "doctor: the key works against the API"
out=$(env E2B_API_URL="$URL" E2B_API_KEY=e2b_wrong HOME="$CS_HOME" "$CS" doctor 2>&1)
like "$out" 'FAIL +e2b .*rejected the API key' "doctor: a bad key is reported"

is "$(live)" 0 "nothing left in the emulator"
done_testing
