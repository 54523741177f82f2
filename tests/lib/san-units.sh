#!/usr/bin/env bash
# The unit tests again under ASan+UBSan, then under valgrind (memcheck,
# leaks are errors).  TAP output.
#
# The plan is derived from the sources, not from what got built: one build
# result, then one ASan and one valgrind result per tests/unit/test_*.c.  A
# binary that is missing is "not ok", and no valgrind is a skip (which CI
# fails), so no block can vanish.  tests/run.sh marks this producer
# "derived" and tests/min-counts keeps its floor.
set -u
cd "$(dirname "$0")/../.."
units=()
for src in tests/unit/test_*.c; do units+=("$(basename "$src" .c)"); done
echo "1..$((1 + 2 * ${#units[@]}))"
n=1; fail=0
if out=$(make -s san 2>&1); then
    echo "ok 1 - make san"
else
    fail=1; echo "not ok 1 - make san"; echo "$out" | tail -20 | sed 's/^/# /'
fi
for u in "${units[@]}"; do
    t=build/san/tests/$u
    n=$((n + 1))
    if [ ! -x "$t" ]; then
        fail=$((fail + 1)); echo "not ok $n - asan+ubsan $u (not built)"
    elif log=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 "$t" 2>&1); then
        echo "ok $n - asan+ubsan $u"
    else
        fail=$((fail + 1)); echo "not ok $n - asan+ubsan $u"; echo "$log" | tail -30 | sed 's/^/# /'
    fi
done
for u in "${units[@]}"; do
    t=build/tests/$u
    n=$((n + 1))
    if ! command -v valgrind >/dev/null; then
        echo "ok $n - valgrind $u # SKIP valgrind not installed (make setup installs it)"
    elif [ ! -x "$t" ]; then
        fail=$((fail + 1)); echo "not ok $n - valgrind $u (not built)"
    elif log=$(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$t" 2>&1 >/dev/null); then
        echo "ok $n - valgrind $u"
    else
        fail=$((fail + 1)); echo "not ok $n - valgrind $u"; echo "$log" | tail -30 | sed 's/^/# /'
    fi
done
[ $fail -eq 0 ]
