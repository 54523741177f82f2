#!/usr/bin/env bash
# After the suite: nothing of ours may be left (containers, test networks,
# run dirs).
. "$(dirname "$0")/common.sh"
left=$(our_containers)
is "$left" "" "no codex-sandbox containers left"
nets=$(api /networks | jq -r '.[].Name' | grep -E '^cs-test' || true)
is "$nets" "" "no test networks left"
rd=$(find /tmp/codex-sandbox-* "${XDG_RUNTIME_DIR:-/nonexistent}/codex-sandbox" -mindepth 1 -maxdepth 1 2>/dev/null || true)
is "$rd" "" "no run directories left"
done_testing
