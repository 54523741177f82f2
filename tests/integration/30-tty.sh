#!/usr/bin/env bash
# The terminal, through a real one (tmux): keys reach the program, ^C and ^P
# too, the size is right from the start and follows resizes, the exit status
# is the program's, and the terminal is sane afterwards.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/tmux.sh"
plan 14
# not_on_screen REGEX: the pane could be read and REGEX is not on it (a
# failed capture is a failure, not an empty screen).
not_on_screen() { local s; s=$(tm capture-pane -p -t "$TMUX_S") && ! grep -qE -- "$1" <<<"$s"; }
trap 'tmux_stop; cleanup_projects' EXIT
p=$(new_project)
res=$(mktemp /tmp/cs-tty-res.XXXXXX); track_path "$res"


# The pane runs the runner, then records its status and the tty settings.
cat > "$res.sh" <<EOF
cd "$p"
HOME=/tmp/cs-test-home "$CS" exec -- bash --norc -i
echo "RUNNER-EXIT=\$?"
stty -a | tr '\n' ' ' > "$res"
sleep 600
EOF
tmux_start 100 30 "bash --norc $res.sh"
check "interactive shell prompt appears" wait_screen 'codex@codex-sandbox|bash-[0-9.]+\$'

tm send-keys -t "$TMUX_S" 'echo typed-$((40+2))' Enter
check "typed keys reach the program" wait_screen '^typed-42$'

tm send-keys -t "$TMUX_S" 'stty size' Enter
check "initial size is the terminal's (30 100)" wait_screen '^30 100$'

tm resize-window -t "$TMUX_S" -x 120 -y 40
sleep 0.5
tm send-keys -t "$TMUX_S" 'clear; stty size' Enter
check "resize reaches the sandbox (40 120)" wait_screen '^40 120$'

tm send-keys -t "$TMUX_S" 'echo sleep-$((2+3)); sleep 100; echo NOT-INTERRUPTED' Enter
wait_screen '^sleep-5$' 100
tm send-keys -t "$TMUX_S" C-c
tm send-keys -t "$TMUX_S" 'echo after-ctrl-c' Enter
check "Ctrl-C interrupts the program inside" wait_screen '^after-ctrl-c$'
check "... and only it (the shell carried on)" not_on_screen '^NOT-INTERRUPTED$' 

tm send-keys -t "$TMUX_S" 'clear; od -c | head -n 1' Enter
sleep 0.5
tm send-keys -t "$TMUX_S" C-p x Enter
sleep 0.3
tm send-keys -t "$TMUX_S" C-d
check "Ctrl-P reaches the program at once (not held as a detach key)" wait_screen '020 +x +\\n'
# Docker's default detach sequence is ^P^Q: it must not detach us.
tm send-keys -t "$TMUX_S" 'clear; cat > /dev/null' Enter
sleep 0.5
tm send-keys -t "$TMUX_S" C-p C-q
sleep 0.5
tm send-keys -t "$TMUX_S" Enter C-d
tm send-keys -t "$TMUX_S" 'echo still-$((1+1))-attached' Enter
check "^P^Q does not detach the session" wait_screen '^still-2-attached$'

tm send-keys -t "$TMUX_S" 'exit 5' Enter
check "the runner ends with the shell" wait_screen 'RUNNER-EXIT='
like "$(screen)" 'RUNNER-EXIT=5' "exit status is the program's"
wait_for test -s "$res"
settings=$(cat "$res")
like "$settings" '(^| )icanon( |$)' "terminal back in canonical mode"
like "$settings" '(^| )echo( |$)' "echo restored"
like "$settings" '(^| )opost( |$)' "output processing restored"
is "$(our_containers)" "" "nothing left"
done_testing
