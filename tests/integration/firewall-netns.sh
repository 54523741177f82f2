#!/bin/bash
# codex-firewall end to end, without Docker: two network namespaces.
#
#   fwtest-s<pid> "sandbox": codex-firewall serve (root), probes as uid 1000
#        | veth 192.0.2.2/24  2001:db8:1::2/64   default via .1 / ::1
#   fwtest-w<pid> "world": gateway 192.0.2.1, dnsmasq on 192.0.2.53, HTTP
#        servers on 198.51.100.x, 203.0.113.x, 2001:db8:2::80, 10.99.0.5
#        (a private address that only a DNS answer points at) and on the
#        gateway itself.
#
# Nothing leaves these namespaces: the world has no link to the host.
# TAP output; exit status non-zero when a test fails.  Needs root.
#   FW=path/to/codex-firewall (default bin/codex-firewall)   BENCH=0 skips timings
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FW=${FW:-$ROOT/bin/codex-firewall}
HERE=$ROOT/tests/integration
PY=/usr/bin/python3
N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
nok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# The literal plan (tests/run.sh checks it against this file); the
# benchmark-only mode reports no results.
PLAN=
plan() { PLAN=$1; echo "1..$1"; }
if [ -n "${BENCH_ONLY:-}" ]; then plan 0; else plan 81; fi

