#!/usr/bin/env bash
# tests/run.sh — the whole suite (make test) or the unit tests (make check).
#
#   tests/run.sh [--unit-only] [--build DIR] [--only PATTERN] [--update-min-counts]
#
# Every test program (a "producer") prints TAP.  The runner holds each one to
# what it promised, so a suite that shrinks cannot pass:
#   - the plan "1..N" comes before the first result, exactly once, and N is a
#     literal the producer's file states (`plan N` in shell, `plan(N);` in C;
#     a counter of what ran is not a plan).  Two producers derive N from a
#     source list instead (one result per tests/unit/test_*.c or
#     tests/fuzz/fuzz_*.c, a missing binary being "not ok"): san-units.sh and
#     tests/fuzz/run.sh, marked "derived" below.
#   - exactly N results, numbered 1..N; no plan, a result before the plan,
#     fewer or more results, a "Bail out!" or a non-zero exit is a failure.
#   - "ok N - ... # SKIP reason" is a skip: counted apart, listed at the end.
#     Under CI=true a skip fails unless its reason starts with "unsupported:"
#     (something this machine cannot do; see SKIP_OK below).
#   - tests/min-counts holds, per producer, the fewest passes it may report;
#     a producer below it, or missing from it, fails, and so does a listed
#     producer that did not run (unless --only).  After adding tests or a
#     producer: `tests/run.sh --update-min-counts` (a full run, as root; with
#     --unit-only it rewrites only the unit/ and harness/ lines, which is
#     enough after adding unit tests) and commit the file.  It refuses to
#     write after a failed run.
# The last line is "N passed, M failed, K skipped"; the exit status is non-zero
# on any failure.
set -u
cd "$(dirname "$0")/.."

build=build
unit_only=0
only=""
update=0
while [ $# -gt 0 ]; do
    case $1 in
    --unit-only) unit_only=1 ;;
    --build) build=$2; shift ;;
    --only) only=$2; shift ;;
    --update-min-counts) update=1 ;;
    *) echo "usage: $0 [--unit-only] [--build DIR] [--only PATTERN] [--update-min-counts]" >&2; exit 2 ;;
    esac
    shift
done
if [ "$update" -eq 1 ] && [ -n "$only" ]; then
    echo "--update-min-counts needs a whole run (no --only)" >&2; exit 2
fi

MIN_COUNTS=tests/min-counts
# A skip is acceptable under CI only when it names something this machine
# cannot do.  The list stays tiny: today nothing in the suite needs it (every
# tool is installed by `make setup` and CI runs as root).
SKIP_OK='^unsupported:'

passed=0
failed=0
skipped=0
failures=()
skips=()
declare -A ran=()
declare -A got=()
log_dir=${TEST_LOG_DIR:-$build/test-logs}
mkdir -p "$log_dir"

