#!/usr/bin/env bash
# Changing a running sandbox (REQUIREMENTS R5.30-R5.36): a local sandbox runs
# a probe loop on the test network (tests/lib/world.sh); `ps` lists it,
# `allow` opens a name and an address within a second (the loop sees it, and
# /etc/codex/allowed_domains.txt inside shows it), `deny` closes them again
# (also the address the name had opened), a bad entry is 125 and changes
# nothing, the sandbox cannot reach the control channel, `blocked` reads
# the log, and `allow --save` writes the user's configuration (never the
# project), which a second run of the project reads.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/world.sh"
plan 40
RUNNER=""
cfg=$(mktemp -d /tmp/cs-xdgcfg.XXXXXX); track_path "$cfg"
stop_runner() { [ -n "$RUNNER" ] && kill -TERM "$RUNNER" 2>/dev/null && wait "$RUNNER" 2>/dev/null; RUNNER=""; }
trap 'stop_runner; world_down; cleanup_projects' EXIT
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
ok "test world up ($WORLD_NET)"
# the runner's and the subcommands' environment (same run dir base, own config)
lcs() { env XDG_CONFIG_HOME="$cfg" CODEX_SANDBOX_DNS_MIN_TTL=1 HOME=/tmp/cs-test-home "$CS" "$@"; }

p=$(new_project)
cp "$ROOT/tests/lib/sandbox_probe.py" "$p/probe.py"
cp "$ROOT/tests/lib/live_inside.py" "$p/inside.py"
cat > "$p/loop.sh" <<'LOOP'
python3 inside.py > inside.tmp 2>&1; mv inside.tmp inside.out
while :; do
    python3 probe.py "http other.test 80" "http 198.51.100.11 80" "http 198.51.100.12 80" > loop.tmp 2>&1
    cat /etc/codex/allowed_domains.txt > allowed.tmp
    mv loop.tmp loop.out; mv allowed.tmp allowed.out
    sleep 0.05
