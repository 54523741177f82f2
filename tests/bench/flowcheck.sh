#!/bin/bash
# The first-bytes check's cost (needs root; its own network namespaces,
# nothing leaves them): bulk throughput through the sandbox's namespace and
# the setup of a fresh connection, with the check and without it
# (--flow-check off), in the same run.  Prints two figure/baseline/ratio lines.
#   FW=path/to/codex-firewall BENCH_MB=512 tests/bench/flowcheck.sh
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
# the judge's own CPU cost per first flight (no queue, no kernel)
if cc -std=gnu11 -O2 -D_GNU_SOURCE -I"$root" -I"$root/tests/unit" -o /tmp/flowcheck_bench.$$ \
	"$here/flowcheck_bench.c" "$build/libfw.a" "$build/libcommon.a" 2>/dev/null; then
	/tmp/flowcheck_bench.$$ | sed 's/^# bench: /flowcheck: judge: /'
	rm -f /tmp/flowcheck_bench.$$
fi
BENCH_ONLY=1 exec bash "$here/../integration/46-one-name.sh"
