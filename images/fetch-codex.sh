#!/bin/sh
# fetch-codex.sh VERSION DESTDIR
#
# Fetches the Codex CLI for linux-x64 from the npm registry **on the host**
# (inside containers HTTPS to the registry fails certificate checks) and leaves
# the static binary at DESTDIR/codex.  The tarball's integrity is checked
# against the registry's published sha512 (and, for the pinned default,
# against the hash recorded below, so a changed upstream artifact is noticed).
# Results are cached per version under ${CODEX_SANDBOX_CACHE:-~/.cache/codex-sandbox}.
set -eu

version=${1:?usage: fetch-codex.sh VERSION DESTDIR}
dest=${2:?usage: fetch-codex.sh VERSION DESTDIR}

# Integrity of the pinned default, recorded when it was pinned.
pinned_version=0.169.0
pinned_integrity=sha512-o05NyAOCDygSPRo1yinzxvkRSdmsZyBD9E7mbpmjRanSfM8lypqWtQgEo4XfNkwhuCR2aFu8mlGOsQGFXVbVww==

case $version in
*[!0-9A-Za-z.+-]*|'') echo "fetch-codex: invalid version '$version'" >&2; exit 2 ;;
esac

cache=${CODEX_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codex-sandbox}/codex/$version
mkdir -p "$cache" "$dest"

if [ ! -x "$cache/codex" ]; then
    command -v npm >/dev/null 2>&1 || {
        echo "fetch-codex: npm is needed to fetch @openai/codex@$version (apt-get install npm)" >&2; exit 1; }
    pkg="@openai/codex@$version-linux-x64"
    if [ "$version" = "$pinned_version" ]; then
        want=$pinned_integrity
    else
        want=$(npm view --silent "$pkg" dist.integrity 2>/dev/null) || want=
        [ -n "$want" ] || { echo "fetch-codex: $pkg not found on the npm registry" >&2; exit 1; }
    fi
    tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT INT TERM
    echo "fetching $pkg from the npm registry" >&2
    (cd "$tmp" && npm pack --silent "$pkg" >/dev/null 2>"$tmp/npm.err") || {
        cat "$tmp/npm.err" >&2; echo "fetch-codex: npm pack $pkg failed" >&2; exit 1; }
    tgz=$(ls "$tmp"/*.tgz)
    got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
    if [ "$got" != "$want" ]; then
        echo "fetch-codex: integrity mismatch for $pkg: got $got, want $want" >&2; exit 1
    fi
    tar -xzf "$tgz" -C "$tmp" package/vendor/x86_64-unknown-linux-musl/bin/codex
    mv "$tmp/package/vendor/x86_64-unknown-linux-musl/bin/codex" "$cache/codex.part"
    chmod 0755 "$cache/codex.part"
    mv "$cache/codex.part" "$cache/codex"   # atomic: a half-fetched binary is never cached
fi
ln -f "$cache/codex" "$dest/codex" 2>/dev/null || cp "$cache/codex" "$dest/codex"
