#!/usr/bin/env bash
# A hostile E2B server/envd against the runner's sync: the project's E2B
# emulator (tests/e2b/emulator) forges the sandbox's file listing and its
# downloads (POST /_emulator/hostile) and pads API answers (fault padBytes).
# It sends symlink chains, '..' and absolute names, names below links the
# repository planted, files where the project has fifos and devices, an
# endless "device" download, an oversized listing and oversized JSON; the
# state file attach reads is replaced by a fifo and a symlink; and a
# repository ships .codex/.environment as a link to a directory of the user.
#
# Asserted each time: no host file outside the project is opened or changed
# (canaries watched with inotify, with a positive control, and checksummed),
# the runner ends (every run under `timeout`, 124 would show a hang) with an
# exact exit status and message, and nothing is left behind.  No Docker.
. "$(dirname "$0")/../lib/common.sh"

plan 60

E2B=$ROOT/tests/e2b
TMP=$(mktemp -d /tmp/cs-e2b-hostile.XXXXXX)
chmod 755 "$TMP"
KEY=e2b_$(printf '0%.0s' $(seq 1 40))
EMU_PID="" WATCH_PID=""
export CS_HOME=$TMP/home
mkdir -p "$CS_HOME" "$TMP/emu" "$TMP/tpl/home/user"

