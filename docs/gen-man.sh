#!/bin/sh
# gen-man.sh BIN [TEMPLATE] — write codex-sandbox(1) to stdout: the template
# (docs/codex-sandbox.1.in) with its synopsis, commands, options and exit
# status taken from `BIN --help`, and its version from `BIN --version`.
# tests/integration/02-install.sh holds the installed page to --help.
set -eu

bin=${1:?usage: gen-man.sh BIN [TEMPLATE]}
tpl=${2:-$(dirname "$0")/codex-sandbox.1.in}
help=$("$bin" --help)
# No engine: only the first line, our own version, is wanted.
version=$(DOCKER_HOST=unix:///nonexistent "$bin" --version | head -n 1 | cut -d' ' -f1,2)

# roff-safe text: backslashes doubled, dashes literal, no leading dot/quote.
esc() { sed -e 's/\\/\\\\/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

synopsis=$(printf '%s\n' "$help" | awk '
    /^usage: / { sub(/^usage: /, ""); u = 1 }
    u && /^$/ { exit }
    u { sub(/^ +/, ""); split($0, a, /  +/); print a[1] }' | esc | sed -e '1!s/^/.br\n/')
commands=$(printf '%s\n' "$help" | awk '
    /^usage: / { sub(/^usage: /, ""); u = 1 }
    u && /^$/ { exit }
    u { sub(/^ +/, ""); n = split($0, a, /  +/); print a[1] "\t" a[n] }' | esc |
    awk -F '\t' '{ print ".TP"; print ".B " $1; print $2 }')
options=$(printf '%s\n' "$help" | awk '
    /^usage: / { u = 1 } u && /^$/ { u = 0; next } u { next }
    /^Exit status:/ { next }
    /^[^ ].*:$/ { sub(/:$/, ""); print "SS\t" $0; next }
    /^  -/ { sub(/^  /, ""); i = match($0, /  +/); print "TP\t" substr($0, 1, i - 1) "\t" substr($0, i + RLENGTH); next }
    /^      / { sub(/^ +/, ""); print "CONT\t" $0 }' | esc |
    awk -F '\t' '$1 == "SS" { print ".SS \"" $2 "\"" } $1 == "TP" { print ".TP"; print ".B " $2; print $3 } $1 == "CONT" { print $2 }')
exit_status=$(printf '%s\n' "$help" | sed -n 's/^Exit status: *//p' | esc)

[ -n "$synopsis" ] && [ -n "$options" ] && [ -n "$exit_status" ] || {
    echo "gen-man.sh: '$bin --help' does not have the expected shape" >&2; exit 1; }

# Substitute whole lines (awk, so the replacement text is taken literally).
awk -v ver="$version" -v syn="$synopsis" -v cmds="$commands" -v opts="$options" -v ex="$exit_status" '
    $0 == "@SYNOPSIS@" { print syn; next }
    $0 == "@COMMANDS@" { print cmds; next }
    $0 == "@OPTIONS@"  { print opts; next }
    $0 == "@EXIT@"     { print ex; next }
    { gsub(/@VERSION@/, ver); print }' "$tpl"
