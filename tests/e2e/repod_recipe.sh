#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's "Running a repository" recipe, run as written from an empty folder. The three
# code blocks after <!-- recipe: repo-setup -->, <!-- recipe: repo-serve --> and
# <!-- recipe: repo-client --> are read from README.md and run unchanged, with BUILD_DIR/bin on
# PATH and a link `build` -> BUILD_DIR as the only thing in the folder (the README runs them from
# the top of the source tree). The serve block, a second terminal in the README, runs in the
# background until /health answers. The recipe's port is the fixed 8470, so the run happens in
# a network namespace of its own (unshare -n as root, -rn otherwise) where nothing else
# listens; without one, on the machine's loopback if 8470 is free there.
#   usage: tests/e2e/repod_recipe.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: repod_recipe.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
README="$SRC/README.md"
for f in "$B/bin/xdrv" "$B/bin/xdrv-repod" "$B/pki/root.pem" "$B/pkg/hello.xdrv" "$README"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (make build/bin/xdrv build/bin/xdrv-repod drivers)"; exit 1; }
done

# ---- into a network namespace of our own, once --------------------------------------------
if [ -z "${XDRV_RECIPE_INNER:-}" ]; then
  export XDRV_RECIPE_INNER=1
  if unshare -n true 2>/dev/null; then exec unshare -n bash "$0" "$B"; fi
  if unshare -rn true 2>/dev/null; then exec unshare -rn bash "$0" "$B"; fi
  if (exec 3<>/dev/tcp/127.0.0.1/8470) 2>/dev/null; then
    echo "FAIL - no network namespace (unshare -n / -rn) and port 8470 is taken on this machine"
    exit 1
  fi
  echo "# no network namespace: on this machine's loopback, port 8470 is free"
  exec bash "$0" "$B"
fi
ip link set lo up 2>/dev/null || true

fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# block NAME: the fenced code block after "<!-- recipe: NAME -->" in the README
block() {
  awk -v name="$1" '
    $0 == "<!-- recipe: " name " -->" { want = 1; next }
    want && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$README"
}
SETUP=$(block repo-setup); SERVE=$(block repo-serve); CLIENT=$(block repo-client)
[ -n "$SETUP" ] && [ -n "$SERVE" ] && [ -n "$CLIENT" ] ||
  { echo "FAIL - README.md: a recipe block (repo-setup, repo-serve, repo-client) is missing"; exit 1; }
[ "$(grep -c . <<<"$SERVE")" = 1 ] || { echo "FAIL - README.md: repo-serve is not one command"; exit 1; }
ok "README.md: the three recipe blocks"

T=$(mktemp -d /tmp/xdrv-recipe.XXXXXX)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T" || exit 1
ln -s "$B" build
export PATH="$B/bin:$PATH"
unset XDRV_STORE
check "the folder holds nothing but the build link" test "$(ls -A)" = build

# ---- setup: init, vendor add --------------------------------------------------------------
bash -e -o pipefail -c "$SETUP" >setup.out 2>&1; rc=$?
check "setup block: exit 0" test "$rc" = 0
check "init names the root key to keep offline" grep -q "keep it OFFLINE" setup.out
check "init names repo/repod.conf" grep -q "^  repo/repod.conf$" setup.out
check "vendor add made acme.token" grep -q "^xdrv-repod: made acme.token: a new random token (mode 0600)" setup.out
check "vendor add added acme" grep -q "^xdrv-repod: vendor acme added (delegation acme/\*)$" setup.out
check "acme.token: 0600, 64 hex digits" bash -c '[ "$(stat -c %a acme.token)" = 600 ] && grep -qxE "[0-9a-f]{64}" acme.token'
[ "$rc" = 0 ] || { cat setup.out; exit 1; }

# ---- serve (the README's second terminal) ---------------------------------------------------
bash -c "exec $SERVE" >serve.out 2>serve.err &
SPID=$!
up=0
for _ in $(seq 200); do # up to 20 s on a loaded machine; usually the first or second try
  curl -sf http://127.0.0.1:8470/health >/dev/null 2>&1 && { up=1; break; }
  kill -0 "$SPID" 2>/dev/null || break
  sleep 0.1
done
check "serve block: /health answers on 127.0.0.1:8470" test "$up" = 1
[ "$up" = 1 ] || { cat serve.out serve.err; exit 1; }
check "serve says where it listens" grep -q "^xdrv-repod: listening on 127.0.0.1:8470$" serve.out

# ---- client: repo add, publish, search, install, export ------------------------------------
bash -e -o pipefail -c "$CLIENT" >client.out 2>&1; rc=$?
check "client block: exit 0" test "$rc" = 0
[ "$rc" = 0 ] || cat client.out
check "repo add pinned the root" grep -q "added repository main" client.out
check "publish: HTTP 201" grep -q "hello.xdrv: published (HTTP 201)" client.out
check "search lists hello" grep -qE "^hello +1\.0\.0" client.out
check "install reports hello" grep -qi "installed hello" client.out
check "the store lists hello" bash -c 'XDRV_STORE=$PWD/store xdrv list | grep -qE "^hello +1\.0\.0"'
check "installed bytes = published package" \
  bash -c 'cmp -s "$(XDRV_STORE=$PWD/store xdrv list --path hello)" build/pkg/hello.xdrv'
check "export wrote the static tree" test -s mirror/metadata/timestamp.json

kill -TERM "$SPID"; wait "$SPID"; rc=$?; SPID=
check "serve stops on SIGTERM with exit 0" test "$rc" = 0

[ "$fails" -eq 0 ] && echo "repod_recipe.sh: all passed" || echo "repod_recipe.sh: $fails failed"
[ "$fails" -eq 0 ]
