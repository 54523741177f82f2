#!/usr/bin/env bash
# The scripted Responses API server drives the real Codex binary (fetched by
# the image build) on the host: exec, exec --json, API-key auth, the TUI.
# Everything later that runs Codex in the sandbox relies on this server.
# tap-plan-in: tests/model-server/selftest.sh
. "$(dirname "$0")/../lib/common.sh"
export CODEX_BIN
exec bash "$ROOT/tests/model-server/selftest.sh"
