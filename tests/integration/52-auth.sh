#!/usr/bin/env bash
# Auth: API-key login with a read-only auth.json (untouched byte for byte),
# Codex's own login when none is found (device-code login reaches
# auth.openai.com through the default allowlist), and --auth-writeback:
# atomic write-back, the lock between concurrent sandboxes, refusals.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/world.sh"
. "$ROOT/tests/lib/tmux.sh"
plan 27
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
trap 'tmux_stop; world_down; cleanup_projects; rm -rf "$CS_HOME"' EXIT
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
MODEL_AUTH=198.51.100.21

p=$(new_project)
mkdir -p "$CS_HOME/.codex"
cfg=$CS_HOME/config.toml
codex_project "$p" "$cfg" "requires_openai_auth=true" model-auth.test
net=(--network "$WORLD_NET" --dns "$WORLD_DNS" --allow model-auth.test)

# --- API key, read-only -----------------------------------------------------------
auth=$CS_HOME/.codex/auth.json
printf '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test"}\n' > "$auth"
chmod 600 "$auth"
sum=$(sha256sum < "$auth"); ino=$(stat -c %i "$auth")
world_script $MODEL_AUTH <(echo '[[{"call":"exec_command","args":{"cmd":"ls -l /codex_home/auth.json; echo x >> /codex_home/auth.json || echo RO"}},{"say":"authed"}]]')
out=$(cd "$p" && cs "${net[@]}" --config "$cfg" -- exec --skip-git-repo-check "hi" </dev/null 2>"$CS_HOME/err"); rc=$?
is "$rc" 0 "API-key login: codex exec succeeds"
is "$out" "authed" "... and gets the model's answer"
[ $rc -eq 0 ] || diag "$(tail -5 "$CS_HOME/err")"
check "the model server saw Authorization: Bearer sk-test" sh -c \
    "curl -fs http://$MODEL_AUTH:8080/_log | jq -e '[.[] | select(.event==\"request\" and .headers.authorization==\"Bearer sk-test\")] | length >= 1' >/dev/null"
like "$(world_model_log $MODEL_AUTH | jq -r 'select(.event=="tool_output") | .output')" '^RO$' "auth.json is read-only for Codex's tools"
is "$(sha256sum < "$auth")" "$sum" "host auth.json byte-identical afterwards"
is "$(stat -c %i:%a "$auth")" "$ino:600" "... same file, same mode"

# --- no auth: Codex's own login; device code goes through the allowlist ----------
rm -f "$auth"
tmux_start 120 40 "cd '$p' && HOME='$CS_HOME' '$CS' --network '$WORLD_NET' --dns '$WORLD_DNS' --config '$cfg' --log-blocked '$CS_HOME/blocked.json'; r=\$?; trap '' INT; echo RUNNER-EXIT=\$r; sleep 600"
check "no auth.json: Codex shows its own login" wait_screen 'Sign in with ChatGPT'
tm send-keys -t "$TMUX_S" Down; sleep 0.3; tm send-keys -t "$TMUX_S" Enter
check "device-code login makes its request" wait_screen 'device code|deviceauth|Device Code'
check "... which reached auth.openai.com (the local stand-in) through the firewall" \
    wait_for grep -q . "$WORLD_DIR/openai-443.log"
# Codex asks for a second Ctrl-C; one sent after the runner has ended would
# reach the shell instead, so each further one only while it still runs.
tm send-keys -t "$TMUX_S" C-c
for _ in 1 2 3 4 5; do
    wait_screen 'RUNNER-EXIT=' 10 && break
    tm send-keys -t "$TMUX_S" C-c
done
if wait_screen 'RUNNER-EXIT=' 600; then ok "Ctrl-C ends Codex and the runner"; else not_ok "Ctrl-C ends Codex and the runner"; diag "$(screen)"; fi
# The record must exist before its contents mean anything.
jsonl() { jq -se 'type == "array"' "$1" >/dev/null; }
check "--log-blocked was written, JSON lines" jsonl "$CS_HOME/blocked.json"
unlike "$(cat "$CS_HOME/blocked.json")" 'openai\.com"|198\.51\.100\.30' "the login hosts were not blocked"
tmux_stop

