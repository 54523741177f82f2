#!/usr/bin/env bash
# The real Codex CLI (the pinned npm binary, inside the real image) in the
# sandbox, driven by the project's scripted Responses API server, which it
# reaches BY NAME through the firewall (model.test is allowlisted; nothing
# else of the test world is, except where a test says so).
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/world.sh"
plan 20
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
trap 'world_down; cleanup_projects; rm -rf "$CS_HOME"' EXIT
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
MODEL=198.51.100.20

p=$(new_project)
# The daemon, update check and telemetry hosts stay at Codex's defaults.
cfg=$CS_HOME/config.toml
codex_project "$p" "$cfg"
net=(--network "$WORLD_NET" --dns "$WORLD_DNS" --allow model.test)

script=$CS_HOME/script.json
cat > "$script" <<'J'
[[ {"call":"exec_command","args":{"cmd":"echo hello > proof.txt && id -u && pwd"},"expect_output_contains":"/app/"},
   {"call":"exec_command","args":{"cmd":"t0=$(date +%s%N); curl -sS -m 10 http://other.test/ 2>&1 || echo BLOCKED-after-$(( ($(date +%s%N)-t0)/1000000 ))ms"}},
   {"call":"exec_command","args":{"cmd":"curl -sS -m 5 http://web.test/"}},
   {"call":"exec_command","args":{"cmd":"python3 -c 'import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)' 2>&1 | tail -n1; cat /etc/shadow 2>&1 | head -n1; ls /root /work 2>&1 | head -n2"}},
   {"say":"all done"} ]]
J
world_script $MODEL "$script"
t0=$(date +%s%N)
out=$(cd "$p" && cs "${net[@]}" --allow web.test --config "$cfg" -- exec --skip-git-repo-check "do the work" </dev/null 2>"$CS_HOME/err")
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$rc" 0 "codex exec in the sandbox exits 0 (${ms} ms, one turn, four tool calls)"
[ $rc -eq 0 ] || diag "$(tail -20 "$CS_HOME/err")"
is "$out" "all done" "stdout is Codex's final message"
check "the tool call wrote proof.txt in the project" test "$(cat "$p/proof.txt" 2>/dev/null)" = hello
is "$(stat -c %u:%g "$p/proof.txt" 2>/dev/null)" "$TEST_UID:$TEST_GID" "... owned by the work dir's owner"
outs=$(world_model_log $MODEL | jq -r 'select(.event=="tool_output") | .stdout // .output')
like "$outs" "^$TEST_UID\$" "tool calls run as the sandbox user"
like "$outs" "^/app$p\$" "... in the project dir"
like "$outs" 'BLOCKED-after-[0-9]+ms' "a non-allowlisted host fails and Codex carries on"
bms=$(grep -o 'BLOCKED-after-[0-9]*' <<<"$outs" | grep -o '[0-9]*$')
check "... fast (${bms:-?} ms < 1000)" test "${bms:-99999}" -lt 1000
like "$outs" '^host-web$' "an allowlisted host works"
like "$outs" 'PermissionError|Operation not permitted' "changing the firewall fails"
like "$outs" 'No such file or directory' "nothing outside the mounts is visible"
check "the server saw Codex's expectation pass" sh -c "curl -fs http://$MODEL:8080/_log | jq -e 'map(select(.event==\"expect\" and .pass==true)) | length >= 1' >/dev/null"
# Codex's default telemetry/plugin hosts are not allowlisted: refused at once, reported.
like "$(cat "$CS_HOME/err")" 'blocked: (ab\.chatgpt\.com|github\.com|api\.github\.com)' "Codex's non-allowlisted default hosts were refused (and reported)"
check "the Codex home stays small (no 300 MB daemon copy)" test "$(du -sm "$p/.codex/.environment" | cut -f1)" -lt 50

# --json pipes cleanly: no TTY, no stdin stall.
world_script $MODEL <(echo '[[{"call":"exec_command","args":{"cmd":"echo json-mode"}},{"say":"ok"}]]')
# (the runner's status, not only jq's: the pipe's last command is jq)
out=$(cd "$p" && { cs "${net[@]}" --config "$cfg" -- exec --json --skip-git-repo-check "go" </dev/null 2>/dev/null
                   echo "runner=$?" >"$CS_HOME/json.rc"; } | jq -c 'select(.type)' 2>&1); rc=$?
is "$(cat "$CS_HOME/json.rc" 2>/dev/null):jq=$rc" "runner=0:jq=0" "exec --json | jq works (runner and jq exit 0)"
like "$out" '"type":"command_execution"' "--json has the command execution"
like "$out" '"type":"agent_message"' "--json has the agent message"
# Without </dev/null and without a terminal on stdout, stdin from a pipe still ends.
out=$(cd "$p" && echo "" | cs "${net[@]}" --config "$cfg" -- exec --skip-git-repo-check "go" 2>/dev/null); rc=$?
is "$rc" 0 "exec with piped stdin finishes (EOF delivered)"

# Codex's exit status is the run's.
world_script $MODEL <(echo '[[{"error":500}]]')
(cd "$p" && cs "${net[@]}" --config "$cfg" -- exec --skip-git-repo-check "go" </dev/null >/dev/null 2>&1); rc=$?
is "$rc" 1 "a failing Codex run exits with Codex's status (1)"
is "$(our_containers)" "" "no container left"
done_testing
