#!/bin/bash
# Run every libFuzzer binary in DIR for SECONDS each (TAP).
#   tests/fuzz/run.sh [--build] DIR SECONDS
# The plan is derived from the sources: one result per tests/fuzz/fuzz_*.c
# (a target whose binary is missing is "not ok", never left out), plus one
# for `make fuzz-bins` with --build.
# Prints "ok N - fuzz_x (runs)" or "not ok N - fuzz_x (crash: ...)" and exits
# non-zero if any target crashed.  Corpora persist in DIR/corpus/<name> (the
# repo's tests/fuzz/corpus/<name>, if present, seeds them); crash inputs are
# left in DIR/crashes/.
set -u
build=0
if [ "${1:-}" = --build ]; then build=1; shift; fi
dir=${1:?usage: run.sh DIR SECONDS}
secs=${2:?usage: run.sh DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
n=0
failed=0
names=()
for src in "$here"/fuzz_*.c; do names+=("$(basename "$src" .c)"); done
echo "1..$((build + ${#names[@]}))"
if [ "$build" = 1 ]; then
	n=1
	if out=$(make -s -C "$here/../.." fuzz-bins 2>&1); then
		echo "ok 1 - make fuzz-bins"
	else
		failed=1; echo "not ok 1 - make fuzz-bins"; echo "$out" | tail -20 | sed 's/^/# /'
	fi
fi
mkdir -p "$dir/crashes"
for name in "${names[@]}"; do
	bin=$dir/$name
	n=$((n + 1))
	if ! [ -x "$bin" ] || ! [ -f "$bin" ]; then
		failed=$((failed + 1)); echo "not ok $n - $name (no binary in $dir)"; continue
	fi
	corpus="$dir/corpus/$name"
	mkdir -p "$corpus"
	seeds=()
	[ -d "$here/corpus/$name" ] && seeds=("$here/corpus/$name")
	log="$dir/$name.log"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/crashes/$name-" "$corpus" "${seeds[@]}" >"$log" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$st" = 0 ]; then
		echo "ok $n - $name (${runs:-?} runs)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name (exit $st, see $log)"
		grep -m3 -E 'ERROR|SUMMARY|deadly' "$log" | sed 's/^/#   /'
	fi
done
[ "$failed" = 0 ]
