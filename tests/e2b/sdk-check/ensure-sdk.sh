#!/bin/sh
# Installs the pinned official e2b SDKs (node_modules) from the committed
# package-lock.json files, only when missing or stale.  Usage: ensure-sdk.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for d in "$here" "$here/../sdk-check-v250"; do
    if [ ! -f "$d/node_modules/e2b/package.json" ] ||
       [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
        echo "ensure-sdk: npm ci in $d" >&2
        (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
done
