#!/usr/bin/env bash
# The egress firewall, proved inside real sandboxes on a Docker network we
# build (tests/lib/world.sh): a real dnsmasq upstream with a query log, HTTP
# hosts, a CNAME, a wildcard, a short TTL, a name resolving into a private
# range, IPv4 and IPv6.  Every "blocked" has a positive control: the same
# probe, from a plain container on the same network with no firewall
# (world_probe), reaches a real listener (world_lan_up: 10.1.2.3,
# 169.254.77.77, the gateway), and the firewall's own record of the block is
# checked as evidence.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/world.sh"
plan 92
T_START=$(date +%s)
trap 'world_down; cleanup_projects' EXIT
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
ok "test world up ($WORLD_NET: dnsmasq, HTTP hosts, model server)"
world_lan_up || { not_ok "LAN listeners come up (10.1.2.3, 169.254.77.77, gateway)"; done_testing; exit 1; }
ok "LAN listeners up at 10.1.2.3, 169.254.77.77 and the gateway 198.51.100.1"

p=$(new_project)
cp "$ROOT/tests/lib/sandbox_probe.py" "$p/probe.py"
chmod 644 "$p/probe.py"
log=$(mktemp /tmp/cs-blocked.XXXXXX); track_path "$log"
# probe ARGS...: run the probe in a sandbox on the test network
probe() {
    (cd "$p" && env CODEX_SANDBOX_DNS_MIN_TTL=1 HOME=/tmp/cs-test-home "$CS" exec --network "$WORLD_NET" \
        --dns "$WORLD_DNS" --allow web.test --allow alias.test --allow '*.wild.test' \
        --allow private.test --allow meta.test --allow gw.test --allow short.test --allow 198.51.100.13 \
        --log-blocked "$log" -- python3 probe.py "$@" </dev/null 2>"$p.err")
}
# result CHECK OUTPUT: the result part of a probe line
result() { grep -F -- "$1 =>" <<<"$2" | head -n1 | sed 's/.*=> //'; }
fast() { local ms; ms=$(sed -n 's/.*(\([0-9]*\) ms)$/\1/p' <<<"$1"); [ -n "$ms" ] && [ "$ms" -lt 1000 ]; }

# --- positive controls: without the firewall every probe below reaches a real
# server (the same probes, from a plain container on the same network).
NEG=("http 198.51.100.11 80" "http 2001:db8:1::11 80" "resolve wild.test" "resolve other.test"
     "http other.test 80" "http private.test 80" "http 10.1.2.3 80" "http meta.test 80"
     "http 169.254.77.77 80" "http gw.test 80" "http 198.51.100.1 80"
     "udpdns $WORLD_DNS web.test" "tcpdns $WORLD_DNS web.test" "udpdns 127.0.0.11 web.test"
     "udpdns 198.51.100.1 web.test" "netfilter" "write /etc/resolv.conf")
ctl=$(world_probe "${NEG[@]}")
diag "$ctl"
for c in "${NEG[@]}"; do
    like "$(result "$c" "$ctl")" '^ok ' "control, no firewall: $c succeeds"
done
like "$(result "http 10.1.2.3 80" "$ctl")" '^ok 10\.1\.2\.3 lan-10\.1\.2\.3' "control: 10.1.2.3 is the LAN listener"
like "$(result "http gw.test 80" "$ctl")" '^ok 198\.51\.100\.1 lan-198\.51\.100\.1' "control: gw.test is the listener on the gateway"

q_other=$(world_dns_queries other.test); q_wild=$(world_dns_queries wild.test)
check "control: the upstream's query log counts the controls' queries" test "$q_other" -ge 1 -a "$q_wild" -ge 1
t0=$(date +%s%N)
out=$(probe "${NEG[@]}" "http web.test 80" "http alias.test 80" \
    "http a.wild.test 80" "http web.test 80 v6" "http 198.51.100.13 80")
rc=$?
diag "one sandbox, $(( ${#NEG[@]} + 5 )) probes: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
is "$rc" 0 "probe sandbox ran"
[ $rc -eq 0 ] || diag "$(cat "$p.err")"
diag "$out"

