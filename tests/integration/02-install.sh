#!/usr/bin/env bash
# make install / uninstall like a real tool: DESTDIR and PREFIX respected, a
# man page and bash/zsh completions that agree with --help (they are
# generated from it; tests/unit/test_cli_help.c holds --help to the parser),
# and uninstall removes exactly what install put there.
. "$(dirname "$0")/../lib/common.sh"
plan 23

D=$(mktemp -d /tmp/cs-destdir.XXXXXX)
PFX=/opt/cs-test-prefix-$$      # exists nowhere outside DESTDIR
W=$(mktemp -d /tmp/cs-install-work.XXXXXX)
trap 'rm -rf "$D" "$W"' EXIT
I=$D$PFX

out=$(make -s -C "$ROOT" install DESTDIR="$D" PREFIX="$PFX" 2>&1); rc=$?
is "$rc" 0 "make install DESTDIR=... PREFIX=... succeeds"
[ $rc -eq 0 ] || diag "$out"
want="bin/codex-sandbox lib/codex-sandbox/codex-sandbox-init lib/codex-sandbox/codex-firewall
share/codex-sandbox/Dockerfile.codex-sandbox share/man/man1/codex-sandbox.1
share/bash-completion/completions/codex-sandbox share/zsh/site-functions/_codex-sandbox"
for f in "$ROOT"/images/*.sh; do want="$want share/codex-sandbox/images/${f##*/}"; done
for f in "$ROOT"/init-hooks/*.sh; do want="$want share/codex-sandbox/init-hooks/${f##*/}"; done
got=$(cd "$I" 2>/dev/null && find . -type f | sed 's,^\./,,' | sort)
is "$got" "$(tr ' ' '\n' <<<"$want" | sed '/^$/d' | sort)" \
    "exactly the binaries, helpers, image scripts, init hooks, man page and completions are installed under DESTDIR/PREFIX"
check "nothing was written to PREFIX outside DESTDIR" test ! -e "$PFX"
check "the init hooks are installed executable" test -x "$I/share/codex-sandbox/init-hooks/node.sh"
like "$("$I/bin/codex-sandbox" --version 2>&1)" '^codex-sandbox [0-9]' "the installed binary runs"

# --- the man page ----------------------------------------------------------
man1=$I/share/man/man1/codex-sandbox.1
err=$(LC_ALL=C.UTF-8 MANWIDTH=120 man --warnings=w -l "$man1" 2>&1 >"$W/man.txt"); rc=$?
is "$rc:$err" "0:" "man -l renders codex-sandbox(1) without warnings"
like "$(head -n 3 "$W/man.txt")" 'CODEX-SANDBOX\(1\)' "... as section 1"
# The long options each side names, underscore spellings folded.
opts_of() { grep -oE -- '--[a-z][a-z_-]+' | tr _ - | sort -u; }
help_opts=$("$ROOT/bin/codex-sandbox" --help | opts_of)
# The option table (lines that start with an option): what completes at the
# top level; the usage lines also name subcommand options (ps --json...).
table_opts=$("$ROOT/bin/codex-sandbox" --help | grep -E '^ +-' | opts_of)
is "$(opts_of <"$W/man.txt")" "$help_opts" "the man page names exactly the options --help names"
for c in exec shell build doctor attach; do
    grep -q "codex-sandbox $c" "$W/man.txt" || { not_ok "man page misses command $c"; continue 2; }
done
ok "the man page has every command's synopsis"
# Control: a page generated from a --help that lost an option disagrees.
printf '#!/bin/sh\nif [ "$1" = --help ]; then %q --help | grep -v -- "--keep"; exit 0; fi\nexec %q "$@"\n' \
    "$ROOT/bin/codex-sandbox" "$ROOT/bin/codex-sandbox" > "$W/stale" && chmod +x "$W/stale"
"$ROOT/docs/gen-man.sh" "$W/stale" > "$W/stale.1" 2>/dev/null
stale=$(LC_ALL=C.UTF-8 MANWIDTH=120 man -l "$W/stale.1" 2>/dev/null | opts_of)
check "a page from a stale --help is told apart (control)" test "$stale" != "$help_opts" -a -n "$stale"

# --- bash completion -------------------------------------------------------
# complete WORDS... : what the installed completion offers for the last word
complete_bash() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _codex_sandbox
             printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$I/share/bash-completion/completions/codex-sandbox" "$@"
}
is "$(complete_bash codex-sandbox '' | tr '\n' ' ')" "allow attach blocked build deny doctor exec help ps shell " \
    "bash: subcommands complete"
is "$(complete_bash codex-sandbox -- | grep -v '^--$' | opts_of)" "$table_opts" \
    "bash: every option of --help completes, and nothing else"
is "$(complete_bash codex-sandbox --wo)" "--work-dir" "bash: a prefix completes to its option"
is "$(complete_bash codex-sandbox --backend '' | tr '\n' ' ')" "docker e2b " "bash: --backend offers its choices"
mkdir -p "$W/dir-for-completion"
is "$(complete_bash codex-sandbox --work-dir "$W/dir-for")" "$W/dir-for-completion" "bash: a PATH value completes files"
is "$(complete_bash codex-sandbox --image exec '' | tr '\n' ' ')" "allow attach blocked build deny doctor exec help ps shell " \
    "bash: an option's value is not taken for the subcommand"
like "$(complete_bash codex-sandbox exec -- bas)" '^bash$' "bash: after 'exec --' commands complete"

# --- zsh completion ----------------------------------------------------------
zf=$I/share/zsh/site-functions/_codex-sandbox
if command -v zsh >/dev/null; then
    check "zsh: the completion function parses (zsh -n)" zsh -n "$zf"
    # Loaded as zsh loads it (fpath + compinit), it is registered for the command.
    reg=$(zsh -fc 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -d "$2/zcompdump"; print -r -- "$_comps[codex-sandbox]"' \
        _ "$(dirname "$zf")" "$W" 2>&1)
    is "$reg" "_codex-sandbox" "zsh: compinit registers _codex-sandbox for codex-sandbox"
else
    not_ok "zsh is installed (make setup installs it)"; not_ok "zsh: compinit registers _codex-sandbox"
fi
is "$(grep -oE "^ +'\*--[a-z-]+" "$zf" | sed "s/^ *'\*//" | sort -u)" "$table_opts" \
    "zsh: a spec for every option of --help"

# --- uninstall -------------------------------------------------------------
out=$(make -s -C "$ROOT" uninstall DESTDIR="$D" PREFIX="$PFX" 2>&1); rc=$?
is "$rc" 0 "make uninstall succeeds"
is "$(find "$D" -type f -o -type l)" "" "uninstall leaves no file behind"
check "... and removes codex-sandbox's own directories" test ! -e "$I/share/codex-sandbox" -a ! -e "$I/lib/codex-sandbox"
done_testing