done
LOOP
chmod 644 "$p"/*.py "$p/loop.sh"
# exec: $! is the runner itself, so stop_runner's SIGTERM ends the sandbox
(cd "$p" && exec env XDG_CONFIG_HOME="$cfg" CODEX_SANDBOX_DNS_MIN_TTL=1 HOME=/tmp/cs-test-home "$CS" \
    exec --network "$WORLD_NET" --dns "$WORLD_DNS" --allow web.test -- sh loop.sh \
    </dev/null >"$p.out" 2>"$p.err") &
RUNNER=$!
track_path "$p.out"; track_path "$p.err"
wait_for test -s "$p/loop.out" && wait_for test -s "$p/inside.out"
check "the sandbox's probe loop runs" test -s "$p/loop.out"
[ -s "$p/loop.out" ] || diag "$(cat "$p.err")"
result() { grep -F -- "$1 =>" "$p/loop.out" 2>/dev/null | head -n1 | sed 's/.*=> //'; }
# until_ms CHECK REGEX: ms until the loop's CHECK matches REGEX (up to 5 s), or "never"
until_ms() {
    local t0 i; t0=$(date +%s%N)
    for i in $(seq 100); do
        if grep -qE -- "$2" <<<"$(result "$1")"; then echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0; fi
        sleep 0.05
    done
    echo never
}
within() { [ "$1" != never ] && [ "$1" -lt 1000 ]; }
# listed REGEX: allowed_domains.txt as the loop last saw it matches REGEX (waits up to 2 s)
listed() { local i; for i in $(seq 40); do grep -qE -- "$1" "$p/allowed.out" 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# --- ps
out=$(lcs ps --json 2>&1)
id=$(jq -r --arg wd "$p" '.[] | select(.work_dir == $wd) | .id' <<<"$out" 2>/dev/null)
check "ps --json lists the sandbox by its project" test -n "$id"
[ -n "$id" ] || diag "$out"
obj=$(jq -c --arg id "$id" '.[] | select(.id == $id)' <<<"$out" 2>/dev/null)
like "$obj" '"backend":"local"' "... backend local"
like "$obj" '"started":"20[0-9-]+T[0-9:]+Z"' "... started in RFC 3339"
like "$obj" '"blocked":[0-9]+' "... a blocked count"
out=$(lcs ps 2>&1)
like "$out" "^$id +local .*$p" "ps prints a table row: id, backend, project"

# --- before: not allowed
like "$(result "http other.test 80")" '^fail gaierror' "before: other.test does not resolve"

# --- allow a name
t0=$(date +%s%N)
out=$(lcs allow "${id:0:8}" other.test 2>&1); rc=$?
diag "allow took $(( ($(date +%s%N) - t0) / 1000000 )) ms: $out"
is "$rc" 0 "allow ID-PREFIX other.test succeeds"
ms=$(until_ms "http other.test 80" '^ok 198\.51\.100\.11 host-other')
check "... other.test resolves and connects within a second ($ms ms)" within "$ms"
check "... /etc/codex/allowed_domains.txt inside shows it" listed '^other\.test$'
like "$(cat "$p/allowed.out")" '^web\.test$' "... next to the entries it started with"

# --- a bad entry: 125, names it, changes nothing
before=$(cat "$p/allowed.out")
out=$(lcs allow "$id" 'http://evil.test/' 2>&1); rc=$?
is "$rc" 125 "a bad entry is exit 125"
like "$out" 'http://evil\.test/' "... naming it"
sleep 0.4
is "$(cat "$p/allowed.out")" "$before" "... and the list is unchanged"
out=$(lcs allow "$id" '@no-such-preset' 2>&1); rc=$?
is "$rc" 125 "an unknown preset is exit 125"
out=$(lcs allow 0000dead other.test 2>&1); rc=$?
is "$rc" 125 "an unknown sandbox id is exit 125"

# --- an IP entry
like "$(result "http 198.51.100.12 80")" '^fail ECONNREFUSED' "before: 198.51.100.12 is refused"
out=$(lcs allow "$id" 198.51.100.12 2>&1); rc=$?
is "$rc" 0 "allow ID 198.51.100.12 succeeds"
ms=$(until_ms "http 198.51.100.12 80" '^ok 198\.51\.100\.12 host-wild')
check "... the address connects within a second ($ms ms)" within "$ms"
out=$(lcs deny "$id" 198.51.100.12 2>&1); rc=$?
is "$rc" 0 "deny ID 198.51.100.12 succeeds"
ms=$(until_ms "http 198.51.100.12 80" '^fail ECONNREFUSED')
check "... refused again within a second ($ms ms)" within "$ms"

# --- deny the name: the name and the address it opened close
# (by name: by address, Host would not name other.test and the first-bytes
# check resets the flow, R5.20; after the deny the address itself is closed:
# ECONNREFUSED from the reject rule, not the check's ECONNRESET)
like "$(result "http other.test 80")" '^ok' "while allowed: other.test connects"
out=$(lcs deny "$id" other.test 2>&1); rc=$?
is "$rc" 0 "deny ID other.test succeeds"
ms=$(until_ms "http other.test 80" '^fail gaierror')
check "... other.test stops resolving within a second ($ms ms)" within "$ms"
like "$(result "http 198.51.100.11 80")" '^fail ECONNREFUSED' "... and the address it opened is closed"
check "... allowed_domains.txt no longer lists it" sh -c "sleep 0.5; ! grep -q '^other\.test\$' '$p/allowed.out'"

# --- the sandbox cannot reach the control channel
ins=$(cat "$p/inside.out")
like "$ins" '^control by path => fail (FileNotFoundError|PermissionError)' "inside: no control socket at its path"
like "$ins" '^control abstract => ok none answers' "inside: no abstract socket answers"
like "$ins" '^listening tcp => ok 127\.0\.0\.1:53$' "inside: no TCP port but the DNS filter's (Docker's resolver aside)"

# --- blocked
rd=$(ls -d /tmp/codex-sandbox-$(id -u)/"$id" "${XDG_RUNTIME_DIR:-/nonexistent}/codex-sandbox/$id" 2>/dev/null | head -n1)
[ -n "$rd" ] && printf '%s\n' '{"type":"dns-refused","name":"nope.test","qtype":"A","reason":"not on the allowlist","count":2}' \
    '{"type":"dns-refused","name":"nope.test","qtype":"A","reason":"not on the allowlist"}' >> "$rd/etc-codex/blocked.jsonl"
out=$(lcs blocked "$id" 2>&1); rc=$?
is "$rc" 0 "blocked ID succeeds"
like "$out" "dns-refused +nope\.test .* 3 .*codex-sandbox allow $id nope\.test" "... aggregates and prints the allow command"

# --- a --save that is refused changes nothing: checked before the live change
mkdir -p "$cfg/codex-sandbox"
ln -s /etc/hostname "$cfg/codex-sandbox/saved-allow.json"
out=$(lcs allow "$id" refused.test --save 2>&1); rc=$?
is "$rc" 125 "allow --save with a symlink as the saved-entries file: exit 125"
like "$out" "symbolic link" "... saying why"
check "... and the running sandbox was not changed" sh -c "sleep 0.5; ! grep -q '^refused\.test\$' '$p/allowed.out'"
rm -f "$cfg/codex-sandbox/saved-allow.json"

# --- allow --save: the user's config, never the project; the next run has it
out=$(lcs allow "$id" short.test --save 2>&1); rc=$?
is "$rc" 0 "allow --save succeeds"
check "... the entry is in the user's config" grep -q '"short.test"' "$cfg/codex-sandbox/saved-allow.json"
is "$(grep -rlE 'short\.test|saved-allow' "$p" 2>/dev/null | grep -vE '/(loop|allowed)\.(out|tmp)$' | tr '\n' ' ')" "" "... nothing was written into the project"
stop_runner
out=$(cd "$p" && lcs exec --network "$WORLD_NET" --dns "$WORLD_DNS" --dry-run -- true 2>&1)
like "$out" "saved-allow\.json" "--dry-run of the project shows the saved source"
out=$(cd "$p" && lcs exec --network "$WORLD_NET" --dns "$WORLD_DNS" -- python3 probe.py "http short.test 80" </dev/null 2>&1)
like "$out" 'http short.test 80 => ok 198\.51\.100\.13' "a second run of the project can reach the saved entry"
done_testing
