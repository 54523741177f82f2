#!/bin/bash
# Attack: a hostile upstream (or an allowed name the attacker controls)
# answers with an address of the host, to reach a service bound there.  The
# runner passes the host's addresses as --guard-host; the firewall must
# refuse such answers.  Real kernel and ruleset in two network namespaces
# (as tests/integration/firewall-netns.sh): dnsmasq answers host.test with
# 198.51.100.77, which plays the host's address, and a recorder listens there.
# Positive controls: the same name connects when 198.51.100.77 is not given
# as --guard-host, and a neighbour address connects with it given.
. "$(dirname "$0")/../lib/common.sh"
FW=${FW:-$ROOT/bin/codex-firewall}
HELP=$ROOT/tests/attacks/fwtest_dnsattack.py
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, nftables)"; exit 0; fi
[ -x "$FW" ] || { echo "Bail out! $FW not built"; exit 1; }
for t in ip nft setpriv dnsmasq $PY; do
	command -v "$t" >/dev/null || { echo "Bail out! $t missing"; exit 1; }
done
plan 9

W=fwtest-gw$$
S=fwtest-gs$$
TMP=$(mktemp -d /tmp/fwtest-guard-XXXXXX)
chmod 755 "$TMP"
PIDS=()
FWPID=

cleanup() {
	for p in $FWPID "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for ns in "$S" "$W"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	ip netns del "$S" 2>/dev/null
	ip netns del "$W" 2>/dev/null
	rm -rf "/etc/netns/$S"
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ins() { ip netns exec "$S" "$@"; }
REC=$TMP/recorder.log
# connect NAME: resolve through the filter as uid 1000 and open TCP port 80
connect() {
	ins setpriv --reuid 1000 --regid 1000 --clear-groups "$PY" -c '
import socket, sys
try:
    a = socket.gethostbyname(sys.argv[1])
except OSError as e:
    print("FAIL resolve", e); sys.exit()
s = socket.socket(); s.settimeout(2)
try:
    s.connect((a, 80)); print("OK", a)
except OSError as e:
    print("FAIL connect", a, e)' "$1"
}
start_fw() {
	local out=$1; shift
	ip netns exec "$S" "$FW" serve --upstream 192.0.2.53 "$@" >"$out" 2>&1 &
	FWPID=$!
	wait_for grep -qE '^(READY|ERROR) ' "$out"
}
stop_fw() {
	kill -TERM "$FWPID" 2>/dev/null
	wait "$FWPID" 2>/dev/null
	FWPID=
}

ip netns add "$W" && ip netns add "$S" || { echo "Bail out! ip netns add"; exit 1; }
ip link add fwgw$$ netns "$W" type veth peer name fwgs$$ netns "$S"
ip netns exec "$W" sh -c "ip link set lo up; ip link set fwgw$$ up; ip addr add 192.0.2.1/24 dev fwgw$$;
	for a in 192.0.2.53 198.51.100.77 198.51.100.78; do ip addr add \$a/32 dev lo; done"
ins sh -c "ip link set lo up; ip link set fwgs$$ up; ip addr add 192.0.2.2/24 dev fwgs$$;
	ip route add default via 192.0.2.1"
mkdir -p "/etc/netns/$S"
echo "nameserver 127.0.0.1" >"/etc/netns/$S/resolv.conf"
ip netns exec "$W" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --user=root --bind-interfaces \
	--listen-address=192.0.2.53 --port=53 --local=/test/ \
	--host-record=host.test,198.51.100.77 --host-record=open.test,198.51.100.78 &
PIDS+=($!)
ip netns exec "$W" "$PY" "$HELP" listen 198.51.100.77 "$REC" 80 &
PIDS+=($!)
ip netns exec "$W" "$PY" "$HELP" listen 198.51.100.78 "$REC.78" 80 &
PIDS+=($!)
wait_for grep -q listening "$REC" 2>/dev/null
wait_for grep -q listening "$REC.78" 2>/dev/null

# ---- with the host's address guarded -------------------------------------------
start_fw "$TMP/fw.out" --allow host.test --allow open.test --guard-host 198.51.100.77 \
	--guard-host 2001:db8:77::1
check "READY with --guard-host" grep -q '^READY ' "$TMP/fw.out"
r=$(connect host.test)
like "$r" '^FAIL resolve' "a name answered with the host's address does not resolve ($r)"
check "...reported as a rebind to an address of the host" grep -q \
	'^EVENT {"type":"dns-rebind","name":"host.test","addr":"198.51.100.77","reason":"an address of the host"}' "$TMP/fw.out"
r=$(connect open.test)
like "$r" '^OK 198.51.100.78' "control: the neighbour address connects ($r)"
r=$(connect 198.51.100.77)
like "$r" '^FAIL connect' "and the host's address is not open either ($r)"
stop_fw

# ---- control: the same without --guard-host -----------------------------------
ins nft delete table inet codexfw
start_fw "$TMP/fw2.out" --allow host.test
r=$(connect host.test)
like "$r" '^OK 198.51.100.77' "control: without --guard-host the same name connects ($r)"
check "control: ...and the recorder saw it" grep -q '^tcp 80 192.0.2.2:' "$REC"
stop_fw

# ---- bad input fails closed ----------------------------------------------------------
r=$(ins "$FW" serve --upstream 192.0.2.53 --guard-host 198.51.100.0/24 2>/dev/null); st=$?
like "$r" "^ERROR invalid --guard-host '198.51.100.0/24'" "--guard-host with a CIDR: ERROR"
is "$st" 1 "...exit 1, nothing served"

done_testing
