#!/usr/bin/env bash
# The engine the user has: API version negotiation against a stand-in with
# Docker Engine 29's policy (API 1.44..1.52, older paths refused with the
# engine's own error) in front of the real engine, DOCKER_API_VERSION,
# ConsoleSize by version, and the rootless / userns-remap decision with the
# stand-in claiming those SecurityOptions.  The real engine (20.10, API 1.41)
# is the rest of the suite, and the controls here.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/tmux.sh"
SD=$(mktemp -d /tmp/cs-standin.XXXXXX)
chmod 755 "$SD"     # the rootless case runs the runner as the test user
PIDS=()
trap 'for x in "${PIDS[@]:-}"; do [ -n "$x" ] && kill "$x" 2>/dev/null; done; tmux_stop; cleanup_projects; rm -rf "$SD"' EXIT

plan 55

# standin NAME [ARGS...]: a stand-in on $SD/NAME.sock logging to $SD/NAME.log.
standin() {
    local n=$1; shift
    python3 "$ROOT/tests/lib/engine-standin.py" --listen "$SD/$n.sock" --log "$SD/$n.log" "$@" \
        2>>"$SD/$n.err" &
    PIDS+=($!)
    wait_for grep -qs '^# listening' "$SD/$n.log" || diag "stand-in $n did not start: $(cat "$SD/$n.err")"
}
via() { local n=$1; shift; DOCKER_HOST="unix://$SD/$n.sock" "$@"; }
# The versions of the versioned paths a client used since the last reset.
versions() { grep -oE '^[A-Z]+ /v[0-9]+\.[0-9]+/' "$SD/$1.log" | grep -oE '[0-9]+\.[0-9]+' | sort -u | tr '\n' ' '; }
requests() { grep -vE '^(#|create |console-size )' "$SD/$1.log"; }
reset_log() { : > "$SD/$1.log"; }

SECOPTS_ROOTLESS='["name=seccomp,profile=default","name=rootless","name=cgroupns"]'
SECOPTS_USERNS='["name=apparmor","name=seccomp,profile=default","name=userns"]'
standin std
standin old --min 1.12                       # an Engine 24-like policy: 1.41 still served
standin rl-same --security-options "$SECOPTS_ROOTLESS" --owner-uid "$TEST_UID"
standin rl-other --security-options "$SECOPTS_ROOTLESS" --owner-uid 4242
standin userns --security-options "$SECOPTS_USERNS"
standin userproxy --owner-uid 4242            # a rootful engine behind someone's proxy
p=$(new_project)

