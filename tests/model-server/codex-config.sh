#!/bin/sh
# codex-config.sh [OPTIONS]
#
# Prints the Codex (0.169.0) configuration that selects the scripted model
# server, either as command-line arguments, ONE PER LINE, each of the form
#   --config=KEY=VALUE
# (clap accepts this as one argument; it is the same as `-c KEY=VALUE`), or as
# a config.toml snippet (--toml).  Bash:
#   mapfile -t cfg < <(tests/model-server/codex-config.sh --base-url "$url")
#   codex exec "${cfg[@]}" --skip-git-repo-check ... </dev/null
#
# Options:
#   --base-url URL     provider base URL, Codex POSTs to URL/responses
#                      (default $MOCK_BASE_URL or http://127.0.0.1:8080/v1)
#   --model SLUG       model slug sent as body.model (default mock-model)
#   --provider ID      provider id (default mock; built-in ids are refused by Codex)
#   --auth MODE        none (default): no Authorization header
#                      apikey: requires_openai_auth=true, token from
#                              CODEX_HOME/auth.json {"auth_mode":"apikey",...}
#                      env:VAR: env_key=VAR, sends Bearer $VAR
#   --catalog FILE     model_catalog_json=FILE (absolute path as Codex sees it)
#   --trust DIR        mark DIR trusted (no trust screen in the TUI); repeatable
#   --telemetry        keep Codex's default outbound extras (plugin sync,
#                      metrics, update check); default turns them off
#   --toml             print a config.toml snippet instead of arguments
# Every variant includes the fast-failure settings: with the server
# unreachable, Codex fails in well under a second instead of retrying forever.
set -eu

base_url=${MOCK_BASE_URL:-http://127.0.0.1:8080/v1}
model=mock-model
provider=mock
auth=none
catalog=
trust=
telemetry=0
format=args

die() { echo "codex-config.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
    --base-url) base_url=${2:?}; shift ;;
    --base-url=*) base_url=${1#*=} ;;
    --model) model=${2:?}; shift ;;
    --model=*) model=${1#*=} ;;
    --provider) provider=${2:?}; shift ;;
    --provider=*) provider=${1#*=} ;;
    --auth) auth=${2:?}; shift ;;
    --auth=*) auth=${1#*=} ;;
    --catalog) catalog=${2:?}; shift ;;
    --catalog=*) catalog=${1#*=} ;;
    --trust) trust="$trust
${2:?}"; shift ;;
    --trust=*) trust="$trust
${1#*=}" ;;
    --telemetry) telemetry=1 ;;
    --toml) format=toml ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option: $1" ;;
    esac
    shift
done

case $provider in
openai|ollama|lmstudio|amazon-bedrock|'') die "provider id '$provider' is built in or empty; pick another" ;;
*[!A-Za-z0-9_-]*) die "provider id '$provider': use [A-Za-z0-9_-]" ;;
esac

# TOML basic string (values here are URLs, slugs, paths).
q() {
    printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

case $auth in
none) auth_kv= ;;
apikey) auth_kv=", requires_openai_auth=true" ;;
env:?*) auth_kv=", env_key=$(q "${auth#env:}")" ;;
*) die "--auth: none, apikey or env:VAR" ;;
esac

prov="{name=\"Mock\", base_url=$(q "$base_url"), wire_api=\"responses\"$auth_kv, request_max_retries=0, stream_max_retries=0, stream_idle_timeout_ms=30000}"

# key=value pairs, in order; VALUE is TOML.
{
    echo "model_provider=$(q "$provider")"
    echo "model=$(q "$model")"
    echo "model_providers.$provider=$prov"
    # Without this, an unreachable server means "Reconnecting..." forever.
    echo "features.unbounded_connection_retries=false"
    # The TUI's background app-server daemon copies the 300 MB binary into
    # CODEX_HOME and outlives the TUI; exec ignores it.
    echo "features.daemon_auto_start=false"
    echo "tui.animations=false"
    if [ "$telemetry" = 0 ]; then
        echo "features.plugins=false"                 # git ls-remote github.com, api.github.com, chatgpt.com
        echo "otel.metrics_exporter=\"none\""         # ab.chatgpt.com OTLP metrics
        echo "analytics.enabled=false"
        echo "check_for_update_on_startup=false"      # api.github.com releases (TUI)
    fi
    [ -z "$catalog" ] || echo "model_catalog_json=$(q "$catalog")"
    # A path may contain dots, which a dotted -c key would split; an inline
    # table keyed by the quoted path does not.  One line per directory: later
    # -c projects=... lines would replace earlier ones, so merge them here.
    if [ -n "$trust" ]; then
        tbl=$(printf '%s\n' "$trust" | sed '/^$/d' | while IFS= read -r d; do
            printf '%s={trust_level="trusted"}, ' "$(q "$d")"
        done)
        echo "projects={${tbl%, }}"
    fi
} | if [ "$format" = toml ]; then
    # Same settings as a config.toml: dotted keys are valid TOML keys.
    sed 's/=/ = /'
else
    sed 's/^/--config=/'
fi
