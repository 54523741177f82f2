# The tests' "outside world", built from our own containers on a Docker
# network we create (documentation ranges: the firewall treats them as the
# public internet, and they are never routed anywhere real).
#
#   world_up     network cs-test-<pid> (198.51.100.0/24 + 2001:db8:1::/64),
#                a real dnsmasq at .53 (the upstream resolver, query log),
#                HTTP hosts, the scripted model server at model.test:8080
#   world_down   removes all of it
#
# dnsmasq is authoritative for its zones (--local): a missing record type is
# NODATA, as real resolvers answer, not REFUSED (musl, which Codex uses,
# fails the whole lookup on a REFUSED AAAA).
#
# Source after common.sh.  Names and addresses:
#   web.test      198.51.100.10, 2001:db8:1::10   allowed by name in tests
#   other.test    198.51.100.11 (+2001:db8:1::11) never allowed by name
#   a.wild.test   198.51.100.12                   allowed by *.wild.test
#   wild.test     198.51.100.12                   the wildcard's apex: refused
#   alias.test    CNAME web.test
#   short.test    198.51.100.13, TTL 2 s
#   private.test  10.1.2.3                        DNS rebinding into a private range
#   meta.test     169.254.77.77                   ... into link-local (the metadata range)
#   gw.test       198.51.100.1                    ... onto the gateway (the host)
#   model.test    198.51.100.20                   the scripted Responses API server
#   model-auth.test 198.51.100.21                 the same, requiring "Authorization: Bearer sk-test"
#   auth.openai.com, chatgpt.com  198.51.100.30   a local stand-in (our own DNS; never the real hosts)
WORLD_NET=cs-test-$$
WORLD_DIR=""
WORLD_IMAGE=cs-test-host:1
WORLD_DNS=198.51.100.53
WORLD_CTRS=()
WORLD_LAN_PID=""
WORLD_LAN_ADDRS=()
WORLD_BRIDGE=""

_world_api_json() {  # METHOD PATH JSON
    curl -sS --unix-socket "$DOCKER_SOCK" -X "$1" -H 'Content-Type: application/json' \
        "http://docker/v1.41$2" -d "$3"
}

