#!/usr/bin/env bash
# make bench — speed and memory of codex-sandbox against baselines measured
# in the same run, as ratios.  Never pass/fail: it prints figures.
#
#   start      codex-sandbox exec -- true   vs  docker run --rm IMAGE true
#   tty        100 MB through the attach on a PTY  vs  docker run -t
#   rss        runner peak RSS  vs  the docker CLI
#   firewall   READY time (10 vs 1000 entries), DNS filter latency and q/s
#   flowcheck  bulk throughput and connection setup with the first-bytes check vs without
#   codex      one-turn codex exec in the sandbox vs on the host (same server)
#   e2b        create -> first PTY byte, runner vs the official SDK
#   load       10 sandboxes at once, BENCH_CYCLES (1000) create/destroy cycles
#              (fds, RSS, valgrind on BENCH_VALGRIND (5) runs), a DNS flood
#              from the agent (tests/bench/load.sh)
# It prints one table (figure, ours, baseline, ratio, goal), then the
# per-phase breakdowns of the start and of a Codex turn (the runner's step
# trace, CODEX_SANDBOX_TRACE, lined up with the command's and the model
# server's clocks: tests/bench/phases.py), then the sub-benches' raw lines.
#
# BENCH_N (default 10) runs per measurement; BENCH_ONLY=name to run one part.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/common.sh
. tests/lib/world.sh
. tests/bench/load.sh
. tests/bench/codex.sh
N=${BENCH_N:-10}
ONLY=${BENCH_ONLY:-}
IMAGE=codex-sandbox:latest
MODEL=198.51.100.20
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
BTMP=$(mktemp -d /tmp/cs-bench.XXXXXX)
ROWS=$BTMP/rows PHASES=$BTMP/phases RAW=$BTMP/raw
touch "$ROWS" "$PHASES" "$RAW"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
now_s() { date +%s.%N; }

