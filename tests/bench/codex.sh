# make bench, one Codex turn (sourced by tests/bench/run.sh, with the test
# world up): the real Codex runs one turn (a tool call, then the answer)
# against the scripted model server, in the sandbox and on the host (same
# binary, same server by address, same settings), N times each, telemetry
# off and on.  Each run's timeline (the runner's step trace, the model
# server's request times) goes to tests/bench/phases.py.

# codex_marks FILE: the model server's requests of the last run, as marks
codex_marks() {
    curl -fsS "http://$MODEL:8080/_log" | jq -r '.[] | select(.event == "response") |
        if .kind == "call" then "mark model request 1 (tool call) \(.ts)"
        elif .kind == "say" or .kind == "done" then "mark model request 2 (answer) \(.ts)"
        else empty end' >> "$1"
}

# codex_config MODE FILE: the sandbox's config (telemetry off: "quiet")
codex_config() {
    printf '%s\n' 'model_provider = "mock"' 'model = "mock-model"' \
        'model_providers.mock = {name="Mock", base_url="http://model.test:8080/v1", wire_api="responses", request_max_retries=0, stream_max_retries=0}' \
        'features.unbounded_connection_retries = false' 'model_catalog_json = "/codex_home/catalog.json"' > "$2"
    [ "$1" = quiet ] && printf '%s\n' 'features.plugins = false' 'otel.metrics_exporter = "none"' \
        'analytics.enabled = false' >> "$2"
}

codex_bench() {
    local script=$BTMP/script.json mode cfg hh i f t ours host turn start_net
    echo '[[{"call":"exec_command","args":{"cmd":"echo hi"}},{"say":"done"}]]' > "$script"
    world_script "$MODEL" "$script"
    mkdir -p "$p/.codex/.environment"; cp tests/model-server/catalog.json "$p/.codex/.environment/"
    chown -R "$TEST_UID:$TEST_GID" "$p/.codex"
    [ -n "$docker_base" ] || docker_base=$(median_ms "$docker_cli" run --rm "$IMAGE" true)
    # The start the turn pays: on the test network, with its DNS and allowlist
    # (the owner joins a user-defined network; exec -- true uses the default).
    for i in $(seq "$N"); do
        f=$BTMP/netstart.$i
        echo "launch $(now_s)" > "$f"
        t=$(cd "$p" && CODEX_SANDBOX_TRACE=$f cs exec --network "$WORLD_NET" --dns "$WORLD_DNS" --allow model.test \
            -- date +%s.%N </dev/null 2>/dev/null)
        echo "end $(now_s)" >> "$f"
        echo "mark command runs ${t:-0}" >> "$f"
    done
    start_net=$(median_total "$BTMP"/netstart.*)
    row "start on the test network (exec --network --dns --allow -- date)" "$start_net ms" \
        "$(median_ms "$docker_cli" run --rm --network "$WORLD_NET" "$IMAGE" true) ms (docker run --rm --network NET IMAGE true)" "≤ 1.2"
    python3 tests/bench/phases.py "start on the test network: exec --network --dns --allow -- date" \
        "$BTMP"/netstart.* >> "$PHASES"
    echo >> "$PHASES"
    for mode in quiet telemetry; do
        cfg=$BTMP/codex-$mode.toml
        codex_config "$mode" "$cfg"
        # The host: same binary, same server (by address), same settings.
        hh=$(mktemp -d /tmp/cs-bench-host.XXXXXX); mkdir -p "$hh/ch"; cp tests/model-server/catalog.json "$hh/ch/"
        sed -e "s#model.test#$MODEL#" -e "s#/codex_home/#$hh/ch/#" "$cfg" > "$hh/ch/config.toml"
        echo 'features.daemon_auto_start = false' >> "$hh/ch/config.toml"
        for i in $(seq "$N"); do
            f=$BTMP/codex-$mode.$i
            curl -fsS -X DELETE "http://$MODEL:8080/_log" >/dev/null
            echo "launch $(now_s)" > "$f"
            (cd "$p" && CODEX_SANDBOX_TRACE=$f cs --network "$WORLD_NET" --dns "$WORLD_DNS" --allow model.test \
                --config "$cfg" -- exec --skip-git-repo-check hi </dev/null >/dev/null 2>&1)
            echo "end $(now_s)" >> "$f"
            codex_marks "$f"
            f=$BTMP/host-$mode.$i
            curl -fsS -X DELETE "http://$MODEL:8080/_log" >/dev/null
            echo "launch $(now_s)" > "$f"
            (cd "$hh" && HOME=$hh CODEX_HOME=$hh/ch "$CODEX_BIN" exec --skip-git-repo-check \
                --dangerously-bypass-approvals-and-sandbox hi </dev/null >/dev/null 2>&1)
            echo "end $(now_s)" >> "$f"
            codex_marks "$f"
        done
        rm -rf "$hh"
        ours=$(median_total "$BTMP"/codex-$mode.*)
        host=$(median_total "$BTMP"/host-$mode.*)
        if [ "$mode" = quiet ]; then
            row "one Codex turn (tool call + answer), telemetry off, start included" "$ours ms" \
                "$((docker_base + host)) ms (bare docker run $docker_base + the host's turn $host)" "≤ 1.2"
            turn=$((ours - start_net))
            row "... the same turn once the sandbox is up (turn - start on the same network $start_net ms)" "$turn ms" \
                "$host ms (the host's turn)" "≤ 1.15"
            python3 tests/bench/phases.py "Codex turn in the sandbox, telemetry off" "$BTMP"/codex-quiet.* >> "$PHASES"
            echo >> "$PHASES"
            python3 tests/bench/phases.py "the same turn on the host" "$BTMP"/host-quiet.* >> "$PHASES"
            echo >> "$PHASES"
        else
            row "one Codex turn, telemetry on (default config), start included" "$ours ms" \
                "$host ms (the same on the host)" "-"
        fi
    done
}
