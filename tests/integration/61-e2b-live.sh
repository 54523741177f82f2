#!/usr/bin/env bash
# A running E2B sandbox seen and changed from outside (issue 12, items 2 and
# 5), against the project's E2B emulator: the live record `ps` lists,
# `allow`/`deny` through PUT /sandboxes/ID/network (the whole list, read
# back, recorded only after E2B took it), and --publish: public traffic
# off, 127.0.0.1:HOSTPORT forwarded to the sandbox's port with the traffic
# access token, which the emulator requires.
#
# The face's `ps`/`allow`/`deny` call e2b_ps / e2b_egress_change; until they
# are wired this test drives those functions through the unit test binary
# (test_e2b_live ps|has|allow|deny).
. "$(dirname "$0")/../lib/common.sh"

plan 60

E2B=$ROOT/tests/e2b
DRV=$ROOT/${BUILD:-build}/tests/test_e2b_live
TMP=$(mktemp -d /tmp/cs-e2b-live.XXXXXX)
chmod 755 "$TMP"
KEY=e2b_$(printf '0%.0s' $(seq 1 40))
EMU_PID=
RUN_PID=
HOLD_PID=
export CS_HOME=$TMP/home
mkdir -p "$CS_HOME"
SIG=$TMP/sig
mkdir -p "$SIG"; chmod 777 "$SIG"
wait_long() { local n=$(($1 * 10)); shift; local i; for i in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }

cleanup() {
    touch "$SIG/stop"
    for p in $RUN_PID $HOLD_PID; do kill -TERM "$p" 2>/dev/null; done
    [ -n "$RUN_PID" ] && wait "$RUN_PID" 2>/dev/null
    if [ -n "$EMU_PID" ]; then
        kill -TERM "$EMU_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$EMU_PID" 2>/dev/null
    fi
    cleanup_projects
    rm -rf "$TMP"
}
trap cleanup EXIT

for tool in python3 jq curl ss; do
    command -v "$tool" >/dev/null || { not_ok "prerequisite $tool is installed"; done_testing; exit 1; }
done
[ -x "$DRV" ] || { not_ok "the driver $DRV is built (make unit-bins)"; done_testing; exit 1; }

TPL=$TMP/tpl
mkdir -p "$TPL/home/user" "$TPL/usr/local/bin"
echo 'PATH="$E2B_EMULATOR_ROOT/usr/local/bin:$PATH"' > "$TPL/home/user/.profile"

python3 "$E2B/emulator" --port 0 --port-file "$TMP/port" --log "$TMP/emu.log" \
    --api-key "$KEY" --root-dir "$TMP/roots" --template-dir "codex=$TPL" \
    --user-uid "$TEST_UID:$TEST_GID" --list-page 1 2>"$TMP/emu.err" &
