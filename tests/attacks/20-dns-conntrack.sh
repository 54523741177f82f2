#!/bin/bash
# Attack: a DNS tunnel through the filter's own conntrack entry (issue 8,
# item 3).  The agent lets the filter resolve an allowed name, then sends one
# UDP DNS query from every ephemeral source port to the upstream's port 53:
# the one that matches the filter's still-tracked flow is "established".  It
# also tries TCP to 53 and 853.  Nothing may reach the upstream.
#
# Real kernel, real ruleset, real resolver: two network namespaces as in
# tests/integration/firewall-netns.sh (sandbox: codex-firewall serve, probes
# as uid 1000; world: dnsmasq on 192.0.2.53 with --log-queries, and a
# recorder on 192.0.2.53:853).  Every marker query names its source port, so
# the upstream's log says which port got through.
#
# Positive controls: the filter's uid reaches the upstream; with the rules
# in the order they had before (conntrack first) the same sweep does get
# through, on exactly the port the filter had used; without any ruleset every
# probe reaches the upstream.  Nothing leaves the namespaces.  Needs root.
. "$(dirname "$0")/../lib/common.sh"
FW=${FW:-$ROOT/bin/codex-firewall}
HELP=$ROOT/tests/attacks/fwtest_dnsattack.py
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, nftables)"; exit 0; fi
[ -x "$FW" ] || { echo "Bail out! $FW not built"; exit 1; }
for t in ip nft setpriv dnsmasq $PY; do
	command -v "$t" >/dev/null || { echo "Bail out! $t missing"; exit 1; }
done
plan 19

W=fwtest-aw$$
S=fwtest-as$$
VW=fwaw$$
VS=fwas$$
TMP=$(mktemp -d /tmp/fwtest-attack-XXXXXX)
chmod 755 "$TMP"
PIDS=()
FWPID=
NONCE=$$$RANDOM

