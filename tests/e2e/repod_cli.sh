#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# xdrv-repod's command line as a new user meets it, exit codes and messages: usage, --help,
# --version, did-you-mean for subcommands and options, every subcommand naming what is
# missing, `init` (keys + commented config; never replaces keys, the config only with --force),
# `keys init` listing what it made and the next step, `vendor add` making a 0600 token file
# when the one named does not exist (and removing it again when the vendor is refused). No
# network: nothing here serves.
#   usage: tests/e2e/repod_cli.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: repod_cli.sh BUILD_DIR}" && pwd)
R="$B/bin/xdrv-repod"
ROOT="$B/pki/root.pem"
T=$(mktemp -d /tmp/xdrv-repod-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
# expect EXIT PATTERN DESCRIPTION -- command...   (PATTERN: extended regex on stdout+stderr)
expect() {
  local want=$1 pat=$2 what=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, wanted $want: $out"; return; fi
  if [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then bad "$what: no /$pat/ in: $out"; return; fi
  ok "$what"
}
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
for f in "$R" "$ROOT"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (make build/bin/xdrv-repod drivers)"; exit 1; }
done
cd "$T" || exit 1

# ---- usage, help, version, did-you-mean ------------------------------------------------------
expect 2 "^usage:" "no arguments: usage, exit 2" -- "$R"
expect 0 "xdrv-repod init --dir DIR" "--help lists init" -- "$R" --help
expect 0 "^usage: xdrv-repod serve --config FILE" "serve --help" -- "$R" serve --help
expect 0 "^usage: xdrv-repod vendor add NAME" "help vendor add" -- "$R" help vendor add
expect 0 "^xdrv-repod [0-9]+\.[0-9]+\.[0-9]+$" "--version: version" -- "$R" --version
expect 0 "^commit [0-9a-f]{7,}(-dirty)?, source date [0-9]{4}-[0-9]{2}-[0-9]{2}, driver ABI 1\.[0-9]+\.[0-9]+, TUF spec 1\." \
  "--version: commit, source date, ABI" -- "$R" --version
expect 2 "^xdrv-repod: 'sevre' is not a command; did you mean 'serve'\?$" "typo of serve" -- "$R" sevre
expect 2 "did you mean 'export'\?" "typo of export" -- "$R" exprot --config x --out y
expect 2 "^xdrv-repod: 'deploy' is not a command \(commands: init, keys, vendor, serve, export" \
  "unknown command, nothing near" -- "$R" deploy
expect 2 "^xdrv-repod: unknown option '--verison'; did you mean '--version'\?$" "typo of --version" -- "$R" --verison
expect 2 "^xdrv-repod keys: 'inti' is not a subcommand; did you mean 'init'\?$" "typo of keys init" -- \
  "$R" keys inti --dir k
expect 2 "^xdrv-repod keys: missing subcommand \(init, rotate-root\)$" "keys alone" -- "$R" keys
expect 2 "^xdrv-repod vendor: 'ad' is not a subcommand; did you mean 'add'\?$" "typo of vendor add" -- "$R" vendor ad x
expect 2 "^xdrv-repod serve: unknown option '--confg'; did you mean '--config'\?$" "typo of --config" -- \
  "$R" serve --confg x
expect 2 "did you mean '--port-file'\?" "typo of --port-file" -- "$R" serve --config x --port-fil p
expect 2 "^xdrv-repod serve: unknown option '--xyz' \(options: --config, --port-file, --export\)$" \
  "unknown option, nothing near: the options listed" -- "$R" serve --xyz
expect 2 "^xdrv-repod serve: missing value for --config$" "--config without a value" -- "$R" serve --config
expect 2 "^xdrv-repod serve: unexpected argument 'x' \(it takes options only\)$" "stray argument" -- "$R" serve x
expect 2 "^xdrv-repod serve: --config given twice$" "an option twice" -- "$R" serve --config=a --config b
expect 2 "^xdrv-repod init: --force takes no value$" "flag with a value" -- "$R" init --dir d --force=yes

# ---- every subcommand names what is missing --------------------------------------------------
expect 2 "^xdrv-repod serve: missing --config FILE \(create one with 'xdrv-repod init'\)$" \
  "serve without --config" -- "$R" serve
expect 2 "^xdrv-repod export: missing --config FILE \(create one with 'xdrv-repod init'\)$" \
  "export without --config" -- "$R" export --out o
expect 2 "^xdrv-repod export: missing --out DIR" "export without --out" -- "$R" export --config c
expect 2 "^xdrv-repod export: --interval needs --watch$" "export --interval without --watch" -- \
  "$R" export --config c --out o --interval 100
expect 2 "^xdrv-repod export: --interval wants milliseconds in 10\.\.3600000, not '5'$" \
  "export --watch --interval out of range" -- "$R" export --config c --out o --watch --interval 5
expect 2 "^xdrv-repod init: missing --dir DIR" "init without --dir" -- "$R" init
expect 2 "^xdrv-repod keys init: missing --dir DIR" "keys init without --dir" -- "$R" keys init
expect 2 "^xdrv-repod keys rotate-root: missing --dir DIR" "keys rotate-root without --dir" -- "$R" keys rotate-root
expect 2 "^xdrv-repod vendor add: missing NAME" "vendor add without NAME" -- "$R" vendor add
expect 2 "^xdrv-repod vendor add: missing --token-file FILE" "vendor add without --token-file" -- "$R" vendor add acme
expect 2 "^xdrv-repod vendor add: missing --config FILE \(create one with 'xdrv-repod init'\)$" \
  "vendor add without --config" -- "$R" vendor add acme --token-file t
expect 2 "^xdrv-repod init: --port wants 0\.\.65535, not '70000'$" "init --port out of range" -- \
  "$R" init --dir d --port 70000
expect 2 "^xdrv-repod init: --listen wants an IPv4 or IPv6 address, not 'localhost'$" "init --listen a name" -- \
  "$R" init --dir d --listen localhost
expect 2 "^xdrv-repod keys init: --root-days wants a number of days in 1\.\.36525, not '0'$" "--root-days 0" -- \
  "$R" keys init --dir k --root-days 0
expect 1 "^xdrv-repod init: --trust-root /nonexistent/root.pem: No such file or directory$" \
  "init with a missing trust root" -- "$R" init --dir d --trust-root /nonexistent/root.pem
check "... and made nothing" test ! -e d

# ---- init: keys and a commented config ---------------------------------------------------------
expect 0 "^xdrv-repod init: made in repo$" "init --dir repo --trust-root" -- "$R" init --dir repo --trust-root "$ROOT"
out=$("$R" init --dir fresh --trust-root "$ROOT" --listen ::1 --port 9000 --root-days 30 2>&1)
check "init names the offline root key" grep -qE "^  fresh/keys/offline/root.key$" <<<"$out"
check "... says to keep it offline" grep -q "root key: keep it OFFLINE (move it off this machine)" <<<"$out"
check "... names the online keys" grep -q "^  fresh/keys/online/{targets,snapshot,timestamp}.key$" <<<"$out"
check "... and the root metadata with its lifetime" grep -q "root metadata, valid 30 days: hosts pin it" <<<"$out"
check "... and the config and address" grep -q "configuration: serves \[::1\]:9000, data in fresh/data" <<<"$out"
check "... and the next steps" grep -q "^next: xdrv-repod vendor add NAME --token-file NAME.token --config fresh/repod.conf$" <<<"$out"
for f in fresh/keys/offline/root.key fresh/keys/online/targets.key fresh/keys/online/snapshot.key \
  fresh/keys/online/timestamp.key fresh/keys/online/root/1.root.json fresh/repod.conf; do
  check "init made $f" test -s "$f"
done
check "root key is 0600" test "$(stat -c %a fresh/keys/offline/root.key)" = 600
check "repod.conf: listen, port, paths, absolute trust_root" grep -qzE \
  "listen = ::1.port = 9000.*data_dir = data.*keys_dir = keys/online.*trust_root = $(realpath "$ROOT")" fresh/repod.conf
check "repod.conf: optional keys commented at their defaults" grep -q "^# max_package = 33554432$" fresh/repod.conf
expect 0 "^xdrv-repod export: mirror at timestamp v1: wrote 0 targets, [0-9]+ metadata files, 2 pages$" \
  "the config init wrote loads (export through it, saying what it wrote)" -- "$R" export --config repo/repod.conf --out mirror
check "... export wrote the timestamp" test -s mirror/metadata/timestamp.json
expect 0 "^xdrv-repod export: mirror at timestamp v1: wrote 0 targets, 0 metadata files, 0 pages$" \
  "export again: the files are there, nothing written" -- "$R" export --config repo/repod.conf --out mirror
sum_conf=$(sha256sum < repo/repod.conf); sum_key=$(sha256sum < repo/keys/offline/root.key)
expect 1 "^xdrv-repod init: repo/repod.conf exists \(not replaced; --force rewrites it\)$" "init again: refused" -- \
  "$R" init --dir repo --trust-root "$ROOT"
check "... config unchanged" test "$(sha256sum < repo/repod.conf)" = "$sum_conf"
expect 0 "root.key \(kept\)" "init --force: rewrites the config, keeps the keys" -- \
  "$R" init --dir repo --trust-root "$ROOT" --port 8471 --force
check "... root key unchanged" test "$(sha256sum < repo/keys/offline/root.key)" = "$sum_key"
check "... config rewritten" grep -q "^port = 8471$" repo/repod.conf
expect 0 "set trust_root \(required\)" "init without --trust-root says what to fill in" -- "$R" init --dir nt
check "... the line to fill in is there" grep -q "^# trust_root = /path/to/root.pem$" nt/repod.conf
expect 1 "^xdrv-repod serve: config nt/repod.conf: missing trust_root \(required" "serve then names the missing key" -- \
  "$R" serve --config nt/repod.conf
mkdir half && mkdir -p half/keys/offline && : > half/keys/offline/root.key
expect 1 "not a keys folder made by 'keys init'" "init on a half keys folder: refused" -- "$R" init --dir half

# ---- keys init: what it made and what next -----------------------------------------------------
out=$("$R" keys init --dir k/keys 2>&1); rc=$?
check "keys init: exit 0" test "$rc" = 0
check "keys init names the offline key" grep -q "^  k/keys/offline/root.key$" <<<"$out"
check "... says to keep it offline" grep -q "keep it OFFLINE" <<<"$out"
check "... next: init in the parent keeps these keys" grep -qF \
  "next: xdrv-repod init --dir k --trust-root ROOT.pem   (writes k/repod.conf and keeps these keys)" <<<"$out"
expect 0 "k/keys/offline/root.key \(kept\)" "init after keys init keeps them" -- "$R" init --dir k --trust-root "$ROOT"
expect 0 "^      root metadata: hosts pin it" "... and claims no lifetime for kept root metadata" -- \
  "$R" init --dir k --trust-root "$ROOT" --force
expect 0 "keys_dir = other/online" "keys init elsewhere: next names keys_dir" -- "$R" keys init --dir other
expect 1 "other/offline/root.key exists \(not replaced\)" "keys init twice: refused" -- "$R" keys init --dir other

# ---- vendor add: a token file made when missing ------------------------------------------------
umask 000 # the token file must be 0600 whatever the umask
expect 0 "^xdrv-repod: made acme.token: a new random token \(mode 0600\) for vendor acme; give it to the vendor" \
  "vendor add with a new token file: made" -- "$R" vendor add acme --token-file acme.token --config repo/repod.conf
umask 022
check "... token file is 0600" test "$(stat -c %a acme.token)" = 600
check "... 64 hex digits" grep -qxE "[0-9a-f]{64}" acme.token
printf 'beta-token-0123456789abcdef\n' > beta.token; sum=$(sha256sum < beta.token)
out=$("$R" vendor add beta --token-file beta.token --config repo/repod.conf 2>&1); rc=$?
check "vendor add with an existing token file: exit 0" test "$rc" = 0
check "... not made again" bash -c '! grep -q "made" <<<"$1"' _ "$out"
check "... file as it was" test "$(sha256sum < beta.token)" = "$sum"
expect 1 "removed again" "vendor add of a bad name: refused, the token file made for it removed" -- \
  "$R" vendor add Bad_Name --token-file bad.token --config repo/repod.conf
check "... bad.token is gone" test ! -e bad.token
printf 'short\n' > short.token
expect 1 "token must be 16..4096 bytes" "vendor add with a short existing token: refused" -- \
  "$R" vendor add gamma --token-file short.token --config repo/repod.conf
check "... an existing token file is never removed" test -s short.token
expect 1 "vendor acme: exists" "vendor add twice" -- "$R" vendor add acme --token-file acme.token --config repo/repod.conf
expect 0 "" "old form: xdrv-repod --config F --export DIR" -- "$R" --config repo/repod.conf --export mirror2
check "... wrote the tree" test -s mirror2/metadata/timestamp.json

[ "$fails" -eq 0 ] && echo "repod_cli.sh: all passed" || echo "repod_cli.sh: $fails failed"
[ "$fails" -eq 0 ]