# Producers that run under --unit-only (make check).
unit_producer() { [[ $1 == unit/* || $1 == harness/* ]]; }

declare -A min=()
if [ -f "$MIN_COUNTS" ]; then
    while read -r k v rest; do
        case $k in ''|'#'*) continue ;; esac
        # A line that is not "producer count" (a merge's conflict marker,
        # a typo) would silently drop a floor: refuse the file.
        if [[ ! $k =~ ^[a-z0-9_./-]+$ || ! $v =~ ^[0-9]+$ || -n $rest ]]; then
            echo "not ok - $MIN_COUNTS: malformed line '$k $v $rest' (want: PRODUCER COUNT)"
            echo "0 passed, 1 failed, 0 skipped"
            exit 1
        fi
        min[$k]=$v
    done < "$MIN_COUNTS"
fi

# check_log NAME LOG: the TAP rules above; prints one "not ok - ..." line
# per broken rule, writes "PASSED FAILED SKIPPED BROKEN PLAN" to LOG.counts
# and one "NAME: reason" line per skip to LOG.skips.
check_log() {
    local name=$1 log=$2
    awk -v name="$name" -v ci="${CI:-}" -v skipok="$SKIP_OK" \
        -v counts="$log.counts" -v skipf="$log.skips" '
        function bad(msg) { print "not ok - " name ": " msg; nbad++ }
        # a skip: counted apart, listed; under CI only "unsupported:" passes
        function skip(reason) {
            s++
            sub(/^[ \t]+/, "", reason)
            printf "%s: %s\n", name, reason > skipf
            if (ci == "true" && reason !~ skipok) bad("skip under CI=true: " reason)
        }
        /^1\.\.[0-9]+/ {
            nplan++
            if (nplan == 1) { plan = substr($0, 4) + 0; if (nres > 0) bad("plan after " nres " result(s)") }
            # "1..0 # SKIP reason": the whole producer skipped, one skip
            if (match($0, /#[ \t]*[Ss][Kk][Ii][Pp]([ \t]|$)/)) skip(substr($0, RSTART + RLENGTH))
            next
        }
        /^Bail out!/ { bad("bailed out: " $0); next }
        /^(not )?ok([ \t]|$)/ {
            nres++
            line = $0; isnot = (line ~ /^not /); sub(/^(not )?ok[ \t]*/, "", line)
            if (match(line, /^[0-9]+/)) {
                num = substr(line, 1, RLENGTH) + 0
                if (num != nres) bad("result numbered " num " where " nres " was due")
            }
            if (isnot) { f++; next }
            if (match(line, /#[ \t]*[Ss][Kk][Ii][Pp]([ \t]|$)/)) { skip(substr(line, RSTART + RLENGTH)); next }
            p++
            next
        }
        END {
            if (nplan == 0) bad("no plan (1..N) printed")
            else if (nplan > 1) bad(nplan " plans printed")
            else if (plan != nres) bad("planned " plan " results but reported " nres)
            printf "%d %d %d %d %s\n", p, f, s, nbad, (nplan ? plan : "") > counts
            printf "" > skipf
        }' "$log"
}

# run NAME SOURCE CMD...: run one producer, hold it to its plan, count.
# SOURCE is the file stating the literal plan, or "derived:FILE".
run() {
    local name=$1 src=$2; shift 2
    if [ -n "$only" ] && [[ $name != *$only* ]]; then return; fi
    local log="$log_dir/$(echo "$name" | tr '/ ' '__').log"
    local start=$SECONDS rc counts plan p f s nbad
    echo "=== $name"
    # A plain pipe: tee has written everything when the counts are taken.
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    : > "$log.skips"
    check_log "$name" "$log"
    read -r p f s nbad plan < "$log.counts" || { p=0 f=0 s=0 nbad=1 plan=""; }
    f=$((f + nbad))
    # The plan must be the literal the file states, not what happened to run.
    case $src in
    derived:*) ;;
    *)
        if ! grep -qE "(^|[^A-Za-z0-9_])plan(\(| +)${plan:-x}\)?([^0-9]|$)" "$src" 2>/dev/null; then
            echo "not ok - $name: $src states no literal plan of ${plan:-?} (plan N / plan(N);)"
            f=$((f + 1))
        fi ;;
    esac
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # Died or failed without a TAP failure line: that is a failure too.
        f=1
        echo "not ok - $name exited with status $rc"
    fi
    if [ "$update" -eq 0 ]; then
        if [ -z "${min[$name]+x}" ]; then
            echo "not ok - $name is not in $MIN_COUNTS (new producer? run tests/run.sh --update-min-counts, commit the file)"
            f=$((f + 1))
        elif [ "$p" -lt "${min[$name]}" ]; then
            echo "not ok - $name passed $p, fewer than its minimum ${min[$name]} in $MIN_COUNTS"
            f=$((f + 1))
        fi
    fi
    while IFS= read -r l; do [ -n "$l" ] && skips+=("$l"); done < "$log.skips"
    rm -f "$log.counts" "$log.skips"
    ran[$name]=1
    got[$name]=$p
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    [ "$f" -gt 0 ] && failures+=("$name")
    echo "=== $name: $p passed, $f failed, $s skipped ($((SECONDS - start))s)"
}

# 1. Unit tests: no root, no Docker.  One per source file: a test whose
#    binary is missing fails instead of vanishing.
for src in tests/unit/test_*.c; do
    t=$build/tests/$(basename "$src" .c)
    if [ -x "$t" ]; then
        run "unit/$(basename "$t")" "$src" "$t"
    else
        run "unit/$(basename "$t")" "$src" sh -c "echo 'Bail out! $t was not built'; exit 1"
    fi
