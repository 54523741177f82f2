#!/usr/bin/env bash
# Lifecycle: signals to the runner stop and remove the sandbox (and its
# network owner) with the conventional status; a runner killed with SIGKILL
# leaves containers the next run removes; sandboxes on one work dir run side
# by side.
. "$(dirname "$0")/../lib/common.sh"
plan 19
trap cleanup_projects EXIT
p=$(new_project); track_path "$p.err"   # the runner's stderr, beside it

start_bg() {  # start a long sandbox in the background; sets RUNNER
    (cd "$p" && exec env HOME=/tmp/cs-test-home "$CS" exec -- sleep 300 </dev/null >/dev/null 2>"$p.err") &
    RUNNER=$!
    wait_sandboxes 1
}

for sig in TERM INT HUP; do
    start_bg
    check "SIG$sig: the sandbox is running" containers_left
    t0=$(date +%s%N)
    kill -"$sig" "$RUNNER"
    wait "$RUNNER"; rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    want=$((128 + $(kill -l "$sig")))
    is "$rc" "$want" "SIG$sig: runner exits $want (${ms} ms)"
    is "$(our_containers)" "" "SIG$sig: sandbox and network owner removed"
    like "$(cat "$p.err")" "interrupted by signal" "SIG$sig: says so"
done
rm -f "$p.err"

# SIGKILL: nothing can clean up then; the next run does.
start_bg
kill -KILL "$RUNNER"; wait "$RUNNER" 2>/dev/null
check "SIGKILL leaves the sandbox behind (expected)" containers_left
out=$(cd "$p" && cs exec -- true </dev/null 2>&1); rc=$?
is "$rc" 0 "the next run succeeds"
like "$out" 'removed .* left behind by a runner that is gone' "it says it removed the leftovers"
is "$(our_containers)" "" "nothing left afterwards"

# Two sandboxes on the same work dir at the same time: each waits for the
# go-file, so both are up when they are counted.
(cd "$p" && cs exec -- sh -c 'until [ -e go ]; do sleep 0.1; done; echo one' </dev/null > "$p.one" 2>&1) &
a=$!
(cd "$p" && cs exec -- sh -c 'until [ -e go ]; do sleep 0.1; done; echo two' </dev/null > "$p.two" 2>&1) &
b=$!
wait_sandboxes 2
n=$(running_sandboxes)
is "$n" 2 "two sandboxes on one work dir run at once, with distinct names"
touch "$p/go"
wait $a; ra=$?; wait $b; rb=$?
rm -f "$p/go"
is "$ra:$rb:$(cat "$p.one"):$(cat "$p.two")" "0:0:one:two" "both finish with their own output"
rm -f "$p.one" "$p.two"
is "$(our_containers)" "" "nothing left"
done_testing
