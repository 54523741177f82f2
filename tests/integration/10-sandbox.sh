#!/usr/bin/env bash
# The local sandbox against the real engine: user and ownership, privileges,
# seccomp, auth.json, the init hook, exit codes, stdio without a TTY, and
# bad input (exit 125, one line, nothing created).
. "$(dirname "$0")/../lib/common.sh"
plan 73
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
trap 'cleanup_projects; rm -rf "$CS_HOME"' EXIT

p=$(new_project)
echo "hello from the host" > "$p/README"
chown "$TEST_UID:$TEST_GID" "$p/README"

# --- user, ownership, HOME --------------------------------------------------
out=$(cd "$p" && cs exec -- sh -c 'id -u; id -g; whoami; echo "$HOME"; touch "$HOME/x" && echo home-ok; pwd; touch created.txt' </dev/null 2>&1)
is "$(sed -n 1p <<<"$out")" "$TEST_UID" "runs as the work dir owner's uid"
is "$(sed -n 2p <<<"$out")" "$TEST_GID" "... and gid"
is "$(sed -n 3p <<<"$out")" "codex" "the uid has a passwd entry (whoami)"
is "$(sed -n 5p <<<"$out")" "home-ok" "HOME is writable"
is "$(sed -n 6p <<<"$out")" "/app$p" "cwd is /app\$WORK_DIR"
is "$(stat -c %u:%g "$p/created.txt" 2>/dev/null)" "$TEST_UID:$TEST_GID" "a file created inside belongs to the owner on the host"

# --- privileges ---------------------------------------------------------------
st=$(cd "$p" && cs exec -- grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status </dev/null 2>&1)
like "$st" 'CapEff:[[:space:]]+0000000000000000' "CapEff 0"
like "$st" 'CapBnd:[[:space:]]+0000000000000000' "CapBnd 0"
like "$st" 'NoNewPrivs:[[:space:]]+1' "NoNewPrivs 1"
like "$st" 'Seccomp:[[:space:]]+2' "seccomp filter mode"
pid1=$(cd "$p" && cs exec -- sh -c 'tr "\0" " " < /proc/1/cmdline' </dev/null 2>&1)
like "$pid1" '^/usr/lib/codex-sandbox/codex-sandbox-init' "PID 1 is our init"
# Our filter on top of Docker's: namespaces and the netfilter netlink family.
out=$(cd "$p" && cs exec -- python3 -c '
import socket, os, errno
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12); print("netfilter-open")
except OSError as e: print("netfilter", errno.errorcode[e.errno])
' </dev/null 2>&1; cd "$p" && cs exec -- unshare -U true </dev/null 2>&1)
like "$out" 'netfilter EPERM' "netfilter netlink socket refused (EPERM)"
like "$out" 'unshare failed: Operation not permitted' "new user namespace refused (EPERM)"
# A read-only root, not just a directory the uid cannot write: the mount's
# flags, and EROFS (which even the owner of the path would get).
out=$(cd "$p" && cs exec -- sh -c 'awk '"'"'$5 == "/" { print $6 }'"'"' /proc/self/mountinfo; echo x > /usr/local/bin/evil' </dev/null 2>&1)
# (stdout and stderr are separate streams: match the line, not the first line)
like "$out" '^ro(,|$)' "the root filesystem is mounted read-only (mount flags)"
like "$out" 'Read-only file system' "writing to it fails with EROFS"
out=$(cd "$p" && cs exec -- sh -c 'awk '"'"'$5 == "/app'"$p"'" { print $6 }'"'"' /proc/self/mountinfo' </dev/null 2>&1)
like "$out" '^rw(,|$)' "control: the same check sees the project mounted read-write"

