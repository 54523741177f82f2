#!/bin/sh
# setup-host.sh — make a Debian (bookworm) machine ready to build, run and
# test codex-sandbox.  Installs only what is missing (one apt-get), and starts
# the Docker engine when it is not running, then waits for its socket.
# Idempotent: a second run does nothing but check.
set -eu

[ "$(id -u)" = 0 ] || { echo "setup-host: run as root (sudo make setup)" >&2; exit 1; }

# build: compiler and the -dev libraries (pkg-config names in the Makefile)
# run:   the engine, debootstrap for the base image, npm to fetch Codex
# test:  nftables CLI (inspection), dnsmasq (the tests' upstream resolver),
#        tmux (real terminal), jq, valgrind and clang (sanitizers, fuzzers)
pkgs="gcc make pkg-config libc6-dev libcurl4-openssl-dev libcjson-dev libnftnl-dev libmnl-dev
      libseccomp-dev docker.io debootstrap ca-certificates curl openssl
      nftables dnsmasq-base tmux jq valgrind clang libclang-rt-14-dev iproute2 python3 util-linux"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

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

sock=/var/run/docker.sock
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