r=$(result "http 198.51.100.11 80" "$out");      like "$r" '^fail ECONNREFUSED' "a direct IP not on the list is refused"
fast "$r" && ok "... within a second" || not_ok "... within a second ($r)"
r=$(result "http 2001:db8:1::11 80" "$out");   like "$r" '^fail (ECONNREFUSED|ENETUNREACH|EHOSTUNREACH|EACCES|EPERM)' "IPv6 egress to an address not on the list is denied"
fast "$r" && ok "... within a second" || not_ok "... within a second ($r)"
like "$(result "http web.test 80" "$out")" '^ok (198.51.100.10|2001:db8:1::10) host-web' "an allowed name connects"
like "$(result "http alias.test 80" "$out")" '^ok (198.51.100.10|2001:db8:1::10) host-web' "an allowed name through a CNAME connects"
like "$(result "http a.wild.test 80" "$out")" '^ok 198.51.100.12 host-wild' "a wildcard subdomain connects"
like "$(result "http web.test 80 v6" "$out")" '^ok 2001:db8:1::10 host-web' "an allowed name connects over IPv6 too"
r=$(result "resolve wild.test" "$out");          like "$r" '^fail gaierror' "the wildcard's apex is not allowed"
fast "$r" && ok "... and fails within a second" || not_ok "... fails within a second ($r)"
r=$(result "resolve other.test" "$out");         like "$r" '^fail gaierror' "a name not on the list does not resolve"
fast "$r" && ok "... within a second" || not_ok "... within a second ($r)"
like "$(result "http other.test 80" "$out")" '^fail' "... and does not connect"
like "$(result "http private.test 80" "$out")" '^fail' "an allowed name resolving into a private range (10.1.2.3) does not connect"
like "$(result "http 10.1.2.3 80" "$out")" '^fail' "the private address itself is not reachable"
like "$(result "http meta.test 80" "$out")" '^fail' "an allowed name resolving into link-local does not connect"
like "$(result "http 169.254.77.77 80" "$out")" '^fail' "link-local (the cloud metadata range) is not reachable"
like "$(result "http gw.test 80" "$out")" '^fail' "an allowed name resolving to the gateway does not connect"
like "$(result "http 198.51.100.1 80" "$out")" '^fail' "the gateway (the host) is not reachable"
like "$(result "udpdns $WORLD_DNS web.test" "$out")" '^fail' "DNS straight to the upstream over UDP gets nothing"
like "$(result "tcpdns $WORLD_DNS web.test" "$out")" '^fail' "DNS straight to the upstream over TCP gets nothing"
like "$(result "udpdns 127.0.0.11 web.test" "$out")" '^fail' "Docker's embedded DNS (127.0.0.11) is not reachable"
like "$(result "udpdns 198.51.100.1 web.test" "$out")" '^fail' "DNS to the gateway gets nothing"
# The firewall's record of each block (--log-blocked): the guard dropped the
# rebinding answers, the ruleset refused the connections.
check "--log-blocked was written" test -s "$log"
rec=$(cat "$log" 2>/dev/null)
like "$rec" '"type":"dns-rebind","name":"private.test","addr":"10.1.2.3"' "guard event: private.test -> 10.1.2.3 dropped"
like "$rec" '"type":"dns-rebind","name":"meta.test","addr":"169.254.77.77"' "guard event: meta.test -> 169.254.77.77 dropped"
like "$rec" '"type":"dns-rebind","name":"gw.test","addr":"198.51.100.1","reason":"gateway' "guard event: gw.test -> the gateway dropped"
like "$rec" '"type":"conn","addr":"10.1.2.3","proto":"tcp","port":80' "ruleset record: the connection to 10.1.2.3:80 was refused"
like "$rec" '"type":"conn","addr":"169.254.77.77","proto":"tcp","port":80' "ruleset record: the connection to 169.254.77.77:80 was refused"
like "$rec" '"type":"conn","addr":"198.51.100.1","proto":"tcp","port":80' "ruleset record: the connection to the gateway's port 80 was refused"
like "$rec" '"type":"conn","addr":"198.51.100.1","proto":"udp","port":53' "ruleset record: DNS to the gateway was refused"
like "$(result "netfilter" "$out")" '^fail EPERM' "the sandbox cannot open nftables' netlink channel"
like "$(result "write /etc/resolv.conf" "$out")" '^fail (EROFS|EACCES)' "the sandbox cannot change resolv.conf"
like "$(result "http 198.51.100.13 80" "$out")" '^ok 198.51.100.13 host-short' "an explicitly listed IP connects"

