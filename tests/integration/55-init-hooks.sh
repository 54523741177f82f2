#!/usr/bin/env bash
# The example init hooks (init-hooks/*.sh) against local fixtures: an npm
# registry, a PyPI simple index and a Go module proxy served by
# tests/lib/fixture_http.py in the test world (198.51.100.40, allowed by
# address), and a pre-fetched Maven repository mounted read-only.  Nothing
# leaves this machine.  The sandbox image is the sandbox's files plus the
# toolchains (cached by content).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/world.sh"
plan 29

FX=""
trap 'world_down; cleanup_projects; [ -n "$FX" ] && rm -rf "$FX"' EXIT

# --- the toolchain image -------------------------------------------------
# Two layers of caching: the toolchains on the bootstrapped Debian base
# (slow, network; changes only with the base), then the sandbox's own files
# copied from the current codex-sandbox image (seconds; every new build).
build_image() {  # TAG DOCKERFILE-TEXT
    [ "$(api "/images/$1/json" -o /dev/null -w '%{http_code}')" = 200 ] && return 0
    local ctx t0=$SECONDS
    ctx=$(mktemp -d /tmp/cs-hooks-ctx.XXXXXX)
    printf '%s\n' "$2" > "$ctx/Dockerfile"
    tar -C "$ctx" -cf - Dockerfile | curl -sS --unix-socket "$DOCKER_SOCK" -X POST \
        -H 'Content-Type: application/x-tar' --data-binary @- \
        "http://docker/v1.41/build?t=$1&rm=1&forcerm=1" > "$ctx/build.log"
    diag "built $1 in $((SECONDS - t0))s"
    [ "$(api "/images/$1/json" -o /dev/null -w '%{http_code}')" = 200 ] ||
        diag "$(jq -r '.stream // .error // empty' "$ctx/build.log" 2>/dev/null | tail -n 20)"
    rm -rf "$ctx"
    # Older tags of the same name are only clutter.
    for old in $(api /images/json | jq -r '.[].RepoTags[]?' | grep "^${1%%:*}:" | grep -vx "$1"); do
        api "/images/$old" -X DELETE >/dev/null 2>&1
    done
}
# The sandbox's files must be this checkout's: bring codex-sandbox up to
# date first (the layer cache makes this quick when it already is).
cs build >/dev/null 2>&1 || diag "codex-sandbox build failed"
tag_for() { printf '%s\n%s' "$1" "$2" | sha256sum | cut -c1-12; }
base=$(api /images/json | jq -r '[.[].RepoTags[]? | select(startswith("codex-sandbox-base:"))][0] // "debian:bookworm-slim"')
base_id=$(api "/images/$base/json" | jq -r '.Id // empty')
sandbox_id=$(api /images/codex-sandbox:latest/json | jq -r '.Id // empty')
# The sandbox's packages (Dockerfile.codex-sandbox) and the hooks' toolchains.
tools_df="FROM $base
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bash ca-certificates curl git less procps python3 ripgrep libnftnl11 libmnl0 libseccomp2 nodejs npm python3-venv maven golang-go >/dev/null && rm -rf /var/lib/apt/lists/*"
TOOLS_IMG=cs-test-toolchains:$(tag_for "$tools_df" "$base_id")
hook_df="FROM $TOOLS_IMG
COPY --from=codex-sandbox:latest /usr/local/bin/codex /usr/local/bin/codex
COPY --from=codex-sandbox:latest /usr/lib/codex-sandbox/ /usr/lib/codex-sandbox/
RUN useradd --create-home --shell /bin/bash codex && mkdir -p /etc/codex /codex_home /run/codex-sandbox
USER codex
WORKDIR /home/codex
ENTRYPOINT [\"/usr/lib/codex-sandbox/codex-sandbox-init\", \"--\"]"
HOOK_IMG=cs-test-hooks:$(tag_for "$hook_df" "$sandbox_id")
if [ -n "$base_id" ] && [ -n "$sandbox_id" ]; then
    build_image "$TOOLS_IMG" "$tools_df" && build_image "$HOOK_IMG" "$hook_df"
fi
check "toolchain image $HOOK_IMG (node, python3-venv, maven, go + the sandbox's files) exists" \
    test "$(api "/images/$HOOK_IMG/json" -o /dev/null -w '%{http_code}')" = 200

# --- the registry ----------------------------------------------------------
world_up || { not_ok "test world comes up"; done_testing; exit 1; }
REG=198.51.100.40
FX=$(mktemp -d /tmp/cs-hooks-fx.XXXXXX)
python3 "$ROOT/tests/lib/hook_fixtures.py" "$FX" "http://$REG"
cp -r "$FX/registry" "$WORLD_DIR/registry"
cp "$ROOT/tests/lib/fixture_http.py" "$WORLD_DIR/"
chmod -R a+rX "$FX" "$WORLD_DIR"
_world_run registry "$REG" - '["python3","/world/fixture_http.py","/world/registry","/world/registry.log","80"]'
check "the fixture registry answers" wait_for curl -fs --max-time 1 -o /dev/null "http://$REG/npm/fixture-greet"
reglog() { cat "$WORLD_DIR/registry.log" 2>/dev/null; }
regclear() { : > "$WORLD_DIR/registry.log"; }

# project KIND: p= a fresh copy of the fixture project, owned by the test
# user (new_project records it for cleanup_projects).
project() {
    p=$(new_project)
    cp -r "$FX/projects/$1/." "$p/"
    chown -R "$TEST_UID:$TEST_GID" "$p"
}
# hook_run DIR HOOK [RUNNER-ARGS...] -- CMD...
hook_run() {
    local dir=$1 hook=$2; shift 2
    (cd "$dir" && cs --image "$HOOK_IMG" --network "$WORLD_NET" --dns "$WORLD_DNS" --allow "$REG" \
        ${hook:+--init_script "$ROOT/init-hooks/$hook"} "$@" </dev/null 2>&1)
}

# --- node ------------------------------------------------------------------
project node
out=$(hook_run "$p" node.sh exec -- sh -c 'node -e "console.log(require(\"fixture-greet\")())"; npm config get cache'); rc=$?
is "$rc" 0 "node.sh: npm ci from the lockfile, then the command runs"
[ $rc -eq 0 ] || diag "$out"
like "$out" '^fixture-greet-ok' "node.sh: the locked package is installed and loads"
like "$(reglog)" '^/npm-files/fixture-greet-1\.0\.0\.tgz$' "node.sh: the tarball came from the local registry"
like "$out" '^/codex_home/npm-cache$' "node.sh: later npm commands use the same cache"
check "node.sh: the cache is kept in the project's Codex home" test -d "$p/.codex/.environment/npm-cache/_cacache"
rm -rf "$p/node_modules"; regclear
out=$(hook_run "$p" node.sh exec -- node -e 'console.log(require("fixture-greet")())'); rc=$?
is "$rc:$(tail -n1 <<<"$out")" "0:fixture-greet-ok" "node.sh: a second run installs again"
is "$(reglog | grep -c tgz)" 0 "node.sh: ... from the cache (no tarball request)"
# A lockfile whose integrity does not match: npm ci refuses, Codex never starts.
project node
sed -i 's/"integrity": "sha512-[^"]*"/"integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="/' "$p/package-lock.json"
out=$(hook_run "$p" node.sh exec -- sh -c 'echo COMMAND-RAN'); rc=$?
is "$([ $rc -ne 0 ] && echo failed):$(grep -c COMMAND-RAN <<<"$out")" "failed:0" \
    "node.sh: a tampered lockfile fails the hook and the command does not run"
like "$out" 'EINTEGRITY|integrity' "node.sh: ... npm says why"

# --- python ------------------------------------------------------------------
project python; regclear
pyenv=(-e "PIP_INDEX_URL=http://$REG/pypi/simple/" -e "PIP_TRUSTED_HOST=$REG")
out=$(hook_run "$p" python.sh "${pyenv[@]}" exec -- bash -lc 'python -c "import fixture_greet; print(fixture_greet.greet())"; command -v python'); rc=$?
is "$rc" 0 "python.sh: venv + requirements, then the command runs"
[ $rc -eq 0 ] || diag "$out"
like "$out" '^fixture-greet-ok' "python.sh: the required package imports"
like "$out" '^/codex_home/venv/bin/python$' "python.sh: a login shell (as Codex runs commands) finds the venv's python first"
like "$(reglog)" 'fixture_greet-1\.0\.0-py3-none-any\.whl' "python.sh: the wheel came from the local index"
check "python.sh: the venv is in the Codex home, the project has no .venv" \
    test -x "$p/.codex/.environment/venv/bin/python" -a ! -e "$p/.venv"
regclear
out=$(hook_run "$p" python.sh "${pyenv[@]}" exec -- bash -lc 'python -c "import fixture_greet; print(fixture_greet.greet())"'); rc=$?
is "$rc:$(tail -n1 <<<"$out"):$(reglog | wc -l)" "0:fixture-greet-ok:0" "python.sh: a second run reuses the venv (no request)"

# --- go --------------------------------------------------------------------
project go; regclear
out=$(hook_run "$p" go.sh -e "GOPROXY=http://$REG/go" -e GOSUMDB=off exec -- sh -c 'go run . && go env GOMODCACHE'); rc=$?
is "$rc" 0 "go.sh: go mod download, then the command runs"
[ $rc -eq 0 ] || diag "$out"
like "$out" '^fixture-greet-ok' "go.sh: the module builds and runs"
like "$out" '^/codex_home/go/pkg/mod$' "go.sh: later go commands use the kept module cache"
like "$(reglog)" '^/go/fixture\.test/greet/@v/v1\.0\.0\.zip$' "go.sh: the module came from the local proxy"
out=$(hook_run "$p" go.sh -e GOPROXY=off exec -- go run .); rc=$?
is "$rc:$(tail -n1 <<<"$out")" "0:fixture-greet-ok" "go.sh: a second run builds with the proxy off (from the cache)"
check "go.sh: the cache can be deleted from the host (-modcacherw)" rm -rf "$p/.codex/.environment/go"
# go.sum that does not match the module: the hook fails, the command does not run.
project go
sed -i '1s/h1:[^ ]*$/h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=/' "$p/go.sum"
out=$(hook_run "$p" go.sh -e "GOPROXY=http://$REG/go" -e GOSUMDB=off exec -- sh -c 'echo COMMAND-RAN'); rc=$?
is "$([ $rc -ne 0 ] && echo failed):$(grep -c COMMAND-RAN <<<"$out")" "failed:0" \
    "go.sh: a go.sum mismatch fails the hook and the command does not run"
like "$out" 'checksum mismatch|SECURITY ERROR' "go.sh: ... go says why"

# --- maven -------------------------------------------------------------------
project maven
m2=$FX/m2/.m2/repository
mvncmd='mvn -B validate; touch '"/app$m2"'/probe 2>/dev/null && echo REPO-WRITABLE; true'
# Positive control first: without the hook Maven does not know the mounted repository.
out=$(hook_run "$p" "" --read-only "$m2" exec -- sh -c "$mvncmd"); rc=$?
like "$out" 'Non-resolvable parent POM' "maven: without the hook the parent POM is not found (control)"
out=$(hook_run "$p" maven.sh --read-only "$m2" exec -- sh -c "$mvncmd"); rc=$?
like "$out" 'BUILD SUCCESS' "maven.sh: with the hook the parent resolves from the read-only ~/.m2"
[ $rc -eq 0 ] && grep -q 'BUILD SUCCESS' <<<"$out" || diag "$out"
like "$out" "local repository /app$m2 \\(offline: true\\)" "maven.sh: it finds the mount and goes offline"
unlike "$out" 'REPO-WRITABLE' "maven.sh: the repository stays read-only"
done_testing
