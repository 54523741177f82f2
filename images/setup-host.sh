#!/bin/sh
# setup-host.sh — make a Debian (bookworm) machine ready to build, run and
# test codex-sandbox.  Installs only what is missing (one apt-get), and starts
# the Docker engine when it is not running, then waits for its socket.
# Idempotent: a second run does nothing but check.
#
#   setup-host.sh                install what is missing, start dockerd (root)
#   setup-host.sh --check-build  no changes, no root: print ONE line naming the
#                                Debian packages `make` still needs and exit 1,
#                                or print nothing and exit 0 (the Makefile
#                                calls this before building)
set -eu

# build: compiler and the -dev libraries, as "debian-package:probe" where
# the probe is a pkg-config name (the Makefile's PKGS) or "cmd=NAME".
build_pkgs="gcc:cmd=cc pkg-config:cmd=pkg-config libc6-dev:file=/usr/include/stdio.h
      libcurl4-openssl-dev:libcurl libcjson-dev:libcjson libnftnl-dev:libnftnl
      libmnl-dev:libmnl libseccomp-dev:libseccomp"

# missing_build: the Debian packages of build_pkgs whose probe fails.
missing_build() {
    have_pc=0; command -v pkg-config >/dev/null 2>&1 && have_pc=1
    out=""
    for e in $build_pkgs; do
        deb=${e%%:*}; probe=${e#*:}
        case $probe in
        cmd=*)  command -v "${probe#cmd=}" >/dev/null 2>&1 && continue ;;
        file=*) [ -e "${probe#file=}" ] && continue ;;
        *)      if [ $have_pc = 1 ]; then pkg-config --exists "$probe" && continue
                # without pkg-config, ask dpkg (the pkg-config files are in the -dev packages)
                else dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'install ok installed' && continue; fi ;;
        esac
        out="$out $deb"
    done
    echo "${out# }"
}

if [ "${1:-}" = --check-build ]; then
    m=$(missing_build)
    [ -z "$m" ] && exit 0
    echo "codex-sandbox: cannot build, missing: $m; install with 'sudo make setup' (or: sudo apt-get install $m)"
    exit 1
fi
[ $# -eq 0 ] || { echo "usage: setup-host.sh [--check-build]" >&2; exit 2; }

[ "$(id -u)" = 0 ] || { echo "setup-host: run as root (sudo make setup)" >&2; exit 1; }

# run:   the engine, debootstrap for the base image, npm to fetch Codex
# test:  nftables CLI (inspection), dnsmasq (the tests' upstream resolver),
#        tmux (real terminal), jq, valgrind and clang (sanitizers, fuzzers),
#        man-db and zsh (the installed man page and completions)
pkgs="$(for e in $build_pkgs; do printf '%s ' "${e%%:*}"; done) make debootstrap
      ca-certificates curl openssl
      nftables dnsmasq-base tmux jq valgrind clang libclang-rt-14-dev iproute2 python3 util-linux
      man-db zsh"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
sock=/var/run/docker.sock
# An engine that is already there (docker-ce, or a socket mounted into a
# container) is used as it is: docker.io would conflict with it.
[ -S "$sock" ] || command -v dockerd >/dev/null 2>&1 || pkgs="$pkgs docker.io"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup-host: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

ping() { curl -fsS --max-time 2 --unix-socket "$sock" http://docker/_ping >/dev/null 2>&1; }
if ! ping; then
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl start docker
    else
        echo "setup-host: starting dockerd (log: /var/log/codex-sandbox-dockerd.log)" >&2
        # setsid: the engine must outlive this script and its caller's session.
        setsid dockerd >/var/log/codex-sandbox-dockerd.log 2>&1 < /dev/null &
    fi
    i=0
    until ping; do
        i=$((i + 1))
        if [ $i -gt 300 ]; then
            echo "setup-host: the Docker engine did not come up; see /var/log/codex-sandbox-dockerd.log" >&2
            tail -n 20 /var/log/codex-sandbox-dockerd.log >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.2
    done
fi
echo "setup-host: ready (Docker $(curl -s --unix-socket "$sock" http://docker/version | sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' | head -n1))" >&2
