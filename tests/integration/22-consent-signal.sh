#!/usr/bin/env bash
# The consent question for writable mounts outside the project stays
# interruptible: the signal handlers restart reads (SA_RESTART), so the
# question polls the terminal and the signal pipe.  Ctrl-C there ends the
# run with 130 before anything is created; "n" refuses with 125.  Needs no
# engine: the question comes first.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/lib/tmux.sh"
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
p=$(new_project)
trap 'tmux_stop; cleanup_projects; rm -rf "$CS_HOME"' EXIT
plan 7

ask() { tmux_start 120 30 "cd '$p' && HOME='$CS_HOME' '$CS' exec --codex-home '$CS_HOME/outside-home' -- true; echo RC=\$?; sleep 60"; }

ask
check "the question is asked on a terminal" wait_screen 'Allow this\? \[y/N\]'
tm send-keys -t "$TMUX_S" C-c
check "Ctrl-C at the question ends the runner" wait_screen 'RC=' 100
like "$(screen)" 'RC=130' "... with 128+SIGINT"
like "$(screen)" 'interrupted at the question' "... and one line saying so"
check "... nothing was created" test ! -e "$CS_HOME/outside-home"
tmux_stop

ask
wait_screen 'Allow this\? \[y/N\]' >/dev/null
tm send-keys -t "$TMUX_S" n Enter
check "control: 'n' is answered" wait_screen 'RC=' 100
like "$(screen)" 'RC=125' "control: ... and refused with 125"
done_testing
