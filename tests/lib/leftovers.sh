#!/usr/bin/env bash
# After the suite: nothing of ours may be left (containers, test networks,
# run dirs, the tests' project dirs).  A failed engine query is a failure, never "nothing left"
# (api_get prints ENGINE-QUERY-FAILED, which is not "").
. "$(dirname "$0")/common.sh"
plan 4
left=$(our_containers)
is "$left" "" "no codex-sandbox containers left"
nets=$(api_get /networks '.[].Name | select(startswith("cs-test"))')
is "$nets" "" "no test networks left"
# The run-dir parents may not exist at all (nothing ever ran): that is "none".
rd=$(for d in /tmp/codex-sandbox-* "${XDG_RUNTIME_DIR:-/nonexistent}/codex-sandbox"; do
         [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1; done)
is "$rd" "" "no run directories left"
# new_project's dirs and lists: each test removes its own (cleanup_projects).
is "$(ls -d /tmp/cs-proj.* /tmp/cs-projects.* 2>/dev/null)" "" "no test project directories left"
done_testing
