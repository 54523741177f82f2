#!/usr/bin/env bash
# The test harness tested: tests/run.sh, tap.h, common.sh and the mutation
# list checker must each turn a broken producer into a failure.  Fake
# producers run in a scratch copy of the runner (no root, no Docker); part of
# `make check`, so tests/mutate/harness.txt mutations of the harness fail it.
. "$(dirname "$0")/common.sh"
plan 39
tmp=$(mktemp -d /tmp/cs-harness.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/unit" "$tmp/build/tests" "$tmp/tests/mutate"
cp "$ROOT/tests/run.sh" "$tmp/tests/run.sh"

# producer SOURCE-PLAN BODY: the fake unit test test_a (SOURCE-PLAN "-": the
# source states no plan; BODY "-": no binary).
producer() {
    rm -f "$tmp"/tests/unit/* "$tmp"/build/tests/*
    if [ "$1" = - ]; then echo 'int main(void) { return 0; }' > "$tmp/tests/unit/test_a.c"
    else printf 'int main(void)\n{\n\tplan(%s);\n}\n' "$1" > "$tmp/tests/unit/test_a.c"; fi
    [ "$2" = - ] && return 0
    printf '#!/bin/sh\n%s\n' "$2" > "$tmp/build/tests/test_a"
    chmod +x "$tmp/build/tests/test_a"
}
mins() { printf '%s\n' "# minimums" "$@" > "$tmp/tests/min-counts"; }
# runner [ENV=V...] [-- ARGS]: run the copy; sets OUT and RC
runner() {
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    OUT=$(env -u CI "${envs[@]}" "$tmp/tests/run.sh" --unit-only "$@" 2>&1); RC=$?
}
# fails DESC REGEX: the last run failed, saying REGEX
fails() {
    if [ "$RC" -ne 0 ] && grep -qE -- "$2" <<<"$OUT"; then ok "$1"; else not_ok "$1"; diag "rc=$RC"; diag "$OUT"; fi
}
passes() {  # DESC LAST-LINE
    if [ "$RC" -eq 0 ] && [ "$(tail -n1 <<<"$OUT")" = "$2" ]; then ok "$1"; else not_ok "$1"; diag "rc=$RC"; diag "$OUT"; fi
}
OKS=$'echo 1..3; echo ok 1 - a; echo ok 2 - b; echo ok 3 - c'

# --- tests/run.sh ---------------------------------------------------------------
mins "unit/test_a 3"
producer 3 "$OKS"; runner
passes "a producer keeping its literal plan passes" "3 passed, 0 failed, 0 skipped"
mins "unit/test_a 3" "<<<<<<< HEAD"; producer 3 "$OKS"; runner
fails "a malformed min-counts line (a conflict marker) fails the run" "malformed line"
mins "unit/test_a 3"
producer 3 'echo ok 1 - a; echo ok 2 - b; echo ok 3 - c'; runner
fails "no plan printed: fails" "no plan"
producer 3 'echo ok 1 - a; echo 1..3; echo ok 2 - b; echo ok 3 - c'; runner
fails "a result before the plan: fails" "plan after 1 result"
producer 3 'echo 1..3; echo ok 1 - a; echo ok 2 - b'; runner
fails "fewer results than planned: fails" "planned 3 results but reported 2"
producer 3 "$OKS; echo ok 4 - d"; runner
fails "more results than planned: fails" "planned 3 results but reported 4"
producer 3 "$OKS; echo 1..3"; runner
fails "a second plan: fails" "2 plans printed"
producer 4 "$OKS"; runner
fails "a plan the source does not state as a literal: fails" "states no literal plan of 3"
producer - "$OKS"; runner
fails "a source with no plan call at all: fails" "states no literal plan"
producer 3 'echo 1..3; echo ok 1 - a; echo ok 3 - b; echo ok 2 - c'; runner
fails "results out of order: fail" "numbered 3 where 2 was due"
producer 3 "$OKS; echo 'Bail out! gone'"; runner
fails "Bail out!: fails" "bailed out"
producer 3 "$OKS; exit 3"; runner
fails "a non-zero exit with every result ok: fails" "exited with status 3"
producer 3 'echo 1..3; echo ok 1 - a; echo "not ok 2 - b"; echo ok 3 - c'; runner
fails "a not ok result: fails, counted (and below its minimum)" "2 passed, 2 failed, 0 skipped"
producer 3 - ; runner
fails "a test source whose binary is missing: fails" "was not built"
SKIP3=$'echo 1..3; echo ok 1 - a; echo "ok 2 - b # SKIP no widget here"; echo ok 3 - c'
mins "unit/test_a 2"
producer 3 "$SKIP3"; runner
passes "a skip is counted apart, not as a pass" "2 passed, 0 failed, 1 skipped"
like "$OUT" $'skipped:\n  unit/test_a: no widget here' "... and listed with its reason"
runner CI=true
fails "under CI=true a skip fails" "skip under CI=true: no widget here"
producer 3 "${SKIP3/no widget here/unsupported: no widget on this machine}"; runner CI=true
passes "under CI=true an 'unsupported:' skip passes" "2 passed, 0 failed, 1 skipped"
mins "unit/test_a 0"
producer 0 'echo "1..0 # SKIP no widget at all"'; runner
passes "a whole producer skipped (1..0 # SKIP) is one skip" "0 passed, 0 failed, 1 skipped"
runner CI=true
fails "... which fails under CI=true" "skip under CI=true: no widget at all"
mins "unit/test_a 4"
producer 3 "$OKS"; runner
fails "fewer passes than tests/min-counts: fails" "passed 3, fewer than its minimum 4"
mins "unit/test_b 3"
runner
fails "a producer missing from tests/min-counts: fails" "unit/test_a is not in"
fails "a listed producer that did not run: fails" "unit/test_b is in .* but did not run"
mins "other/producer 7"
runner -- --update-min-counts
is "$RC:$(grep -v '^#' "$tmp/tests/min-counts" | tr '\n' ,)" "0:other/producer 7,unit/test_a 3," \
    "--update-min-counts --unit-only rewrites the unit lines, keeps the others"
runner
passes "... and the next run passes against it" "3 passed, 0 failed, 0 skipped"
before=$(cat "$tmp/tests/min-counts")
producer 3 'echo 1..3; echo ok 1 - a'; runner -- --update-min-counts
is "$RC:$(cat "$tmp/tests/min-counts")" "1:$before" "--update-min-counts writes nothing after a failed run"

# --- tests/unit/tap.h ------------------------------------------------------------
# tapc NAME BODY: compile and run a C producer; sets OUT and RC
tapc() {
    printf '#include "tap.h"\nint main(void)\n{\n%s\n\treturn tap_done();\n}\n' "$2" > "$tmp/$1.c"
    if ! cc -std=gnu11 -I"$ROOT/tests/unit" -o "$tmp/$1" "$tmp/$1.c" 2>"$tmp/$1.err"; then
        OUT=$(cat "$tmp/$1.err"); RC=99; return
    fi
    OUT=$("$tmp/$1"); RC=$?
}
tapc good 'plan(2); ok(1, "a"); ok(1, "b");'
is "$RC:$(head -n1 <<<"$OUT")" "0:1..2" "tap.h: plan(N) first, N results: exit 0"
tapc noplan 'ok(1, "a");'
fails "tap.h: no plan: non-zero exit, no plan made up from the count" "no plan"
unlike "$OUT" '^1\.\.' "... and no 1..N printed"
tapc short 'plan(2); ok(1, "a");'
fails "tap.h: fewer results than the plan: non-zero exit" "planned 2 results, reported 1"
tapc late 'ok(1, "a"); plan(1);'
is "$RC" 1 "tap.h: plan after a result: non-zero exit"
tapc failing 'plan(1); ok(0, "a");'
is "$RC" 1 "tap.h: a failed result: non-zero exit"

# --- tests/lib/common.sh ---------------------------------------------------------
sh_prod() { OUT=$(bash -c ". '$ROOT/tests/lib/common.sh'; $1" 2>&1); RC=$?; }
sh_prod 'ok a; done_testing'
fails "common.sh: no plan: done_testing fails" "no plan"
sh_prod 'plan 2; ok a; done_testing'
fails "common.sh: fewer results than the plan: done_testing fails" "planned 2 results, reported 1"
sh_prod 'plan 1; ok a; done_testing'
is "$RC:$OUT" $'0:1..1\nok 1 - a' "common.sh: plan 1, one result: done_testing passes"
sh_prod 'DOCKER_SOCK=/nonexistent; our_containers'
fails "common.sh: a failed engine query is not an empty answer" "^ENGINE-QUERY-FAILED"

# --- tests/mutate/run.sh list checks ------------------------------------------------
printf 'int x = 1;\nint y = 2; int z = 2;\n' > "$tmp/m.c"
mlist() {
    printf '%s\n' "$1" > "$tmp/tests/mutate/t.txt"
    OUT=$(MUTATE_ROOT=$tmp "$ROOT/tests/mutate/run.sh" --validate "$tmp/tests/mutate/t.txt" 2>&1); RC=$?
}
mlist "m.c ||| int x = 1; ||| int x = 0;"
is "$RC" 0 "mutation list: an original that occurs once is accepted"
mlist "m.c ||| int x = 7; ||| int x = 0;"
fails "mutation list: an original that is not in the file fails" "original not found"
mlist "m.c ||| = 2; ||| = 3;"
fails "mutation list: an original that occurs twice fails" "occurs 2 times"
done_testing