# --- auth.json ----------------------------------------------------------------
mkdir -p "$CS_HOME/.codex"
printf '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-host"}\n' > "$CS_HOME/.codex/auth.json"
before=$(sha256sum < "$CS_HOME/.codex/auth.json")
out=$(cd "$p" && cs exec -- sh -c 'cat /codex_home/auth.json; echo tamper >> /codex_home/auth.json && echo WROTE; : > /codex_home/auth.json && echo TRUNCATED; rm /codex_home/auth.json && echo REMOVED' </dev/null 2>&1)
like "$out" 'sk-host' "auth.json readable inside"
unlike "$out" 'WROTE|TRUNCATED|REMOVED' "auth.json cannot be written, truncated or removed inside"
is "$(sha256sum < "$CS_HOME/.codex/auth.json")" "$before" "host auth.json byte-identical afterwards"
check "no empty auth.json placeholder left in the Codex home" test ! -e "$p/.codex/.environment/auth.json"
rm -rf "$CS_HOME/.codex"

# --- init hook ------------------------------------------------------------------
cat > "$CS_HOME/hook.sh" <<'H'
#!/bin/sh
echo "hook: uid=$(id -u) pwd=$(pwd) env=$SANDBOX_ENV_DIR"
echo hook-was-here > "$SANDBOX_ENV_DIR/hook-artifact"
H
out=$(cd "$p" && cs exec --init_script "$CS_HOME/hook.sh" -- sh -c 'echo command-ran' </dev/null 2>&1); rc=$?
is "$rc" 0 "run with a hook succeeds"
is "$(head -n1 <<<"$out")" "hook: uid=$TEST_UID pwd=/app$p env=/app$p/.codex/.environment" \
   "hook runs first, as the sandbox user, in the project dir, with SANDBOX_ENV_DIR"
is "$(tail -n1 <<<"$out")" "command-ran" "then the command"
check "hook copied to .codex/.environment/init.sh, executable" test -x "$p/.codex/.environment/init.sh"
check "hook artifact in SANDBOX_ENV_DIR" test -f "$p/.codex/.environment/hook-artifact"
out=$(cd "$p" && cs exec -- sh -c 'echo again' </dev/null 2>&1)
like "$out" '^hook: ' "an existing executable init.sh runs without the flag"
printf '#!/bin/sh\necho hook-says-no\nexit 7\n' > "$p/.codex/.environment/init.sh"
out=$(cd "$p" && cs exec -- sh -c 'echo SHOULD-NOT-RUN' </dev/null 2>&1); rc=$?
is "$rc" 7 "failing hook: the run exits with the hook's status"
like "$out" 'hook-says-no' "the hook's output is shown"
like "$out" 'codex-sandbox: .*init hook.*failed with status 7; the command was not started' "one line says what happened"
unlike "$out" 'SHOULD-NOT-RUN' "the command was not started"
rm -f "$p/.codex/.environment/init.sh"

# --- exit codes ----------------------------------------------------------------
(cd "$p" && cs exec -- sh -c 'exit 3' </dev/null >/dev/null 2>&1); is "$?" 3 "exit status is the command's"
out=$(cd "$p" && cs exec -- no-such-command-xyz </dev/null 2>&1); rc=$?
is "$rc" 127 "command not found: 127"
like "$out" "codex-sandbox: command 'no-such-command-xyz' not found in the sandbox" "one precise line from the init"
out=$(cd "$p" && cs exec -- /etc/hostname </dev/null 2>&1); rc=$?
is "$rc" 126 "not executable: 126"
(cd "$p" && cs exec -- sh -c 'kill -TERM $$' </dev/null >/dev/null 2>&1); is "$?" 143 "killed by SIGTERM: 128+15"

# --- shell ------------------------------------------------------------------------
out=$(cd "$p" && printf 'echo "shell: $(id -un) in $(pwd)"\n' | cs shell 2>/dev/null)
is "$out" "shell: codex in /app$p" "codex-sandbox shell runs a login shell in the project"

