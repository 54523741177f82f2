#!/usr/bin/env bash
# The agent plants what the runner reads from the run directory after the
# run (the init's status file): a FIFO, a link to /dev/zero, a link to a
# host file, a huge sparse file, a directory holding links to a host dir.
# The runner must finish and clean up within a bound, read nothing through
# a link, remove nothing outside, and stay stoppable (SIGTERM) while one
# is planted.  The control: a regular status file written inside is read.
. "$(dirname "$0")/../lib/common.sh"
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
OUT=$(mktemp -d /tmp/cs-outside.XXXXXX)
p=$(new_project)
trap 'cleanup_projects; rm -rf "$CS_HOME" "$OUT"' EXIT
plan 21

S=/run/codex-sandbox/status/status
mkdir -p "$OUT/dir"; echo keep > "$OUT/dir/keep"
printf 'stage=exec\nstatus=3\nerrno=0\nmsg=LEAKED-HOST-FILE\n' > "$OUT/secret"
chmod 644 "$OUT/secret"
outside_sum() { (cd "$OUT" && find . -printf '%p %y %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
SUM0=$(outside_sum)
rundirs() { ls -A /tmp/codex-sandbox-$(id -u) 2>/dev/null | wc -l; }
RD0=$(rundirs)

# run SCRIPT: the sandbox runs SCRIPT; $out, $rc, $secs
run() {
    local t0=$(date +%s)
    out=$(cd "$p" && timeout -k 5 90 env HOME="$CS_HOME" "$CS" exec -- sh -c "$1" </dev/null 2>&1); rc=$?
    secs=$(( $(date +%s) - t0 ))
}

run "printf 'stage=exec\nstatus=3\nerrno=0\nmsg=HELLO-FROM-STATUS\n' > $S; exit 3"
is "$rc" 3 "control: the command's status"
like "$out" 'HELLO-FROM-STATUS' "control: a regular status file written inside is read by the runner"

run "rm -f $S; mkfifo $S; exit 3"
is "$rc" 3 "a FIFO as the status file: the runner finishes (not 124: no hang)"
like "$out" "ignoring the sandbox's status file" "... and says it ignored it"
check "... within the bound (60 s)" test "$secs" -lt 60

run "rm -f $S; ln -s /dev/zero $S; exit 3"
is "$rc" 3 "a link to /dev/zero as the status file: the runner finishes"
like "$out" 'ignoring .*symbolic link' "... the link was not followed"

run "rm -f $S; ln -s $OUT/secret $S; exit 3"
is "$rc" 3 "a link to a host file as the status file: the run ends with the command's status"
unlike "$out" 'LEAKED-HOST-FILE' "... the host file was not read through it"

run "rm -f $S; truncate -s 4G $S; exit 3"
is "$rc" 3 "a 4 GiB sparse status file: the runner finishes"
like "$out" "ignoring the sandbox's status file: larger than allowed" "... bounded read"
check "... within the bound (60 s)" test "$secs" -lt 60

run "rm -f $S; mkdir -p $S/d; ln -s $OUT/dir $S/evil; ln -s $OUT/dir $S/d/x; ln -s $OUT/secret /run/codex-sandbox/status/f; exit 3"
is "$rc" 3 "a directory of links as the status file: the run ends"
is "$(outside_sum)" "$SUM0" "... cleanup removed the links, not what they point to"

# SIGTERM while a FIFO is planted and the command still runs.
(cd "$p" && exec env HOME="$CS_HOME" "$CS" exec -- sh -c "rm -f $S; mkfifo $S; sleep 300" </dev/null >"$CS_HOME/term.out" 2>&1) &
bg=$!   # the runner itself (exec)
check "the sandbox with a planted FIFO is running" wait_sandboxes 1
check "... its FIFO is in place" wait_for sh -c "find /tmp/codex-sandbox-$(id -u) -path '*/status/status' -type p | grep -q ."
t0=$(date +%s)
kill -TERM "$bg"
for i in $(seq 600); do kill -0 "$bg" 2>/dev/null || break; sleep 0.1; done
kill -0 "$bg" 2>/dev/null && kill -KILL "$bg"
wait "$bg"; rc=$?
is "$rc" 143 "SIGTERM still ends the runner (128+15)"
check "... promptly (under 30 s)" test $(( $(date +%s) - t0 )) -lt 30

is "$(our_containers)" "" "no containers left"
is "$(rundirs)" "$RD0" "no run directory left"
is "$(outside_sum)" "$SUM0" "the outside tree is unchanged"
done_testing
