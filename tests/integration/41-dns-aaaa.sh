#!/usr/bin/env bash
# An upstream that refuses AAAA while A works: the DNS filter answers the
# AAAA with NODATA, so a static musl getaddrinfo (what Codex is) succeeds.
#
#   fwtest-aw<pid> "world": 192.0.2.53, tests/integration/fwtest_dns_aaaa.py
#        (A: 198.51.100.10; AAAA: REFUSED, or SERVFAIL for servfail.*)
#   fwtest-as<pid> "sandbox": codex-firewall serve --upstream 192.0.2.53,
#        resolv.conf 127.0.0.1, the musl client as uid 1000
#
# Positive control: the same musl client asking the upstream directly fails
# the whole lookup (and succeeds for A alone), so "succeeds through the
# filter" is the filter's doing.  Nothing leaves the two namespaces.
. "$(dirname "$0")/../lib/common.sh"
plan 12
FW=${FW:-$ROOT/bin/codex-firewall}
HERE=$ROOT/tests/integration
PY=/usr/bin/python3
W=fwtest-aw$$
S=fwtest-as$$
TMP=$(mktemp -d /tmp/fwtest-aaaa-XXXXXX)
chmod 755 "$TMP"
PIDS=()
FWPID=

cleanup() {
    local p
    [ -n "$FWPID" ] && kill -TERM "$FWPID" 2>/dev/null
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}" $FWPID; do
        for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$p" 2>/dev/null
    done
    ip netns del "$S" 2>/dev/null
    ip netns del "$W" 2>/dev/null
    rm -rf "/etc/netns/$S" "/etc/netns/$W" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bail() { echo "Bail out! $*"; exit 1; }
[ "$(id -u)" = 0 ] || bail "needs root (network namespaces, nftables)"
[ -x "$FW" ] || bail "$FW not built (make)"
if ! command -v musl-gcc >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null 2>&1; } ||
        bail "musl-tools missing (apt-get install musl-tools)"
fi
for t in ip setpriv readelf $PY musl-gcc; do command -v "$t" >/dev/null || bail "$t missing"; done

musl-gcc -static -O2 -Wall -Werror -o "$TMP/gai" "$HERE/fwtest_gai.c" 2>"$TMP/cc.err"
check "musl client builds static $(head -c 200 "$TMP/cc.err")" \
    bash -c "[ -x '$TMP/gai' ] && ! readelf -l '$TMP/gai' | grep -q INTERP"

inw() { ip netns exec "$W" "$@"; }
ins() { ip netns exec "$S" "$@"; }
gai_world() { inw "$TMP/gai" "$@"; }
gai_sandbox() { ins setpriv --reuid 1000 --regid 1000 --clear-groups "$TMP/gai" "$@"; }

ip netns add "$W" && ip netns add "$S" || bail "ip netns add"
ip link add "fwaw$$" netns "$W" type veth peer name "fwas$$" netns "$S" || bail "veth"
inw ip link set lo up
inw ip link set "fwaw$$" up
inw ip addr add 192.0.2.1/24 dev "fwaw$$"
inw ip addr add 192.0.2.53/32 dev lo
ins ip link set lo up
ins ip link set "fwas$$" up
ins ip addr add 192.0.2.2/24 dev "fwas$$"
ins ip route add default via 192.0.2.1
mkdir -p "/etc/netns/$S" "/etc/netns/$W"
echo "nameserver 127.0.0.1" >"/etc/netns/$S/resolv.conf"
echo "nameserver 192.0.2.53" >"/etc/netns/$W/resolv.conf"

# not through a function: $! must be the server itself, for the trap
ip netns exec "$W" "$PY" "$HERE/fwtest_dns_aaaa.py" serve 192.0.2.53 "$TMP/up.log" &
PIDS+=($!)
up_ready() { inw "$PY" "$HERE/fwtest_dns_aaaa.py" query 192.0.2.53 ready.test 1 | grep -q '^rcode=0'; }
wait_for up_ready || bail "the upstream did not come up"

# ---- the positive control: musl straight against the upstream -------------
r=$(gai_world aaaa.test)
like "$r" '^FAIL ' "musl AF_UNSPEC straight to the AAAA-refusing upstream fails ($r)"
r=$(gai_world aaaa.test 4)
is "$r" "OK 198.51.100.10" "...while its A alone works"
check "...and the upstream did answer the AAAA with REFUSED" grep -q '^AAAA aaaa.test 5$' "$TMP/up.log"

# ---- through the filter --------------------------------------------------------
ip netns exec "$S" "$FW" serve --upstream 192.0.2.53 --allow aaaa.test --allow servfail.test >"$TMP/fw.out" 2>"$TMP/fw.err" &
FWPID=$!
fw_up() { grep -qE '^(READY|ERROR) ' "$TMP/fw.out" || ! kill -0 "$FWPID" 2>/dev/null; }
wait_for fw_up
check "the filter is READY" grep -q '^READY ' "$TMP/fw.out"

: >"$TMP/up.log"
r=$(gai_sandbox aaaa.test)
is "$r" "OK 198.51.100.10" "musl AF_UNSPEC through the filter succeeds"
check "...the filter did forward the AAAA and got REFUSED" grep -q '^AAAA aaaa.test 5$' "$TMP/up.log"
r=$(ins setpriv --reuid 1000 --regid 1000 --clear-groups "$PY" "$HERE/fwtest_dns_aaaa.py" query 127.0.0.1 aaaa.test 28)
is "$r" "rcode=0 qd=1 an=0 qname=aaaa.test" "the AAAA answer is NODATA for the same question"
r=$(ins setpriv --reuid 1000 --regid 1000 --clear-groups "$PY" "$HERE/fwtest_dns_aaaa.py" query 127.0.0.1 aaaa.test 1)
is "$r" "rcode=0 qd=1 an=1 qname=aaaa.test" "the A answer is passed on"
r=$(gai_sandbox other.test)
like "$r" '^FAIL ' "a name not on the list still fails through the filter ($r)"
# SERVFAIL means "ask again": passed on as a failure, on purpose
r=$(gai_sandbox servfail.test)
like "$r" '^FAIL ' "AAAA SERVFAIL stays a failure ($r)"
r=$(gai_sandbox servfail.test 4)
is "$r" "OK 198.51.100.10" "...while that name's A alone works"

done_testing
