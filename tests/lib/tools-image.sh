# The tools image: codex-sandbox plus node and gcc (the default image has git,
# python3, curl and rg, not these), with this tree's init, so the everyday
# tools can be run under our filter.  Source after common.sh; then
#   tools_image        builds codex-sandbox-tools:test when needed, prints its name
#
# Two tags: codex-sandbox-tools:base (FROM codex-sandbox, + apt packages over
# plain HTTP from the Debian archive, which is reachable from builds) is built
# once and kept, so the network is used only the first time; the :test tag on
# top adds bin/codex-sandbox-init and bin/codex-firewall (the network owner
# runs from the same image, and must accept what this tree's runner passes),
# rebuilt whenever either changes (a cheap COPY layer).
TOOLS_IMAGE=codex-sandbox-tools:test
TOOLS_BASE=codex-sandbox-tools:base

# build_ctx TAG DIR: POST DIR as a build context; fails on any build error.
tools_build_ctx() {
    local tag=$1 dir=$2 log
    log=$(tar -C "$dir" -cf - . | curl -sS --unix-socket "$DOCKER_SOCK" -X POST \
        -H 'Content-Type: application/x-tar' --data-binary @- \
        "http://docker/v1.41/build?t=$(jq -rn --arg t "$tag" '$t|@uri')&rm=1&forcerm=1")
    if grep -q '"errorDetail"' <<<"$log" || ! grep -q 'Successfully tagged' <<<"$log"; then
        jq -r '.stream // .error // empty' <<<"$log" 2>/dev/null | tail -20 >&2
        return 1
    fi
}

tools_image() {
    local ctx sum have rc=0
    ctx=$(mktemp -d /tmp/cs-tools.XXXXXX)
    if [ "$(api "/images/$TOOLS_BASE/json" -o /dev/null -w '%{http_code}')" != 200 ]; then
        cat > "$ctx/Dockerfile" <<'DF'
FROM codex-sandbox
USER root
RUN set -eu; \
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do \
        [ -f "$f" ] && sed -i 's,https://,http://,g' "$f"; \
    done; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs gcc libc6-dev; \
    rm -rf /var/lib/apt/lists/*
USER codex
DF
        tools_build_ctx "$TOOLS_BASE" "$ctx" || rc=1
        rm -f "$ctx/Dockerfile"
    fi
    sum=$(cat "$ROOT/bin/codex-sandbox-init" "$ROOT/bin/codex-firewall" | sha256sum | cut -c1-64)
    have=$(api "/images/$TOOLS_IMAGE/json" 2>/dev/null | jq -r '.Config.Labels["org.codex-sandbox.test-init"] // empty' 2>/dev/null)
    if [ $rc -eq 0 ] && [ "$have" != "$sum" ]; then
        cp "$ROOT/bin/codex-sandbox-init" "$ROOT/bin/codex-firewall" "$ctx/"
        cat > "$ctx/Dockerfile" <<DF
FROM $TOOLS_BASE
COPY codex-sandbox-init codex-firewall /usr/lib/codex-sandbox/
LABEL org.codex-sandbox.test-init="$sum"
DF
        tools_build_ctx "$TOOLS_IMAGE" "$ctx" || rc=1
    fi
    rm -rf "$ctx"
    [ $rc -eq 0 ] && echo "$TOOLS_IMAGE"
}
