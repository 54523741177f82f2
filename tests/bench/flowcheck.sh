#!/bin/bash
# The first-bytes check's cost (needs root; its own network namespaces,
# nothing leaves them): bulk throughput through the sandbox's namespace and
# the setup of a fresh connection, with the check and without it
# (--flow-check off), in the same run.  Prints two figure/baseline/ratio lines.
#   FW=path/to/codex-firewall BENCH_MB=512 tests/bench/flowcheck.sh
here=$(cd "$(dirname "$0")" && pwd)
BENCH_ONLY=1 exec bash "$here/../integration/46-one-name.sh"
