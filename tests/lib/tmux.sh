# A real terminal for the tests: one private tmux server per test.
# Source after common.sh:  tmux_start NAME COLS ROWS CMD ; screen ; wait_screen REGEX [TENTHS]
TMUX_SOCK=/tmp/cs-tmux-$$
TMUX_S=cs-$$
tm() { tmux -S "$TMUX_SOCK" "$@"; }
tmux_start() {  # COLS ROWS CMD
    tm -f /dev/null new-session -d -s "$TMUX_S" -x "$1" -y "$2" "$3"
    tm set-option -t "$TMUX_S" status off >/dev/null
}
tmux_stop() { tm kill-server 2>/dev/null; rm -f "$TMUX_SOCK"; }
screen() { tm capture-pane -p -t "$TMUX_S" 2>/dev/null; }
# wait_screen REGEX [TENTHS-OF-A-SECOND, default 300]
wait_screen() { local i; for i in $(seq "${2:-300}"); do screen | grep -qE -- "$1" && return 0; sleep 0.1; done; return 1; }
