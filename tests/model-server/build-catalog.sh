#!/bin/sh
# build-catalog.sh [CODEX_BIN] [OUT] [SLUG] [BASE_SLUG]
#
# Rebuilds catalog.json offline: the real Codex's bundled model list
# (`codex debug models`, no network) reduced to one entry, BASE_SLUG
# (default gpt-5.5), renamed to SLUG (default mock-model).  Pointing Codex at it
# with -c model_catalog_json="/abs/catalog.json" silences the
# "Model metadata for `mock-model` not found" warning (also an "error" item in
# `exec --json`).  The `upgrade` hint is dropped so the TUI never offers a
# model migration.  Runs codex with a throwaway HOME/CODEX_HOME.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
codex=${1:-${CODEX_BIN:-$HOME/.cache/codex-sandbox/codex/0.169.0/codex}}
out=${2:-$here/catalog.json}
slug=${3:-mock-model}
base=${4:-gpt-5.5}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/home" "$tmp/codex_home"
HOME=$tmp/home CODEX_HOME=$tmp/codex_home "$codex" debug models >"$tmp/models.json" 2>"$tmp/err" </dev/null || {
    cat "$tmp/err" >&2; echo "build-catalog: codex debug models failed" >&2; exit 1; }

python3 - "$tmp/models.json" "$out.tmp" "$slug" "$base" <<'EOF'
import json, sys
src, out, slug, base = sys.argv[1:]
models = json.load(open(src))["models"]
entry = next((m for m in models if m["slug"] == base), None)
if entry is None:
    sys.exit("build-catalog: no %r in codex debug models (have: %s)"
             % (base, ", ".join(m["slug"] for m in models)))
entry = dict(entry, slug=slug, display_name="Mock Model",
             description="Scripted test model (tests/model-server)",
             upgrade=None, availability_nux=None, visibility="list")
with open(out, "w") as f:
    json.dump({"models": [entry]}, f, indent=1, ensure_ascii=False)
    f.write("\n")
EOF
mv "$out.tmp" "$out"
echo "build-catalog: wrote $out ($slug from $base)" >&2
