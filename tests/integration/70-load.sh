#!/usr/bin/env bash
# Load (issue 13), the functional half; make bench measures the same things
# at full size (tests/bench/load.sh).
#   - 10 sandboxes at once, each on its own project with its own allowlist:
#     all ten are up together (each waits for the host's go), all succeed,
#     each sees only its own project and its own allowlist (and its firewall
#     applies it), and nothing is left afterwards.
#   - LOAD_CYCLES (50) create/destroy cycles of the runner: every run
#     succeeds, each exits with the same descriptors open (only what it
#     inherited and the signal self-pipe: tests/bench/fdwatch.c lists them
#     at exit), its peak RSS does not grow, the engine's descriptors do not
#     grow, nothing is left; one run under valgrind loses nothing.
#   - a DNS flood from the agent (100,000 queries over 100,000 names, half
#     of them refused, from inside a real sandbox): the allowed name is still
#     answered within its normal latency, no refused name reaches the
#     upstream (the world's dnsmasq query log), the owner's memory stays
#     bounded and the sandbox still works afterwards.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/world.sh"
plan 30
CYCLES=${LOAD_CYCLES:-50}
TMP=$(mktemp -d /tmp/cs-load.XXXXXX); track_path "$TMP"
trap 'world_down; cleanup_projects' EXIT
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
ok "test world up ($WORLD_NET)"
if cc -O2 -static -o "$TMP/dnsbench" "$ROOT/tests/bench/dnsbench.c" 2>"$TMP/cc.err" &&
   cc -O2 -Wall -Werror -shared -fPIC -o "$TMP/fdwatch.so" "$ROOT/tests/bench/fdwatch.c" 2>>"$TMP/cc.err"; then
    ok "built the DNS load generator (static) and the descriptor lister"
else
    not_ok "built the DNS load generator and the descriptor lister"; diag "$(cat "$TMP/cc.err")"