# What reached the upstream: allowed names yes, the others never.
# (the controls above did query other.test and wild.test: count from here)
check "allowed names were forwarded to the upstream" test "$(world_dns_queries web.test)" -ge 1
is "$(world_dns_queries other.test)" "$q_other" "a name not on the list never reached the upstream"
is "$(world_dns_queries wild.test)" "$q_wild" "the wildcard's apex never reached the upstream"

# What was blocked is reported.
err=$(cat "$p.err")
like "$err" 'blocked:.*other\.test' "the summary names the refused name"
like "$err" 'blocked:.*198\.51\.100\.11 port 80/tcp' "the summary names the refused address"
like "$err" 'add with --allow' "... and how to allow it"
check "--log-blocked writes JSON lines" sh -c "jq -se 'length > 0' '$log' >/dev/null"
like "$(cat "$log")" '"name":"other.test"' "--log-blocked records the refused name"

# Inside: the effective list and the resolver.
out=$(cd "$p" && cs exec --network "$WORLD_NET" --dns "$WORLD_DNS" --allow web.test -- sh -c 'cat /etc/codex/allowed_domains.txt; cat /etc/resolv.conf' </dev/null 2>/dev/null)
like "$out" '^api\.openai\.com$' "allowed_domains.txt lists the defaults"
like "$out" '^web\.test$' "... and the user's entries"
like "$out" '^nameserver 127\.0\.0\.1$' "the only resolver is the filter"

# Docker's embedded resolver as the upstream: container names of the network,
# filtered like any name; the sandbox still cannot query it directly.
out=$(cd "$p" && cs exec --network "$WORLD_NET" --dns 127.0.0.11 --allow "$WORLD_NET-web" -- python3 probe.py \
    "http $WORLD_NET-web 80" "resolve $WORLD_NET-other" "udpdns 127.0.0.11 $WORLD_NET-web" </dev/null 2>/dev/null)
like "$(result "http $WORLD_NET-web 80" "$out")" '^ok .* host-web' "--dns 127.0.0.11: an allowed container name resolves and connects"
like "$(result "resolve $WORLD_NET-other" "$out")" '^fail gaierror' "--dns 127.0.0.11: other container names are refused"
like "$(result "udpdns 127.0.0.11 $WORLD_NET-web" "$out")" '^fail' "--dns 127.0.0.11: the sandbox still cannot query it directly"
out=$(cd "$p" && cs exec --dns 127.0.0.11 -- true </dev/null 2>&1); rc=$?
is "$rc" 125 "--dns 127.0.0.11 on the default bridge is refused"

# A short TTL keeps working after the entry expired and the name re-resolved.
out=$(probe "http short.test 80" "sleep 4" "http short.test 80")
n=$(grep -c '^http short.test 80 => ok' <<<"$out")
is "$n" 2 "a short-TTL name keeps working after re-resolution"

# The default bridge: refused names fail at once there too, and never leave.
out=$(cd "$p" && cs exec --allow web.test -- python3 probe.py "resolve other.test" "udpdns 127.0.0.11 other.test" </dev/null 2>/dev/null)
r=$(result "resolve other.test" "$out")
like "$r" '^fail gaierror' "default bridge: a name not on the list does not resolve"
fast "$r" && ok "... within a second" || not_ok "... within a second ($r)"

# Preview port: published on 127.0.0.1 of the host only.  The dev server
# runs until the test removes its go-file, so every check below sees it up.
touch "$p/preview-run"
(cd "$p" && cs exec --network "$WORLD_NET" -p 8000:18080 -- sh -c 'python3 -m http.server 8000 >/dev/null 2>&1 & while [ -e preview-run ]; do sleep 0.1; done' </dev/null >/dev/null 2>&1) &
pv=$!
if wait_for curl -fs --max-time 1 -o /dev/null http://127.0.0.1:18080/; then ok "--publish: a dev server in the sandbox is reachable on 127.0.0.1"; else not_ok "--publish reachable"; fi
hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v '^198\.51\.100\.' | head -n1)
check "the host has another address to try ($hostip)" test -n "$hostip"
code=$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' "http://${hostip:-0.0.0.0}:18080/" 2>/dev/null)
is "$code" 000 "--publish: not reachable on the host's other addresses"
check "... while the server is still up on 127.0.0.1" curl -fs --max-time 1 -o /dev/null http://127.0.0.1:18080/
rm -f "$p/preview-run"
wait $pv

