#!/usr/bin/env bash
# tests/mutate/run.sh — mutation testing of the security-critical code.
#
#   tests/mutate/run.sh [--sample] [LIST.txt...]     (default: tests/mutate/*.txt)
#   tests/mutate/run.sh --validate [LIST.txt...]     only check the lists
#
# Each list line is "path ||| original ||| replacement" (tests/mutate/README.md).
# Every mutation is applied, one at a time, in a scratch copy of this tree
# (never in the working tree), which is rebuilt incrementally and must then
# FAIL `make check`.  A mutation that survives, that does not build, or whose
# original text is missing or not unique in its file (a list that rotted) is
# "not ok".
#
# TAP plan, derived from the lists (tests/run.sh marks it "derived"):
#   full      one result per mutation line;
#   --sample  one result per line (its original occurs exactly once) plus one
#             mutation run per listed file: the file's mutations rotate by day
#             (MUTATE_DAY overrides), so every file is covered on every run
#             and every mutation within a few days.  This is what `make test`
#             runs; `make mutate` runs everything.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# MUTATE_ROOT: another tree (the harness self-test checks lists against one)
root=${MUTATE_ROOT:-$(cd "$here/../.." && pwd)}
mode=full
case ${1:-} in
--sample) mode=sample; shift ;;
--validate) mode=validate; shift ;;
esac
lists=("$@")
[ ${#lists[@]} -gt 0 ] || lists=("$here"/*.txt)

# parse: "LIST:LINENO<TAB>PATH<TAB>ORIG<TAB>REPL" per mutation, or
# "LIST:LINENO<TAB>!<TAB>why" for a malformed line.
parse() {
    python3 - "$root" "$@" <<'PY'
import sys, os
root = sys.argv[1]
for lst in sys.argv[2:]:
    if not os.path.isfile(lst):
        print(f"{lst}:0\t!\tlist file not found")
        continue
    for no, line in enumerate(open(lst, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{os.path.basename(lst)}:{no}"
        parts = line.split("|||")
        if len(parts) != 3:
            print(f"{where}\t!\tnot 'path ||| original ||| replacement'")
            continue
        path, orig, repl = (p.strip() for p in parts)
        if "\t" in line:
            print(f"{where}\t!\ttabs are not allowed in a mutation line")
            continue
        if not path or not orig:
            print(f"{where}\t!\tempty path or original")
            continue
        print(f"{where}\t{path}\t{orig}\t{repl}")
PY
}

# occurrences TREE PATH ORIG: how often ORIG occurs in TREE/PATH (-1: no file)
occurrences() {
    python3 - "$@" <<'PY'
import sys, os
tree, path, orig = sys.argv[1:4]
p = os.path.join(tree, path)
print(open(p, encoding="utf-8").read().count(orig) if os.path.isfile(p) else -1)
PY
}

# apply TREE PATH ORIG REPL: replace the one occurrence (the file's mtime
# moves forward so make rebuilds what depends on it).
apply() {
    python3 - "$@" <<'PY'
import sys, os
tree, path, orig, repl = sys.argv[1:5]
p = os.path.join(tree, path)
s = open(p, encoding="utf-8").read()
assert s.count(orig) == 1
open(p, "w", encoding="utf-8").write(s.replace(orig, repl, 1))
PY
}

mapfile -t muts < <(parse "${lists[@]}")

# The results this run reports.
if [ "$mode" = sample ]; then
    mapfile -t files < <(printf '%s\n' "${muts[@]}" | awk -F'\t' '$2 != "!" { print $2 }' | sort -u)
    echo "1..$(( ${#muts[@]} + ${#files[@]} ))"
else
    echo "1..${#muts[@]}"
fi

n=0
failed=0
res() {  # OK|NOTOK DESC
    n=$((n + 1))
    if [ "$1" = OK ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}

# valid LINE: the line is well formed and its original occurs exactly once
valid() {
    local where path orig c
    IFS=$'\t' read -r where path orig _ <<<"$1"
    if [ "$path" = "!" ]; then echo "$where: $orig"; return 1; fi
    c=$(occurrences "$root" "$path" "$orig")
    case $c in
    1) return 0 ;;
    -1) echo "$where: $path does not exist" ;;
    0) echo "$where: original not found in $path (the list rotted: update it)" ;;
    *) echo "$where: original occurs $c times in $path (make it unique)" ;;
    esac
    return 1
}

if [ "$mode" = validate ]; then
    for m in "${muts[@]}"; do
        if why=$(valid "$m"); then res OK "${m%%$'\t'*} well formed, original unique"; else res NOTOK "$why"; fi
    done
    [ "$failed" -eq 0 ]; exit
fi

# The scratch copy: sources plus the main build dir (objects keep their
# mtimes, so each mutation is an incremental rebuild).  Never the work tree.
scratch=$(mktemp -d /tmp/cs-mutate.XXXXXX)
trap 'rm -rf "$scratch" "$scratch.orig"' EXIT
(cd "$root" && tar --exclude=./.git --exclude=./build/san --exclude=./build/fuzz \
    --exclude=./build/test-logs --exclude=./build/mutate-logs -cf - .) | tar -C "$scratch" -xf -
logs=$root/build/mutate-logs
mkdir -p "$logs"
if ! (cd "$scratch" && make -s -j2 all unit-bins >"$logs/baseline.log" 2>&1 &&
      tests/run.sh --unit-only >>"$logs/baseline.log" 2>&1); then
    echo "Bail out! the unmutated tree does not pass make check (see $logs/baseline.log)"
    exit 1
fi

# mutate LINE: apply, rebuild, make check must fail; restore.
mutate() {
    local where path orig repl log t0 rc
    IFS=$'\t' read -r where path orig repl <<<"$1"
    log=$logs/$(tr '/:' '__' <<<"$where").log
    cp -p "$scratch/$path" "$scratch.orig"
    apply "$scratch" "$path" "$orig" "$repl"
    t0=$SECONDS
    if ! (cd "$scratch" && make -s -j2 unit-bins) >"$log" 2>&1; then
        res NOTOK "$where: $path: the mutation does not build (see $log)"
    else
        (cd "$scratch" && timeout -k 5 300 tests/run.sh --unit-only) >>"$log" 2>&1; rc=$?
        if [ "$rc" -ne 0 ]; then
            res OK "$where: $path: killed ($((SECONDS - t0))s): '$orig' -> '$repl'"
        else
            res NOTOK "$where: $path: SURVIVED make check: '$orig' -> '$repl'"
        fi
    fi
    # Restore with a fresh mtime: the next build recompiles the original.
    mv "$scratch.orig" "$scratch/$path"
    touch "$scratch/$path"
}

if [ "$mode" = full ]; then
    for m in "${muts[@]}"; do
        if why=$(valid "$m"); then mutate "$m"; else res NOTOK "$why"; fi
    done
else
    good=()
    for m in "${muts[@]}"; do
        if why=$(valid "$m"); then res OK "${m%%$'\t'*} original unique"; good+=("$m"); else res NOTOK "$why"; fi
    done
    day=${MUTATE_DAY:-$(( $(date +%s) / 86400 ))}
    for f in "${files[@]}"; do
        mapfile -t mine < <(printf '%s\n' "${good[@]}" | awk -F'\t' -v f="$f" '$2 == f')
        if [ ${#mine[@]} -eq 0 ]; then
            res NOTOK "$f: no valid mutation to run"
        else
            mutate "${mine[$(( day % ${#mine[@]} ))]}"
        fi
    done
fi
[ "$failed" -eq 0 ]
