#!/usr/bin/env bash
# A new user's machine: a clean container from the project's own bootstrapped
# Debian base (none of the build packages, no compiler, no make), with the
# host's engine socket mounted and the repository copied in, runs the
# README's set-up commands exactly as written (root, so without `sudo`):
#
#   make -C DIR setup install && codex-sandbox     (run as `--dry-run`: the
#       project path exists only in this container, so the host's engine
#       could not mount it)
#   make -C DIR setup test                         (as `setup check`: the same
#       one-invocation build, then the unit tests; the full suite needs the
#       host), after removing the build packages again, and under -j2
#
# The container may create namespaces (CAP_SYS_ADMIN, no seccomp profile), as
# root on a real machine can: some unit tests need a PID namespace.
#
# Each must succeed in ONE invocation: a Makefile that asks pkg-config before
# `setup` has installed the libraries fails here, not on a user's machine.
# apt reaches the Debian mirror over plain HTTP, as the image build does.
. "$(dirname "$0")/../lib/common.sh"
plan 18

name=cs-test-fresh-$$
cid=""
cleanup() {
    [ -n "$cid" ] && api "/containers/$cid?force=1" -X DELETE >/dev/null 2>&1
    rm -f "/tmp/$name.tar"
}
trap cleanup EXIT

# The base the image build bootstrapped (00-image ran before this file), or
# the Debian image it starts from where that could be pulled.
base=$(api /images/json | jq -r '[.[].RepoTags[]? | select(startswith("codex-sandbox-base:") or . == "debian:bookworm-slim")] | sort | .[0] // empty')
check "a clean Debian base image exists (${base:-none})" test -n "$base"
[ -n "$base" ] || { diag "run tests/integration/00-image.sh (codex-sandbox build) first"; done_testing; exit 1; }

# The README's two commands, as a user would copy them.
cmd1=$(grep -m1 -E '^sudo make -C /path/to/codex-sandbox setup install' "$ROOT/README.md")
cmd2=$(grep -m1 -E '^sudo make -C /path/to/codex-sandbox setup test' "$ROOT/README.md")
run1=$(sed -e 's#^sudo ##' -e 's#/path/to/codex-sandbox#/src/codex-sandbox#' \
           -e 's#&& codex-sandbox$#\&\& codex-sandbox --dry-run#' <<<"$cmd1")
run2=$(sed -e 's#^sudo ##' -e 's#/path/to/codex-sandbox#/src/codex-sandbox#' \
           -e 's# setup test$# setup check#' <<<"$cmd2")
ok_cmds=0
[[ $run1 == 'make -C /src/codex-sandbox setup install && codex-sandbox --dry-run' &&
   $run2 == 'make -C /src/codex-sandbox setup check' ]] && ok_cmds=1
is "$ok_cmds" 1 "README's set-up commands found and adapted"
[ $ok_cmds = 1 ] || diag "README: '$cmd1' / '$cmd2'"

# What runs inside.  Each step prints "STEP NAME RC", and "OUT NAME: line"
# for the output the checks below read.
read -r -d '' script <<'EOF'
set -u
export DEBIAN_FRONTEND=noninteractive
step() {  # step NAME CMD...: run, report, show the tail on failure
    local n=$1 t0=$SECONDS; shift
    "$@" >"/tmp/$n.log" 2>&1; local rc=$?
    echo "STEP $n $rc"
    echo "TIME $n $((SECONDS - t0))s"
    [ $rc -eq 0 ] || tail -n 25 "/tmp/$n.log" | sed "s/^/  $n| /"
    return 0
}
out() { sed "s/^/OUT $1: /" "/tmp/$1.log"; }
fresh() { ! command -v cc && ! command -v pkg-config && ! command -v make &&
          ! dpkg-query -W -f='${Status}' libcjson-dev 2>/dev/null | grep -q installed; }
step fresh fresh
# make itself is the one prerequisite the README names.
step prereq sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends make'
step nosetup make -C /src/codex-sandbox
out nosetup
mkdir -p /srv/proj && chown 1000:1000 /srv/proj && cd /srv/proj
step readme1 bash -c "$RUN1"
grep -c '"work_dir":.*"/srv/proj"' /tmp/readme1.log | sed 's/^/OUT plan: /'
step which sh -c 'command -v codex-sandbox'
out which
step version codex-sandbox --version
out version
step doctor codex-sandbox doctor
out doctor
# Back to a machine without the build packages, then the second command.
step purge sh -c 'apt-get purge -y -qq gcc cpp pkg-config libc6-dev libcurl4-openssl-dev libcjson-dev \
    libnftnl-dev libmnl-dev libseccomp-dev >/dev/null && make -C /src/codex-sandbox clean && ! command -v cc'
