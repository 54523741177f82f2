#!/usr/bin/env bash
# The unit tests again under ASan+UBSan, then under valgrind (memcheck,
# leaks are errors).  TAP output.
set -u
cd "$(dirname "$0")/../.."
n=0; fail=0
out=$(make -s san 2>&1) || { echo "not ok 1 - make san"; echo "$out" | tail -20 | sed 's/^/# /'; exit 1; }
for t in build/san/tests/test_*; do
    [ -x "$t" ] && [ "${t%.d}" = "$t" ] || continue
    n=$((n + 1))
    if log=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 "$t" 2>&1); then
        echo "ok $n - asan+ubsan $(basename "$t")"
    else
        fail=$((fail + 1)); echo "not ok $n - asan+ubsan $(basename "$t")"; echo "$log" | tail -30 | sed 's/^/# /'
    fi
done
if command -v valgrind >/dev/null; then
    for t in build/tests/test_*; do
        [ -x "$t" ] && [ "${t%.d}" = "$t" ] || continue
        n=$((n + 1))
        if log=$(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$t" 2>&1 >/dev/null); then
            echo "ok $n - valgrind $(basename "$t")"
        else
            fail=$((fail + 1)); echo "not ok $n - valgrind $(basename "$t")"; echo "$log" | tail -30 | sed 's/^/# /'
        fi
    done
fi
echo "1..$n"
[ $fail -eq 0 ]
