# make bench, the load part (sourced by tests/bench/run.sh, which defines
# cs, new_project, median_ms, row, now_s and BTMP).  tests/integration/70-load.sh
# checks the same things at a smaller size in make test.
#
#   load_parallel   10 sandboxes started at once: each one's start vs one alone
#   load_cycles     BENCH_CYCLES (1000) create/destroy cycles: the runner's
#                   descriptors and peak RSS at exit (tests/bench/fdwatch.c),
#                   the engine's descriptors, leftovers; valgrind on
#                   BENCH_VALGRIND (5) runs
#   load_flood      100,000 DNS queries from inside a sandbox (needs the
#                   test world up): the allowed name's latency alone vs during
#                   the flood, q/s, refused names forwarded (dnsmasq's log),
#                   the owner's memory

load_tools() {
    [ -x "$BTMP/dnsbench" ] || cc -O2 -static -o "$BTMP/dnsbench" tests/bench/dnsbench.c || return 1
    [ -f "$BTMP/fdwatch.so" ] || cc -O2 -shared -fPIC -o "$BTMP/fdwatch.so" tests/bench/fdwatch.c || return 1
    chmod 755 "$BTMP" "$BTMP/dnsbench"
}

load_parallel() {  # ALONE-MS
    local alone=$1 i p ms med max
    rm -f "$BTMP"/par.*
    for i in $(seq 10); do
        p=$(new_project)
        (
            t=$(now_ms)
            cd "$p" && cs exec -- true </dev/null >/dev/null 2>&1
            echo "$? $(( $(now_ms) - t ))" > "$BTMP/par.$i"
        ) &
    done
    wait
    ms=$(cat "$BTMP"/par.* | awk '$1 == 0 { print $2 }' | sort -n)
    med=$(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' <<<"$ms")
    max=$(tail -n1 <<<"$ms")
    row "10 sandboxes at once: start each (median; $(wc -l <<<"$ms")/10 ok)" "$med ms" "$alone ms (one alone)" \
        "≤ $((10 / $(nproc))) (10 on $(nproc) cores)"
    row "10 sandboxes at once: the slowest" "$max ms" "$alone ms (one alone)" "≤ $((10 / $(nproc)))"
}

# fd_numbers LINE: the descriptor numbers of one fdwatch line, e.g. "0,1,2,3,4"
fd_numbers() { sed 's/.*list=\([^ ]*\).*/\1/; s/:[^,]*//g' <<<"$1"; }

load_cycles() {
    local n=${BENCH_CYCLES:-1000} vn=${BENCH_VALGRIND:-5} p i fails=0 d0 d1 t0 first last h0 h1 lost errs left
    p=$(new_project)
    rm -f "$BTMP/cycles.fds"
    d0=$(ls /proc/"$(pgrep -o -x dockerd)"/fd | wc -l)
    t0=$(now_ms)
    for i in $(seq "$n"); do
        (cd "$p" && env HOME=/tmp/cs-test-home LD_PRELOAD="$BTMP/fdwatch.so" CS_FDWATCH="$BTMP/cycles.fds" \
            "$CS" exec -- true </dev/null >/dev/null 2>&1) || fails=$((fails + 1))
    done
    sleep 1
    d1=$(ls /proc/"$(pgrep -o -x dockerd)"/fd | wc -l)
    first=$(head -n1 "$BTMP/cycles.fds"); last=$(tail -n1 "$BTMP/cycles.fds")
    row "$n create/destroy cycles: runs failed" "$fails" "0" "0" -
    row "... runner fds open at exit, last vs first cycle" \
        "$(sed 's/.*fds=\([0-9]*\).*/\1/' <<<"$last") ($(fd_numbers "$last"))" \
        "$(sed 's/.*fds=\([0-9]*\).*/\1/' <<<"$first") ($(fd_numbers "$first"))" "equal"
    row "... distinct fd sets at exit over all cycles" \
        "$(while read -r l; do fd_numbers "$l"; done < "$BTMP/cycles.fds" | sort -u | wc -l)" "1" "1" -
    h0=$(head -n10 "$BTMP/cycles.fds" | sed 's/.*hwm_kb=\([0-9]*\).*/\1/' | sort -n | tail -n1)
    h1=$(tail -n10 "$BTMP/cycles.fds" | sed 's/.*hwm_kb=\([0-9]*\).*/\1/' | sort -n | tail -n1)
    row "... runner peak RSS, last 10 vs first 10 cycles" "$h1 KiB" "$h0 KiB" "≤ 1.0"
    row "... dockerd fds after vs before ($(( ($(now_ms) - t0) / n )) ms a cycle)" "$d1" "$d0" "≈ 1.0"
    left=$(( $(our_containers | grep -c .) + $(find /tmp/codex-sandbox-* -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) ))
    row "... containers + run dirs left" "$left" "0" "0" -
    lost=0 errs=0
    for i in $(seq "$vn"); do
        (cd "$p" && env HOME=/tmp/cs-test-home valgrind --leak-check=full --log-file="$BTMP/vg.$i" \
            "$CS" exec -- true </dev/null >/dev/null 2>&1)
        lost=$(( lost + $(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$BTMP/vg.$i" | tr -d , | head -n1) + 0 ))
        errs=$(( errs + $(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$BTMP/vg.$i" | head -n1) + 0 ))
    done
    row "valgrind, $vn runs: definitely lost / errors" "$lost B / $errs" "0 B / 0" "0" -
}

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

load_flood() {
    local p out q0 q1 fwd rss0 hwm1 i
    p=$(new_project)
    cp "$BTMP/dnsbench" "$p/dnsbench"; chown "$TEST_UID:$TEST_GID" "$p/dnsbench"
    cp tests/bench/flood.sh "$p/flood.sh"; chmod 644 "$p/flood.sh"
    q0=$(grep -c 'refused\.test' "$WORLD_DIR/dnsmasq.log")
    fwd=$(grep -c 'query\[A\] f[0-9]*\.wild\.test' "$WORLD_DIR/dnsmasq.log")
    (cd "$p" && cs exec --network "$WORLD_NET" --dns "$WORLD_DNS" --allow web.test --allow '*.wild.test' -- \
        sh flood.sh </dev/null >"$BTMP/flood.out" 2>"$BTMP/flood.err") &
    for i in $(seq 600); do [ -e "$p/ready1" ] && break; sleep 0.1; done
    rss0=$(owner_kb VmRSS); touch "$p/go1"
    for i in $(seq 1200); do [ -e "$p/ready2" ] && break; sleep 0.1; done
    hwm1=$(owner_kb VmHWM); touch "$p/go2"
    wait
    out=$(cat "$BTMP/flood.out")
    fig() { sed -n "s/^$1 .*$2=\([-0-9]*\).*/\1/p" <<<"$out"; }
    q1=$(grep -c 'refused\.test' "$WORLD_DIR/dnsmasq.log")
    fwd=$(( $(grep -c 'query\[A\] f[0-9]*\.wild\.test' "$WORLD_DIR/dnsmasq.log") - fwd ))
    row "DNS flood from the agent: allowed name's median during vs alone" \
        "$(fig during median_us) us" "$(fig alone median_us) us" "≤ +100 us" \
        "$(printf '%+d' $(( $(fig during median_us) - $(fig alone median_us) ))) us"
    row "... allowed name's p99 during vs alone" "$(fig during p99_us) us" "$(fig alone p99_us) us" "-"
    row "... flood q/s, 8 clients (50k forwarded + 50k refused names)" \
        "$(( $(fig allowed qps) + $(fig refused qps) ))" "-" "≥ 20000" -
    row "... queries lost (of 100,000) / hot name lost" "$(( $(fig allowed lost) + $(fig refused lost) )) / $(fig during lost)" \
        "0 / 0" "0" -
    row "... refused names at the upstream / allowed forwarded" "$((q1 - q0)) / $fwd" "0 / 50000" "0" -
    row "... owner memory: peak during vs idle before" "$hwm1 KiB" "$rss0 KiB" "bounded (+≤ 8 MiB)"
}