# Under -j2 this time: `setup` must still come before every compile.
step readme2 env MAKEFLAGS=-j2 bash -c "$RUN2"
grep -E '^[0-9]+ passed, [0-9]+ failed' /tmp/readme2.log | tail -n 1 | sed 's/^/OUT readme2: /'
EOF

# root on a fresh machine has every capability: SYS_ADMIN for the private
# namespaces and NET_ADMIN for the NFQUEUE the unit tests bind there
# (unit/test_flowwire; without it that file skips and `make check` fails).
body=$(jq -n --arg img "$base" --arg s "$script" --arg r1 "$run1" --arg r2 "$run2" '{
    Image: $img, Cmd: ["bash", "-c", $s], Env: ["RUN1=" + $r1, "RUN2=" + $r2],
    Tty: true, Labels: {"org.codex-sandbox.test": "01-fresh-machine"},
    HostConfig: {Binds: ["/var/run/docker.sock:/var/run/docker.sock"], CapAdd: ["SYS_ADMIN", "NET_ADMIN"],
                SecurityOpt: ["seccomp=unconfined"]}}')
cid=$(api "/containers/create?name=$name" -X POST -H 'Content-Type: application/json' -d "$body" | jq -r '.Id // empty')
# The repository as a fresh clone has it (tracked and new files; no build output).
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --transform 's,^,src/codex-sandbox/,' --owner=0 --group=0 -cf "/tmp/$name.tar")
code=$(api "/containers/$cid/archive?path=/" -X PUT -H 'Content-Type: application/x-tar' \
    --data-binary "@/tmp/$name.tar" -o /dev/null -w '%{http_code}')
is "${cid:+created}:$code" "created:200" "clean container created, repository copied in"

t0=$SECONDS
api "/containers/$cid/start" -X POST >/dev/null
rc=$(api "/containers/$cid/wait" -X POST --max-time 840 | jq -r '.StatusCode // empty')
log=$(api "/containers/$cid/logs?stdout=1&stderr=1" | tr -d '\r')
is "$rc" 0 "the container ran to the end ($((SECONDS - t0))s)"
step_rc() { sed -n "s/^STEP $1 \([0-9]*\)$/\1/p" <<<"$log"; }
outp() { sed -n "s/^OUT $1: //p" <<<"$log"; }

is "$(step_rc fresh)" 0 "the container starts without compiler, make, pkg-config or -dev packages"
is "$(step_rc prereq)" 0 "make installs (the README's one prerequisite)"
is "$(step_rc nosetup)" 2 "make without setup stops"
# (make -C adds its own "Entering/Leaving directory" lines)
nos=$(outp nosetup | grep -vE '^make(\[[0-9]+\])?: (Entering|Leaving) directory')
is "$(wc -l <<<"$nos")" 1 "... with one line"
like "$nos" 'missing: .*gcc.*libcjson-dev.*make setup.*apt-get install' "... naming the missing packages and the commands that install them"
is "$(step_rc readme1)" 0 "'$run1' succeeds in one invocation"
is "$(outp plan)" 1 "... and codex-sandbox prints the plan for the current directory"
is "$(outp which)" /usr/local/bin/codex-sandbox "codex-sandbox is installed on PATH"
is "$(step_rc version)" 0 "codex-sandbox --version runs"
like "$(outp version)" '^codex-sandbox [0-9]' "... and prints the version"
like "$(outp version)" '^image codex-sandbox: Codex [0-9]' "... and the Codex version of the image on the host's engine"
is "$(step_rc doctor)" 0 "codex-sandbox doctor passes against the host's engine"
is "$(step_rc purge):$(step_rc readme2)" 0:0 "build packages removed again, then '$run2' succeeds in one invocation"
like "$(outp readme2)" '^[1-9][0-9]* passed, 0 failed(,|$)' "... and the unit tests pass"
diag "$(sed -n 's/^TIME //p' <<<"$log" | tr '\n' ' ')"
[ "$T_FAIL" -eq 0 ] || diag "$(grep -v '^OUT ' <<<"$log" | tail -n 60)"
done_testing
