#!/usr/bin/env bash
# Build the libFuzzer targets and run each briefly (FUZZ_SECONDS); the plan
# (one build result + one per tests/fuzz/fuzz_*.c) is tests/fuzz/run.sh's.
set -u
cd "$(dirname "$0")/../.."
exec tests/fuzz/run.sh --build build/fuzz/fuzzers "${FUZZ_SECONDS:-10}"
