#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages in docs/man/ against the programs' --help, so that neither drifts silently:
# every subcommand `xdrv --help` lists has a page xdrv-CMD.1 and every xdrv-*.1 page a
# subcommand; xdrv.1 names every subcommand; for xdrv, each subcommand and xdrv-repod, every
# option --help shows (usage synopsis and option table) is in the page's OPTIONS section and
# every option there is in --help; each page renders with groff -ww and man --warnings with no
# warning at all (lintian runs the same man check on the .deb).
#   usage: tests/e2e/man_pages.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: man_pages.sh BUILD_DIR}
X="$B/bin/xdrv" R="$B/bin/xdrv-repod"
M=docs/man
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

for t in groff man; do
  command -v "$t" >/dev/null || { bad "$t is not installed (scripts/install-deps: groff-base, man-db)"; exit 1; }
done

# Options of --help text on stdin: the dash words of the usage synopsis (from "usage:" to the
# first blank line) and of the option-table lines (indented 1 to 4 spaces, starting with "-").
# The same parse as packaging/xdrv.bash-completion.
help_options() {
  awk '
  /^usage:/ { syn = 1 }
  syn && /^[ \t]*$/ { syn = 0 }
  syn || /^ -|^  -|^   -|^    -/ {
    line = $0
    while (match(line, /(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*/)) {
      tok = substr(line, RSTART, RLENGTH)
      sub(/^[][ ,|(]/, "", tok)
      print tok
      line = substr(line, RSTART + RLENGTH)
    }
  }' | sort -u
}

# Options of a page's OPTIONS section: the dash words of each .TP tag line (the line after .TP),
# with roff's \- and font escapes undone.
page_options() {
  awk '
  /^\.SH/ { in_opts = ($0 ~ /^\.SH "?OPTIONS"?$/) ; next }
  in_opts && /^\.TP/ { tag = 1; next }
  in_opts && tag { print; tag = 0 }' "$1" |
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\&//g' |
    grep -oE '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[][ ,|(]//' | sort -u
}

# compare OPTIONS of PAGE with HELP_TEXT; what is only on one side is a failure
check_options() {
  local page=$1 what=$2 help=$3 only_help only_page
  if [ ! -f "$page" ]; then bad "$what: no page $page"; return; fi
  only_help=$(comm -23 <(help_options <<<"$help") <(page_options "$page") | tr '\n' ' ')
  only_page=$(comm -13 <(help_options <<<"$help") <(page_options "$page") | tr '\n' ' ')
  if [ -n "$only_help" ]; then bad "$what: in --help but not in $page OPTIONS: $only_help"; fi
  if [ -n "$only_page" ]; then bad "$what: in $page OPTIONS but not in --help: $only_page"; fi
  [ -z "$only_help$only_page" ] && ok "$what: $page OPTIONS match --help ($(help_options <<<"$help" | wc -l) options)"
}

cmds=$("$X" --help | awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }')
[ "$(wc -w <<<"$cmds")" -ge 10 ] || bad "could not read the subcommands from xdrv --help: $cmds"

# 1. one page per subcommand, and no page without one
for c in $cmds; do
  check_options "$M/xdrv-$c.1" "xdrv $c" "$("$X" "$c" --help 2>&1)"
  grep -q "^\.BR xdrv\\\\-${c//-/\\\\-} (1)" "$M/xdrv.1" 2>/dev/null || bad "xdrv.1 does not list xdrv-$c(1)"
done
for p in "$M"/xdrv-*.1; do
  c=$(basename "$p" .1); c=${c#xdrv-}
  grep -qx "$c" <<<"$cmds" || bad "$p: no subcommand '$c' in xdrv --help"
done
check_options "$M/xdrv.1" "xdrv" "$("$X" --help 2>&1)"
check_options "$M/xdrv-repod.8" "xdrv-repod" "$("$R" --help 2>&1)"

# 2. each page names itself and has the sections a reader looks for
for p in "$M"/*.[18]; do
  n=$(basename "$p"); n=${n%.*}
  for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
    grep -q "^\.SH \"\?$s\"\?$" "$p" || bad "$p: no $s section"
  done
  th=$(awk '/^\.TH/ { print tolower($2); exit }' "$p" | tr -d '\\"')
  [ "$th" = "$n" ] || bad "$p: .TH names '$th', not $n"
done

# 3. renders without a warning, in groff and in man (what lintian runs)
for p in "$M"/*.[18]; do
  w=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
  w2=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)
  if [ -n "$w$w2" ]; then bad "$p: warnings: $w $w2"; else ok "$p renders without warnings"; fi
done

if [ "$fails" -eq 0 ]; then echo "ok - man pages match --help and render cleanly"; exit 0; fi
echo "FAIL - man pages: $fails problems"
exit 1