done

# The harness itself: each broken producer above must fail (fake producers
# in a scratch copy of this script, which has no self-test of its own;
# tests/min-counts makes sure the real one runs).
if [ -f tests/lib/harness-selftest.sh ]; then
    run "harness/selftest" tests/lib/harness-selftest.sh bash tests/lib/harness-selftest.sh
fi
# The code's shape (REQUIREMENTS §2.3): layers, one header per backend,
# headers = files, no cycle, small files and functions, docs/ citations.
# (min-counts holds it to running: the self-test's scratch copies lack it.)
if [ -f tests/lib/shape.py ]; then
    run "harness/shape" tests/lib/shape.py python3 tests/lib/shape.py
fi

if [ "$unit_only" -eq 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "not ok - the full suite needs root (real engine, nftables, namespaces); run 'make check' for unit tests"
        failed=$((failed + 1))
    else
        # 2. Sanitizer build of the unit tests, and valgrind on them.
        run "unit-asan" derived:tests/lib/san-units.sh tests/lib/san-units.sh
        # 3. Fuzzers, briefly.
        run "fuzz" derived:tests/fuzz/run.sh env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" tests/lib/fuzz-all.sh
        # 4. Mutations of the security-critical code: a sample covering
        #    every listed file (make mutate runs them all).
        run "mutate-sample" derived:tests/mutate/run.sh tests/mutate/run.sh --sample
        # 5. Integration and end-to-end tests against the real engine.
        for t in tests/integration/*.sh; do
            src=$t
            # A wrapper names the file that states the plan.
            alt=$(sed -n 's/^# tap-plan-in: *//p' "$t" | head -n1)
            [ -n "$alt" ] && src=$alt
            run "integration/$(basename "$t" .sh)" "$src" bash "$t"
        done
        # 6. The attack suite: a hostile repository, agent, resolver or E2B
        #    server tries each escape; nothing may leave.
        for t in tests/attacks/*.sh; do
            [ -e "$t" ] || continue
            run "attacks/$(basename "$t" .sh)" "$t" bash "$t"
        done
        # 7. Nothing of ours may be left behind by the suite.
        run "leftovers" tests/lib/leftovers.sh tests/lib/leftovers.sh
    fi
fi

# A producer listed in min-counts that did not run has vanished.
if [ -z "$only" ] && [ "$update" -eq 0 ]; then
    for k in "${!min[@]}"; do
        [ "$unit_only" -eq 1 ] && ! unit_producer "$k" && continue
        if [ -z "${ran[$k]+x}" ]; then
            echo "not ok - $k is in $MIN_COUNTS but did not run"
            failed=$((failed + 1)); failures+=("$k")
        fi
    done
fi

if [ "$update" -eq 1 ]; then
    if [ "$failed" -ne 0 ]; then
        echo "not updating $MIN_COUNTS: the run failed"
    else
        {
            echo "# Minimum passes per TAP producer; tests/run.sh fails a producer below"
            echo "# its line or missing from this file.  Rewritten by"
            echo "# tests/run.sh --update-min-counts (after a green run); commit it."
            for k in "${!min[@]}"; do
                # --unit-only rewrites its own lines and keeps the others.
                [ "$unit_only" -eq 1 ] && ! unit_producer "$k" && echo "$k ${min[$k]}"
            done
            for k in "${!got[@]}"; do echo "$k ${got[$k]}"; done
        } | { read -r a; read -r b; read -r c; printf '%s\n%s\n%s\n' "$a" "$b" "$c"; sort; } > "$MIN_COUNTS.tmp" &&
            mv "$MIN_COUNTS.tmp" "$MIN_COUNTS" && echo "wrote $MIN_COUNTS (${#got[@]} producers run)"
        [ "$skipped" -eq 0 ] || echo "# note: $skipped skipped results are not counted as passes in $MIN_COUNTS"
    fi
fi

echo
if [ ${#skips[@]} -gt 0 ]; then
    echo "skipped:"
    printf '  %s\n' "${skips[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
