#!/usr/bin/env bash
# tests/run.sh — the whole suite (make test) or the unit tests (make check).
#
# Every test program prints TAP ("ok N - ...", "not ok N - ..."); this
# script runs them, shows each one's output, and ends with the line the CI
# runner reads: "N passed, M failed".  Exit status is non-zero on any
# failure, including a test program that dies without reporting one.
#
#   tests/run.sh [--unit-only] [--build DIR] [--only PATTERN]
set -u
cd "$(dirname "$0")/.."

build=build
unit_only=0
only=""
while [ $# -gt 0 ]; do
    case $1 in
    --unit-only) unit_only=1 ;;
    --build) build=$2; shift ;;
    --only) only=$2; shift ;;
    *) echo "usage: $0 [--unit-only] [--build DIR] [--only PATTERN]" >&2; exit 2 ;;
    esac
    shift
done

passed=0
failed=0
failures=()
log_dir=${TEST_LOG_DIR:-$build/test-logs}
mkdir -p "$log_dir"

# run NAME CMD...: run one TAP producer, count its results.
run() {
    local name=$1; shift
    if [ -n "$only" ] && [[ $name != *$only* ]]; then return; fi
    local log="$log_dir/$(echo "$name" | tr '/ ' '__').log"
    local start=$SECONDS rc
    echo "=== $name"
    # A plain pipe: tee has written everything when the counts are taken.
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    local p f plan
    p=$(grep -cE '^ok [0-9]+' "$log")
    f=$(grep -cE '^not ok [0-9]+' "$log")
    # A result line that went missing (redirected away, glued to other
    # output) must not pass silently: the plan has to match.
    plan=$(grep -oE '^1\.\.[0-9]+' "$log" | tail -n1 | cut -d. -f3)
    if [ -n "$plan" ] && [ "$plan" -ne $((p + f)) ]; then
        echo "not ok - $name planned $plan tests but reported $((p + f))"
        f=$((f + 1))
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # Died or failed without a TAP failure line: that is a failure too.
        f=1
        echo "not ok - $name exited with status $rc"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -gt 0 ] && failures+=("$name")
    echo "=== $name: $p passed, $f failed ($((SECONDS - start))s)"
}

# 1. Unit tests: no root, no Docker.
for t in "$build"/tests/test_*; do
    [ -x "$t" ] && [ "${t%.d}" = "$t" ] || continue
    run "unit/$(basename "$t")" "$t"
done

if [ "$unit_only" -eq 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "not ok - the full suite needs root (real engine, nftables, namespaces); run 'make check' for unit tests"
        failed=$((failed + 1))
    else
        # 2. Sanitizer build of the unit tests, and valgrind on them.
        run "unit-asan" tests/lib/san-units.sh
        # 3. Fuzzers, briefly.
        run "fuzz" env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" tests/lib/fuzz-all.sh
        # 4. Integration and end-to-end tests against the real engine.
        for t in tests/integration/*.sh; do
            run "integration/$(basename "$t" .sh)" bash "$t"
        done
        # 5. The attack suite: a hostile repository, agent, resolver or E2B
        #    server tries each escape; nothing may leave.
        for t in tests/attacks/*.sh; do
            [ -e "$t" ] || continue
            run "attacks/$(basename "$t" .sh)" bash "$t"
        done
        # 6. Nothing of ours may be left behind by the suite.
        run "leftovers" tests/lib/leftovers.sh
    fi
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
