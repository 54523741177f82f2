#!/usr/bin/env bash
# The agent is told why (issue 12 item 3), end to end with the real Codex
# against the scripted model server: a tool call hits a blocked host, and
# the NEXT request to the model carries the reason - the developer
# instructions naming the allowlist, the log and `codex-sandbox allow ID
# NAME`, and the tool output with the Extended DNS Error text.  Inside the
# sandbox /etc/codex/blocked.jsonl shows the block within a second and
# cannot be written; a rejected connection appears there too (live conn
# events); the EDE respects the client's UDP size.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/world.sh"
plan 16
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
trap 'world_down; cleanup_projects; rm -rf "$CS_HOME"' EXIT
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
MODEL=198.51.100.20

p=$(new_project)
cfg=$CS_HOME/config.toml
codex_project "$p" "$cfg"
# the user's own developer_instructions: kept, ours appended
echo 'developer_instructions = "USER-OWN-INSTRUCTIONS: be brief."' >> "$cfg"
install -o "$TEST_UID" -g "$TEST_GID" -m 0755 "$ROOT/tests/model-server/ede-probe.py" "$p/ede-probe.py"
world_script $MODEL "$ROOT/tests/model-server/told-script.json"
out=$(cd "$p" && cs --network "$WORLD_NET" --dns "$WORLD_DNS" --allow model.test --config "$cfg" \
      -- exec --skip-git-repo-check "fetch blocked.test" </dev/null 2>"$CS_HOME/err"); rc=$?
is "$rc:$out" "0:told" "codex exec runs the script (exit 0, final message)"
[ $rc -eq 0 ] || diag "$(tail -20 "$CS_HOME/err")"

log=$(world_model_log $MODEL)
reqs=$(jq -c 'select(.event=="request" and (.path|endswith("/responses")) and .body.input != null)' <<<"$log")
# the request that follows the first tool call: its input has that call's output
next=$(jq -c 'select([.body.input[]? | select(.type=="function_call_output")] | length >= 1)' <<<"$reqs" | head -n1)
dev=$(jq -r '.body.input[]? | select(.role=="developer") | .content[]?.text // empty' <<<"$next")
like "$dev" 'Network egress is allowlisted' "the next request carries our developer instructions"
like "$dev" '/etc/codex/allowed_domains\.txt' "... naming the allowlist file"
like "$dev" '/etc/codex/blocked\.jsonl' "... and the log"
id=$(grep -o 'codex-sandbox allow [0-9a-f]\{32\} NAME' <<<"$dev" | head -n1 | cut -d' ' -f3)
check "... and codex-sandbox allow ID NAME with the run id (${id:-none})" test -n "$id"
like "$dev" 'USER-OWN-INSTRUCTIONS: be brief\.' "... after the user's own developer_instructions, kept"
tout=$(jq -r '.body.input[]? | select(.type=="function_call_output") | .output | if type=="string" then . else tostring end' <<<"$next" | head -c 4000)
like "$tout" 'Could not resolve host: blocked\.test' "the tool output in that request shows the failure"
like "$tout" "rcode=NXDOMAIN .*ede=15 text=codex-sandbox: not on this sandbox's allowlist; ask the user to run: codex-sandbox allow $id blocked\\.test" \
     "... and the Extended DNS Error (15 Blocked) with the allow command for this sandbox"

outs=$(jq -r 'select(.event=="tool_output") | .stdout // .output' <<<"$log")
line=$(grep -m1 '"name":"blocked.test"' <<<"$outs")
like "$line" '^\{"time":"20[0-9-]+T[0-9:]+Z","type":"dns-refused","name":"blocked\.test","qtype":"A","count":1,"allow":"codex-sandbox allow [0-9a-f]{32} blocked\.test"\}$' \
     "/etc/codex/blocked.jsonl in the sandbox has the line, within the second"
like "$outs" 'WRITE-REFUSED' "... and the sandbox cannot write it"
unlike "$outs" 'WRITE-OK' "... (no forged line)"
like "$outs" '"type":"conn","addr":"198\.51\.100\.11","port":80,"proto":"tcp","count":[0-9]+,"allow":"codex-sandbox allow [0-9a-f]{32} 198\.51\.100\.11"' \
     "a rejected connection is there too, live (conn event)"
small=$(grep -o 'rcode=NXDOMAIN size=[0-9]* ede=15' <<<"$outs" | tail -n1 | grep -o 'size=[0-9]*' | cut -d= -f2)
check "a long name at EDNS size 512: the answer keeps the EDE and stays within 512 bytes (${small:-?})" \
      test "${small:-999}" -le 512
check "the server saw Codex's expectation pass" \
      sh -c "curl -fs http://$MODEL:8080/_log | jq -e 'map(select(.event==\"expect\" and .pass==true)) | length >= 1' >/dev/null"
like "$(cat "$CS_HOME/err")" 'blocked: blocked\.test' "the end-of-run summary still reports it"
is "$(our_containers)" "" "no container left"
done_testing
