#!/usr/bin/env bash
# An opened address serves only its name (REQUIREMENTS R5.20, issue 12 item
# 4): codex-firewall serve with its first-bytes check, wired end to end, in
# two throwaway network namespaces (no Docker; nothing leaves them):
#
#   fwtest-os<pid> "sandbox": codex-firewall serve; probes as uid 1000
#        | veth 192.0.2.2/24  2001:db8:1::2/64
#   fwtest-ow<pid> "world": dnsmasq on 192.0.2.53 answering allowed.test AND
#        other.test with the same addresses (198.51.100.10, 2001:db8:2::80:
#        a shared CDN edge), also.test with 198.51.100.11; on each of those
#        and on 203.0.113.7 (an explicit entry) a TLS server answering ANY
#        SNI with one certificate, an HTTP server, a UDP 443 echo
#        (tests/integration/fwtest_tls.py).
#
# BENCH_ONLY=1 (tests/bench/flowcheck.sh): no tests, the figures instead:
# bulk HTTP throughput and connection setup through the sandbox's namespace
# with the check and without it (--flow-check off), in the same run.
. "$(dirname "$0")/../lib/common.sh"
if [ -n "${BENCH_ONLY:-}" ]; then plan 0; else plan 30; fi
HERE=$ROOT/tests/integration
FW=${FW:-$ROOT/bin/codex-firewall}
PY=/usr/bin/python3
W=fwtest-ow$$
S=fwtest-os$$
TMP=$(mktemp -d /tmp/fwtest-one-XXXXXX)
chmod 755 "$TMP"
PIDS=()
FWPID=

