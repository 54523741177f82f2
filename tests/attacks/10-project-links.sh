#!/usr/bin/env bash
# The malicious repository / agent plants links in the project where the
# runner looks: the Codex home (.codex/.environment, .codex), auth.json,
# config.toml, prompts, init.sh, FIFOs where files are expected, and a swap
# of the project's auth.json during an --auth-writeback run.  Nothing
# outside the project may be read, mounted, copied, chowned or written:
# canary trees (owned by the sandbox user, as the user's own dirs are) are
# checksummed before and after.  Each probe has its positive control.
. "$(dirname "$0")/../lib/common.sh"
export CS_HOME=$(mktemp -d /tmp/cs-home.XXXXXX)
OUT=$(mktemp -d /tmp/cs-outside.XXXXXX)
trap 'cleanup_projects; rm -rf "$CS_HOME" "$OUT"' EXIT
plan 36

CANARY=canary-$RANDOM$RANDOM
mkdir -p "$OUT/dir/.environment" "$OUT/dir/prompts"
echo "$CANARY-dir" > "$OUT/dir/canary"
echo "{\"OPENAI_API_KEY\":\"$CANARY-auth\"}" > "$OUT/auth.json"
echo "model = \"$CANARY-config\"" > "$OUT/config.toml"
printf '#!/bin/sh\necho %s-hook\n' "$CANARY" > "$OUT/evil.sh"
echo "$CANARY-prompt" > "$OUT/dir/prompts/p.md"
echo "# the user's shell rc $CANARY" > "$OUT/bashrc"
chown -R "$TEST_UID:$TEST_GID" "$OUT"
chmod 755 "$OUT/evil.sh"
echo "$CANARY-rootonly" > "$OUT/rootonly"; chown 0:0 "$OUT/rootonly"; chmod 600 "$OUT/rootonly"
outside_sum() {
    (cd "$OUT" && find . -printf '%p %y %u:%g %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum
}
SUM0=$(outside_sum)

# run DIR ARGS... : one exec in DIR, output (stdout+stderr) in $out, status in $rc
run() { local d=$1; shift; out=$(cd "$d" && timeout -k 5 120 env HOME="$CS_HOME" "$CS" "$@" </dev/null 2>&1); rc=$?; }
fresh() { p=$(new_project); mkdir -p "$p/.codex/.environment"; chown -R "$TEST_UID:$TEST_GID" "$p"; }

# --- the Codex home -------------------------------------------------------------
fresh; echo "REAL-HOME" > "$p/.codex/.environment/marker"; chown -R "$TEST_UID:$TEST_GID" "$p/.codex"
run "$p" exec -- sh -c 'cat /codex_home/marker; touch /codex_home/written && echo WROTE'
is "$rc" 0 "control: a real .codex/.environment is mounted at /codex_home"
like "$out" 'REAL-HOME' "control: its file is read inside"

fresh; rmdir "$p/.codex/.environment"; ln -s "$OUT/dir" "$p/.codex/.environment"
run "$p" exec -- sh -c 'cat /codex_home/canary; touch /codex_home/written && echo WROTE'
is "$rc" 125 ".codex/.environment -> outside dir: exit 125"
like "$out" '\.codex/\.environment.*symbolic link' "... one line naming the path and the link"
is "$(grep -c . <<<"$out")" 1 "... and only that line"
unlike "$out" "$CANARY|WROTE" "... the outside dir was never seen inside"

fresh; rm -rf "$p/.codex"; ln -s "$OUT/dir" "$p/.codex"
run "$p" exec -- sh -c 'cat /codex_home/canary'
is "$rc" 125 ".codex -> outside (a link at the first component): exit 125"
unlike "$out" "$CANARY" "... nothing of it inside"

fresh; mkdir -p "$OUT/x"; chown "$TEST_UID" "$OUT/x"; ln -s "$OUT/x" "$p/sub"
run "$p" exec --codex-home sub/home -y -- true
is "$rc" 125 "--codex-home below a project link: exit 125"
check "... nothing created through the link" test ! -e "$OUT/x/home"
rmdir "$OUT/x"

# --- auth.json, config.toml, prompts, init.sh as links (optional lookups) --------
fresh; mkdir -p "$p/codex"; echo '{"OPENAI_API_KEY":"sk-real-project"}' > "$p/codex/auth.json"
mkdir -p "$p/.codex/prompts"; echo real-prompt > "$p/.codex/prompts/r.md"; chown -R "$TEST_UID:$TEST_GID" "$p"
run "$p" exec -- sh -c 'cat /codex_home/auth.json; cat /codex_home/prompts/r.md'
is "$rc" 0 "control: real WORK_DIR/codex/auth.json and .codex/prompts are used"
like "$out" 'sk-real-project' "control: auth.json mounted"
like "$out" 'real-prompt' "control: prompts merged"

fresh
ln -s "$OUT/auth.json" "$p/.codex/auth.json"
ln -s "$OUT/rootonly" "$p/.codex/.environment/auth.json"
ln -s "$OUT/dir" "$p/codex"
ln -s "$OUT/config.toml" "$p/.codex/config.toml"
ln -s "$OUT/dir/prompts" "$p/.codex/prompts"
ln -s "$OUT/evil.sh" "$p/.codex/.environment/init.sh"
run "$p" exec -- sh -c 'cat /codex_home/auth.json /codex_home/config.toml /codex_home/prompts/p.md 2>/dev/null; echo RAN'
is "$rc" 0 "links at auth.json, config.toml, prompts, init.sh, codex/: the run goes on without them"
unlike "$out" "$CANARY" "... no outside content inside (auth, root-only file, config, prompt, hook)"
like "$out" 'ignoring .*\.codex/auth\.json: a symbolic link' "... and says it ignored the auth.json link"
is "$(stat -c %u:%a "$OUT/rootonly")" "0:600" "... the root-only file was neither chowned nor chmodded"
check "... the Codex home has no copy of the config or prompts" \
    sh -c "! grep -rqs '$CANARY' '$p/.codex/.environment/'"

# Destinations in the Codex home planted as links: copies replace the entry,
# never write through it; a prompts dir link is refused.
fresh
echo 'model = "from-project"' > "$p/config.toml"
ln -s "$OUT/config.toml" "$p/.codex/.environment/config.toml"
ln -s "$OUT/bashrc" "$p/.codex/.environment/init.sh"
chown -R "$TEST_UID:$TEST_GID" "$p"
printf '#!/bin/sh\necho HOOK-FROM-FLAG\n' > "$CS_HOME/hook.sh"
run "$p" exec --config "$p/config.toml" --init_script "$CS_HOME/hook.sh" -- cat /codex_home/config.toml
is "$rc" 0 "--config/--init_script copies over planted links succeed"
like "$out" 'HOOK-FROM-FLAG' "... the hook that ran is the user's"
like "$out" 'from-project' "... the config is the user's"
check "... config.toml in the Codex home is now a regular file (the link was replaced)" \
    sh -c "test -f '$p/.codex/.environment/config.toml' && test ! -L '$p/.codex/.environment/config.toml'"

fresh; mkdir -p "$p/codex/prompts"; echo new > "$p/codex/prompts/n.md"
ln -s "$OUT/dir/prompts" "$p/.codex/.environment/prompts"; chown -R "$TEST_UID:$TEST_GID" "$p"
run "$p" exec -- true
is "$rc" 125 "a prompts link in the Codex home (merge destination): exit 125"
check "... nothing was merged into the outside dir" test ! -e "$OUT/dir/prompts/n.md"

# FIFOs and a directory where files are expected: no hang, ignored.
fresh; mkdir -p "$p/codex"
mkfifo "$p/codex/auth.json" "$p/.codex/config.toml" "$p/.codex/.environment/config.toml" "$p/.codex/.environment/init.sh"
mkdir "$p/.codex/auth.json"; chown -R "$TEST_UID:$TEST_GID" "$p"
start=$(date +%s)
run "$p" exec -- echo FIFO-RUN-OK
is "$rc" 0 "FIFOs as auth.json/config.toml/init.sh and a dir as auth.json: the run completes"
like "$out" 'FIFO-RUN-OK' "... the command ran"
check "... promptly (under 60 s)" test $(( $(date +%s) - start )) -lt 60

# --- --auth-writeback ------------------------------------------------------------
fresh; ln -s "$OUT/bashrc" "$p/.codex/auth.json"
run "$p" exec --auth-writeback -- sh -c 'echo "{\"x\":\"$(id -u)\"}" > /codex_home/auth.json 2>/dev/null; echo done'
is "$rc" 0 "--auth-writeback with .codex/auth.json -> ~/.bashrc: the link is not an auth.json"
like "$out" 'ignoring .*auth\.json: a symbolic link' "... said so"

# The project's real auth.json, written back: then the agent swaps it for a
# link to the user's shell rc during the run.
fresh; echo '{"token":"v1"}' > "$p/.codex/auth.json"; chown -R "$TEST_UID:$TEST_GID" "$p"
run "$p" exec --auth-writeback -- sh -c 'echo "{\"token\":\"v2\"}" > /codex_home/auth.json'
is "$rc" 0 "control: --auth-writeback of the project's auth.json"
is "$(cat "$p/.codex/auth.json")" '{"token":"v2"}' "control: the refreshed token is written back"
run "$p" exec --auth-writeback -- sh -c "cd /app$p && mv .codex .codex-moved && mkdir .codex && ln -s $OUT/bashrc .codex/auth.json && echo '{\"token\":\"\$(id)\"}' > /codex_home/auth.json && echo SWAPPED"
like "$out" 'SWAPPED' "the agent swapped .codex/auth.json for a link to ~/.bashrc during the run"
check "... the link is there on the host afterwards" test -L "$p/.codex/auth.json"
is "$(cat "$OUT/bashrc")" "# the user's shell rc $CANARY" "... and ~/.bashrc was not written through it"

is "$(outside_sum)" "$SUM0" "the outside canary tree is byte-, owner- and mode-identical"
is "$(our_containers)" "" "no containers left"
done_testing
