#!/usr/bin/env bash
# What is mounted is what was checked.  Another sandbox on the same project
# swaps the checked Codex home (.codex/.environment) for a link to a host
# directory between the runner's check and the engine's mount.
#  1. Deterministic: a relay in front of the engine's socket does the swap
#     exactly after the runner pinned its bind sources (at the sandbox's
#     create request).  The engine then mounts the link's target; the
#     sandbox's PID 1 must refuse before anything runs (exit 125).
#  2. The race driven many times: a flipper exchanges the directory and the
#     link continuously while runs start.  Every run either refuses (125) or
#     sees the real Codex home; none ever sees the outside directory.
. "$(dirname "$0")/../lib/common.sh"
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
OUT=$(mktemp -d /tmp/cs-outside.XXXXXX)
SOCK=$CS_HOME/engine.sock
PIDS=()
p=$(new_project)
trap 'for x in "${PIDS[@]:-}"; do [ -n "$x" ] && kill "$x" 2>/dev/null; done; wait 2>/dev/null; cleanup_projects; rm -rf "$CS_HOME" "$OUT"' EXIT
plan 14

CANARY=outside-$RANDOM$RANDOM
mkdir -p "$OUT/dir"; echo "$CANARY" > "$OUT/dir/canary"
chown -R "$TEST_UID:$TEST_GID" "$OUT"
outside_sum() { (cd "$OUT" && find . -printf '%p %y %u:%g %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
SUM0=$(outside_sum)

mkdir -p "$p/.codex/.environment"; echo REAL-HOME > "$p/.codex/.environment/canary"
ln -s "$OUT/dir" "$p/.codex/.swap"
chown -R "$TEST_UID:$TEST_GID" "$p"
A=$p/.codex/.environment B=$p/.codex/.swap
exchange() { python3 -c 'import ctypes,sys; l=ctypes.CDLL(None); sys.exit(l.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 2) != 0)' "$A" "$B"; }
# Put the real directory back at .codex/.environment.
restore() { [ -L "$A" ] && exchange; test -d "$A" -a ! -L "$A" -a -L "$B"; }
run() { out=$(cd "$p" && timeout -k 5 120 env HOME="$CS_HOME" "$@" "$CS" exec -- sh -c 'cat /codex_home/canary; echo > /codex_home/written-inside' </dev/null 2>&1); rc=$?; }
start_proxy() {
    rm -f "$CS_HOME/proxy.log" "$SOCK"
    python3 "$ROOT/tests/attacks/swap_proxy.py" "$SOCK" "$DOCKER_SOCK" "$A" "$B" "$@" > "$CS_HOME/proxy.log" 2>&1 &
    PIDS+=($!)
    wait_for grep -q READY "$CS_HOME/proxy.log"
}
stop_proxy() { kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null; }

# --- 1. the swap at the worst moment --------------------------------------------
# (The image is built or checked first, so the runs below are runs.)
(cd "$p" && timeout -k 5 600 env HOME="$CS_HOME" "$CS" exec -- true </dev/null >/dev/null 2>&1)
start_proxy --no-swap
run DOCKER_HOST=unix://$SOCK
is "$rc" 0 "control: through the relay without a swap the run succeeds"
like "$out" 'REAL-HOME' "control: ... and sees the real Codex home"
[ "$rc" = 0 ] || diag "$out"
stop_proxy
rm -f "$p/.codex/.environment/written-inside"

start_proxy
run DOCKER_HOST=unix://$SOCK
like "$(cat "$CS_HOME/proxy.log")" 'SWAPPED 1' "the relay swapped the Codex home for a link after the runner's check"
is "$rc" 125 "PID 1 refused to start: exit 125"
like "$out" 'not what the runner checked' "... with one line saying why"
unlike "$out" "$CANARY" "... the outside directory was never seen"
check "... nothing was written into it" test ! -e "$OUT/dir/written-inside"
stop_proxy
check "the real Codex home is put back" restore

# --- 2. the race, many times -------------------------------------------------------
python3 - "$A" "$B" > "$CS_HOME/flipper.log" 2>&1 <<'PY' &
import ctypes, random, sys, time
l = ctypes.CDLL(None)
n = 0
while True:
    l.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 2)
    n += 1
    print(n, flush=True)
    # Up to two seconds, about a run's check-to-mount time: some runs get
    # through, some flips land inside the window.
    time.sleep(random.random() * 2)
PY
PIDS+=($!)
RUNS=16 seen_real=0 refused=0 seen_out=0 other=0 by_pid1=0
flips() { cat "$CS_HOME/flipper.log" 2>/dev/null | wc -l; }
for i in $(seq $RUNS); do
    # Each run starts right after a flip, at a different point of the cycle.
    n=$(flips); wait_for test "$(flips)" -gt "$n"
    run
    if grep -q "$CANARY" <<<"$out"; then seen_out=$((seen_out + 1))
    elif [ "$rc" = 0 ] && grep -q REAL-HOME <<<"$out"; then seen_real=$((seen_real + 1))
    elif [ "$rc" = 125 ]; then refused=$((refused + 1)); [ $refused -le 3 ] && diag "run $i refused: $out"
        grep -q 'not what the runner checked' <<<"$out" && by_pid1=$((by_pid1 + 1))
    else other=$((other + 1)); diag "run $i: rc=$rc: $out"; fi
done
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null
diag "race: $RUNS runs: $seen_real saw the real home, $refused refused ($by_pid1 of them by PID 1), $other other; flips: $(tail -n1 "$CS_HOME/flipper.log")"
is "$seen_out" 0 "the race: no run ever saw the outside directory"
is "$other" 0 "the race: every run either refused (125) or saw the real Codex home"
check "the race was live: the flipper flipped" grep -q . "$CS_HOME/flipper.log"
check "the real Codex home is put back" restore

is "$(outside_sum)" "$SUM0" "the outside directory is byte-, owner- and mode-identical"
is "$(our_containers)" "" "no containers left"
done_testing