# --- --auth-writeback -----------------------------------------------------------------
printf '{"auth_mode":"chatgpt","tokens":{"refresh_token":"rt-1"}}\n' > "$auth"
chmod 600 "$auth"
ino=$(stat -c %i "$auth")
refresh() {  # a command that "refreshes" the token like Codex does (in place)
    echo "python3 -c \"import json; p='/codex_home/auth.json'; d=json.load(open(p)); d['tokens']['refresh_token']='$1'; open(p,'w').write(json.dumps(d))\""
}
out=$(cd "$p" && cs exec --auth-writeback -- sh -c "$(refresh rt-2) && echo refreshed" </dev/null 2>&1); rc=$?
is "$rc" 0 "--auth-writeback run succeeds"
like "$(cat "$auth")" '"refresh_token": "rt-2"' "the refreshed token is written back to the host file"
check "... atomically (a new file renamed over the old one)" test "$(stat -c %i "$auth")" != "$ino"
is "$(stat -c %a "$auth")" 600 "... keeping its mode"
is "$(ls -A "$CS_HOME/.codex" | grep -v '^auth.json$' || true)" "" "no temp or lock files left beside it"

# Two sandboxes at once: the second waits for the first's write-back, then
# starts from the token the first left (never spending the same one twice).
# The first holds the lock until the test sees the second one waiting.
rm -f "$p/go"
(cd "$p" && cs exec --auth-writeback -- sh -c "until [ -e go ]; do sleep 0.1; done; $(refresh rt-A)" </dev/null >/dev/null 2>&1) &
a=$!
wait_sandboxes 1
(cd "$p" && cs exec --auth-writeback -- cat /codex_home/auth.json </dev/null >"$CS_HOME/out2" 2>"$CS_HOME/err2") &
b=$!
check "a second --auth-writeback sandbox waits for the lock, saying so" \
    wait_for grep -qE 'another sandbox is using .* waiting' "$CS_HOME/err2"
touch "$p/go"
wait $a; wait $b; rc=$?
rm -f "$p/go"
is "$rc" 0 "... then runs"
like "$(cat "$CS_HOME/out2")" '"refresh_token": "rt-A"' "it starts from the token the first one wrote back"

# A sandbox that leaves invalid JSON: the host file is not touched.
good=$(sha256sum < "$auth")
out=$(cd "$p" && cs exec --auth-writeback -- sh -c 'echo "{broken" > /codex_home/auth.json' </dev/null 2>&1); rc=$?
is "$rc" 125 "invalid auth.json left by the sandbox: exit 125"
like "$out" 'invalid auth.json.*was not changed' "... saying the host file was not changed"
is "$(sha256sum < "$auth")" "$good" "host auth.json unchanged"
# The host file changed during the run: the sandbox's version is kept beside it.
# (the sandbox refreshes only after the host file changed under the run)
(cd "$p" && cs exec --auth-writeback -- sh -c "until [ -e go ]; do sleep 0.1; done; $(refresh rt-S)" </dev/null >/dev/null 2>&1) &
a=$!
check "a sandbox is running" wait_sandboxes 1
printf '{"auth_mode":"chatgpt","tokens":{"refresh_token":"rt-host"}}\n' > "$auth.new"; mv "$auth.new" "$auth"
touch "$p/go"
wait $a
rm -f "$p/go"
like "$(cat "$auth")" 'rt-host' "a host-side change during the run is never overwritten"
beside=$(ls "$CS_HOME/.codex"/auth.json.sandbox-* 2>/dev/null | head -n1)
check "the sandbox's refreshed credentials are kept beside it" grep -q rt-S "${beside:-/nonexistent}"
is "$(our_containers)" "" "no container left"
done_testing
