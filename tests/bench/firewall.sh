#!/bin/bash
# codex-firewall figures (needs root; builds its own network namespaces, sends
# nothing off this machine): READY time with 10 vs 1000 allowlist entries,
# DNS latency through the filter vs straight to the upstream dnsmasq, and
# sustained queries/s.  Prints "# bench: ..." lines; exit 0 unless setup fails.
#   FW=path/to/codex-firewall tests/bench/firewall.sh
here=$(cd "$(dirname "$0")" && pwd)
BENCH_ONLY=1 exec "$here/../integration/firewall-netns.sh"
