#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/check-circles (run by `make check`) must be able to fail: tiny trees with one defect
# each (two files calling each other, a circle through a third file, a library calling or
# including the front end, a circle inside a driver folder) must each be refused with the files
# and the tying symbols printed, and a clean tree must pass. BUILD_DIR is unused (the trees are
# compiled here with clang-19).
#   usage: tests/e2e/check_circles.sh BUILD_DIR
set -uo pipefail
CHECK=$(cd "$(dirname "$0")/../.." && pwd)/scripts/check-circles
CC=${CC:-clang-19}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

# put FILE TEXT: write a source file and compile it into obj/
put() {
  mkdir -p "$T/$(dirname "$1")" "$T/obj/$(dirname "$1")"
  printf '%s\n' "$2" > "$T/$1"
  (cd "$T" && "$CC" -c "$1" -o "obj/${1%.c}.o") || bad "cannot compile $1"
}
# expect NAME RC REGEX ARGS...: run the checker in $T, want exit RC and output matching REGEX
expect() {
  local name=$1 want=$2 re=$3; shift 3
  out=$(cd "$T" && "$CHECK" "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, want $want: $out"
  elif ! grep -Eq -- "$re" <<<"$out"; then bad "$name: output does not match /$re/: $out"
  else ok "$name"; fi
}

put lib/a.c 'int b(void); int a(void) { return b(); }'
put lib/b.c 'int a(void); int b(void) { return a() + 1; }'
expect "two files calling each other are a circle" 1 \
  'circle in the host build: lib/a.c lib/b.c' --objdir obj lib/a.c lib/b.c
expect "the circle names the tying symbols" 1 \
  'lib/b.c -> lib/a.c: a$' --objdir obj lib/a.c lib/b.c

put lib/c.c 'int e(void); int c(void) { return e(); }'
put lib/d.c 'extern int data_c; int d(void) { return data_c; }'
put lib/e.c 'int d(void); int data_c = 1; int e(void) { return d(); }'
expect "a circle through a third file, via a data symbol" 1 \
  'circle in the host build: lib/d.c lib/e.c' --objdir obj lib/c.c lib/d.c lib/e.c

put lib/f.c 'static inline int g(void) { return 1; } int f(void) { return g(); }'
put lib/h.c 'int f(void); int h(void) { return f(); }'
expect "a clean tree passes" 0 '^$' --objdir obj lib/f.c lib/h.c

put cli/top.c 'int f(void); int top(void) { return f(); }'
put lib/up.c 'int top(void); int up(void) { return top(); }'
expect "a library calling the front end breaks the layer rule" 1 \
  'layer in the host build: lib/up.c uses top from the front end \(cli/top.c\)' \
  --objdir obj --top cli lib/f.c cli/top.c lib/up.c
expect "the front end calling a library is fine" 0 '^$' --objdir obj --top cli lib/f.c cli/top.c

mkdir -p "$T/cli"
printf '%s\n' '#define X 1' > "$T/cli/commands.h"
put lib/inc.c '#include "../cli/commands.h"
int inc(void) { return X; }'
expect "a library including a front-end header breaks the layer rule" 1 \
  'layer: lib/inc.c:1: includes the front end.s ../cli/commands.h' --objdir obj --top cli lib/inc.c

printf '%s\n' '#include "../cli/commands.h"' > "$T/lib/priv.h"
expect "a library header including a front-end header breaks the layer rule" 1 \
  'layer: lib/priv.h:1: includes the front end.s ../cli/commands.h' --objdir obj --top cli lib/f.c

mkdir -p "$T/drv"
printf '%s\n' 'int q(void); int p(void) { return q(); }' > "$T/drv/p.c"
printf '%s\n' 'int p(void); int q(void) { return p(); }' > "$T/drv/q.c"
expect "a circle inside a driver folder (compiled freestanding)" 1 \
  'circle in drv: drv/p.c drv/q.c' --cc "$CC" --driver-cflags "-ffreestanding -O0" --driver drv

touch -d '1 hour ago' "$T/obj/lib/a.o"
expect "an object older than its source is refused" 2 'older than the source' --objdir obj lib/a.c

[ "$fails" -eq 0 ] && echo "check_circles: all passed" || echo "check_circles: $fails failed"
[ "$fails" -eq 0 ]