# Fail closed: an owner that cannot load its rules, or dies, means no start.
mkbroken() {  # TAG SCRIPT: an image whose codex-firewall is SCRIPT
    local ctx; ctx=$(mktemp -d)
    printf 'FROM codex-sandbox:latest\nUSER root\nCOPY fw /usr/lib/codex-sandbox/codex-firewall\n' > "$ctx/Dockerfile"
    printf '#!/bin/sh\n%s\n' "$2" > "$ctx/fw"; chmod 755 "$ctx/fw"
    tar -C "$ctx" -cf - Dockerfile fw | curl -sS --unix-socket "$DOCKER_SOCK" -X POST \
        -H 'Content-Type: application/x-tar' --data-binary @- "http://docker/v1.41/build?t=$1&rm=1" >/dev/null
    rm -rf "$ctx"
}
# Event times are whole seconds: start the window at the next one.
since=$(( $(date +%s) + 1 ))
wait_for test "$(date +%s)" -ge "$since"
mkbroken cs-test-broken-fw:1 'echo "ERROR loading the ruleset: Operation not supported (fix: check nf_tables)"; exit 1'
mkbroken cs-test-dead-fw:1 'exit 3'
for img in cs-test-broken-fw:1 cs-test-dead-fw:1; do
    out=$(cd "$p" && CODEX_DOCKER_IMAGE=$img cs exec -- sh -c 'echo SANDBOX-STARTED' </dev/null 2>&1); rc=$?
    is "$rc" 125 "$img: exit 125"
    unlike "$out" 'SANDBOX-STARTED' "$img: the sandbox never started"
    like "$out" "firewall (failed to start|exited before it was ready).*fail closed" "$img: one line says why"
done
# sandbox_events ACTION FROM TO: events ACTION (create, start, destroy) of
# sandbox containers in that window; a failed query prints
# ENGINE-QUERY-FAILED, which is no count.  The sandbox may be created while
# its firewall starts (R5.3): it is started only after READY.
sandbox_events() {
    local ev q
    q=$(jq -rn --arg a "$1" '{event: [$a], label: ["org.codex-sandbox.role=sandbox"]} | @uri')
    ev=$(curl -fsS --unix-socket "$DOCKER_SOCK" "http://docker/v1.41/events?since=$2&until=$3&filters=$q") &&
        jq -s --arg a "$1" '[.[] | select(.Action == $a)] | length' <<<"$ev" || echo ENGINE-QUERY-FAILED
}
# Positive control: the same query sees the sandboxes this test started before.
check "control: the events query counts the sandboxes started earlier" test "$(sandbox_events start "$T_START" "$((since - 1))")" -ge 1
sleep 1   # the window's end excludes its own second
now=$(date +%s)
is "$(sandbox_events start "$since" "$now")" 0 "no sandbox container was ever started without a ready firewall"
is "$(sandbox_events destroy "$since" "$now")" "$(sandbox_events create "$since" "$now")" \
    "... and every sandbox created while its firewall failed was removed"
api /images/cs-test-broken-fw:1 -X DELETE >/dev/null; api /images/cs-test-dead-fw:1 -X DELETE >/dev/null

# The owner dying mid-run stops the sandbox.
(cd "$p" && cs exec -- sleep 60 </dev/null >/dev/null 2>"$p.err") &
r=$!
check "a sandbox is running" wait_sandboxes 1
fw=$(running_role_id firewall)
api "/containers/$fw/kill" -X POST >/dev/null
wait $r; rc=$?
is "$rc" 125 "firewall killed mid-run: the run ends with 125"
like "$(cat "$p.err")" 'firewall stopped unexpectedly.*fail closed' "... saying so"
is "$(our_containers)" "" "the pod is removed afterwards"
rm -f "$p.err"
done_testing
