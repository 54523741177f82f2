# Shared helpers for the bash integration tests (TAP output).
# Source it: . "$(dirname "$0")/../lib/common.sh"
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CS=${CS:-$ROOT/bin/codex-sandbox}
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
T_N=0
T_FAIL=0
T_PLAN=""
# plan N: declare, before the first result, how many results this file
# reports -- a literal the file states (tests/run.sh checks the file for
# "plan N" and holds the output to it).  No counter ever stands in for it.
plan() {
    if [ -n "$T_PLAN" ] || [ "$T_N" -gt 0 ]; then
        echo "not ok - plan $1 after a plan or a result"; T_FAIL=$((T_FAIL + 1)); return 1
    fi
    T_PLAN=$1; echo "1..$1"
}

ok()     { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
diag()   { sed 's/^/# /' <<<"$*"; }
# skip DESC REASON: counted apart by tests/run.sh; under CI=true it fails
# unless REASON starts with "unsupported:".
skip()   { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }

# check DESC CMD...: passes when CMD succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# is GOT WANT DESC
is() {
    if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; diag "got:  '$1'"; diag "want: '$2'"; fi
}
# like TEXT REGEX DESC
like() {
    if grep -qE -- "$2" <<<"$1"; then ok "$3"; else not_ok "$3"; diag "no match for /$2/ in:"; diag "$1"; fi
}
unlike() {
    if grep -qE -- "$2" <<<"$1"; then not_ok "$3"; diag "unexpected /$2/ in:"; diag "$1"; else ok "$3"; fi
}
# done_testing: the file's exit status -- non-zero on a failure, on no plan,
# or on a result count different from the plan.
done_testing() {
    if [ -z "$T_PLAN" ]; then echo "# no plan: call plan N before the first result"; return 1; fi
    if [ "$T_N" -ne "$T_PLAN" ]; then echo "# planned $T_PLAN results, reported $T_N"; return 1; fi
    [ "$T_FAIL" -eq 0 ]
}

# The Engine API, without the docker CLI.
api() { local path=$1; shift; curl -sS --unix-socket "$DOCKER_SOCK" "http://docker/v1.41$path" "$@"; }
# api_get PATH JQ: a GET that must succeed (HTTP 2xx, valid JSON), filtered
# by JQ.  On any failure it prints ENGINE-QUERY-FAILED and returns 1, so a
# caller comparing its output with "" or a number cannot read a failed query
# as "nothing there".
api_get() {
    local out
    if out=$(curl -fsS --unix-socket "$DOCKER_SOCK" "http://docker/v1.41$1" 2>&1) &&
       out=$(jq -r "$2" <<<"$out" 2>&1); then
        [ -n "$out" ] && printf '%s\n' "$out"
        return 0
    fi
    echo "ENGINE-QUERY-FAILED $1: $out"
    return 1
}

# Names of containers codex-sandbox created (label org.codex-sandbox.managed).
our_containers() {
    api_get '/containers/json?all=1&filters=%7B%22label%22%3A%5B%22org.codex-sandbox.managed%3D1%22%5D%7D' \
        '.[].Names[0] | ltrimstr("/")'
}

# containers_left: our containers exist (a failed query is not "none").
containers_left() { local c; c=$(our_containers) && [ -n "$c" ]; }

# How many sandbox containers (role=sandbox) are running now.
running_sandboxes() {
    api_get '/containers/json?filters=%7B%22label%22%3A%5B%22org.codex-sandbox.role%3Dsandbox%22%5D%7D' length
}
# wait_sandboxes N: up to 10 s for N sandboxes to be running
wait_sandboxes() { local i n; for i in $(seq 100); do n=$(running_sandboxes) && [ "$n" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
# The id of the running container with role ROLE (first one).
running_role_id() {
    api_get "/containers/json?filters=%7B%22label%22%3A%5B%22org.codex-sandbox.role%3D$1%22%5D%7D" '.[0].Id // empty'
}

# A fresh project dir owned by an unprivileged user (the sandbox runs as the
# dir's owner).  Cleaned by cleanup_projects.  Tests call it as
# p=$(new_project), a subshell, so the list is kept in a file named after the
# test's own shell ($$ is the same in its subshells), not in a variable.
TEST_UID=${TEST_UID:-1000}
TEST_GID=${TEST_GID:-1000}
PROJECTS_LIST=/tmp/cs-projects.$$
new_project() {
    local d
    d=$(mktemp -d /tmp/cs-proj.XXXXXX)
    chown "$TEST_UID:$TEST_GID" "$d"
    track_path "$d"
    echo "$d"
}
# track_path PATH: a /tmp/cs-* file or dir cleanup_projects removes.
track_path() { echo "$1" >> "$PROJECTS_LIST"; }
cleanup_projects() {
    local d
    [ -f "$PROJECTS_LIST" ] || return 0
    while IFS= read -r d; do
        case $d in /tmp/cs-?*) rm -rf "$d" ;; esac
    done < "$PROJECTS_LIST"
    rm -f "$PROJECTS_LIST"
}

# Run the runner with a clean environment: no ~/.codex of the test machine.
cs() { env HOME="${CS_HOME:-/tmp/cs-test-home}" "$CS" "$@"; }
mkdir -p /tmp/cs-test-home
# The Codex binary the image build fetched (cached under the tests' HOME).
CODEX_BIN=${CODEX_BIN:-/tmp/cs-test-home/.cache/codex-sandbox/codex/0.169.0/codex}

# wait_for CMD... : up to 10 s
wait_for() { local i; for i in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }
