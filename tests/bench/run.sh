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
#
# BENCH_N (default 10) runs per measurement; BENCH_ONLY=name to run one part.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/common.sh
N=${BENCH_N:-10}
ONLY=${BENCH_ONLY:-}
IMAGE=codex-sandbox:latest
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
report() {  # NAME VALUE UNIT BASELINE-NAME BASELINE-VALUE
    printf '%-34s %10s %-5s  %-26s %10s %-5s  ratio %s\n' "$1" "$2" "$3" "$4" "$5" "$3" "$(ratio "$2" "$5")"
}
# peak_rss_kb CMD...: peak RSS of CMD itself (not its children's children)
peak_rss_kb() {
    python3 - "$@" <<'P'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
P
}

echo "codex-sandbox bench ($(date -u +%FT%TZ), N=$N, $(nproc) cores)"
cs build >/dev/null 2>&1 || { echo "bench: building the image failed" >&2; exit 1; }
docker_cli=$(command -v docker)
p=$(new_project)
trap cleanup_projects EXIT

if want start; then
    ours=$(cd "$p" && median_ms cs exec -- true)
    base=$(median_ms "$docker_cli" run --rm "$IMAGE" true)
    report "start: exec -- true (pod)" "$ours" ms "docker run --rm IMAGE true" "$base"
fi

if want tty; then
    # 100 MB of output through a real PTY on our side and the attach.
    cmd="head -c 100000000 /dev/zero"
    ours=$(cd "$p" && median_ms script -qfec "$CS exec -- $cmd" /dev/null)
    base=$(median_ms script -qfec "$docker_cli run --rm -t $IMAGE $cmd" /dev/null)
    report "tty: 100 MB through the attach" "$ours" ms "docker run -t" "$base"
    report "tty: throughput" "$(( 100000 / (ours > 0 ? ours : 1) ))" MB/s "docker run -t" "$(( 100000 / (base > 0 ? base : 1) ))"
fi

if want rss; then
    ours=$(cd "$p" && peak_rss_kb "$CS" exec -- true)
    base=$(peak_rss_kb "$docker_cli" run --rm "$IMAGE" true)
    report "rss: runner peak (exec -- true)" "$ours" KiB "docker CLI peak" "$base"
fi

if want firewall && [ -x tests/bench/firewall.sh ]; then
    echo "--- firewall (tests/bench/firewall.sh, network namespaces)"
    tests/bench/firewall.sh 2>&1 | sed 's/^/  /'
fi

if want flowcheck && [ -x tests/bench/flowcheck.sh ]; then
    echo "--- flowcheck (tests/bench/flowcheck.sh, network namespaces)"
    tests/bench/flowcheck.sh 2>&1 | grep -v '^1\.\.0$' | sed 's/^/  /'
fi

if want codex; then
    echo "--- codex: one turn (tool call + answer), median of $N"
    . tests/lib/world.sh
    trap 'world_down; cleanup_projects' EXIT
    if world_up; then
        codex=$CODEX_BIN
        script=$(mktemp); echo '[[{"call":"exec_command","args":{"cmd":"echo hi"}},{"say":"done"}]]' > "$script"
        world_script 198.51.100.20 "$script"
        mkdir -p "$p/.codex/.environment"; cp tests/model-server/catalog.json "$p/.codex/.environment/"
        chown -R "$TEST_UID:$TEST_GID" "$p/.codex"
        for mode in quiet telemetry; do
            cfg=$(mktemp --suffix=.toml)
            extra=""
            [ $mode = quiet ] && extra='features.plugins = false
otel.metrics_exporter = "none"
analytics.enabled = false'
            printf '%s\n' 'model_provider = "mock"' 'model = "mock-model"' \
                'model_providers.mock = {name="Mock", base_url="http://model.test:8080/v1", wire_api="responses", request_max_retries=0, stream_max_retries=0}' \
                'features.unbounded_connection_retries = false' 'model_catalog_json = "/codex_home/catalog.json"' "$extra" > "$cfg"
            ours=$(cd "$p" && median_ms "$CS" --network "$WORLD_NET" --dns "$WORLD_DNS" --allow model.test --config "$cfg" \
                -- exec --skip-git-repo-check hi)
            # The host: same binary, same server (by address), same settings.
            hh=$(mktemp -d); mkdir -p "$hh/ch"; cp tests/model-server/catalog.json "$hh/ch/"
            sed -e 's#model.test#198.51.100.20#' -e "s#/codex_home/#$hh/ch/#" "$cfg" > "$hh/ch/config.toml"
            echo 'features.daemon_auto_start = false' >> "$hh/ch/config.toml"
            base=$(cd "$hh" && HOME=$hh CODEX_HOME=$hh/ch median_ms "$codex" exec --skip-git-repo-check \
                --dangerously-bypass-approvals-and-sandbox hi)
            report "codex exec, telemetry $( [ $mode = quiet ] && echo off || echo on)" "$ours" ms "same on the host" "$base"
            rm -rf "$hh" "$cfg"
        done
        rm -f "$script"
    fi
    world_down
fi

if want e2b && [ -x tests/bench/e2b.sh ]; then
    echo "--- e2b (tests/bench/e2b.sh, local emulator)"
    tests/bench/e2b.sh 2>&1 | sed 's/^/  /'
fi