# The test host image: the sandbox's own base plus dnsmasq (plain-HTTP apt
# works inside builds here; HTTPS to registries does not).
world_image() {
    [ "$(api "/images/$WORLD_IMAGE/json" -o /dev/null -w '%{http_code}')" = 200 ] && return 0
    local base ctx
    base=$(api /images/json | jq -r '.[].RepoTags[]?' | grep '^codex-sandbox-base:' | head -n1)
    [ -n "$base" ] || base=codex-sandbox:latest
    ctx=$(mktemp -d /tmp/cs-world-ctx.XXXXXX)
    cat > "$ctx/Dockerfile" <<EOF
FROM $base
USER root
RUN if ! command -v dnsmasq >/dev/null; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dnsmasq-base >/dev/null && rm -rf /var/lib/apt/lists/*; fi
RUN mkdir -p /srv/www && command -v python3 >/dev/null
ENTRYPOINT []
EOF
    tar -C "$ctx" -cf - Dockerfile | curl -sS --unix-socket "$DOCKER_SOCK" -X POST \
        -H 'Content-Type: application/x-tar' --data-binary @- \
        "http://docker/v1.41/build?t=$WORLD_IMAGE&rm=1&forcerm=1" > "$ctx/build.log"
    rm -rf "$ctx"
    [ "$(api "/images/$WORLD_IMAGE/json" -o /dev/null -w '%{http_code}')" = 200 ]
}

# _world_run NAME IPV4 IPV6|- CMD-JSON-ARRAY
_world_run() {
    local name=$1 ip4=$2 ip6=$3 cmd=$4 ipam body id
    ipam="\"IPv4Address\":\"$ip4\""
    [ "$ip6" != - ] && ipam="$ipam,\"IPv6Address\":\"$ip6\""
    body=$(cat <<EOF
{"Image":"$WORLD_IMAGE","Cmd":$cmd,"User":"0:0","Labels":{"cs-test":"1"},
 "HostConfig":{"NetworkMode":"$WORLD_NET","Mounts":[
   {"Type":"bind","Source":"$WORLD_DIR","Target":"/world"},
   {"Type":"bind","Source":"$ROOT/tests/model-server","Target":"/srv/model","ReadOnly":true}]},
 "NetworkingConfig":{"EndpointsConfig":{"$WORLD_NET":{"IPAMConfig":{$ipam}}}}}
EOF
)
    id=$(_world_api_json POST "/containers/create?name=$WORLD_NET-$name" "$body" | jq -r '.Id // empty')
    [ -n "$id" ] || return 1
    WORLD_CTRS+=("$id")
    api "/containers/$id/start" -X POST >/dev/null
}

world_up() {
    world_image || { echo "# world: cannot build $WORLD_IMAGE" >&2; return 1; }
    WORLD_DIR=$(mktemp -d /tmp/cs-world.XXXXXX)
    chmod 755 "$WORLD_DIR"
    _world_api_json POST /networks/create "{\"Name\":\"$WORLD_NET\",\"EnableIPv6\":true,
        \"Labels\":{\"cs-test\":\"1\"},\"IPAM\":{\"Config\":[
        {\"Subnet\":\"198.51.100.0/24\",\"Gateway\":\"198.51.100.1\"},
        {\"Subnet\":\"2001:db8:1::/64\",\"Gateway\":\"2001:db8:1::1\"}]}}" >/dev/null || return 1
    _world_run dns "$WORLD_DNS" - '["dnsmasq","--no-daemon","--no-resolv","--no-hosts",
        "--log-queries","--log-facility=/world/dnsmasq.log","--local-ttl=300",
        "--local=/test/","--local=/openai.com/","--local=/chatgpt.com/",
        "--host-record=web.test,198.51.100.10,2001:db8:1::10",
        "--host-record=other.test,198.51.100.11",
        "--host-record=a.wild.test,198.51.100.12",
        "--host-record=wild.test,198.51.100.12",
        "--host-record=private.test,10.1.2.3",
        "--host-record=meta.test,169.254.77.77",
        "--host-record=gw.test,198.51.100.1",
        "--host-record=short.test,198.51.100.13,2",
        "--host-record=model.test,198.51.100.20",
        "--host-record=model-auth.test,198.51.100.21",
        "--host-record=auth.openai.com,198.51.100.30",
        "--host-record=chatgpt.com,198.51.100.30",
        "--cname=alias.test,web.test"]' || return 1
    local h
    for h in "web 198.51.100.10 2001:db8:1::10" "other 198.51.100.11 2001:db8:1::11" "wild 198.51.100.12 -" \
             "short 198.51.100.13 -"; do
        set -- $h
        _world_run "$1" "$2" "$3" "[\"sh\",\"-c\",\"mkdir -p /tmp/www && echo host-$1 > /tmp/www/index.html && cd /tmp/www && exec python3 -m http.server --bind :: 80\"]" || return 1
    done
    # The OpenAI stand-in: HTTP on 80, and a TCP listener on 443 that only
    # logs who connected (proof that a login request got through).
    _world_run openai 198.51.100.30 - '["sh","-c","mkdir -p /tmp/www && echo host-openai > /tmp/www/index.html && (cd /tmp/www && python3 -m http.server 80 >/dev/null 2>&1 &) && exec python3 -c \"import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\u0027\u0027, 443)); s.listen(16)\nwhile True:\n    c, a = s.accept(); open(\u0027/world/openai-443.log\u0027, \u0027a\u0027).write(a[0] + chr(10)); c.close()\""]' || return 1
    _world_run model 198.51.100.20 - '["python3","/srv/model/server.py","--port","8080","--log","/world/model.jsonl"]' || return 1
    _world_run model-auth 198.51.100.21 - '["python3","/srv/model/server.py","--port","8080","--auth-token","sk-test","--log","/world/model-auth.jsonl"]' || return 1
    # Ready when every host answers (the host reaches the network's gateway side).
    wait_for sh -c "curl -fs --max-time 1 http://198.51.100.10/ >/dev/null 2>&1 && curl -fs --max-time 1 http://198.51.100.20:8080/_health >/dev/null 2>&1 && curl -fs --max-time 1 http://198.51.100.21:8080/_health >/dev/null 2>&1 && grep -q 'started' $WORLD_DIR/dnsmasq.log 2>/dev/null"
}

# world_lan_up: real listeners where the sandbox must not reach (HTTP on 80,
# DNS on UDP 53; tests/lib/lan_listeners.py) at 10.1.2.3 (private.test),
# 169.254.77.77 (meta.test; not .169.254, which would shadow this host's own
# cloud metadata service) and the gateway 198.51.100.1 (gw.test).  The first
# two are added to the world's bridge on the host, so the sandbox's default
# route reaches them; world_down removes everything.
world_lan_up() {
    local id a
    id=$(api_get "/networks/$WORLD_NET" .Id) || return 1
    WORLD_BRIDGE=br-${id:0:12}
    for a in 10.1.2.3 169.254.77.77; do
        ip addr add "$a/32" dev "$WORLD_BRIDGE" || return 1
        WORLD_LAN_ADDRS+=("$a")
    done
    python3 "$ROOT/tests/lib/lan_listeners.py" "$WORLD_DIR/lan.ready" 10.1.2.3 169.254.77.77 198.51.100.1 \
        >"$WORLD_DIR/lan.log" 2>&1 &
    WORLD_LAN_PID=$!
    wait_for test -e "$WORLD_DIR/lan.ready"
}

# world_probe CHECK...: tests/lib/sandbox_probe.py in a plain container on
# the world network, with no firewall: the positive control of a probe the
# sandbox must fail.  Prints the probe's lines.
world_probe() {
    local cmd body id
    cp "$ROOT/tests/lib/sandbox_probe.py" "$WORLD_DIR/probe.py"
    cmd=$(printf '%s\n' "$@" | jq -R . | jq -sc '["python3","/world/probe.py"] + .')
    body=$(jq -nc --arg img "$WORLD_IMAGE" --arg net "$WORLD_NET" --arg dir "$WORLD_DIR" \
        --arg dns "$WORLD_DNS" --argjson cmd "$cmd" \
        '{Image:$img, Cmd:$cmd, User:"0:0", Tty:true, Labels:{"cs-test":"1"},
          HostConfig:{NetworkMode:$net, Dns:[$dns], Mounts:[{Type:"bind",Source:$dir,Target:"/world"}]}}')
    id=$(_world_api_json POST /containers/create "$body" | jq -r '.Id // empty')
    [ -n "$id" ] || { echo "world_probe: create failed"; return 1; }
    api "/containers/$id/start" -X POST >/dev/null &&
        api "/containers/$id/wait" -X POST >/dev/null &&
        api "/containers/$id/logs?stdout=1&stderr=1" | tr -d '\r'
    api "/containers/$id?force=1" -X DELETE >/dev/null 2>&1
}

world_down() {
    local id a
    if [ -n "$WORLD_LAN_PID" ]; then kill "$WORLD_LAN_PID" 2>/dev/null; wait "$WORLD_LAN_PID" 2>/dev/null; fi
    WORLD_LAN_PID=""
    for a in "${WORLD_LAN_ADDRS[@]:-}"; do
        [ -n "$a" ] && ip addr del "$a/32" dev "$WORLD_BRIDGE" 2>/dev/null
    done
    WORLD_LAN_ADDRS=()
    for id in "${WORLD_CTRS[@]:-}"; do
        [ -n "$id" ] && api "/containers/$id?force=1&v=1" -X DELETE >/dev/null 2>&1
    done
    WORLD_CTRS=()
WORLD_LAN_PID=""
WORLD_LAN_ADDRS=()
WORLD_BRIDGE=""
    api "/networks/$WORLD_NET" -X DELETE >/dev/null 2>&1
    [ -n "$WORLD_DIR" ] && rm -rf "$WORLD_DIR"
    return 0
}

# Queries dnsmasq saw for NAME (from its query log).
# Load a script (file) into a model server; the host reaches it by address:
# model.test is 198.51.100.20, model-auth.test 198.51.100.21.
world_script() { curl -fsS -X POST --data-binary @"$2" "http://$1:8080/_script" >/dev/null; }
# The model server's log, one JSON object per line.
world_model_log() { curl -fsS "http://$1:8080/_log" | jq -c '.[]'; }

# codex_project DIR CONFIG [PROVIDER-EXTRA]: give the project the model
# catalog and write CONFIG selecting the scripted server.  Only what selects
# the provider: our -c overrides and the firewall handle everything else.
codex_project() {
    local dir=$1 cfg=$2 host=${4:-model.test}
    mkdir -p "$dir/.codex/.environment"
    cp "$ROOT/tests/model-server/catalog.json" "$dir/.codex/.environment/catalog.json"
    chown -R "$TEST_UID:$TEST_GID" "$dir/.codex"
    cat > "$cfg" <<T
model_provider = "mock"
model = "mock-model"
model_providers.mock = {name="Mock", base_url="http://$host:8080/v1", wire_api="responses",${3:+ $3,} request_max_retries=0, stream_max_retries=0, stream_idle_timeout_ms=30000}
features.unbounded_connection_retries = false
model_catalog_json = "/codex_home/catalog.json"
T
}

# (a missing log is an error, not "0 queries")
world_dns_queries() {
    [ -f "$WORLD_DIR/dnsmasq.log" ] || { echo "NO-DNSMASQ-LOG"; return 1; }
    grep -c "query\[[A-Z]*\] $1 from" "$WORLD_DIR/dnsmasq.log"
    return 0
}