[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (network namespaces, nftables)"; exit 1; }
[ -x "$FW" ] || { echo "Bail out! $FW not built (make bin/codex-firewall)"; exit 1; }
if ! command -v dnsmasq >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base >/dev/null 2>&1 ||
		{ echo "Bail out! dnsmasq missing (apt-get install dnsmasq-base)"; exit 1; }
fi
for t in ip nft setpriv $PY; do
	command -v "$t" >/dev/null || { echo "Bail out! $t missing"; exit 1; }
done

W=fwtest-w$$
S=fwtest-s$$
VW=fwtw$$
VS=fwts$$
TMP=$(mktemp -d /tmp/fwtest-XXXXXX)
chmod 755 "$TMP"
PIDS=()
FWPID=

cleanup() {
	[ -n "$FWPID" ] && kill "$FWPID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}" $FWPID; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$S" 2>/dev/null
	ip netns del "$W" 2>/dev/null
	rm -rf "/etc/netns/$S"; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inw() { ip netns exec "$W" "$@"; }
ins() { ip netns exec "$S" "$@"; }
# probes run as an unprivileged uid with the sandbox's resolv.conf
probe() { ins setpriv --reuid 1000 --regid 1000 --clear-groups "$PY" "$HERE/fwtest_probe.py" "$@"; }
secs() { awk '{print $NF}' <<<"$1"; }
fast() { awk -v t="$(secs "$1")" 'BEGIN{exit !(t < 1.0)}'; }

# ---- the world -------------------------------------------------------------
ip netns add "$W" && ip netns add "$S" || { echo "Bail out! ip netns add"; exit 1; }
ip link add "$VW" netns "$W" type veth peer name "$VS" netns "$S"
inw ip link set lo up
inw ip link set "$VW" up
inw ip addr add 192.0.2.1/24 dev "$VW"
inw ip addr add 2001:db8:1::1/64 dev "$VW" nodad
for a in 192.0.2.53 198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.130 203.0.113.5 \
	203.0.113.6 203.0.113.7 203.0.113.8 203.0.113.9 10.99.0.5; do
	inw ip addr add "$a/32" dev lo
done
inw ip addr add 2001:db8:2::80/128 dev lo
inw ip addr add 2001:db8:2::81/128 dev lo
ins ip link set lo up
ins ip link set "$VS" up
ins ip addr add 192.0.2.2/24 dev "$VS"
ins ip addr add 2001:db8:1::2/64 dev "$VS" nodad
ins ip route add default via 192.0.2.1
ins ip -6 route add default via 2001:db8:1::1
mkdir -p "/etc/netns/$S"
echo "nameserver 127.0.0.1" >"/etc/netns/$S/resolv.conf"

ip netns exec "$W" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --user=root --bind-interfaces \
	--listen-address=192.0.2.53 --port=53 --log-queries --log-facility="$TMP/dnsmasq.log" \
	--local-ttl=300 --local=/test/ \
	--host-record=allowed.test,198.51.100.10 \
	--host-record=target.cdn.test,198.51.100.11 --cname=cname.test,target.cdn.test \
	--host-record=a.wild.test,203.0.113.5 --host-record=x.y.wild.test,203.0.113.9 \
	--host-record=wild.test,203.0.113.8 \
	--host-record=blocked.test,203.0.113.6 \
	--host-record=private.test,10.99.0.5 \
	--host-record=gw.test,192.0.2.1 \
	--host-record=short.test,198.51.100.12,1 \
	--host-record=v6.test,2001:db8:2::80 \
	--host-record=v6blocked.test,2001:db8:2::81 \
	$(for i in $(seq 20 59); do printf -- '--host-record=many.test,198.51.100.%s ' "$i"; done) &
PIDS+=($!)
ip netns exec "$W" "$PY" "$HERE/fwtest_http.py" 198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.130 \
	203.0.113.5 203.0.113.6 203.0.113.7 203.0.113.8 203.0.113.9 10.99.0.5 192.0.2.1 \
	2001:db8:2::80 2001:db8:2::81 &
PIDS+=($!)
for _ in $(seq 50); do
	inw bash -c 'exec 3<>/dev/tcp/203.0.113.9/80' 2>/dev/null && [ -s "$TMP/dnsmasq.log" ] && break
	sleep 0.1
done

# ---- helpers -------------------------------------------------------------------
ALLOW=(--allow many.test --allow allowed.test --allow cname.test --allow '*.wild.test' --allow private.test
	--allow gw.test --allow short.test --allow v6.test --allow 203.0.113.7
	--allow 198.51.100.128/25)

# start_fw OUT ARGS...: run serve in the sandbox; wait for READY or ERROR
start_fw() {
	local out=$1; shift
	# not through a function: $! must be the daemon itself
	ip netns exec "$S" "$FW" serve "$@" >"$out" 2>"$out.err" &
	FWPID=$!
	for _ in $(seq 100); do
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
	FW_STATUS=$?
	FWPID=
}
reached_upstream() { grep -q "query\[[A-Z]*\] $1 from" "$TMP/dnsmasq.log"; }

# BENCH_ONLY=1 (tests/bench/firewall.sh): only the timings below.
if [ -z "${BENCH_ONLY:-}" ]; then
# ---- positive controls: no firewall loaded yet, so every address the probes
# below must fail to reach answers (real listeners, not empty addresses).
if [ -z "${BENCH_ONLY:-}" ]; then
for a in 10.99.0.5 192.0.2.1 203.0.113.6 203.0.113.8; do
	r=$(probe get "$a")
	check "control, no firewall: $a answers ($r)" [ "${r% *}" = "OK $a" ]
done
r=$(probe get 2001:db8:2::81 80 6)
check "control, no firewall: 2001:db8:2::81 answers ($r)" [ "${r% *}" = "OK 2001:db8:2::81" ]
r=$(probe rawdns 192.0.2.53 allowed.test udp)
check "control, no firewall: the upstream answers DNS over UDP ($r)" grep -q '^OK answered' <<<"$r"
r=$(probe rawdns 192.0.2.53 allowed.test tcp)
check "control, no firewall: ... and over TCP ($r)" grep -q '^OK answered' <<<"$r"
fi

# ---- doctor and failed starts ------------------------------------------------
out=$(ins "$FW" check)
check "check: ok nftables in a fresh netns" [ "$out" = "ok nftables" ]
out=$(ins setpriv --reuid 1000 --regid 1000 --clear-groups "$FW" check)
check "check as uid 1000: precise ERROR (EPERM)" grep -q '^ERROR .*Operation not permitted' <<<"$out"
check "check leaves no table behind" [ -z "$(ins nft list tables)" ]

# A ruleset the kernel refuses: root, but without CAP_NET_ADMIN (as on a
# host where the engine does not grant it).
ip netns exec "$S" setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
	"$FW" serve --upstream 192.0.2.53 "${ALLOW[@]}" >"$TMP/broken.out" 2>&1 &
FWPID=$!
wait "$FWPID" 2>/dev/null; st=$?; FWPID=
check "ruleset refused by the kernel: ERROR says so, with the errno" \
	grep -q '^ERROR .*Operation not permitted' "$TMP/broken.out"
check "broken ruleset: no READY, exit 1" [ "$st" = 1 -a -z "$(grep READY "$TMP/broken.out")" ]
check "broken ruleset: nothing half-loaded" [ -z "$(ins nft list tables)" ]

start_fw "$TMP/badup.out" --upstream 999.1.1.1 "${ALLOW[@]}"
wait "$FWPID" 2>/dev/null; st=$?; FWPID=
check "invalid --upstream: ERROR, exit 1" grep -q "^ERROR invalid --upstream '999.1.1.1'" "$TMP/badup.out"
start_fw "$TMP/badallow.out" --upstream 192.0.2.53 --allow 'foo..com'
wait "$FWPID" 2>/dev/null; FWPID=
check "invalid --allow: ERROR names the entry" \
	grep -q "^ERROR invalid allowlist entry 'foo..com' (from --allow): empty label" "$TMP/badallow.out"
start_fw "$TMP/noup.out" "${ALLOW[@]}"
wait "$FWPID" 2>/dev/null; FWPID=
check "resolv.conf pointing only at ourselves: ERROR no usable upstream" \
	grep -q '^ERROR no usable upstream resolver' "$TMP/noup.out"

fi

# ---- serve ------------------------------------------------------------------------
start_fw "$TMP/fw.out" --upstream 192.0.2.53 --min-ttl 2 --grace 1 "${ALLOW[@]}"
if [ -z "${BENCH_ONLY:-}" ]; then
check "READY line with entries and upstreams" \
	grep -qE '^READY \{"ms":[0-9.]+,"entries":10,"upstreams":\["192.0.2.53"\],"listen":"127.0.0.1"\}$' "$TMP/fw.out"
ins nft list table inet codexfw >"$TMP/ruleset.txt" 2>&1
check "table loaded with policy drop" grep -q 'policy drop' "$TMP/ruleset.txt"

r=$(ins "$FW" serve --upstream 192.0.2.53 "${ALLOW[@]}")
check "a second instance fails on the busy port ($r)" grep -q '^ERROR binding the DNS filter to 127.0.0.1 (udp): Address already in use' <<<"$r"
r=$(probe get allowed.test)
check "allowed name connects, first instance untouched ($r)" [ "${r% *}" = "OK 198.51.100.10" ]
r=$(probe get cname.test)
check "allowed name behind a CNAME connects ($r)" [ "${r% *}" = "OK 198.51.100.11" ]
r=$(probe get a.wild.test)
check "wildcard subdomain connects ($r)" [ "${r% *}" = "OK 203.0.113.5" ]
r=$(probe get x.y.wild.test)
check "wildcard deeper subdomain connects ($r)" [ "${r% *}" = "OK 203.0.113.9" ]
r=$(probe get 203.0.113.7)
check "explicit IP connects ($r)" [ "${r% *}" = "OK 203.0.113.7" ]
r=$(probe get 198.51.100.130)
check "explicit CIDR connects ($r)" [ "${r% *}" = "OK 198.51.100.130" ]
r=$(probe get v6.test 80 6)
check "allowed AAAA connects over IPv6 ($r)" [ "${r% *}" = "OK 2001:db8:2::80" ]

r=$(probe get wild.test)
check "wildcard apex refused ($r)" grep -q '^FAIL resolve:' <<<"$r"
check "wildcard apex fails within 1 s" fast "$r"
r=$(probe get blocked.test)
check "non-allowlisted name refused ($r)" grep -q '^FAIL resolve:' <<<"$r"
check "non-allowlisted name fails within 1 s" fast "$r"
probe resolve "secret-$$.exfil.test" >/dev/null
check "refused names never reach the upstream (dnsmasq log)" \
	bash -c "! grep -qE 'blocked.test|exfil.test|query\[A\] wild.test ' '$TMP/dnsmasq.log'"
check "allowed names did reach the upstream" reached_upstream allowed.test
r=$(probe get 203.0.113.6)
check "direct IP not allowed: refused ($r)" grep -q '^FAIL ECONNREFUSED' <<<"$r"
check "direct IP fails within 1 s" fast "$r"
r=$(probe get 203.0.113.8)
check "apex's address not reachable directly ($r)" grep -q '^FAIL ECONNREFUSED' <<<"$r"
r=$(probe get v6blocked.test 80 6)
check "non-allowed name over IPv6 refused ($r)" grep -q '^FAIL' <<<"$r"
r=$(probe get 2001:db8:2::81 80 6)
check "IPv6 egress to a non-allowed address denied fast ($r)" bash -c "grep -q '^FAIL' <<<'$r' && awk 'BEGIN{exit !($(secs "$r") < 1)}'"

r=$(probe rawdns 127.0.0.1 allowed.test tcp)
check "the filter answers over TCP too ($r)" grep -q '^OK answered' <<<"$r"
r=$(probe resolve many.test 4)
check "large answer (40 A, TC upstream and to the client): capped at 32 addresses" \
	[ "$(cut -d' ' -f2 <<<"$r" | tr , '\n' | wc -l)" = 32 ]
r=$(probe rawdns 192.0.2.53 allowed.test udp)
check "DNS straight to the upstream over UDP gets nothing ($r)" grep -q '^FAIL' <<<"$r"
r=$(probe rawdns 192.0.2.53 allowed.test tcp)
check "DNS straight to the upstream over TCP gets nothing ($r)" grep -q '^FAIL' <<<"$r"
check "...and fails fast" fast "$r"
r=$(probe rawdns 203.0.113.7 allowed.test udp)
check "DNS to an allowed IP on port 53 is still blocked ($r)" grep -q '^FAIL' <<<"$r"
r=$(probe rawdns 127.0.0.11 allowed.test udp)
check "127.0.0.11 (Docker's resolver) refused for other uids ($r)" grep -q '^FAIL EPERM' <<<"$r"

r=$(probe get private.test)
check "name resolving into a private range does not connect ($r)" grep -q '^FAIL' <<<"$r"
r=$(probe get gw.test)
check "name resolving to the gateway does not connect ($r)" grep -q '^FAIL' <<<"$r"
check "rebind drop reported as an EVENT" \
	grep -q '^EVENT {"type":"dns-rebind","name":"private.test","addr":"10.99.0.5"' "$TMP/fw.out"
check "gateway rebind reported" grep -q '"name":"gw.test","addr":"192.0.2.1","reason":"gateway' "$TMP/fw.out"
check "refused name reported as an EVENT" \
	grep -q '^EVENT {"type":"dns-refused","name":"blocked.test","qtype":"A"}' "$TMP/fw.out"

# TTL: short.test has TTL 1 s; with --min-ttl 2 --grace 1 its element lives 3 s.
r=$(probe get short.test)
check "short-TTL name connects ($r)" [ "${r% *}" = "OK 198.51.100.12" ]
probe hold short.test 80 4.5 >"$TMP/hold.out" &
HOLD=$!
sleep 4
not_in_set() { ! ins nft list set inet codexfw allow4 | grep -q "$1"; }
check "short-TTL element expired from the set" not_in_set 198.51.100.12
r=$(ins setpriv --reuid 1000 --regid 1000 --clear-groups "$PY" -c '
import socket
s = socket.socket(); s.settimeout(2)
try:
    s.connect(("198.51.100.12", 80)); print("OK")
except OSError as e:
    print("FAIL", e.errno)')
check "new connection after expiry refused ($r)" grep -q '^FAIL' <<<"$r"
wait "$HOLD"
check "established connection survives element expiry ($(cat "$TMP/hold.out"))" grep -q '^OK 198.51.100.12' "$TMP/hold.out"
r=$(probe get short.test)
check "short-TTL name works again after re-resolution ($r)" [ "${r% *}" = "OK 198.51.100.12" ]

r=$(ins setpriv --reuid 1000 --regid 1000 --clear-groups nft list ruleset 2>&1)
check "probe uid cannot list the table (EPERM)" grep -q 'Operation not permitted' <<<"$r"
r=$(ins setpriv --reuid 1000 --regid 1000 --clear-groups nft flush ruleset 2>&1)
check "probe uid cannot flush the table (EPERM)" grep -q 'Operation not permitted' <<<"$r"

# The DNS child must be found: a pgrep that finds nothing fails these.
pid_child=$(pgrep -P "$FWPID" -f 'codex-firewall serve' | head -1)
check "the DNS child is found (pid ${pid_child:-none})" [ -n "$pid_child" ]
cst=/proc/${pid_child:-nonexistent}/status
check "DNS child runs as uid 65353" [ "$(awk '/^Uid:/{print $2}' "$cst" 2>/dev/null)" = 65353 ]
check "DNS child: no capabilities" grep -q '^CapEff:[[:space:]]*0000000000000000' "$cst"
check "DNS child: seccomp filter" grep -q '^Seccomp:[[:space:]]*2' "$cst"
check "parent keeps only CAP_NET_ADMIN" grep -q '^CapEff:[[:space:]]*0000000000001000' /proc/$FWPID/status
check "parent: seccomp filter" grep -q '^Seccomp:[[:space:]]*2' /proc/$FWPID/status

fi

# ---- benchmarks (not pass/fail) ----------------------------------------------------
if [ "${BENCH:-1}" != 0 ]; then
	# DNS figures (tests/bench/dnsbench.c: one query at a time per client,
	# as a resolver library asks), each with its baseline from this run:
	# the same load straight to dnsmasq, from the world namespace.
	dnsb=$TMP/dnsbench
	if cc -O2 -Wall -Werror -o "$dnsb" "$ROOT/tests/bench/dnsbench.c" 2>"$TMP/dnsbench.err"; then
		bq() { ins setpriv --reuid 1000 --regid 1000 --clear-groups "$dnsb" 127.0.0.1 "$@"; }
		bw() { inw "$dnsb" 192.0.2.53 "$@"; }
		fig() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
		ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
		bq allowed.test 200 >/dev/null          # warm: the answer is cached from here on
		for k in 1 4; do
			f=$(bq allowed.test 5000 "$k"); d=$(bw allowed.test 5000 "$k")
			echo "# bench: DNS via the filter, allowed name, $k client(s): $(fig qps "$f") q/s, median $(fig median_us "$f") us, p99 $(fig p99_us "$f") us | dnsmasq direct: $(fig qps "$d") q/s, median $(fig median_us "$d") us | ratio q/s $(ratio "$(fig qps "$f")" "$(fig qps "$d")"), median latency $(printf '%+d' $(( $(fig median_us "$f") - $(fig median_us "$d") ))) us"
		done
		f=$(bq 'n%u.wild.test' 3000); d=$(bw 'n%u.wild.test' 3000)
		echo "# bench: DNS via the filter, allowed names never cached (forwarded), 1 client: $(fig qps "$f") q/s, median $(fig median_us "$f") us | dnsmasq direct: $(fig qps "$d") q/s, median $(fig median_us "$d") us | ratio $(ratio "$(fig qps "$f")" "$(fig qps "$d")")"
		f=$(bq blocked.test 5000)
		echo "# bench: DNS via the filter, refused name (answered locally), 1 client: $(fig qps "$f") q/s, median $(fig median_us "$f") us"
		pid_dns=$(pgrep -P "$FWPID" | head -1)
		rss0=$(awk '/^VmRSS/{print $2}' "/proc/$pid_dns/status" 2>/dev/null)
		f=$(bq 'flood%u.wild.test' 25000 4)
		echo "# bench: DNS flood, 100k fresh allowed names from 4 clients: $(fig qps "$f") q/s, lost $(fig lost "$f"); DNS child RSS ${rss0:-?} -> $(awk '/^VmRSS/{print $2}' "/proc/$pid_dns/status" 2>/dev/null) KiB"
	else
		echo "# bench: building tests/bench/dnsbench.c failed: $(head -1 "$TMP/dnsbench.err")"
	fi
fi
[ -n "${BENCH_ONLY:-}" ] && stop_fw
if [ -z "${BENCH_ONLY:-}" ]; then
# ---- SIGTERM: the blocked summary --------------------------------------------------
stop_fw
check "SIGTERM: exit 0" [ "$FW_STATUS" = 0 ]
check "SIGTERM: BYE is the last line" [ "$(tail -1 "$TMP/fw.out")" = BYE ]
check "summary names the refused name with a count" \
	grep -qE '^SUMMARY \{"type":"dns-refused","name":"blocked.test","qtype":"A","count":[0-9]+\}' "$TMP/fw.out"
check "summary names the rejected connection" \
	grep -qE '^SUMMARY \{"type":"conn","addr":"203.0.113.6","proto":"tcp","port":80,"count":[0-9]+\}' "$TMP/fw.out"
check "summary names the name behind a rejected connection (expired element)" \
	grep -qE '^SUMMARY \{"type":"conn","addr":"198.51.100.12","proto":"tcp","port":80,"count":[0-9]+,"name":"short.test"\}' "$TMP/fw.out"
check "summary lists the rebind drop" \
	grep -qE '^SUMMARY \{"type":"dns-rebind","name":"private.test","addr":"10.99.0.5","count":[0-9]+\}' "$TMP/fw.out"
check "no upstream failures with a healthy upstream" bash -c "! grep -q dns-upstream-failed '$TMP/fw.out'"
check "summary lists the rejected DNS tunnel attempt" \
	grep -qE '^SUMMARY \{"type":"conn","addr":"192.0.2.53","proto":"udp","port":53' "$TMP/fw.out"
check "every stdout line < 4 KiB" bash -c "! awk 'length > 4095' '$TMP/fw.out' | grep -q ."
check "no stderr noise from the daemon" [ ! -s "$TMP/fw.out.err" ]
check "table stays after exit (fail closed)" grep -q codexfw <<<"$(ins nft list tables)"
fi

# ---- a dead upstream never blocks the filter ---------------------------------------
if [ -z "${BENCH_ONLY:-}" ]; then
	ins nft delete table inet codexfw
	start_fw "$TMP/dead.out" --upstream 192.0.2.99 --upstream 192.0.2.53#5300 "${ALLOW[@]}"
	check "READY with unreachable upstreams (nothing is resolved at startup)" grep -q '^READY' "$TMP/dead.out"
	probe resolve allowed.test 4 >"$TMP/dead.probe" &
	DEAD=$!
	sleep 0.3
	r=$(probe resolve blocked.test 4)
	check "refused names still answered at once while the upstream hangs ($r)" fast "$r"
	wait "$DEAD"
	r=$(cat "$TMP/dead.probe")
	check "dead upstream: SERVFAIL, not a hang ($r)" \
		bash -c "grep -q '^FAIL' <<<'$r' && awk 'BEGIN{exit !($(secs "$r") < 5)}'"
	check "dead upstream reported" grep -q '"type":"dns-upstream-failed","name":"allowed.test","reason":"no answer"' "$TMP/dead.out"
	r=$(ins "$FW" serve --upstream 192.0.2.53 --upstream $'1.2.3.4\nREADY' 2>/dev/null)
	check "ERROR is always one line" [ "$(wc -l <<<"$r")" = 1 ]
	# the DNS child dies: the parent reports it, summarises, exits 1, keeps the table
	kill -9 "$(pgrep -P "$FWPID" | head -1)"
	for _ in $(seq 40); do kill -0 "$FWPID" 2>/dev/null || break; sleep 0.05; done
	wait "$FWPID"; st=$?; FWPID=
	check "DNS child killed: EVENT fatal, exit 1" \
		bash -c "[ $st = 1 ] && grep -q '^EVENT {\"type\":\"fatal\"' '$TMP/dead.out'"
	check "...summary still printed" grep -q '^SUMMARY {"type":"dns-refused","name":"blocked.test"' "$TMP/dead.out"
	check "...and the table stays (fail closed)" grep -q codexfw <<<"$(ins nft list tables)"
fi

# ---- ready time, 10 vs 1000 entries ------------------------------------------------
if [ "${BENCH:-1}" != 0 ]; then
	many=()
	for i in $(seq 1000); do
		if [ $((i % 2)) = 0 ]; then many+=(--allow "host$i.example.com"); else many+=(--allow "203.0.$((i / 250)).$((i % 250))"); fi
	done
	for set in 10 1000; do
		tot=""
		for k in 1 2 3 4 5; do
			if [ "$set" = 10 ]; then start_fw "$TMP/b.out" --upstream 192.0.2.53 "${ALLOW[@]}" --allow one.test
			else start_fw "$TMP/b.out" --upstream 192.0.2.53 "${many[@]}"; fi
			ms=$(sed -n 's/^READY {"ms":\([0-9.]*\),.*/\1/p' "$TMP/b.out")
			tot="$tot $ms"
			stop_fw
		done
		echo "# bench: READY ms with $set entries:$tot"
	done
fi

[ "$N" = "$PLAN" ] || { echo "# planned $PLAN results, reported $N"; exit 1; }
[ "$FAILED" = 0 ]