# --- stdio without a TTY ---------------------------------------------------------
out=$(cd "$p" && printf 'line1\nline2\n' | cs exec -- sh -c 'cat; echo done' 2>/dev/null)
is "$out" $'line1\nline2\ndone' "stdin piped in, EOF delivered"
out=$(cd "$p" && cs exec -- sh -c 'echo to-out; echo to-err >&2' </dev/null 2>/dev/null)
is "$out" "to-out" "stdout alone on stdout"
out=$(cd "$p" && cs exec -- sh -c 'echo to-out; echo to-err >&2' </dev/null 2>&1 >/dev/null)
is "$out" "to-err" "stderr alone on stderr"
n=$(cd "$p" && cs exec -- sh -c 'head -c 3000000 /dev/zero | tr "\0" x' </dev/null 2>/dev/null | wc -c)
is "$n" 3000000 "3 MB of output arrive intact"
out=$(cd "$p" && cs exec -- sh -c 'seq 1 100000' </dev/null 2>/dev/null | head -n 2)
is "$out" $'1\n2' "a closed stdout pipe (| head) is handled"

# --- mounts -----------------------------------------------------------------------
ro=$(mktemp -d /tmp/cs-ro.XXXXXX); track_path "$ro"
echo shared > "$ro/data"; chmod 755 "$ro"; chmod 644 "$ro/data"
out=$(cd "$p" && cs exec --read-only "$ro" -- sh -c "cat /app$ro/data; echo x > /app$ro/new && echo WROTE" </dev/null 2>&1)
# (stdout and stderr are separate streams: their relative order is not kept)
like "$out" '(^|[^a-z])shared' "--read-only path readable at /app<path>"
unlike "$out" 'WROTE' "... and not writable"
sess=$(mktemp -d /tmp/cs-sess.XXXXXX); track_path "$sess"; chown "$TEST_UID:$TEST_GID" "$sess"
out=$(cd "$p" && cs exec --sessions-path "$sess" -- true </dev/null 2>&1); rc=$?
is "$rc" 125 "writable mount outside the work dir refused when not interactive"
like "$out" 'refusing writable mount outside the work dir.*fix: pass -y' "... naming the fix"
out=$(cd "$p" && cs exec -y --sessions-path "$sess" -- sh -c 'echo s > /codex_home/sessions/probe' </dev/null 2>&1); rc=$?
is "$rc" 0 "-y accepts it"
check "the sessions path received the write" test -f "$sess/probe"

