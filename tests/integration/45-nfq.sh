#!/usr/bin/env bash
# The first-bytes judge behind a real NFQUEUE (firewall/nfq.c +
# firewall/flowcheck.c, driven by tests/integration/fwtest_nfq.c), in two
# throwaway network namespaces joined by a veth (MTU 1500):
#
#   fwtest-nc<pid> "client": the rule shape of nfq_rule_text() (iptables-nft), fwtest_nfq on queue 7, openssl s_client
#   fwtest-ns<pid> "server": openssl s_server on 10.77.0.2:443 (any SNI,
#        the same certificate), 2 MB to fetch
#
# Shown: a flow whose SNI is allowed and learned for 10.77.0.2 is accepted,
# and after the verdict its 2 MB run in the kernel (the queue counter grows
# by the handshake's few packets, not by the transfer's ~1400); a flow with
# an allowed name never learned for that address, and one with a name not
# allowed, are reset; a hello without SNI is reset.  Nothing leaves the two
# namespaces.  Needs root.
. "$(dirname "$0")/../lib/common.sh"
plan 13
HERE=$ROOT/tests/integration
C=fwtest-nc$$
S=fwtest-ns$$
TMP=$(mktemp -d /tmp/fwtest-nfq-XXXXXX)
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$p" 2>/dev/null
    done
    ip netns del "$C" 2>/dev/null
    ip netns del "$S" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bail() { echo "Bail out! $*"; exit 1; }
[ "$(id -u)" = 0 ] || bail "needs root (network namespaces, nftables, NFQUEUE)"
for t in ip iptables-nft openssl cc pkg-config; do command -v "$t" >/dev/null || bail "$t missing"; done
LIBS="$ROOT/${BUILD:-build}/libfw.a $ROOT/${BUILD:-build}/libcommon.a"
for l in $LIBS; do [ -f "$l" ] || bail "$l not built (make all)"; done

cc -std=gnu11 -O2 -Wall -Wextra -Werror -I"$ROOT" -D_GNU_SOURCE -o "$TMP/fwtest_nfq" \
    "$HERE/fwtest_nfq.c" $LIBS $(pkg-config --libs libmnl) 2>"$TMP/cc.err"
check "the queue driver builds $(head -c 200 "$TMP/cc.err")" test -x "$TMP/fwtest_nfq"

inc() { ip netns exec "$C" "$@"; }
ins() { ip netns exec "$S" "$@"; }
ip netns add "$C" && ip netns add "$S" || bail "ip netns add"
ip link add nfqc$$ netns "$C" type veth peer name nfqs$$ netns "$S" || bail "veth"
inc ip addr add 10.77.0.1/24 dev nfqc$$ && inc ip link set nfqc$$ up && inc ip link set lo up
ins ip addr add 10.77.0.2/24 dev nfqs$$ && ins ip link set nfqs$$ up && ins ip link set lo up
ins ip addr add 10.77.0.3/24 dev nfqs$$

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=shared.test -days 1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || bail "openssl req"
mkdir -p "$TMP/www" && head -c 2000000 /dev/zero > "$TMP/www/big"
(cd "$TMP/www" && exec ip netns exec "$S" openssl s_server -quiet -accept 443 -WWW \
    -cert "$TMP/cert.pem" -key "$TMP/key.pem" >/dev/null 2>&1) &
PIDS+=($!)

# This kernel family may lack nft's native queue expression (CONFIG_NFT_QUEUE)
# while it has xtables' NFQUEUE through nft_compat: the rule shape is written
# with iptables-nft here (the ruleset will use the native expression when the
# kernel has it, the compat target otherwise).  An address listed explicitly
# (10.77.0.3 here) is simply not matched by the queue rule.
ipt() { inc iptables-nft -w "$@"; }
ipt -A OUTPUT -m mark --mark 0xc10000/0xc50000 -j CONNMARK --set-mark 0xc10000 &&
ipt -A OUTPUT -m mark --mark 0xc10000/0xc50000 -j ACCEPT &&
ipt -A OUTPUT -m mark --mark 0xc40000/0xc50000 -j CONNMARK --set-mark 0xc40000 &&
ipt -A OUTPUT -p tcp -m mark --mark 0xc40000/0xc50000 -j REJECT --reject-with tcp-reset &&
ipt -A OUTPUT -p tcp -m conntrack --ctdir ORIGINAL -m connmark --mark 0xc40000 \
    -j REJECT --reject-with tcp-reset &&
