#!/bin/sh
# init-hooks/node.sh — install the project's Node.js dependencies exactly as
# its lockfile pins them (npm ci) before Codex starts.
#
#   codex-sandbox --init_script init-hooks/node.sh
#
# Image:     needs node and npm (the default codex-sandbox image has neither:
#            use an image built FROM codex-sandbox with them, CODEX_DOCKER_IMAGE).
# Project:   package.json and package-lock.json (or npm-shrinkwrap.json).
# Allowlist: the registry the lockfile's "resolved" URLs name, normally
#            registry.npmjs.org (--allow registry.npmjs.org); nothing when the
#            cache already holds every package.
# Mounts:    none beyond the project.  The npm cache is kept in the project's
#            Codex home (WORK_DIR/.codex/.environment/npm-cache), so the next
#            run installs from it without the network; the same cache is set
#            in ~/.npmrc for the npm commands Codex runs later.
# Settings:  the project's .npmrc (registry=..., auth) is used as npm uses it.
#            NODE_HOOK_OFFLINE=1 (-e NODE_HOOK_OFFLINE=1): cache only, no network.
set -eu

home=${CODEX_HOME:-${SANDBOX_ENV_DIR:?not in a codex-sandbox}}
cache=$home/npm-cache

command -v npm >/dev/null 2>&1 || {
    echo "node.sh: npm is not in the image; use an image with node and npm (CODEX_DOCKER_IMAGE)" >&2; exit 127; }
if [ ! -f package.json ]; then
    echo "node.sh: no package.json in $(pwd); nothing to install" >&2
    exit 0
fi
[ -f package-lock.json ] || [ -f npm-shrinkwrap.json ] || {
    echo "node.sh: package.json but no package-lock.json; create it with 'npm install' on the host" >&2; exit 1; }

mkdir -p "$cache"
# ~/.npmrc is on the sandbox's private HOME (fresh each run): later npm
# commands use the cache too.  Written directly: `npm config set` spells
# its scope differently across npm versions.
printf 'cache=%s\n' "$cache" >> "$HOME/.npmrc"
mode=--prefer-offline
[ "${NODE_HOOK_OFFLINE:-0}" = 1 ] && mode=--offline
echo "node.sh: npm ci ($mode, cache $cache)" >&2
exec npm ci "$mode" --no-audit --no-fund