# --- bad input: exit 125, one line, nothing created -------------------------------
fresh=$(new_project)
expect_125() {  # DESC REGEX ARGS...
    local desc=$1 re=$2; shift 2
    local before after out rc
    before=$(our_containers | wc -l; find "$fresh" | sort)
    out=$(cd "$fresh" && "$@" </dev/null 2>&1); rc=$?
    after=$(our_containers | wc -l; find "$fresh" | sort)
    if [ "$rc" = 125 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -qE -- "$re" <<<"$out" && [ "$before" = "$after" ]; then
        ok "$desc"
    else
        not_ok "$desc"; diag "rc=$rc out=$out"; [ "$before" = "$after" ] || diag "something was created"
    fi
}
ln -sfn / "$CS_HOME/root-link"
expect_125 "--work_dir /" 'refusing to use / as the work dir' cs exec --work_dir / -- true
expect_125 "--work_dir symlink to /" 'refusing to use /' cs exec --work_dir "$CS_HOME/root-link" -- true
expect_125 "work dir outside WORKSPACE_ROOT_DIR (via ..)" 'outside WORKSPACE_ROOT_DIR' env WORKSPACE_ROOT_DIR="$fresh" "$CS" exec --work_dir "$fresh/.." -- true
expect_125 "missing work dir" "work dir '/nonexistent-dir'" cs exec --work_dir /nonexistent-dir -- true
expect_125 "missing init script" "--init_script" cs exec --init_script /nonexistent.sh -- true
expect_125 "missing config" "--config" cs exec --config /nonexistent.toml -- true
expect_125 "missing auth file" "--auth_file" cs exec --auth_file /nonexistent.json -- true
expect_125 "missing read-only path" "--read-only" cs exec --read-only /nonexistent -- true
expect_125 "unknown flag" "unknown option '--bogus'" cs exec --bogus -- true
expect_125 "invalid allowlist entry" "invalid allowlist entry 'bad..name'" cs exec --allow bad..name -- true
expect_125 "engine socket missing" 'socket /nonexistent.sock.*fix: start the Docker engine' env DOCKER_HOST=unix:///nonexistent.sock "$CS" exec -- true
stale=$(mktemp -u /tmp/cs-stale.XXXXXX.sock)
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$stale"
expect_125 "engine down (stale socket)" 'not running' env DOCKER_HOST="unix://$stale" "$CS" exec -- true
rm -f "$stale"
if ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
    skip "engine socket permission denied: 125" "no user nobody or no setpriv (make setup)"
    skip "... naming the fix" "no user nobody or no setpriv (make setup)"
else
    nb=$(mktemp -d /tmp/cs-nobody.XXXXXX); track_path "$nb"
    cp "$CS" "$nb/codex-sandbox"; chmod 755 "$nb" "$nb/codex-sandbox"
    out=$(cd /tmp && setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp "$nb/codex-sandbox" exec --work_dir "$fresh" -- true </dev/null 2>&1); rc=$?
    is "$rc" 125 "engine socket permission denied: 125"
    like "$out" 'Permission denied.*fix: add your user to the docker group' "... naming the fix"
fi

# --- dry run and doctor -------------------------------------------------------------
before=$(our_containers | wc -l)
out=$(cd "$fresh" && cs --dry-run -- exec hello </dev/null 2>&1); rc=$?
is "$rc" 0 "--dry-run succeeds"
if jq -e '.mounts and .user and .command_argv and .network.allowlist' <<<"$out" >/dev/null; then
    ok "--dry-run prints the plan as JSON"
else
    not_ok "--dry-run prints the plan as JSON"
fi
is "$(our_containers | wc -l)" "$before" "--dry-run starts nothing"
check "--dry-run creates nothing in the project" test ! -e "$fresh/.codex"
out=$(cs doctor 2>&1); rc=$?
is "$rc" 0 "doctor: all checks pass here"
like "$out" '^ok +engine +Docker' "doctor checks the engine"
like "$out" '^ok +image' "doctor checks the image"
like "$out" '^ok +nftables' "doctor checks nftables in a container namespace"

# --- memory checks of the runner on real runs --------------------------------------
if ! command -v valgrind >/dev/null; then
    skip "valgrind: a sandbox run is clean (no errors, no leaks)" "valgrind not installed (make setup)"
    skip "valgrind: an error path is clean" "valgrind not installed (make setup)"
else
    vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
    (cd "$p" && HOME=/tmp/cs-test-home "${vg[@]}" "$CS" exec -- sh -c 'echo out; echo err >&2' </dev/null >/dev/null 2>&1)
    is "$?" 0 "valgrind: a sandbox run is clean (no errors, no leaks)"
    (cd "$p" && HOME=/tmp/cs-test-home "${vg[@]}" "$CS" exec --work_dir / -- true </dev/null >/dev/null 2>&1)
    is "$?" 125 "valgrind: an error path is clean"
fi
if ! [ -x "$ROOT/build/san/bin/codex-sandbox" ]; then
    # (the full suite builds it first: tests/lib/san-units.sh runs make san)
    skip "ASan+UBSan runner: a sandbox run is clean" "build/san/bin/codex-sandbox not built (make san)"
else
    # The in-image helpers stay the normal static ones (the image needs them).
    out=$(cd "$p" && HOME=/tmp/cs-test-home CODEX_SANDBOX_DATA_DIR="$ROOT" CODEX_SANDBOX_LIBEXEC_DIR="$ROOT/bin" \
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
        "$ROOT/build/san/bin/codex-sandbox" exec -- sh -c 'printf "x\ny\n" | cat' </dev/null 2>&1); rc=$?
    is "$rc" 0 "ASan+UBSan runner: a sandbox run is clean"
    [ $rc -eq 0 ] || diag "$out"
fi

is "$(our_containers)" "" "no container of ours left"
done_testing
