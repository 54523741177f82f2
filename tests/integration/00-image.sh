#!/usr/bin/env bash
# The image: built through the Engine API (base bootstrapped with debootstrap
# when it cannot be pulled, Codex fetched on the host), cached by content,
# rebuilt with progress when a run finds it missing.
. "$(dirname "$0")/../lib/common.sh"
plan 16
trap cleanup_projects EXIT

t0=$SECONDS
out=$(cs build 2>&1); rc=$?
is "$rc" 0 "codex-sandbox build succeeds ($((SECONDS - t0))s)"
[ $rc -eq 0 ] || diag "$(tail -30 <<<"$out")"
like "$out" 'Step [0-9]+/[0-9]+ :' "build shows its steps"
img=$(api /images/codex-sandbox/json)
key=$(jq -r '.Config.Labels["org.codex-sandbox.key"] // empty' <<<"$img")
check "image carries its content key label" test -n "$key"
is "$(jq -r '.Config.Labels["org.codex-sandbox.codex-version"]' <<<"$img")" "0.169.0" "image records the pinned Codex version"
base=$(api /images/json | jq -r '.[].RepoTags[]?' | grep -c '^codex-sandbox-base:' || true)
diag "bootstrapped bases present: $base"

p=$(new_project)
v=$(cd "$p" && cs exec -- codex --version </dev/null 2>&1)
is "$v" "codex-cli 0.169.0" "codex --version inside the sandbox prints the pinned version"

# Cached: a second build reuses everything.
t0=$SECONDS
out=$(cs build 2>&1); rc=$?
is "$rc" 0 "second build succeeds"
like "$out" 'Using cache' "second build uses the layer cache ($((SECONDS - t0))s)"

# A run whose image is missing builds it first, with progress, then runs.
api /images/codex-sandbox:latest -X DELETE >/dev/null
check "image untagged" test "$(api /images/codex-sandbox/json -o /dev/null -w '%{http_code}')" = 404
out=$(cd "$p" && cs exec -- echo ran </dev/null 2>&1); rc=$?
is "$rc" 0 "a run with the image missing succeeds"
like "$out" 'not found; building it first' "it says it builds the image first"
like "$out" '(^|[^a-z])ran$' "then runs the command"

# make install: the installed layout finds its helpers and data.
inst=$(mktemp -d /tmp/cs-install.XXXXXX); track_path "$inst"
out=$(make -s -C "$ROOT" install PREFIX="$inst" 2>&1); rc=$?
is "$rc" 0 "make install PREFIX=... succeeds"
check "installed: bin, helpers, Dockerfile, image scripts" test -x "$inst/bin/codex-sandbox" -a \
    -x "$inst/lib/codex-sandbox/codex-sandbox-init" -a -x "$inst/lib/codex-sandbox/codex-firewall" -a \
    -f "$inst/share/codex-sandbox/Dockerfile.codex-sandbox" -a -x "$inst/share/codex-sandbox/images/fetch-codex.sh"
out=$(cd "$p" && env -u CODEX_SANDBOX_DATA_DIR -u CODEX_SANDBOX_LIBEXEC_DIR HOME=/tmp/cs-test-home \
    "$inst/bin/codex-sandbox" exec -- echo installed-ok </dev/null 2>&1); rc=$?
is "$rc:$(tail -n1 <<<"$out")" "0:installed-ok" "the installed binary runs a sandbox (same image: same content key)"

# A user-chosen image that does not exist is an error, not a build.
out=$(cd "$p" && CODEX_DOCKER_IMAGE=no-such-image:1 cs exec -- true </dev/null 2>&1); rc=$?
is "$rc" 125 "missing CODEX_DOCKER_IMAGE: exit 125"
like "$out" 'image no-such-image:1 not found.*fix:' "one line naming the image and the fix"
done_testing