EMU_PID=$!
wait_long 5 test -s "$TMP/port"
if [ -s "$TMP/port" ]; then ok "emulator started"; else not_ok "emulator starts"; done_testing; exit 1; fi
URL=http://127.0.0.1:$(cat "$TMP/port")
LOG=$TMP/emu.log
EENV=(E2B_API_URL="$URL" E2B_SANDBOX_URL="$URL" E2B_API_KEY="$KEY" HOME="$CS_HOME")
mark() { MARK=$(wc -l < "$LOG"); }
newlog() { tail -n +$((MARK + 1)) "$LOG"; }
sent() { newlog | jq -c "select($1)" | grep -q .; }
created() { newlog | jq -c 'select(.plane=="api" and .method=="POST" and (.path=="/v2/sandboxes" or .path=="/sandboxes"))'; }
drv() { env "${EENV[@]}" "$DRV" "$@"; }
# The user's commands (runner/cmd_ps.c, cmd_allow.c) on top of e2b_ps /
# e2b_egress_change; the driver only for e2b_has_sandbox, which has no face.
face() { env "${EENV[@]}" "$CS" "$@"; }
api() { curl -s -H "X-API-KEY: $KEY" "$URL$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

p=$(new_project)
echo "served from the sandbox" > "$p/index.txt"
chown -R "$TEST_UID:$TEST_GID" "$p"
SPORT=$(free_port)
HPORT=$(free_port)

# --- --publish: refusals and the dry run, before anything exists ------------------
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(60)' "$HPORT" &
HOLD_PID=$!
wait_long 5 sh -c "ss -ltn | grep -q '127.0.0.1:$HPORT '"
mark
out=$(cd "$p" && env "${EENV[@]}" "$CS" --backend e2b --publish "$SPORT:$HPORT" exec -- true </dev/null 2>&1); rc=$?
is "$rc" 125 "--publish to a host port in use: exit 125"
like "$out" "cannot listen on 127.0.0.1:$HPORT.*fix: .*in use" "... naming the port and the fix"
is "$(created)" "" "... nothing created"
kill "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null; HOLD_PID=

mark
dry=$(cd "$p" && env "${EENV[@]}" "$CS" --backend e2b --publish "$SPORT:$HPORT" --dry-run exec -- true </dev/null 2>/dev/null)
is "$(jq -r '[.operations[].op] | map(select(startswith("publish") or . == "create-sandbox")) | join(",")' <<<"$dry")" \
    "publish-ports,create-sandbox,publish-forward" "--dry-run: ports bound before create, the forwarder after"
is "$(jq -c '.operations[] | select(.op=="create-sandbox") | .body.network.allowPublicTraffic' <<<"$dry")" false \
    "... the sandbox is created with public traffic off"
is "$(jq -r '.operations[] | select(.op=="publish-ports") | .listen[0].listen' <<<"$dry")" "127.0.0.1:$HPORT" \
    "... listening on loopback only"
unlike "$dry" '[0-9a-f]{32}' "... no token in the dry run"
is "$(created)" "" "... nothing created"

# --- a running sandbox with a published port -----------------------------------------
mark
(cd "$p" && env "${EENV[@]}" "$CS" --backend e2b --publish "$SPORT:$HPORT" exec -- \
    sh -c "python3 -m http.server $SPORT --bind 127.0.0.1 >/dev/null 2>&1 & while [ ! -e $SIG/stop ]; do sleep 0.2; done; kill \$!" \
    </dev/null >"$TMP/run.out" 2>"$TMP/run.err") &
RUN_PID=$!
wait_long 30 sh -c "curl -sf -m 2 http://127.0.0.1:$HPORT/index.txt >/dev/null"
is "$(curl -s -m 5 "http://127.0.0.1:$HPORT/index.txt")" "served from the sandbox" \
    "curl 127.0.0.1:HOSTPORT reaches the server on the sandbox's port"
ID=$(created | jq -r '.sandboxID' | head -1)
like "$ID" '^i[a-z0-9]+$' "... sandbox $ID"
is "$(created | jq -c '.body.network.allowPublicTraffic')" false "... created with allowPublicTraffic false"
TOKEN_OK=$(newlog | jq -c "select(.plane==\"envd\" and .sandboxID==\"$ID\" and .headers[\"e2b-sandbox-port\"]==\"$SPORT\")" | jq -r '.traffic' | sort -u | tr '\n' ' ')
is "$TOKEN_OK" "ok " "... every forwarded request carried the sandbox's traffic token"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "E2b-Sandbox-Id: $ID" -H "E2b-Sandbox-Port: $SPORT" "$URL/index.txt")" 403 \
    "the sandbox's port without the token: 403"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "E2b-Sandbox-Id: $ID" -H "E2b-Sandbox-Port: $SPORT" -H "e2b-traffic-access-token: forged" "$URL/index.txt")" 403 \
    "... with a wrong token: 403"
is "$(curl -s -m 5 -H 'e2b-traffic-access-token: forged' -H "E2b-Sandbox-Id: iother" "http://127.0.0.1:$HPORT/index.txt")" "served from the sandbox" \
    "a client's own e2b headers are replaced by the forwarder's"
big=$(head -c 40000 /dev/zero | tr '\0' a)
is "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$HPORT/")" 431 \
    "a request head over 32 KiB: 431, not forwarded"
is "$(ss -ltn | awk '{print $4}' | grep -c ":$HPORT\$")" 1 "one listener on the host port..."
ss -ltn | awk '{print $4}' | grep -qx "127.0.0.1:$HPORT" && ok "... on 127.0.0.1" || not_ok "... on 127.0.0.1"

# --- ps ----------------------------------------------------------------------------
ps_out=$(face ps --json); rc=$?
is "$rc:$(jq length <<<"$ps_out")" "0:1" "ps lists the running sandbox"
is "$(jq -r '.[0] | [.id, .backend, .work_dir, (.blocked|tostring), .publish[0]] | join(" ")' <<<"$ps_out")" \
    "$ID e2b $p null $SPORT:$HPORT" "... id, backend e2b, work_dir, blocked null, the published port"
