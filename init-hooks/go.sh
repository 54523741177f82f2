#!/bin/sh
# init-hooks/go.sh — download the project's Go modules into a module cache
# kept across runs, before Codex starts.
#
#   codex-sandbox --init_script init-hooks/go.sh
#
# Image:     needs go; the default image has none: use an image built FROM
#            codex-sandbox with it (CODEX_DOCKER_IMAGE).
# Project:   go.mod (and go.sum: every module is checked against it).
# Allowlist: the module proxy and the checksum database: proxy.golang.org and
#            sum.golang.org by default, or the hosts of GOPROXY / GOSUMDB
#            (-e GOPROXY=...); nothing when the cache holds every module.
# Mounts:    none beyond the project.  The module cache and the build cache
#            are kept in the project's Codex home (WORK_DIR/.codex/.environment/
#            go), writable (-modcacherw) so you can delete it from the host;
#            they are recorded with `go env -w` on the sandbox's private HOME,
#            so the go commands Codex runs later use them too.
set -eu

home=${CODEX_HOME:-${SANDBOX_ENV_DIR:?not in a codex-sandbox}}

command -v go >/dev/null 2>&1 || {
    echo "go.sh: go is not in the image; use an image with Go (CODEX_DOCKER_IMAGE)" >&2; exit 127; }
go env -w GOMODCACHE="$home/go/pkg/mod" GOCACHE="$home/go/cache" GOFLAGS=-modcacherw
if [ ! -f go.mod ]; then
    echo "go.sh: no go.mod in $(pwd); nothing to download" >&2
    exit 0
fi
echo "go.sh: go mod download (cache $home/go)" >&2
exec go mod download
