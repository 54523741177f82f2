#!/usr/bin/env bash
# The real Codex TUI in the sandbox, in a real terminal (tmux): it renders,
# no trust or onboarding screen blocks the project (a git repo, where Codex
# would ask), a typed prompt runs a turn and shows the answer, a resize
# redraws, /quit ends Codex, the pod is removed, the terminal is restored.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/world.sh"
. "$ROOT/tests/lib/tmux.sh"
plan 14
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
trap 'tmux_stop; world_down; cleanup_projects; rm -rf "$CS_HOME"' EXIT
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
MODEL=198.51.100.20

p=$(new_project)
cfg=$CS_HOME/config.toml
codex_project "$p" "$cfg"
echo 'tui.animations = false' >> "$cfg"
(cd "$p" && git init -q . && echo "# demo" > README.md)
chown -R "$TEST_UID:$TEST_GID" "$p"
world_script $MODEL <(echo '[[{"call":"exec_command","args":{"cmd":"echo tui-tool-ran > tui.txt"}},{"say":"the answer is 42"}]]')

res=$CS_HOME/result
cat > "$CS_HOME/pane.sh" <<EOF
cd "$p"
HOME="$CS_HOME" "$CS" --network "$WORLD_NET" --dns "$WORLD_DNS" --allow model.test --config "$cfg"
echo "RUNNER-EXIT=\$?"
stty -a | tr '\n' ' ' > "$res"
sleep 600
EOF
t0=$(date +%s%N)
tmux_start 120 40 "bash --norc $CS_HOME/pane.sh"
if wait_screen 'Ask Codex to do anything'; then
    ok "the TUI renders its composer ($(( ($(date +%s%N) - t0) / 1000000 )) ms from launch)"
else
    not_ok "the TUI renders its composer"; diag "$(screen)"
fi
unlike "$(screen)" 'Trust this folder|Sign in with ChatGPT|Welcome to Codex' "no trust or login screen for the chosen project"
like "$(screen)" 'OpenAI Codex' "Codex's header is shown"

tm send-keys -t "$TMUX_S" -l 'please answer'
check "the typed prompt shows in the composer" wait_screen 'please answer' 50
sleep 0.3
tm send-keys -t "$TMUX_S" Enter
if wait_screen 'the answer is 42'; then ok "a typed prompt runs a turn and shows the answer"; else not_ok "prompt answered"; diag "$(screen)"; fi
check "the turn's tool call ran in the project" wait_for test -f "$p/tui.txt"

row() { screen | grep -n 'Ask Codex\|›' | tail -n1 | cut -d: -f1; }
before=$(row)
tm resize-window -t "$TMUX_S" -x 80 -y 20
redrawn() { local r; r=$(row); [ -n "$r" ] && [ "$r" -le 20 ] && [ "$r" != "$before" ]; }
wait_for redrawn
after=$(row)
if [ -n "$after" ] && [ "$after" -le 20 ] && [ "$after" != "$before" ]; then
    ok "a resize redraws the TUI (composer row $before -> $after)"
else
    not_ok "a resize redraws the TUI (composer row $before -> $after)"; diag "$(screen)"
fi
width=$(screen | awk '{ if (length($0) > m) m = length($0) } END { print m+0 }')
check "the redrawn screen fits the new width ($width <= 80)" test "$width" -le 80

tm send-keys -t "$TMUX_S" -l '/quit'
sleep 0.3
tm send-keys -t "$TMUX_S" Enter
if wait_screen 'RUNNER-EXIT=' 150; then ok "/quit ends Codex and the runner"; else not_ok "/quit ends Codex"; diag "$(screen)"; fi
like "$(screen)" 'RUNNER-EXIT=0' "exit status 0"
wait_for test -s "$res"
like "$(cat "$res")" '(^| )icanon( |$)' "terminal restored (canonical mode)"
like "$(cat "$res")" '(^| )echo( |$)' "terminal restored (echo)"
is "$(our_containers)" "" "the pod is removed"
check "the Codex home stays small (no daemon copy)" test "$(du -sm "$p/.codex/.environment" | cut -f1)" -lt 50
done_testing