cleanup() {
    local p
    [ -n "$FWPID" ] && kill "$FWPID" 2>/dev/null
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.2
    for p in "${PIDS[@]}" $FWPID; do kill -9 "$p" 2>/dev/null; done
    ip netns del "$S" 2>/dev/null
    ip netns del "$W" 2>/dev/null
    rm -rf "/etc/netns/$S" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bail() { echo "Bail out! $*"; exit 1; }
[ "$(id -u)" = 0 ] || bail "needs root (network namespaces, nftables, NFQUEUE)"
[ -x "$FW" ] || bail "$FW not built (make all)"
for t in ip nft setpriv curl openssl dnsmasq $PY; do command -v "$t" >/dev/null || bail "$t missing"; done

inw() { ip netns exec "$W" "$@"; }
ins() { ip netns exec "$S" "$@"; }
ip netns add "$W" && ip netns add "$S" || bail "ip netns add"
ip link add fwow$$ netns "$W" type veth peer name fwos$$ netns "$S" || bail "veth"
inw ip link set lo up && inw ip link set fwow$$ up
inw ip addr add 192.0.2.1/24 dev fwow$$ && inw ip addr add 2001:db8:1::1/64 dev fwow$$ nodad
for a in 192.0.2.53 198.51.100.10 198.51.100.11 203.0.113.7; do inw ip addr add "$a/32" dev lo; done
inw ip addr add 2001:db8:2::80/128 dev lo
ins ip link set lo up && ins ip link set fwos$$ up
ins ip addr add 192.0.2.2/24 dev fwos$$ && ins ip addr add 2001:db8:1::2/64 dev fwos$$ nodad
ins ip route add default via 192.0.2.1 && ins ip -6 route add default via 2001:db8:1::1
mkdir -p "/etc/netns/$S" && echo "nameserver 127.0.0.1" >"/etc/netns/$S/resolv.conf"

# (not through inw: $! must be the server itself, for the cleanup)
ip netns exec "$W" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --user=root --bind-interfaces \
    --listen-address=192.0.2.53 --port=53 --local-ttl=300 --local=/test/ \
    --host-record=allowed.test,198.51.100.10,2001:db8:2::80 \
    --host-record=other.test,198.51.100.10,2001:db8:2::80 \
    --host-record=also.test,198.51.100.11 >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=edge.test -days 1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || bail "openssl req"
ip netns exec "$W" "$PY" "$HERE/fwtest_tls.py" "$TMP/cert.pem" "$TMP/key.pem" 198.51.100.10 198.51.100.11 \
    203.0.113.7 2001:db8:2::80 2>"$TMP/servers.err" &
PIDS+=($!)
wait_for inw bash -c 'exec 3<>/dev/tcp/203.0.113.7/443' 2>/dev/null || bail "the TLS servers did not start"

start_fw() {  # OUT ARGS...
    local out=$1; shift
    ip netns exec "$S" "$FW" serve --upstream 192.0.2.53 "$@" >"$out" 2>"$out.err" &
    FWPID=$!
    for _ in $(seq 200); do
        grep -qE '^(READY|ERROR) ' "$out" && break
        kill -0 "$FWPID" 2>/dev/null || break
        sleep 0.05
    done
}
stop_fw() {
    [ -n "$FWPID" ] || return 0
    kill -TERM "$FWPID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$FWPID" 2>/dev/null || break; sleep 0.05; done
    wait "$FWPID" 2>/dev/null
    FWPID=
}
asuser() { ins setpriv --reuid 1000 --regid 1000 --clear-groups "$@"; }
body() { asuser curl -sS -k --max-time 20 "$@" 2>>"$TMP/curl.err"; }
# curl as the sandbox's user: "CODE BYTES" on stdout, curl's exit status in $?;
# body: the body instead ("host=H sni=S" for /)
c() { asuser curl -sS -k --max-time 20 -o /dev/null -w '%{http_code} %{size_download}' "$@" 2>>"$TMP/curl.err"; }
tlshello() { asuser "$PY" "$HERE/fwtest_hello.py" hello "$@"; }
ALLOW=(--allow allowed.test --allow also.test --allow 203.0.113.7)

if [ -n "${BENCH_ONLY:-}" ]; then
    # Alternating rounds with the check on and off, the same world, the same
    # run: bulk HTTP (port 80 is judged like 443; plain HTTP keeps TLS's CPU
    # out of the figure) and the setup of a fresh connection (connect,
    # request, first byte: the SYN and the first bytes go through the queue).
    MB=${BENCH_MB:-512}
    declare -A tp st
    for round in 1 2 3 4 5; do
        order="on off"
        [ $((round % 2)) = 0 ] && order="off on"    # neither always goes first
        for mode in $order; do
            start_fw "$TMP/bench.out" --flow-check $mode "${ALLOW[@]}"
            grep -q "^READY " "$TMP/bench.out" || bail "the firewall did not start ($mode): $(head -c 300 "$TMP/bench.out")"
            asuser curl -s -o /dev/null http://allowed.test/ || bail "allowed.test not reachable ($mode)"
            q0=$(ins awk '$1 == 197 { print $8 }' /proc/net/netfilter/nfnetlink_queue)
            tp[$mode]+="$(asuser curl -s -o /dev/null -w '%{speed_download}' "http://allowed.test/big?mb=$MB") "
            [ $mode = on ] && queued_bulk=$(( $(ins awk '$1 == 197 { print $8 }' /proc/net/netfilter/nfnetlink_queue) - q0 ))
            st[$mode]+="$(asuser "$PY" "$HERE/fwtest_hello.py" setup 198.51.100.10 allowed.test 200 | awk '{print $2}') "
            stop_fw
        done
    done
    best() { tr ' ' '\n' | awk 'NF && $1 > m { m = $1 } END { printf "%.0f", m / 1048576 }'; }
    med() { tr ' ' '\n' | awk 'NF' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
    on=$(best <<<"${tp[on]}"); off=$(best <<<"${tp[off]}")
    printf 'flowcheck: bulk HTTP %s MiB, best of 5   %8s MiB/s  without the check %8s MiB/s  ratio %s (goal >= 0.95)\n' \
        "$MB" "$on" "$off" "$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
    echo "flowcheck: samples (bytes/s) with: ${tp[on]}; without: ${tp[off]}"
    echo "flowcheck: packets the check saw of one $MB MiB connection: $queued_bulk (the rest ran in the kernel)"
    on=$(med <<<"${st[on]}"); off=$(med <<<"${st[off]}")
    printf 'flowcheck: connection setup, median      %8s ms     without the check %8s ms     delta %+.3f ms (goal <= +0.2)\n' \
        "$on" "$off" "$(awk -v a="$on" -v b="$off" 'BEGIN { print a - b }')"
    exit 0
fi

# ---- the control: the world really serves every name on the shared address
r=$(ins curl -sS -k --max-time 5 --resolve other.test:443:198.51.100.10 https://other.test/ 2>&1)
check "control, no firewall: other.test is served on the shared address ($r)" grep -q 'sni=other.test' <<<"$r"

start_fw "$TMP/fw.out" "${ALLOW[@]}"
check "the firewall starts with the check on (READY)" grep -q '^READY ' "$TMP/fw.out"
[ -s "$TMP/fw.out.err" ] && diag "$(head -5 "$TMP/fw.out.err")"

# ---- TLS ---------------------------------------------------------------------
r=$(body https://allowed.test/)
check "curl https://allowed.test: served, the server saw SNI allowed.test ($r)" [ "$r" = "host=allowed.test sni=allowed.test" ]
r=$(c -4 --resolve other.test:443:198.51.100.10 https://other.test/); st=$?
check "SNI other.test (not allowed) to the shared address: refused (curl $st, $r)" [ "$st" != 0 -a "${r% *}" = 000 ]
check "...recorded as flow-refused, naming the SNI" grep -q \
    '^EVENT {"type":"flow-refused","addr":"198.51.100.10","port":443,"proto":"tcp","name":"other.test","reason":"TLS name other.test not allowed"}$' "$TMP/fw.out"
check "...the client sees a reset, at once ($(tail -1 "$TMP/curl.err"))" grep -q 'reset by peer' "$TMP/curl.err"
c https://also.test/ >/dev/null
r=$(c -4 --resolve also.test:443:198.51.100.10 https://also.test/); st=$?
check "an allowed name that never resolved to this address: refused (curl $st)" [ "$st" != 0 -a "${r% *}" = 000 ]
check "...reason: not allowed for this address" grep -q \
    '"name":"also.test","reason":"TLS name also.test not allowed for this address' "$TMP/fw.out"
r=$(asuser timeout 20 openssl s_client -noservername -connect 198.51.100.10:443 </dev/null 2>&1)
check "a ClientHello without SNI: refused" grep -q '"addr":"198.51.100.10","port":443,"proto":"tcp","reason":"no SNI"' "$TMP/fw.out"
r=$(body -6 https://allowed.test/)
check "IPv6: curl -6 https://allowed.test: served ($r)" [ "$r" = "host=allowed.test sni=allowed.test" ]
r=$(c -6 --resolve other.test:443:[2001:db8:2::80] https://other.test/); st=$?
check "IPv6: SNI other.test to the shared address: refused (curl $st)" [ "$st" != 0 -a "${r% *}" = 000 ]
check "...recorded with the IPv6 address" grep -q '"addr":"2001:db8:2::80","port":443,"proto":"tcp","name":"other.test"' "$TMP/fw.out"

# ---- a ClientHello over several segments (post-quantum key shares make it big)
r=$(tlshello 198.51.100.10 allowed.test 6000 900)
check "a 6 KB ClientHello in 900-byte segments, SNI allowed.test: reaches the server ($r)" grep -q '^answered' <<<"$r"
r=$(tlshello 198.51.100.10 other.test 6000 900)
check "...the same with SNI other.test: reset ($r)" [ "$r" = reset ]
r=$(tlshello 198.51.100.10 allowed.test 12000 1400)
check "a 12 KB ClientHello in 9 segments of 1400 bytes: judged whole, served ($r)" grep -q '^answered' <<<"$r"

# ---- HTTP ----------------------------------------------------------------------
r=$(asuser curl -sS --max-time 20 http://allowed.test/ 2>&1)
check "curl http://allowed.test: served, the server saw Host allowed.test ($r)" grep -q '^host=allowed.test ' <<<"$r"
r=$(c -4 -H 'Host: other.test' http://allowed.test/); st=$?
check "HTTP Host other.test to the shared address: refused (curl $st)" [ "$st" != 0 -a "${r% *}" = 000 ]
check "...recorded with the Host" grep -q '"port":80,"proto":"tcp","name":"other.test","reason":"HTTP Host other.test not allowed"' "$TMP/fw.out"

# ---- exempt: an explicit address; refused: QUIC to a DNS-learned address
r=$(body --resolve evil.test:443:203.0.113.7 https://evil.test/)
check "an explicitly listed address is exempt: any SNI is served ($r)" [ "$r" = "host=evil.test sni=evil.test" ]
r=$(asuser "$PY" "$HERE/fwtest_hello.py" udp 198.51.100.10)
check "UDP 443 (QUIC) to a DNS-learned address: refused at once ($r)" [ "$r" = refused ]
r=$(asuser "$PY" "$HERE/fwtest_hello.py" udp 203.0.113.7)
check "UDP 443 to an explicit address: passes ($r)" [ "$r" = echo ]

# ---- after the verdict: the flow runs in the kernel -----------------------------
# the queue's packet ids (/proc/net/netfilter/nfnetlink_queue, per namespace)
queued() { ins awk '$1 == 197 { print $8 }' /proc/net/netfilter/nfnetlink_queue; }
before=$(queued)
r=$(c https://allowed.test/big?mb=64)
after=$(queued)
check "after the verdict a 64 MiB transfer completes ($r)" [ "$r" = "200 67108864" ]
check "...in the kernel: $((after - before)) packets queued for the whole connection" \
    test -n "$before" -a "$((after - before))" -le 6
r=$(asuser curl -sS --max-time 20 -o /dev/null -w '%{size_download}' http://allowed.test/big?mb=64 2>&1)
check "...and over HTTP ($r)" [ "$r" = 67108864 ]

# ---- the summary -----------------------------------------------------------------
stop_fw
check "the summary counts the refused flows" grep -q \
    '^SUMMARY {"type":"flow-refused","addr":"198.51.100.10","port":443,"proto":"tcp","name":"other.test","reason":"TLS name other.test not allowed","count":[1-9]' "$TMP/fw.out"
check "the summary names QUIC refusals" grep -q '^SUMMARY {"type":"quic-refused","addr":"198.51.100.10","proto":"udp","port":443' "$TMP/fw.out"
check "the firewall wrote nothing on stderr" test ! -s "$TMP/fw.out.err"
[ -s "$TMP/fw.out.err" ] && diag "$(head -5 "$TMP/fw.out.err")"

# ---- expiry cannot skip the judge: connect while the address is open, wait
# until its element (and the name's pair) expired, then speak
start_fw "$TMP/short.out" --min-ttl 0 --max-ttl 1 --grace 0 "${ALLOW[@]}"
asuser curl -sS -o /dev/null --max-time 5 http://allowed.test/ 2>/dev/null
r=$(tlshello 198.51.100.10 other.test 0 2000 2.5)
check "connected while open, SNI other.test after the element expired: still judged, reset ($r)" [ "$r" = reset ]
asuser curl -sS -o /dev/null --max-time 5 http://allowed.test/ 2>/dev/null
r=$(tlshello 198.51.100.10 allowed.test 0 2000 2.5)
check "...SNI allowed.test: judged by when the flow began, served ($r)" grep -q '^answered' <<<"$r"
stop_fw

# ---- off: the old behaviour (every name on an opened address) ----------------------
start_fw "$TMP/off.out" --flow-check off "${ALLOW[@]}"
c https://allowed.test/ >/dev/null
r=$(body -4 --resolve other.test:443:198.51.100.10 https://other.test/)
check "--flow-check off: other.test is served on the opened address, as before ($r)" [ "$r" = "host=other.test sni=other.test" ]
stop_fw
grep -E '^(EVENT|SUMMARY)' "$TMP/fw.out" | head -20 | while read -r l; do diag "$l"; done
done_testing