cleanup() {
    [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
    if [ -n "$EMU_PID" ]; then
        kill -TERM "$EMU_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$EMU_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

for tool in python3 jq curl sha256sum base64 mkfifo mknod; do
    command -v "$tool" >/dev/null || { not_ok "prerequisite $tool is installed"; done_testing; exit 1; }
done

python3 "$E2B/emulator" --port 0 --port-file "$TMP/emu/port" --log "$TMP/emu/log" \
    --api-key "$KEY" --root-dir "$TMP/emu/roots" --template-dir "codex=$TMP/tpl" \
    --user-uid "$TEST_UID:$TEST_GID" 2>"$TMP/emu/err" &
EMU_PID=$!
wait_for test -s "$TMP/emu/port"
check "the emulator is listening" test -s "$TMP/emu/port"
URL=http://127.0.0.1:$(cat "$TMP/emu/port")
LOG=$TMP/emu/log
EENV=(E2B_API_URL="$URL" E2B_SANDBOX_URL="$URL" E2B_API_KEY="$KEY" HOME="$CS_HOME")

# --- the host around the project: canaries ---------------------------------------
W=$TMP/work
p=$W/proj
mkdir -p "$p/sub" "$W/outside" "$W/userhome/prompts"
echo "user's own" > "$W/userhome/secret"
echo "a prompt" > "$W/userhome/prompts/x.md"
chown -R "$TEST_UID:$TEST_GID" "$W/userhome"    # the user's: the plan's owner check passes
echo "the project" > "$p/README"
echo "host secret" > "$W/canary.txt"
echo "outside secret" > "$W/outside/secret"
sums() { (cd "$W" && find . -path ./proj -prune -o -path ./proj2 -prune -o -printf '%y %m %p\n' | sort;
          sha256sum canary.txt outside/secret userhome/secret userhome/prompts/x.md); }
BEFORE=$(sums)

# The hostile repository's part: links planted before the run.
ln -s . "$p/a"                  # inside
ln -s a/.. "$p/b"               # lexically inside, really the project's parent
ln -s "$W/outside" "$p/trap"    # a directory link pointing out
ln -s sub "$p/inlink"           # a directory link pointing in
ln -s /dev/zero "$p/zero.txt"   # a device behind a link
mkfifo "$p/fifo.txt"            # nobody ever writes it: opening it blocks
mknod "$p/dev.txt" c 1 5        # /dev/zero as a node in the project
chown -R "$TEST_UID:$TEST_GID" "$p"
chown -h "$TEST_UID:$TEST_GID" "$p"/*

python3 "$E2B/inotify-watch.py" "$TMP/events" "$W" "$W/outside" "$W/userhome" "$W/userhome/prompts" & WATCH_PID=$!
wait_for grep -qs '^ready$' "$TMP/events"
cat "$W/canary.txt" >/dev/null
check "positive control: the canary watch sees a read of canary.txt" wait_for grep -qs 'canary.txt' "$TMP/events"
: > "$TMP/events"
# Events of the project directories are ours to make; so is opening the
# projects' parent itself (IN_OPEN|IN_ISDIR, no name) when a path is walked
# down to a project one directory at a time.  Reading that directory's
# entries (IN_ACCESS) or touching anything in it still counts.
events() { grep -v -e "^$W/proj " -e "^$W/proj2 " -e "^$W/ 0x40000020\$" "$TMP/events" || true; }

# run ARGS... : the runner in the project, bounded by `timeout`.
run() {
    MARK=$(wc -l < "$LOG")
    (cd "$p" && timeout -k 5 ${RUN_TIMEOUT:-60} env "${EENV[@]}" ${XENV:+"${XENV[@]}"} "$CS" --backend e2b "$@" \
        </dev/null >"$TMP/out" 2>"$TMP/err")
    RC=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}
newlog() { tail -n +$((MARK + 1)) "$LOG"; }
live() { curl -s "$URL/_emulator/sandboxes" | jq length; }
# Remove the sandboxes a failed sync kept (through the API, as a user would).
drop_kept() {
    local id
    for id in $(curl -s "$URL/_emulator/sandboxes" | jq -r '.[].sandboxID'); do
        curl -s -o /dev/null -X DELETE -H "X-API-Key: $KEY" "$URL/sandboxes/$id"
    done
}
# hostile LISTING_FILE [FILES_JSON]: the next syncs get this listing and these downloads.
hostile() {
    jq -n --arg l "$(base64 -w0 < "$1")" --argjson f "${2:-{\}}" '{listing: $l, files: $f}' |
        curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @- "$URL/_emulator/hostile"
}
b64() { printf '%s' "$1" | base64 -w0; }
R=/app$p                          # the project's path in the sandbox

# --- 1. names and links ------------------------------------------------------------
{
    printf 'S0\0'
    printf 'F644 6 ./ok.txt\0'
    printf '%s  ./ok.txt\0' "$(printf 'hello\n' | sha256sum | cut -d' ' -f1)"
    printf 'L./c\0b/..\0'                     # a -> ., b -> a/.. are here: c is two levels up
    printf 'L./.codex/prompts\0../c/secret\0'
    printf 'L./esc\0../outside\0'
    printf 'L./abs\0/etc\0'
    printf 'L./fine\0sub\0'                   # inside, still not created: links never are
    printf 'F644 5 ./../canary.txt\0'
    printf 'F644 5 ./a/../../canary.txt\0'
    printf 'F644 5 %s\0' "$W/canary.txt"      # absolute
    printf 'F644 5 .//abs.txt\0'
    printf 'F644 4 ./trap/evil.txt\0'          # through the planted link out
    printf 'F644 4 ./inlink/x.txt\0'           # through a link in
    printf 'F644 4 ./a/via-dot.txt\0'          # through a -> .
    printf 'F644 4 ./fifo.txt\0F644 4 ./zero.txt\0F644 4 ./dev.txt\0'
    printf 'S1\0E\0'
} > "$TMP/listing1"
files=$(jq -n --arg r "$R" --arg ok "$(b64 $'hello\n')" --arg ev "$(b64 evil)" \
    '{($r+"/ok.txt"): {data: $ok}} + ([ "trap/evil.txt", "inlink/x.txt", "a/via-dot.txt", "fifo.txt",
      "zero.txt", "dev.txt" ] | map({key: ($r+"/"+.), value: {data: $ev}}) | from_entries)')
is "$(hostile "$TMP/listing1" "$files")" 204 "the emulator takes the forged listing"
run exec -- true
is "$RC" 0 "a forged listing with hostile names: the run ends normally (exit 0)"
like "$ERR" 'not uploaded: 3 symlinks pointing outside' "upload: b -> a/.. is judged on disk (outside), with trap and zero.txt"
is "$(cat "$p/ok.txt" 2>&1)" hello "positive control: a plain new file comes back"
like "$ERR" 'codex-sandbox: 4 paths from the sandbox were refused' "'..' and absolute names are refused and counted"
is "$(newlog | jq -r 'select(.path=="/files" and .method=="GET") | .query.path' | sed "s,^$R/,," | sort | tr '\n' ' ')" \
    "dev.txt fifo.txt ok.txt zero.txt " "... and never even downloaded (nor paths below links)"
made=""
for l in c .codex/prompts esc abs fine; do
    [ -L "$p/$l" ] && made="$made $l"
done
is "${made:-}" "" "no symlink from the sandbox is created (c, .codex/prompts, esc, abs, fine)"
like "$ERR" 'not created: symlink c -> b/\.\. \(it leads outside the project\)' "the chain c -> b/.. is reported as leading outside"
like "$ERR" 'not created: symlink fine -> sub \(links from the sandbox are not made here' "an inside link is reported, with how to make it"
check "nothing is written through the planted link out" test ! -e "$W/outside/evil.txt"
check "nothing is written through a link in (inlink -> sub)" test ! -e "$p/sub/x.txt"
check "nothing is written through a -> ." test ! -e "$p/via-dot.txt"
like "$ERR" 'not copied: trap/evil.txt \(a symlink or file in the way here\)' "... and each is reported"
check "the fifo is still a fifo (never opened)" test -p "$p/fifo.txt"
is "$(cat "$p/fifo.txt.e2b-remote")" evil "... the sandbox's version is beside it"
check "the link to /dev/zero is still that link" test "$(readlink "$p/zero.txt")" = /dev/zero
check "the device node is still a device" test -c "$p/dev.txt"
is "$(cat "$p/zero.txt.e2b-remote"):$(cat "$p/dev.txt.e2b-remote")" "evil:evil" "... both kept, the sandbox's versions beside"
is "$(live)" 0 "no sandbox left"
rm -f "$p"/*.e2b-remote "$p/ok.txt"

# --- 2. an endless download (a device behind a name) ---------------------------------
printf 'S0\0F644 10 ./big.bin\0S1\0E\0' > "$TMP/listing2"
hostile "$TMP/listing2" "$(jq -n --arg r "$R" '{($r+"/big.bin"): {zeros: 1099511627776}}')" >/dev/null
XENV=(CODEX_SANDBOX_E2B_SYNC_LIMIT=1M); run exec -- true; unset XENV
is "$RC" 125 "an endless download: exit 125"
like "$ERR" 'downloading /app.*/big.bin from the sandbox: larger than the 1048576 bytes left of the sync limit' \
    "... stopped at the sync limit, saying so"
is "$(live)" 1 "... the sandbox is kept, so nothing is lost"
drop_kept
is "$(ls -A "$p" | grep -c -e big.bin -e '\.cs-e2b-')" 0 "... and no partial file is left in the project"
is "$(newlog | jq -r 'select(.path=="/files" and .method=="GET") | .response.size // 0' | awk '{s+=$1} END {print (s < 64*1048576) ? "bounded" : s}')" \
    bounded "... the server could send only a bounded amount before the runner hung up"

# --- 3. an oversized listing ---------------------------------------------------------
curl -s -o /dev/null -X POST -d '{"listingJunkBytes": 73400320}' "$URL/_emulator/hostile"
run exec -- true
is "$RC" 125 "a 70 MiB listing: exit 125"
like "$ERR" 'listing the files in the sandbox: its output is larger than allowed' "... refused at its bound"
is "$(live)" 1 "... the sandbox is kept"
drop_kept
curl -s -o /dev/null -X DELETE "$URL/_emulator/hostile"

# --- 3b. a listing kept alive by keepalives alone -------------------------------------------
curl -s -o /dev/null -X POST -d '{"listingStall": true}' "$URL/_emulator/hostile"
XENV=(CODEX_SANDBOX_E2B_SYNC_TIMEOUT=3); run exec -- true; unset XENV
curl -s -o /dev/null -X DELETE "$URL/_emulator/hostile"
is "$RC" 125 "a listing that never ends (keepalives only): exit 125, no hang"
like "$ERR" 'listing the files in the sandbox: not done within the time limit' "... stopped at CODEX_SANDBOX_E2B_SYNC_TIMEOUT"
like "$ERR" 'fix: the sandbox is kept; attach to it again, or raise CODEX_SANDBOX_E2B_SYNC_TIMEOUT \(now 3 s\)' "... saying how to go on"
is "$(live)" 1 "... the sandbox is kept"
drop_kept

# --- 4. oversized JSON from the API -------------------------------------------------------
fault() { curl -s -o /dev/null -X POST -H 'content-type: application/json' -d "$1" "$URL/_emulator/fail"; }
nofault() { curl -s -o /dev/null -X DELETE "$URL/_emulator/fail"; }
fault '{"method":"POST","path":"/v2/sandboxes","status":201,"padBytes":8388608}'
run exec -- true
nofault
is "$RC" 125 "an 8 MiB create answer: exit 125"
like "$ERR" 'the answer from .*/v2/sandboxes is larger than allowed' "... refused at the 4 MiB bound"
fault '{"method":"GET","path":"/sandboxes/*","status":200,"padBytes":8388608}'
run exec -- true
nofault
is "$RC" 125 "an 8 MiB sandbox detail: exit 125"
like "$ERR" 'the answer from .*/sandboxes/i[a-z0-9]+ is larger than allowed' "... refused at the bound"

# --- 5. the state file attach reads ------------------------------------------------------
curl -s -o /dev/null -X DELETE "$URL/_emulator/hostile"
run --keep exec -- true
sid=$OUT
is "$RC" 0 "--keep: a sandbox is left for attach"
state=$CS_HOME/.local/state/codex-sandbox/e2b/$sid.json
check "... its state file is written" test -f "$state"
rm -f "$state"; mkfifo "$state"
MARK=$(wc -l < "$LOG")
out=$(cd "$p" && timeout -k 5 30 env "${EENV[@]}" "$CS" attach "$sid" </dev/null 2>&1); rc=$?
is "$rc" 125 "a fifo as the state file: attach ends with 125 (no hang)"
like "$out" "^codex-sandbox: $state: not a regular file of at most 256 MiB" "... naming the file"
rm -f "$state"; ln -s "$W/canary.txt" "$state"
out=$(cd "$p" && timeout -k 5 30 env "${EENV[@]}" "$CS" attach "$sid" </dev/null 2>&1); rc=$?
is "$rc" 125 "a symlink as the state file: attach ends with 125"
like "$out" "fix: remove $state to attach without it" "... and says how to go on"
printf '{"sandboxID":"%s","trees":[{"name":"project","root":"%s","remote":"%s","files":[["../canary.txt","f",1,420,""]]}]}' \
    "$sid" "$p" "$R" > "$state.new"
rm -f "$state"; mv "$state.new" "$state"
out=$(cd "$p" && timeout -k 5 30 env "${EENV[@]}" "$CS" attach "$sid" </dev/null 2>&1); rc=$?
is "$rc" 125 "a state file naming '../canary.txt': attach ends with 125"
like "$out" "remembered upload of sandbox $sid is not valid \(a path that is absolute, has '\.\.' or empty parts\)" "... saying what is wrong"
is "$(live)" 1 "... the kept sandbox is left as it was (nothing lost)"
rm -f "$state"
# Without the state file the plan can only take the current directory for
# the project: the sandbox must have been started for it (its metadata),
# or nothing of it comes back into a directory it was not made from.
mkdir -p "$TMP/elsewhere"; chown "$TEST_UID:$TEST_GID" "$TMP/elsewhere"
out=$(cd "$TMP/elsewhere" && timeout -k 5 30 env "${EENV[@]}" "$CS" attach "$sid" </dev/null 2>&1); rc=$?
is "$rc" 125 "no state file, attach from another directory: exit 125"
like "$out" "E2B sandbox $sid was started for $p, not for $TMP/elsewhere" "... naming both"
is "$(live):$(ls -A "$TMP/elsewhere" | wc -l)" "1:0" "... the sandbox left as it was, nothing written there"
out=$(cd "$p" && timeout -k 5 60 env "${EENV[@]}" "$CS" attach "$sid" </dev/null 2>&1); rc=$?
is "$rc" 0 "positive control: without the state file attach goes ahead"
is "$(live)" 0 "... and removes the sandbox at the end"

# --- 6. the repository's Codex home is a link out ------------------------------------------
p2=$W/proj2
mkdir -p "$p2/.codex"
echo "another project" > "$p2/README"
ln -s "$W/userhome" "$p2/.codex/.environment"
chown -R "$TEST_UID:$TEST_GID" "$p2"; chown -h "$TEST_UID:$TEST_GID" "$p2/.codex/.environment"
MARK=$(wc -l < "$LOG")
out=$(cd "$p2" && timeout -k 5 60 env "${EENV[@]}" "$CS" --backend e2b exec -- true </dev/null 2>&1); rc=$?
is "$rc" 125 ".codex/.environment -> a directory of the user: exit 125"
# Refused by the plan or by the E2B scan, whichever comes first: one line
# that names the link.
is "$(grep -c '^codex-sandbox: ' <<<"$out")" 1 "... in one line"
like "$out" "^codex-sandbox: .*$p2/\.codex/\.environment.*(symlink|symbolic link)" "... naming the link"
is "$(newlog | grep -c '"plane": *"api"')" 0 "... and nothing was created (no API request)"

# --- nothing outside the project was touched -------------------------------------------
is "$(events)" "" "nothing outside the project was opened, read or written (inotify)"
is "$(sums)" "$BEFORE" "the canaries outside the project are unchanged (names, modes, sha256)"
check "the canary watch still runs (its silence means something)" kill -0 "$WATCH_PID"
check "... and still sees a read (the checksums just now)" wait_for grep -qs 'outside/secret' "$TMP/events"
is "$(live)" 0 "no sandbox left in the emulator"
done_testing