like "$(jq -r '.[0].started' <<<"$ps_out")" '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$' \
    "... started in RFC 3339"
out=$(face ps 2>&1); rc=$?
is "$rc" 0 "ps (the table)"
like "$out" "$ID.*e2b" "... shows the sandbox's id and backend"
out=$(face blocked "${ID:0:8}" 2>&1); rc=$?
is "$rc" 0 "blocked ID-PREFIX on E2B"
like "$out" "runs on E2B, which does not report what its firewall blocked" "... says E2B reports nothing"
check "has: the sandbox is known" drv has "$ID"
if drv has iunknown; then not_ok "has: an unknown id is not"; else ok "has: an unknown id is not"; fi

# --- allow / deny --------------------------------------------------------------------
REC=$CS_HOME/.local/state/codex-sandbox/e2b/$ID.live.json
mark
face allow "$ID" example.org 203.0.113.0/24 >"$TMP/allow.out" 2>"$TMP/drv.err"; rc=$?
is "$rc" 0 "allow ID example.org 203.0.113.0/24: done"
put=$(newlog | jq -c "select(.method==\"PUT\" and .path==\"/sandboxes/$ID/network\")")
is "$(jq -c '.body' <<<"$put")" \
    '{"allowOut":["api.openai.com","chatgpt.com","auth.openai.com","example.org","203.0.113.0/24"],"denyOut":["0.0.0.0/0"]}' \
    "... one PUT with the whole new list (it replaces everything)"
is "$(api "/sandboxes/$ID" | jq -c '.network.allowOut')" \
    '["api.openai.com","chatgpt.com","auth.openai.com","example.org","203.0.113.0/24"]' "... E2B holds it"
sent ".method==\"GET\" and .path==\"/sandboxes/$ID\"" && ok "... and it was read back" || not_ok "... and it was read back"
is "$(jq -c '.allow' "$REC")" '["api.openai.com","chatgpt.com","auth.openai.com","example.org","203.0.113.0/24"]' \
    "... the record has the new list"
is "$(api "/sandboxes/$ID" | jq -c '.network.allowPublicTraffic')" false "... public traffic stays off"
is "$(curl -s -m 5 "http://127.0.0.1:$HPORT/index.txt")" "served from the sandbox" "... the published port still works"

mark
face deny "$ID" EXAMPLE.org. chatgpt.com >"$TMP/allow.out" 2>"$TMP/drv.err"; rc=$?
is "$rc:$(api "/sandboxes/$ID" | jq -c '.network.allowOut')" \
    '0:["api.openai.com","auth.openai.com","203.0.113.0/24"]' "deny ID EXAMPLE.org. chatgpt.com: removed (any spelling)"
is "$(jq -c '.allow' "$REC")" '["api.openai.com","auth.openai.com","203.0.113.0/24"]' "... recorded"

mark
out=$(face allow "$ID" 10.1.2.3 2>&1); rc=$?
is "$rc" 125 "allow of a private address E2B always blocks: exit 125"
like "$out" "'10.1.2.3' cannot be enforced on E2B" "... the plan's refusal, naming the entry"
out=$(face allow "$ID" 2001:db8::1 2>&1); rc=$?
is "$rc" 125 "allow of an IPv6 address: exit 125"
sent '.method=="PUT"' && not_ok "... nothing sent to E2B" || ok "... nothing sent to E2B"

mark
curl -s -X POST -d '{"spec":"PUT /sandboxes/*/network=500:message=boom"}' "$URL/_emulator/fail" >/dev/null
out=$(face allow "$ID" example.net 2>&1); rc=$?
curl -s -X DELETE "$URL/_emulator/fail" >/dev/null
is "$rc" 125 "E2B fails the update (500): exit 125"
like "$out" "egress rules: E2B API error.*boom" "... one line with E2B's message"
is "$(jq -c '.allow' "$REC")" '["api.openai.com","auth.openai.com","203.0.113.0/24"]' "... the record is unchanged"

# Two changes at once: each waits for the other (a lost update would drop one).
face allow "$ID" a.example.com >/dev/null 2>&1 & A=$!
face allow "$ID" b.example.com >/dev/null 2>&1 & B=$!
wait "$A"; ra=$?; wait "$B"; rb=$?
is "$ra:$rb:$(jq -c '[.allow[] | select(endswith("example.com"))] | sort' "$REC")" '0:0:["a.example.com","b.example.com"]' \
    "two allows at once: both recorded"
