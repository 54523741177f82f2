#!/bin/sh
# bootstrap-base.sh OUT.tar
#
# Builds the sandbox's base root filesystem from Debian with debootstrap and
# writes it as a tar stream to OUT.tar (numeric owners), for import through the
# Engine API (POST /images/create?fromSrc=-).  Used when the Dockerfile's
# BASE_IMAGE is absent and cannot be pulled (no registry reachable).
#
# The packages the sandbox needs are bootstrapped in, so the Dockerfile's
# install step finds them present and does not touch the network.  The
# runner keys the imported image by a hash of this file: change anything here
# and the next build bootstraps again.
set -eu

out=${1:?usage: bootstrap-base.sh OUT.tar}
suite=bookworm
mirror=${CODEX_SANDBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Keep in sync with the package list in Dockerfile.codex-sandbox.
include=bash,ca-certificates,curl,git,less,procps,python3,ripgrep,libnftnl11,libmnl0,libseccomp2

[ "$(id -u)" = 0 ] || { echo "bootstrap-base: debootstrap needs root (run the build as root once)" >&2; exit 1; }
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "bootstrap-base: installing debootstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/codex-sandbox-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/rootfs

echo "bootstrapping Debian $suite (minbase) from $mirror" >&2
debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$work/log" 2>&1 || {
    tail -n 20 "$work/log" >&2; echo "bootstrap-base: debootstrap failed (log above)" >&2; exit 1; }

# Slim it down the way the official -slim images are: no caches, no docs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
       "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* \
       "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
printf 'deb %s %s main\ndeb %s %s-updates main\n' "$mirror" "$suite" "$mirror" "$suite" \
    > "$root/etc/apt/sources.list"
# No hostname/resolv baked in: Docker provides them at run time.
: > "$root/etc/resolv.conf"; : > "$root/etc/hostname"

tar --numeric-owner -C "$root" -cf "$out.part" .
mv "$out.part" "$out"
echo "base root filesystem written to $out ($(du -h "$out" | cut -f1))" >&2