# --- the stand-in's policy, and the controls ---------------------------------
msg='{"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}'
out=$(curl -sS -w '\n%{http_code}' --unix-socket "$SD/std.sock" http://docker/v1.41/_ping)
is "$out" "$msg"$'\n\n'"400" "the old fixed /v1.41 path is refused: 400 with Engine 29's message"
out=$(curl -sS -w ' %{http_code}' --unix-socket "$DOCKER_SOCK" http://docker/v1.41/_ping)
is "$out" "OK 200" "control: the real engine answers the same request (the refusal is the policy)"
out=$(curl -sS -w ' %{http_code}' --unix-socket "$SD/std.sock" http://docker/v1.44/_ping)
is "$out" "OK 200" "control: the stand-in forwards /v1.44"
out=$(curl -sS -D - -o /dev/null --unix-socket "$SD/std.sock" http://docker/_ping | tr -d '\r')
like "$out" '^Api-Version: 1\.52$' "/_ping says API-Version 1.52"
out=$(curl -sS --unix-socket "$SD/std.sock" http://docker/version | jq -r '"\(.ApiVersion) \(.MinAPIVersion)"')
is "$out" "1.52 1.44" "/version says ApiVersion 1.52, MinAPIVersion 1.44"

# --- the runner through the stand-in -------------------------------------------
reset_log std
out=$(cd "$p" && printf 'l1\nl2\n' | via std cs exec -- sh -c 'id -u; cat; echo done' 2>&1); rc=$?
is "$rc" 0 "exec through the stand-in succeeds"
is "$out" "$TEST_UID"$'\nl1\nl2\ndone' "... as the work dir's owner, stdin in and output out (hijacked both ways)"
is "$(versions std)" "1.52 " "every versioned path it used is /v1.52 (the newest both speak)"
is "$(requests std | grep -vE '^[A-Z]+ /v1\.52/')" "GET /version" "the only unversioned request is /version"
like "$(requests std)" 'POST /v1\.52/containers/[0-9a-f]{64}/attach\?stream=1&stdin=1' "the attach (hijacked) used /v1.52"
is "$(grep -c '^console-size' "$SD/std.log")" 0 "no ConsoleSize without a terminal"
reset_log std
out=$(cd "$p" && via std cs exec -- true </dev/null 2>&1); rc=$?
is "$rc:$out" "0:" "exec -- true through the stand-in"

# --- the dry run is the list the run executes ----------------------------------
# The requests the run just sent, in order, with what only the run knows
# (the API prefix, container ids, the run id in names) as the dry run's
# placeholders; then the dry run's operations, steps and teardown.
sent=$(requests std | perl -pe 's{^([A-Z]+) /v\d+\.\d+/}{$1 /}; s{\b([0-9a-f]{64})\b}{$n{$1} //= (++$k == 1 ? "<owner-id>" : "<sandbox-id>")}ge; s{-[0-9a-f]{8}(-fw)?$}{-<run-id>$1}')
reset_log std
planned=$(cd "$p" && via std cs --dry-run exec -- true </dev/null | jq -r '.operations[] | select(.method) | "\(.method) \(.path)"')
# The sandbox's creation overlaps the owner's start, and its removal the
# owner's summary (each on a connection of its own, R5.3): those two are
# compared on their own.
not_overlapped() { grep -vE '^(POST /containers/create\?name=[^ ]*-<run-id>|DELETE /containers/<sandbox-id>\?.*)$'; }
is "$(not_overlapped <<<"$sent")" "$(not_overlapped <<<"$planned")" \
    "the dry run lists the requests the run sends, in the same order (the sandbox's creation and removal aside)"
like "$(tr '\n' ' ' <<<"$sent")" 'stdin=0&stdout=1&stderr=1 .*POST /containers/create\?name=[^ ]*-<run-id> .*POST /containers/<sandbox-id>/attach' \
    "... the sandbox is created after the owner's attach, before its own"
like "$(tr '\n' ' ' <<<"$sent")" 'wait\?condition=not-running .*DELETE /containers/<sandbox-id>\?.*DELETE /containers/<owner-id>\?' \
    "... and removed after its end, before its network's owner"
like "$(tr '\n' ' ' <<<"$planned")" 'POST /containers/<owner-id>/start.*POST /containers/<sandbox-id>/start' \
    "... the firewall started before the sandbox is started"
is "$(requests std)" "" "... and the dry run asked the engine nothing"

# --- DOCKER_API_VERSION --------------------------------------------------------
reset_log std
out=$(cd "$p" && DOCKER_API_VERSION=1.45 via std cs exec -- echo pinned </dev/null 2>&1); rc=$?
is "$rc:$out" "0:pinned" "DOCKER_API_VERSION=1.45 inside the engine's range works"
is "$(versions std)" "1.45 " "... and every path used /v1.45"
reset_log std
out=$(cd "$p" && DOCKER_API_VERSION=1.41 via std cs exec -- echo SHOULD-NOT-RUN </dev/null 2>&1); rc=$?
is "$rc" 125 "DOCKER_API_VERSION=1.41 against Engine 29's policy: exit 125"
like "$out" "^codex-sandbox: Docker 29\.0\.0-standin at $SD/std\.sock: DOCKER_API_VERSION=1\.41: the engine speaks API 1\.44 to 1\.52 \(fix: unset DOCKER_API_VERSION to negotiate, or set one from 1\.44 to 1\.52\)$" \
    "... one line: why and what to do"
is "$(requests std)" "GET /version" "... and nothing but /version was asked (nothing created)"
out=$(cd "$p" && DOCKER_API_VERSION=1.53 via std cs exec -- true </dev/null 2>&1); rc=$?
is "$rc" 125 "DOCKER_API_VERSION=1.53 (newer than codex-sandbox speaks): exit 125"
like "$out" 'outside the API versions codex-sandbox speaks \(1\.41 to 1\.52\)' "... saying so"
out=$(cd "$p" && DOCKER_API_VERSION=1.41 cs exec -- echo real-1.41 </dev/null 2>&1); rc=$?
is "$rc:$out" "0:real-1.41" "control: DOCKER_API_VERSION=1.41 on the real 20.10 engine works"

# --- doctor ----------------------------------------------------------------------
out=$(cd "$p" && via std cs doctor 2>&1)
like "$out" '^ok +engine +Docker 29\.0\.0-standin at .*: API 1\.52 \(the engine speaks 1\.44 to 1\.52\)' \
    "doctor through the stand-in: API 1.52 of 1.44..1.52"
like "$out" '^ok +user +rootful engine' "doctor: rootful, the sandbox runs as the work dir's owner"
like "$out" '^ok +nftables' "doctor's container check works through the stand-in"
out=$(cd "$p" && cs doctor 2>&1)
like "$out" '^ok +engine +Docker 20\.10.*: API 1\.41 \(the engine speaks 1\.12 to 1\.41\)' \
    "doctor on the real engine: API 1.41"

# --- a terminal: ConsoleSize from 1.42, the resize call before ----------------------
# tty_run NAME [ENV...]: an interactive shell through stand-in NAME in tmux.
tty_run() {
    local n=$1; shift
    tmux_stop
    reset_log "$n"
    cat > "$SD/tty-$n.sh" <<EOF
cd "$p"
env $* DOCKER_HOST=unix://$SD/$n.sock HOME=${CS_HOME:-/tmp/cs-test-home} \
    ${CODEX_DOCKER_IMAGE:+CODEX_DOCKER_IMAGE=$CODEX_DOCKER_IMAGE} "$CS" exec -- bash --norc -i
echo "RUNNER-EXIT=\$?"
sleep 600
EOF
    tmux_start 100 30 "bash --norc $SD/tty-$n.sh"
    wait_screen 'codex@codex-sandbox|bash-[0-9.]+\$'
}
check "a TTY session through the stand-in shows a prompt" tty_run std
tm send-keys -t "$TMUX_S" 'stty size' Enter
check "the size is the terminal's from the start (30 100)" wait_screen '^30 100$'
is "$(grep '^console-size' "$SD/std.log")" "console-size 30 100" "API 1.52: the create carried ConsoleSize [30, 100]"
is "$(grep -c '/resize' "$SD/std.log")" 0 "... and no resize call was needed"
tm resize-window -t "$TMUX_S" -x 120 -y 40
sleep 0.5
tm send-keys -t "$TMUX_S" 'clear; stty size' Enter
check "a resize reaches the sandbox through the stand-in (40 120)" wait_screen '^40 120$'
tm send-keys -t "$TMUX_S" 'exit 5' Enter
check "the runner ends with the shell" wait_screen 'RUNNER-EXIT='
like "$(screen)" 'RUNNER-EXIT=5' "exit status is the program's"

check "API 1.41 (pinned, an engine that still serves it): a prompt" tty_run old DOCKER_API_VERSION=1.41
tm send-keys -t "$TMUX_S" 'stty size' Enter
check "API 1.41: the size is right from the start too (30 100)" wait_screen '^30 100$'
is "$(grep -c '^console-size' "$SD/old.log")" 0 "API 1.41: no ConsoleSize sent"
like "$(requests old)" 'POST /v1\.41/containers/[0-9a-f]{64}/resize\?h=30&w=100' "API 1.41: the runner resized after start"
tm send-keys -t "$TMUX_S" 'exit 0' Enter
wait_screen 'RUNNER-EXIT=' >/dev/null
tmux_stop

# --- rootless and userns-remap -------------------------------------------------------
# A rootless engine's user runs the runner as themselves; uid 0 in the
# sandbox is only that user outside in a real rootless engine, so the
# rootful engine behind the stand-in sees a capability-less root here.
reset_log rl-same
uhome=$(new_project)
out=$(cd "$p" && DOCKER_HOST="unix://$SD/rl-same.sock" setpriv --reuid="$TEST_UID" --regid="$TEST_GID" \
    --clear-groups env HOME="$uhome" "$CS" exec -- sh -c 'id -u; id -g' </dev/null 2>&1); rc=$?
is "$rc:$(tr '\n' ' ' <<<"$out")" "0:0 0 " "rootless engine of the work dir's owner (runner run by that user): runs, as 0:0 inside"
like "$(grep '^create User=' "$SD/rl-same.log")" 'create User=0:0' "... the create said User 0:0 (uid 0 there is the owner on the host)"
diag "not checked here: the file owner on the host (the engine behind the stand-in is rootful)"
out=$(cd "$p" && via rl-same cs doctor 2>&1)
like "$out" "^ok +user +rootless engine of uid $TEST_UID: the sandbox runs as 0:0 inside, files land as uid $TEST_UID" \
    "doctor: rootless engine of the same user accepted"
out=$(cd "$p" && via rl-same cs exec --network cs-test-none --dns 127.0.0.11 -- true </dev/null 2>&1); rc=$?
is "$rc" 125 "rootless + Docker's embedded DNS (uid 0 exempt in the firewall): refused"
like "$out" 'in a rootless engine the sandbox runs as uid 0.*--dns IP' "... saying why and what to do"

reset_log rl-other
out=$(cd "$p" && via rl-other cs exec -- echo SHOULD-NOT-RUN </dev/null 2>&1); rc=$?
is "$rc:$(wc -l <<<"$out")" "125:1" "rootless engine of another user: exit 125, one line"
like "$out" "^codex-sandbox: the rootless Docker engine belongs to uid 4242: files the sandbox writes would belong to uid 4242 on the host, not to uid $TEST_UID \(owner of the work dir\) \(fix: use uid $TEST_UID's own rootless engine" \
    "... naming whose engine it is, whose files they should be, and what to do"
is "$(grep -c 'containers/create' "$SD/rl-other.log")" 0 "... and nothing was created"
out=$(cd "$p" && via rl-other cs doctor 2>&1); rc=$?
like "$out" '^FAIL +user +the rootless Docker engine belongs to uid 4242' "doctor reports the same refusal"
out=$(cd "$p" && via rl-same cs exec --user 1001:1001 -- true </dev/null 2>&1); rc=$?
like "$rc:$out" '^125:.*belongs to uid '"$TEST_UID"'.* not to uid 1001 \(--user\)' "rootless engine of the owner but --user someone else: refused"

out=$(cd "$p" && via userns cs exec -- echo SHOULD-NOT-RUN </dev/null 2>&1); rc=$?
like "$rc:$out" '^125:codex-sandbox: the Docker engine runs with userns-remap: files the sandbox writes would belong to a subordinate uid' \
    "userns-remap: refused with exit 125 and why"
out=$(cd "$p" && via userns cs doctor 2>&1)
like "$out" '^FAIL +user +the Docker engine runs with userns-remap' "doctor reports it the same way"

out=$(cd "$p" && via userproxy cs exec -- echo SHOULD-NOT-RUN </dev/null 2>&1); rc=$?
like "$rc:$out" "^125:codex-sandbox: the Docker engine's socket is served by uid 4242, not root, and the engine does not say it is rootless" \
    "not rootless but not served by root (a proxy, Docker Desktop): refused"
is "$(grep -c 'containers/create' "$SD/userproxy.log")" 0 "... before anything was created"

is "$(our_containers)" "" "nothing left"
done_testing