is "$(api "/sandboxes/$ID" | jq -c '[.network.allowOut[] | select(endswith("example.com"))] | sort')" '["a.example.com","b.example.com"]' \
    "... and both held by E2B"

# A record whose sandbox E2B no longer has is not listed.
cp "$REC" "$CS_HOME/.local/state/codex-sandbox/e2b/igone0000000000000000.live.json"
sed -i "s/$ID/igone0000000000000000/" "$CS_HOME/.local/state/codex-sandbox/e2b/igone0000000000000000.live.json"
is "$(face ps --json | jq -r '[.[].id] | join(",")')" "$ID" "ps: a sandbox E2B no longer runs is not listed"

# --- the end ---------------------------------------------------------------------------
touch "$SIG/stop"
wait "$RUN_PID"; rc=$?; RUN_PID=
is "$rc" 0 "the run ends normally"
if curl -s -m 2 -o /dev/null "http://127.0.0.1:$HPORT/"; then not_ok "... the host port is closed"; else ok "... the host port is closed"; fi
is "$(pgrep -f -c "codex-sandbox --backend e2b --publish $SPORT:$HPORT" || true)" 0 "... no forwarder left"
is "$(face ps --json)" "[]" "... ps no longer lists it"
check "... its record is gone" test ! -e "$REC"
check "... and its lock file" test ! -e "${REC%.live.json}.lock"

# --- --keep, detach, attach: the forwarder comes back with the session --------------
# Two other sandboxes of the tool first, and one sandbox a page (the
# emulator's --list-page 1): the kept one is on the listing's third page.
OTHERS=()
for i in 1 2; do
    OTHERS+=("$(curl -s -H "X-API-KEY: $KEY" -H 'Content-Type: application/json' -X POST \
        -d '{"templateID":"codex","metadata":{"tool":"codex-sandbox"}}' "$URL/v2/sandboxes" | jq -r '.sandboxID')")
done
mark
# exec: RUN_PID is the runner itself, so the signal goes to it alone.
(cd "$p" && exec env "${EENV[@]}" "$CS" --backend e2b --keep --publish "$SPORT:$HPORT" exec -- \
    sh -c "python3 -m http.server $SPORT --bind 127.0.0.1 >/dev/null 2>&1 & while [ ! -e $SIG/stop2 ]; do sleep 0.2; done; kill \$!" \
    </dev/null >"$TMP/run.out" 2>"$TMP/run.err") &
RUN_PID=$!
wait_long 30 sh -c "curl -sf -m 2 http://127.0.0.1:$HPORT/index.txt >/dev/null"
KID=$(created | jq -r '.sandboxID' | head -1)
kill -TERM "$RUN_PID"
wait "$RUN_PID"; rc=$?; RUN_PID=
is "$rc" 143 "--keep: SIGTERM detaches (exit 143), the sandbox left running"
if curl -s -m 2 -o /dev/null "http://127.0.0.1:$HPORT/"; then not_ok "... the forwarder ended with the runner"; else ok "... the forwarder ended with the runner"; fi
is "$(face ps --json | jq -r '[.[].id] | join(",")')" "$KID" "... ps lists the kept sandbox (on the listing's third page)"
ok_pages=$(newlog | jq -r 'select(.plane=="api" and .method=="GET" and .path=="/v2/sandboxes") | .query.nextToken // empty' |
    grep -c '^2$')
[ "$ok_pages" -ge 1 ] && ok "... E2B's listing read page by page (X-Next-Token)" || not_ok "... E2B's listing read page by page (X-Next-Token)"
for o in "${OTHERS[@]}"; do curl -s -H "X-API-KEY: $KEY" -X DELETE "$URL/sandboxes/$o" >/dev/null; done
(cd "$p" && env "${EENV[@]}" "$CS" attach "$KID" </dev/null >"$TMP/att.out" 2>"$TMP/att.err") &
RUN_PID=$!
wait_long 30 sh -c "curl -sf -m 2 http://127.0.0.1:$HPORT/index.txt >/dev/null"
is "$(curl -s -m 5 "http://127.0.0.1:$HPORT/index.txt")" "served from the sandbox" \
    "attach: 127.0.0.1:HOSTPORT forwarded again (from the record)"
touch "$SIG/stop2"
wait "$RUN_PID"; rc=$?; RUN_PID=
is "$rc" 0 "... the attached command ends"
if curl -s -m 2 -o /dev/null "http://127.0.0.1:$HPORT/"; then not_ok "... and the port is closed"; else ok "... and the port is closed"; fi

done_testing
