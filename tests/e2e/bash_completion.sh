#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# packaging/xdrv.bash-completion as bash calls it: source it, set COMP_WORDS/COMP_CWORD, call
# the completion function, compare COMPREPLY. Subcommands and options must come from the
# program's --help (every subcommand and every option of each, nothing else), package
# arguments complete to matching files and folders.
#   usage: tests/e2e/bash_completion.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: bash_completion.sh BUILD_DIR}
X="$(cd "$B/bin" && pwd)/xdrv" R="$(cd "$B/bin" && pwd)/xdrv-repod"
SRC=$PWD/packaging/xdrv.bash-completion
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

# complete WORD... : the last word is the one being completed; prints COMPREPLY sorted, one a line
complete_words() {
  bash -c '
    source "$0" || exit 3
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    f=$(complete -p "$(basename "$1")" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    [ -n "$f" ] || exit 4
    "$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort' "$SRC" "$@"
}
# expect DESCRIPTION WANT(space-separated, sorted) WORD...
expect() {
  local what=$1 want=$2; shift 2
  local got
  got=$(cd "$T" && complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" = "$want" ]; then ok "$what"; else bad "$what: got '$got', wanted '$want'"; fi
}

# 1. subcommands: exactly those of xdrv --help
cmds=$("$X" --help | awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')
[ "$(wc -w <<<"$cmds")" -ge 10 ] || bad "could not read the subcommands from xdrv --help"
expect "all subcommands from xdrv --help" "$cmds" "$X" ""
expect "subcommand prefix 've'" "verify verify-boot version" "$X" ve
expect "subcommand prefix 'bu'" "build" "$X" bu

# 2. each subcommand's options: exactly the dash words of its --help, plus --help
for c in $cmds; do
  want=$( { echo --help; "$X" "$c" --help | awk '
    /^usage:/ { syn = 1 }
    syn && /^[ \t]*$/ { syn = 0 }
    syn || /^ -|^  -|^   -|^    -/ {
      line = $0
      while (match(line, /(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*/)) {
        tok = substr(line, RSTART, RLENGTH); sub(/^[][ ,|(]/, "", tok); print tok
        line = substr(line, RSTART + RLENGTH)
      }
    }'; } | sort -u | tr '\n' ' ' | sed 's/ $//')
  expect "xdrv $c -<TAB>: every option of its --help" "$want" "$X" "$c" -
done
expect "xdrv build --no<TAB>" "--no-lint" "$X" build --no
expect "xdrv sign --c<TAB>" "--cert --chain" "$X" sign --c
expect "options after other words" "--lazy" "$X" load --trust r.pem --la

# 3. arguments: files by what the subcommand takes, folders always
mkdir -p "$T/sub" && touch "$T/a.c" "$T/b.bc" "$T/c.xdrv" "$T/d.txt"
expect "xdrv build: .c files and folders" "a.c sub" "$X" build ""
expect "xdrv pack: .bc files and folders" "b.bc sub" "$X" pack ""
expect "xdrv verify: packages and folders" "c.xdrv sub" "$X" verify --trust r.pem ""
expect "xdrv inspect: packages, bitcode, folders" "b.bc c.xdrv sub" "$X" inspect ""
expect "an option's argument: any file" "a.c b.bc c.xdrv d.txt sub" "$X" build -o ""
expect "prefix of a file" "c.xdrv" "$X" load c

# 4. xdrv repo's own subcommands, xdrv-repod's commands and options
expect "xdrv repo <TAB>" "add list remove update" "$X" repo ""
expect "xdrv cache <TAB>" "clear list verify" "$X" cache ""
expect "xdrv cache list <TAB>: no files" "" "$X" cache list ""
expect "xdrv cache list --dir <TAB>: an option's argument" "a.c b.bc c.xdrv d.txt sub" "$X" cache list --dir ""
expect "xdrv-repod <TAB>" "export init keys migrate serve vendor" "$R" ""
expect "xdrv-repod keys <TAB>" "init rotate-root" "$R" keys ""
expect "xdrv-repod serve --c<TAB>" "--config" "$R" serve --c
expect "xdrv-repod export --w<TAB>" "--watch" "$R" export --w
expect "xdrv-repod export --watch --i<TAB>" "--interval" "$R" export --watch --i

# 5. a program that cannot be run completes nothing (no error output either)
out=$(complete_words "$T/not-here/xdrv" "" 2>&1)
[ -z "$out" ] && ok "no completion for a program that is not there" || bad "missing program: '$out'"

if [ "$fails" -eq 0 ]; then echo "ok - bash completion"; exit 0; fi
echo "FAIL - bash completion: $fails problems"
exit 1