ipt -A OUTPUT -p tcp -d 10.77.0.2 -m multiport --dports 80,443 -m conntrack --ctdir ORIGINAL \
    --ctstate NEW,ESTABLISHED -m connmark ! --mark 0xc10000 -j NFQUEUE --queue-num 7 ||
    bail "iptables-nft: the rule shape was refused"
ip netns exec "$C" "$TMP/fwtest_nfq" 7 "allowed.test other.test" allowed.test=10.77.0.2 other.test=10.77.0.9 \
    >"$TMP/verdicts" 2>"$TMP/driver.err" &
PIDS+=($!)
check "the driver binds queue 7" wait_for grep -q READY "$TMP/verdicts"
wait_for ins bash -c 'ss -ltn | grep -q ":443 "' || bail "openssl s_server did not start"

queued() { ipt -L OUTPUT -v -x -n | awk '/NFQUEUE/ { print $1 }'; }
fetch() {  # SNI PATH -> body bytes on stdout
    printf 'GET /%s HTTP/1.0\r\n\r\n' "$2" | inc timeout 20 openssl s_client -quiet -connect 10.77.0.2:443 \
        -servername "$1" 2>"$TMP/s_client.err"
}

before=$(queued)
n=$(fetch allowed.test big | wc -c)
after=$(queued)
check "allowed SNI, learned for the address: 2 MB fetched (got $n bytes)" test "$n" -ge 2000000
check "...and judged ALLOW" grep -q '^ALLOW allowed.test$' "$TMP/verdicts"
check "...the transfer ran in the kernel: $((after - before)) packets queued for ~1400 sent" \
    test "$((after - before))" -le 12
# (before any refusal: s_server serves one connection at a time, and a
# refused flow leaves the server waiting on its half of the connection)
before=$(queued)
n=$(printf 'GET /big HTTP/1.0\r\n\r\n' | inc timeout 20 openssl s_client -quiet -connect 10.77.0.3:443 \
    -servername evil.test 2>"$TMP/exempt.err" | wc -c)
check "an explicitly listed address is exempt: fetched with any SNI, nothing queued" \
    test "$n" -ge 2000000 -a "$(queued)" = "$before"
n=$(fetch other.test big | wc -c)
check "an allowed name never learned for this address: nothing fetched ($n bytes)" test "$n" -eq 0
check "...refused as not-learned" grep -q '^REFUSE other.test not-learned$' "$TMP/verdicts"
n=$(fetch evil.test big | wc -c)
check "a name not allowed: nothing fetched" test "$n" -eq 0
check "...refused as not-allowed" grep -q '^REFUSE evil.test not-allowed$' "$TMP/verdicts"
got=$(inc timeout 20 python3 -c 'import socket, ssl
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = socket.create_connection(("10.77.0.2", 443), timeout=10)
try:
    c.wrap_socket(s, server_hostname="evil.test"); print("handshake")
except ConnectionResetError:
    print("reset")
except Exception as e:
    print(type(e).__name__)' 2>&1)
check "...the client sees a reset, not a timeout (got: $got)" test "$got" = reset
printf 'GET /big HTTP/1.0\r\n\r\n' | inc timeout 20 openssl s_client -quiet -noservername \
    -connect 10.77.0.2:443 >"$TMP/nosni.out" 2>&1
check "a hello without SNI: refused" grep -q '^REFUSE - no-sni$' "$TMP/verdicts"
check "the driver reported no kernel error" test ! -s "$TMP/driver.err"
[ -s "$TMP/driver.err" ] && diag "$(head -5 "$TMP/driver.err")"
diag "$(cat "$TMP/verdicts")"
done_testing