fi
chmod 755 "$TMP" "$TMP/dnsbench"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Nothing of ours left: no container, no run dir (as tests/lib/leftovers.sh).
no_containers() { local c; c=$(our_containers) && [ -z "$c" ]; }
no_run_dirs() {
    [ -z "$(for d in /tmp/codex-sandbox-* "${XDG_RUNTIME_DIR:-/nonexistent}/codex-sandbox"; do
                [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1; done)" ]
}
# wait_files N PATTERN...: up to 120 s until N of the files exist
wait_files() {
    local n=$1 i; shift
    for i in $(seq 1200); do
        [ "$(ls -d "$@" 2>/dev/null | wc -l)" -ge "$n" ] && return 0
        sleep 0.1
    done
    return 1
}
# In a sandbox: wait (up to 60 s) for the host to create FILE in the project.
WAIT_FOR='n=0; while [ ! -e "$0" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done'

# ---- 10 sandboxes at once ------------------------------------------------------
t0=$(now_ms); (cd "$(new_project)" && cs exec -- true </dev/null >/dev/null 2>&1); alone=$(( $(now_ms) - t0 ))
P=()
t0=$(now_ms)
for i in $(seq 10); do
    p=$(new_project); P+=("$p"); touch "$p/mine-$i"; chown "$TEST_UID:$TEST_GID" "$p/mine-$i"
done
for i in $(seq 10); do
    p=${P[$((i - 1))]}
    # odd sandboxes allow web.test, even ones do not; each has one name of its own
    extra=(); [ $((i % 2)) = 1 ] && extra=(--allow web.test)
    (
        t=$(now_ms)
        cd "$p" && cs exec --network "$WORLD_NET" --dns "$WORLD_DNS" --allow "only$i.load.test" "${extra[@]}" -- \
            sh -c 'echo "own $(ls -A | grep mine | tr "\n" " ")"
                   echo "app $(find /app -maxdepth 3 -name "cs-proj.*" | tr "\n" " ")"
                   echo "allow $(grep load.test /etc/codex/allowed_domains.txt | tr "\n" " ")"
                   : > running; '"$WAIT_FOR"'
                   echo "web $(curl -s -m 3 http://web.test/ || echo refused)"' go \
            </dev/null >"$TMP/par$i.out" 2>"$TMP/par$i.err"
        echo "rc=$? ms=$(( $(now_ms) - t ))" > "$TMP/par$i.rc"
    ) &
done
if wait_files 10 "${P[@]/%//running}"; then up=10; else up=$(ls -d "${P[@]/%//running}" 2>/dev/null | wc -l); fi
up_ms=$(( $(now_ms) - t0 ))
for p in "${P[@]}"; do touch "$p/go"; done
wait
rcs=$(cat "$TMP"/par*.rc | cut -d' ' -f1 | sort | uniq -c | tr -s ' ')
is "$rcs" " 10 rc=0" "10 sandboxes started at once all succeed"
[ "$rcs" = " 10 rc=0" ] || diag "$(tail -n3 "$TMP"/par*.err)"
is "$up" 10 "all 10 were up at the same time (each waited for the host's go)"
diag "one alone: $alone ms; 10 at once: all up after $up_ms ms; each: $(sed 's/.*ms=//' "$TMP"/par*.rc | sort -n | tr '\n' ' ')ms"
own_ok=0 allow_ok=0 net_ok=0
for i in $(seq 10); do
    o=$(cat "$TMP/par$i.out"); p=${P[$((i - 1))]}
    [ "$(sed -n 's/^own //p' <<<"$o")" = "mine-$i " ] && [ "$(sed -n 's/^app //p' <<<"$o")" = "/app$p " ] &&
        own_ok=$((own_ok + 1))
    [ "$(sed -n 's/^allow //p' <<<"$o")" = "only$i.load.test " ] && allow_ok=$((allow_ok + 1))
    want=refused; [ $((i % 2)) = 1 ] && want=host-web
    [ "$(sed -n 's/^web //p' <<<"$o")" = "$want" ] && net_ok=$((net_ok + 1))
    [ "$own_ok$allow_ok$net_ok" = "$i$i$i" ] || { diag "sandbox $i:"; diag "$o"; }
done
is "$own_ok" 10 "each sees only its own project (its marker, its path under /app)"
is "$allow_ok" 10 "each sees only its own allowlist"
is "$net_ok" 10 "each firewall applies its own allowlist (odd ones reach web.test, even ones are refused)"
check "no containers left after 10 at once" wait_for no_containers
check "no run dirs left after 10 at once" no_run_dirs

# ---- create/destroy cycles -----------------------------------------------------
p=$(new_project)
dockerd_fds() { ls /proc/"$(pgrep -o -x dockerd)"/fd 2>/dev/null | wc -l; }
(cd "$p" && env HOME=/tmp/cs-test-home LD_PRELOAD="$TMP/fdwatch.so" CS_FDWATCH="$TMP/base.fds" /bin/true </dev/null)
d0=$(dockerd_fds); fails=0; t0=$(now_ms)
for i in $(seq "$CYCLES"); do
    (cd "$p" && env HOME=/tmp/cs-test-home LD_PRELOAD="$TMP/fdwatch.so" CS_FDWATCH="$TMP/cycles.fds" \
        "$CS" exec -- true </dev/null >/dev/null 2>>"$TMP/cycles.err") || fails=$((fails + 1))
done
wait_for no_containers; d1=$(dockerd_fds)
is "$fails" 0 "$CYCLES create/destroy cycles all succeed ($(( ($(now_ms) - t0) / CYCLES )) ms each)"
is "$(wc -l < "$TMP/cycles.fds")" "$CYCLES" "a descriptor list at exit from every cycle"
fdsets=$(sed 's/.*list=\([^ ]*\).*/\1/; s/:[^,]*//g' "$TMP/cycles.fds" | sort | uniq -c)
is "$(wc -l <<<"$fdsets")" 1 "every cycle exits with the same descriptors open ($(tr -s ' ' <<<"$fdsets"))"
base=$(sed 's/.*list=\([^ ]*\).*/\1/; s/:[^,]*//g' "$TMP/base.fds")
# what the runner has open beyond what it inherited: only the signal self-pipe
extra=$(head -n1 "$TMP/cycles.fds" | sed 's/.*list=\([^ ]*\).*/\1/' | tr ',' '\n' |
        grep -vE "^($(tr ',' '|' <<<"$base")):" | sed 's/:pipe:\[[0-9]*\]$/:pipe/' | tr '\n' ' ')
check "at exit only the inherited descriptors and the signal self-pipe are open (extra: ${extra:-none})" \
    grep -qE '^([0-9]+:pipe ){0,2}$' <<<"$extra"
hwm=($(sed 's/.*hwm_kb=\([0-9]*\).*/\1/' "$TMP/cycles.fds"))
first=$(printf '%s\n' "${hwm[@]:0:10}" | sort -n | tail -n1)
last=$(printf '%s\n' "${hwm[@]: -10}" | sort -n | tail -n1)
check "peak RSS does not grow over the cycles (first 10: max $first KiB, last 10: max $last KiB)" \
    test "${last:-999999}" -le $(( ${first:-0} + 1024 ))
check "no containers left after the cycles" no_containers
check "no run dirs left after the cycles" no_run_dirs
check "the engine's descriptors do not grow with the cycles (dockerd: $d0 -> $d1)" \
    test "$(( ${d1:-9999} - ${d0:-0} ))" -lt $(( CYCLES / 2 ))
(cd "$p" && env HOME=/tmp/cs-test-home valgrind --leak-check=full --errors-for-leak-kinds=definite \
    --error-exitcode=99 --log-file="$TMP/vg.log" "$CS" exec -- true </dev/null >/dev/null 2>"$TMP/vg.err")
is "$?" 0 "one run under valgrind succeeds with no memory error"
lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$TMP/vg.log" | tr -d ,)
is "${lost:-0}" 0 "... and definitely loses nothing"
check "... valgrind saw the run (its summary is there)" grep -q 'ERROR SUMMARY: 0 errors' "$TMP/vg.log"
[ "${lost:-0}" = 0 ] || diag "$(grep -A12 'definitely lost in' "$TMP/vg.log" | head -40)"

# ---- DNS flood from the agent ---------------------------------------------------
p=$(new_project)
cp "$TMP/dnsbench" "$p/dnsbench"; chown "$TEST_UID:$TEST_GID" "$p/dnsbench"
cp "$ROOT/tests/bench/flood.sh" "$p/flood.sh"
chmod 644 "$p/flood.sh"
# owner_kb FIELD: the sum of FIELD (VmRSS, VmHWM) over the owner's processes
owner_kb() {
    local id pid s=0 v
    id=$(running_role_id firewall) && [ -n "$id" ] || { echo -1; return; }
    for pid in $(api_get "/containers/$id/top" '.Processes[][1]'); do
        v=$(awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
q_refused0=$(grep -c 'refused\.test' "$WORLD_DIR/dnsmasq.log")
t0=$(now_ms)
(cd "$p" && cs exec --network "$WORLD_NET" --dns "$WORLD_DNS" --allow web.test --allow '*.wild.test' -- \
    sh flood.sh </dev/null >"$TMP/flood.out" 2>"$TMP/flood.err"; echo $? > "$TMP/flood.rc") &
wait_files 1 "$p/ready1"; rss0=$(owner_kb VmRSS); touch "$p/go1"
wait_files 1 "$p/ready2"; hwm1=$(owner_kb VmHWM); rss1=$(owner_kb VmRSS); touch "$p/go2"
wait
out=$(cat "$TMP/flood.out")
is "$(cat "$TMP/flood.rc")" 0 "the flooding sandbox runs ($(( $(now_ms) - t0 )) ms)"
[ "$(cat "$TMP/flood.rc")" = 0 ] || diag "$(tail -5 "$TMP/flood.err")"
diag "$out"
fig() { sed -n "s/^$1 .*$2=\([-0-9]*\).*/\1/p" <<<"$out"; }
check "the allowed name, alone: answered, median $(fig alone median_us) us" \
    test "$(fig alone lost)" = 0 -a "$(fig alone median_us)" -ge 0
lost=$(( $(fig allowed lost) + $(fig refused lost) ))
check "100,000 queries from 8 clients all answered (lost $lost; $(fig allowed qps) + $(fig refused qps) q/s)" \
    test "$lost" -le 100
m0=$(fig alone median_us); m1=$(fig during median_us)
check "the allowed name during the flood: all answered, median $m1 us (alone $m0 us)" \
    test "$(fig during lost)" = 0 -a "${m1:-999999}" -le $(( 20 * ${m0:-0} + 2000 ))
is "$(( $(grep -c 'refused\.test' "$WORLD_DIR/dnsmasq.log") - q_refused0 ))" 0 \
    "no refused name reached the upstream (dnsmasq's query log)"
fwd=$(grep -c 'query\[A\] f[0-9]*\.wild\.test' "$WORLD_DIR/dnsmasq.log")
check "control: the allowed flood names did reach it ($fwd of 50000)" test "$fwd" -ge 45000
check "the owner's memory stays bounded (RSS $rss0 KiB before, peak $hwm1, $rss1 after)" \
    test "$rss0" -gt 0 -a "$hwm1" -le $(( rss0 + 8192 ))
is "$(sed -n 's/^web //p' <<<"$out")" host-web "after the flood the allowed name still connects"
check "no containers left after the flood" wait_for no_containers
check "no run dirs left after the flood" no_run_dirs
done_testing