cleanup() {
	[ -n "$FWPID" ] && kill "$FWPID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}" $FWPID; do
		for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$p" 2>/dev/null
	done
	# anything else still inside our namespaces is ours too
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

inw() { ip netns exec "$W" "$@"; }
ins() { ip netns exec "$S" "$@"; }
as_uid() { local u=$1; shift; ins setpriv --reuid "$u" --regid "$u" --clear-groups "$@"; }
LOG=$TMP/dnsmasq.log
REC=$TMP/recorder.log
# count_log REGEX: how many upstream log lines match
count_log() { local n; n=$(grep -cE -- "$1" "$LOG"); echo "${n:-0}"; }
# in_log REGEX: waits (up to 10 s) until the upstream logged it
in_log() { wait_for grep -qE -- "$1" "$LOG"; }
# flushed TAG: a query the filter's uid may send, logged after everything
# sent before it (dnsmasq is one process, one queue); then a count is final.
flushed() {
	as_uid 65353 "$PY" "$HELP" query 192.0.2.53 53 0 "flush-$1-$NONCE.exfil.test" >/dev/null
	in_log "query\[A\] flush-$1-$NONCE.exfil.test"
}

# ---- the world: dnsmasq upstream and a recorder on :853 ---------------------
ip netns add "$W" && ip netns add "$S" || { echo "Bail out! ip netns add"; exit 1; }
ip link add "$VW" netns "$W" type veth peer name "$VS" netns "$S"
inw ip link set lo up
inw ip link set "$VW" up
inw ip addr add 192.0.2.1/24 dev "$VW"
inw ip addr add 192.0.2.53/32 dev lo
ins ip link set lo up
ins ip link set "$VS" up
ins ip addr add 192.0.2.2/24 dev "$VS"
ins ip route add default via 192.0.2.1
mkdir -p "/etc/netns/$S"
echo "nameserver 127.0.0.1" >"/etc/netns/$S/resolv.conf"

# (started directly, not through inw: $! must be the process itself)
ip netns exec "$W" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --user=root --bind-interfaces \
	--listen-address=192.0.2.53 --port=53 --log-queries --log-facility="$LOG" \
	--local=/test/ --host-record=allowed.test,198.51.100.10 &
PIDS+=($!)
ip netns exec "$W" "$PY" "$HELP" listen 192.0.2.53 "$REC" 853 &
PIDS+=($!)
wait_for grep -q listening "$REC" 2>/dev/null
wait_for bash -c "[ \"\$(ip netns exec $W $PY $HELP query 192.0.2.53 53 0 ready.test)\" = OK ]"
in_log 'query\[A\] ready.test' || { echo "Bail out! dnsmasq does not answer"; exit 1; }
read -r LO HI < <(ins cat /proc/sys/net/ipv4/ip_local_port_range)

# ---- the real ruleset ----------------------------------------------------------
ip netns exec "$S" "$FW" serve --upstream 192.0.2.53 --allow allowed.test >"$TMP/fw.out" 2>"$TMP/fw.err" &
FWPID=$!
wait_for grep -qE '^(READY|ERROR) ' "$TMP/fw.out"
check "firewall READY with the real ruleset" grep -q '^READY ' "$TMP/fw.out"

# The filter resolves an allowed name: its flow to 192.0.2.53:53 is tracked.
r=$(as_uid 1000 "$PY" -c 'import socket; print(socket.gethostbyname("allowed.test"))' 2>&1)
is "$r" 198.51.100.10 "the filter resolves an allowed name for the sandbox"
check "...through the upstream" in_log 'query\[A\] allowed.test from 192.0.2.2'

# Control: the filter's uid reaches the upstream (and leaves a tracked flow
# from a port we know, 40053, for the sweep to hit).
r=$(as_uid 65353 "$PY" "$HELP" query 192.0.2.53 53 40053 "ctl-filter-$NONCE.exfil.test")
is "$r" OK "control: the filter's uid gets an answer from the upstream"
check "control: ...and the upstream logged it" in_log "query\[A\] ctl-filter-$NONCE.exfil.test"

# The attack: every ephemeral port, plus 40053.
r=$(as_uid 1000 "$PY" "$HELP" sweep 192.0.2.53 53 "tunnel-$NONCE" "$LO" "$HI" 40053)
diag "sweep $LO-$HI: $r"
tried=$(sed -n 's/^tried=\([0-9]*\) .*/\1/p' <<<"$r")
check "sweep: at least $((HI - LO)) source ports tried ($r)" [ "${tried:-0}" -ge $((HI - LO)) ]
check "sweep: every send refused at once (EPERM), none left the host" \
	grep -qE "^tried=${tried:-x} sent=0 eperm=${tried:-x} " <<<"$r"
flushed sweep
is "$(count_log "query\[A\] tunnel-$NONCE-")" 0 "no query of the sweep reached the upstream (established flows too)"

r=$(as_uid 1000 "$PY" "$HELP" tcp 192.0.2.53 53 "tcp53-$NONCE.exfil.test")
like "$r" '^FAIL' "TCP to the upstream's :53 from the sandbox uid fails ($r)"
r=$(as_uid 1000 "$PY" "$HELP" tcp 192.0.2.53 853 "tcp853-$NONCE.exfil.test")
like "$r" '^FAIL' "TCP to :853 fails ($r)"
as_uid 1000 "$PY" "$HELP" sweep 192.0.2.53 853 "udp853-$NONCE" 40100 40199 >/dev/null
flushed tcp
is "$(count_log "query\[A\] tcp53-$NONCE")$(grep -c . "$REC")" "01" \
	"nothing reached the upstream over TCP :53, TCP :853 or UDP :853 (recorder: only its start line)"

stop_fw() {
	kill -TERM "$FWPID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$FWPID" 2>/dev/null || break; sleep 0.05; done
	wait "$FWPID" 2>/dev/null
	FWPID=
}
stop_fw
check "the firewall's summary lists the rejected tunnel attempts" \
	grep -qE '^SUMMARY \{"type":"conn","addr":"192.0.2.53","proto":"udp","port":53,"count":[0-9]{4,}' "$TMP/fw.out"
ins nft delete table inet codexfw

# ---- control: the old order (conntrack first) lets the same sweep through -------
ins nft -f - <<'EOF'
table inet fwtest_legacy {
	chain output {
		type filter hook output priority 0; policy drop;
		ct state established,related accept
		oif "lo" accept
		meta skuid 65353 ip daddr 192.0.2.53 udp dport 53 accept
		udp dport 53 reject
	}
}
EOF
r=$(as_uid 65353 "$PY" "$HELP" query 192.0.2.53 53 40054 "ctl-legacy-$NONCE.exfil.test")
is "$r" OK "old order: the filter's uid queries from port 40054"
# (LO - 1: a port no one had used, so no tracked flow: the old rules held there)
as_uid 1000 "$PY" "$HELP" sweep 192.0.2.53 53 "legacy-$NONCE" "$LO" "$HI" 40054 $((LO - 1)) >/dev/null
flushed legacy
is "$(count_log "query\[A\] legacy-$NONCE-40054\.exfil")" 1 \
	"control, old order: the sweep reached the upstream through the tracked flow (port 40054)"
is "$(count_log "query\[A\] legacy-$NONCE-$((LO - 1))\.exfil")" 0 "control, old order: a new flow was still rejected"
ins nft delete table inet fwtest_legacy

# ---- control: without any ruleset every probe arrives ----------------------------
as_uid 1000 "$PY" "$HELP" query 192.0.2.53 53 0 "open-$NONCE.exfil.test" >/dev/null
check "no ruleset: the sandbox uid's UDP query arrives" in_log "query\[A\] open-$NONCE.exfil.test"
r=$(as_uid 1000 "$PY" "$HELP" tcp 192.0.2.53 53 "opentcp-$NONCE.exfil.test")
check "no ruleset: TCP :53 arrives ($r)" in_log "query\[A\] opentcp-$NONCE.exfil.test"
as_uid 1000 "$PY" "$HELP" tcp 192.0.2.53 853 x.test >/dev/null
check "no ruleset: TCP :853 reaches the recorder" wait_for grep -q '^tcp 853 192.0.2.2:' "$REC"
as_uid 1000 "$PY" "$HELP" sweep 192.0.2.53 853 open853 40300 40300 >/dev/null
check "no ruleset: UDP :853 reaches the recorder" wait_for grep -q '^udp 853 192.0.2.2:40300' "$REC"

done_testing
