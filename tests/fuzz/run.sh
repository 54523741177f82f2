#!/bin/bash
# Run every libFuzzer binary in DIR for SECONDS each (TAP).
#   tests/fuzz/run.sh DIR SECONDS
# Prints "ok N - fuzz_x (runs)" or "not ok N - fuzz_x (crash: ...)" and exits
# non-zero if any target crashed.  Corpora persist in DIR/corpus/<name> (the
# repo's tests/fuzz/corpus/<name>, if present, seeds them); crash inputs are
# left in DIR/crashes/.
set -u
dir=${1:?usage: run.sh DIR SECONDS}
secs=${2:?usage: run.sh DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
n=0
failed=0
mkdir -p "$dir/crashes"
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	name=$(basename "$bin")
	n=$((n + 1))
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
echo "1..$n"
[ "$failed" = 0 ]
