#!/usr/bin/env bash
# Build the libFuzzer targets and run each briefly (FUZZ_SECONDS).
set -u
cd "$(dirname "$0")/../.."
out=$(make -s fuzz-bins 2>&1) || { echo "not ok 1 - make fuzz-bins"; echo "$out" | tail -20 | sed 's/^/# /'; exit 1; }
exec tests/fuzz/run.sh build/fuzz/fuzzers "${FUZZ_SECONDS:-10}"