# median_ms CMD...: run N times, print the median wall time in ms
median_ms() {
    local i t0 ts=()
    for i in $(seq "$N"); do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 </dev/null
        ts+=($(( ($(date +%s%N) - t0) / 1000000 )))
    done
    printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
first_number() { grep -oE '^-?[0-9]+(\.[0-9]+)?' <<<"$1" | head -n1; }
# row FIGURE OURS BASELINE GOAL [RATIO]: one line of the table.  OURS and
# BASELINE start with their number ("858 ms (docker run --rm IMAGE true)");
# the ratio is OURS / BASELINE unless given ("-": none).
row() {
    local r=${5:-}
    if [ -z "$r" ]; then
        r=$(awk -v a="$(first_number "$2")" -v b="$(first_number "$3")" \
            'BEGIN { if (a != "" && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$r" "$4" >> "$ROWS"
}
# peak_rss_kb CMD...: peak RSS of CMD itself (not its children's children)
peak_rss_kb() {
    python3 - "$@" <<'P'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
P
}
# median_total FILE...: the median of the runs' end - launch, in ms
median_total() {
    awk '$1 == "launch" { l[FILENAME] = $2 } $1 == "end" { e[FILENAME] = $2 }
         END { for (f in l) if (f in e) print int((e[f] - l[f]) * 1000) }' "$@" |
        sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# fw_rows FILE: table rows from tests/bench/firewall.sh's "# bench:" lines
# (the lines themselves are printed in full after the table)
fw_rows() {
    local k q m q2 m2 l ten thousand
    while read -r k q m q2 m2; do
        row "DNS via the filter, allowed name, $k client(s)" "$q q/s" "$q2 q/s (dnsmasq direct)" "≥ 20000 q/s"
        row "... median latency, $k client(s)" "$m us" "$m2 us (dnsmasq direct)" "≤ +100 us" \
            "$(printf '%+d' $((m - m2))) us"
    done < <(sed -n 's/.*allowed name, \([0-9]*\) client(s): \([0-9]*\) q\/s, median \([0-9]*\) us.*dnsmasq direct: \([0-9]*\) q\/s, median \([0-9]*\) us.*/\1 \2 \3 \4 \5/p' "$1")
    l=$(sed -n 's/.*never cached (forwarded), 1 client: \([0-9]*\) q\/s, median \([0-9]*\) us | dnsmasq direct: \([0-9]*\) q\/s, median \([0-9]*\) us.*/\1 \2 \3 \4/p' "$1")
    [ -n "$l" ] && set -- "$1" $l && row "DNS, allowed names never cached (forwarded), 1 client" "$2 q/s" \
        "$4 q/s (dnsmasq direct)" "≥ 0.8"
    ready() { sed -n "s/.*READY ms with $2 entries: *//p" "$1" | tr ' ' '\n' | grep . | sort -n |
              awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
    ten=$(ready "$1" 10); thousand=$(ready "$1" 1000)
    [ -n "$ten" ] && row "firewall READY, 1000 entries vs 10" "$thousand ms" "$ten ms (10 entries)" "< 5 ms, flat"
}

echo "codex-sandbox bench ($(date -u +%FT%TZ), N=$N, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
cs build >/dev/null 2>&1 || { echo "bench: building the image failed" >&2; exit 1; }
docker_cli=$(command -v docker)
p=$(new_project)
trap 'world_down; cleanup_projects; rm -rf "$BTMP"' EXIT
start_ours="" docker_base=""

if want start; then
    start_ours=$(cd "$p" && median_ms cs exec -- true)
    docker_base=$(median_ms "$docker_cli" run --rm "$IMAGE" true)
    row "start: exec -- true (pod)" "$start_ours ms" "$docker_base ms (docker run --rm IMAGE true)" "≤ 1.2"
    # The breakdown: the runner's steps, and when the command itself ran.
    for i in $(seq "$N"); do
        f=$BTMP/start.$i
        echo "launch $(now_s)" > "$f"
        t=$(cd "$p" && CODEX_SANDBOX_TRACE=$f cs exec -- date +%s.%N </dev/null 2>/dev/null)
        echo "end $(now_s)" >> "$f"
        echo "mark command runs ${t:-0}" >> "$f"
        # docker's own steps, one CLI call each, for comparison
        f=$BTMP/docker.$i
        echo "launch $(now_s)" > "$f"
        id=$("$docker_cli" create "$IMAGE" true 2>/dev/null)
        echo "mark created $(now_s)" >> "$f"
        "$docker_cli" start -a "$id" >/dev/null 2>&1
        echo "mark started and exited $(now_s)" >> "$f"
        "$docker_cli" rm "$id" >/dev/null 2>&1
        echo "end $(now_s)" >> "$f"
    done
    python3 tests/bench/phases.py "start: codex-sandbox exec -- date" "$BTMP"/start.* >> "$PHASES"
    echo >> "$PHASES"
    python3 tests/bench/phases.py "baseline: docker create, start -a, rm (3 CLI calls)" "$BTMP"/docker.* >> "$PHASES"
    echo >> "$PHASES"
fi

if want tty; then
    # 100 MB of output through a real PTY on our side and the attach.
    cmd="head -c 100000000 /dev/zero"
    ours=$(cd "$p" && median_ms script -qfec "$CS exec -- $cmd" /dev/null)
    base=$(median_ms script -qfec "$docker_cli run --rm -t $IMAGE $cmd" /dev/null)
    row "tty: 100 MB through the attach" "$ours ms" "$base ms (docker run -t)" "≤ 1.2"
    row "tty: throughput" "$(( 100000 / (ours > 0 ? ours : 1) )) MB/s" \
        "$(( 100000 / (base > 0 ? base : 1) )) MB/s (docker run -t)" "≥ 0.8"
fi

if want rss; then
    ours=$(cd "$p" && peak_rss_kb "$CS" exec -- true)
    base=$(peak_rss_kb "$docker_cli" run --rm "$IMAGE" true)
    row "rss: runner peak (exec -- true)" "$ours KiB" "$base KiB (docker CLI peak)" "≤ 0.3"
fi

if want firewall && [ -x tests/bench/firewall.sh ]; then
    tests/bench/firewall.sh > "$BTMP/fw.out" 2>&1
    sed 's/^/  /' "$BTMP/fw.out" | sed '1i --- firewall (tests/bench/firewall.sh, network namespaces)' >> "$RAW"
    fw_rows "$BTMP/fw.out"
fi

if want flowcheck && [ -x tests/bench/flowcheck.sh ]; then
    tests/bench/flowcheck.sh > "$BTMP/flow.out" 2>&1
    grep -v '^1\.\.0$' "$BTMP/flow.out" | sed 's/^/  /' |
        sed '1i --- flowcheck (tests/bench/flowcheck.sh, network namespaces)' >> "$RAW"
    l=$(sed -n 's/.*bulk HTTP \([0-9]*\) MiB, best of 5 *\([0-9.]*\) MiB\/s *without the check *\([0-9.]*\) MiB\/s.*/\1 \2 \3/p' "$BTMP/flow.out")
    [ -n "$l" ] && set -- $l && row "bulk HTTP through the first-bytes check ($1 MiB)" "$2 MiB/s" \
        "$3 MiB/s (--flow-check off)" "≥ 0.95"
    l=$(sed -n 's/.*connection setup, median *\([0-9.]*\) ms *without the check *\([0-9.]*\) ms.*/\1 \2/p' "$BTMP/flow.out")
    [ -n "$l" ] && set -- $l && row "connection setup with the first-bytes check" "$1 ms" \
        "$2 ms (--flow-check off)" "≤ +0.2 ms" "$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f ms", a - b }')"
fi

world_ok=0
if want codex || want load; then
    if world_up; then world_ok=1
    else echo "bench: the test world did not come up; no codex or flood figures" >&2; fi
fi
if want codex && [ "$world_ok" = 1 ]; then
    codex_bench
fi

if want e2b && [ -x tests/bench/e2b.sh ]; then
    tests/bench/e2b.sh > "$BTMP/e2b.out" 2>&1
    sed 's/^/  /' "$BTMP/e2b.out" | sed '1i --- e2b (tests/bench/e2b.sh, local emulator)' >> "$RAW"
    r=$(sed -n 's/^e2b_first_pty_byte_runner \([0-9.]*\) ms/\1/p' "$BTMP/e2b.out")
    s=$(sed -n 's/^e2b_first_pty_byte_sdk \([0-9.]*\) ms/\1/p' "$BTMP/e2b.out")
    [ -n "$r" ] && row "E2B create -> first PTY byte" "$r ms" "$s ms (official SDK, same emulator)" "≤ 1.0"
fi

if want load; then
    if load_tools; then
        [ -n "$start_ours" ] || start_ours=$(cd "$p" && median_ms cs exec -- true)
        load_parallel "$start_ours"
        load_cycles
        [ "$world_ok" = 1 ] && load_flood
    else
        echo "bench: building the load tools failed" >&2
    fi
fi

echo
echo "| figure | ours | baseline (same run) | ratio | goal |"
echo "|---|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$ROWS"
if [ -s "$PHASES" ]; then echo; cat "$PHASES"; fi
if [ -s "$RAW" ]; then echo; cat "$RAW"; fi
