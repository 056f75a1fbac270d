#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make deb-test: the .debs of `make deb` installed into a clean Debian bookworm (debootstrap
# --variant=minbase from the mirror apt is configured with) by apt, which fetches their
# dependencies, then used there as a user would: xdrv --help, xdrv abi, a driver (hello) built
# and packed with the installed xdrv through driver.mk and pkg-config, xdrv-repod --help, and
# xdrv-repod serving /health on 127.0.0.1.
# Not in tests/e2e: it needs Debian's mirror (tests there use only 127.0.0.1) and root (chroot,
# mount namespace). The base system is cached as BUILD_DIR/deb-chroot/bookworm-minbase.tar.zst
# and apt's downloaded .debs in BUILD_DIR/deb-chroot/archives, so a rerun downloads only the
# package lists. Every run starts from the unpacked base: nothing of an earlier run remains.
#   usage: tests/packaging/deb_chroot.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: deb_chroot.sh BUILD_DIR}
B=$(cd "$B" && pwd)
SRC=$PWD
CACHE=$B/deb-chroot
BASE=$CACHE/bookworm-minbase.tar.zst
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
t0=$(date +%s)
lap() { echo "  ($(($(date +%s) - t0)) s) $*"; }

[ "$(id -u)" -eq 0 ] || { bad "needs root (debootstrap, chroot, mount namespace)"; exit 1; }
for t in debootstrap unshare zstd; do
  command -v "$t" >/dev/null || { bad "$t is not installed (scripts/install-deps)"; exit 1; }
done
debs=$(ls "$B"/deb/*.deb 2>/dev/null)
[ "$(wc -w <<<"$debs")" -eq 3 ] || { bad "wanted the 3 packages of make deb in $B/deb, found: $debs"; exit 1; }

# the mirror apt uses here (deb822 sources or sources.list), else Debian's CDN
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/* *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

T=$(mktemp -d "$CACHE.run.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE" && mktemp -d "$CACHE.run.XXXXXX"; })
trap 'rm -rf "$T"' EXIT
R=$T/root
mkdir -p "$CACHE/archives" "$R"

# 1. the base system: debootstrap once, then from the cache
if [ ! -s "$BASE" ]; then
  lap "debootstrap --variant=minbase bookworm from $mirror"
  if debootstrap --variant=minbase bookworm "$T/new" "$mirror" > "$T/debootstrap.log" 2>&1; then
    tar -C "$T/new" --zstd -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
    rm -rf "$T/new"
  else
    bad "debootstrap failed: $(tail -5 "$T/debootstrap.log")"; exit 1
  fi
fi
tar -C "$R" --zstd -xf "$BASE" || { bad "cannot unpack $BASE"; exit 1; }
lap "base system unpacked ($(du -sh "$R" | cut -f1))"
ok "clean bookworm minbase chroot"

mkdir -p "$R/tmp/debs" "$R/tmp/hello"
cp $debs "$R/tmp/debs/"
cp "$SRC/sample-drivers/hello/hello.c" "$R/tmp/hello/"
cp "$CACHE"/archives/*.deb "$R/var/cache/apt/archives/" 2>/dev/null
cp /etc/resolv.conf "$R/etc/resolv.conf"

# run a script in the chroot, in its own mount and PID namespaces (its /proc goes with them)
in_chroot() {
  unshare --mount --pid --fork --propagation private sh -c '
    mount -t proc proc "$1/proc" && mount -t tmpfs tmpfs "$1/dev/shm" &&
    exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive /bin/bash -c "$2"' sh "$R" "$1"
}

# 2. apt installs the packages and their dependencies from the mirror
if in_chroot 'set -e; apt-get update -q; apt-get install -y -q -o Dpkg::Options::=--force-unsafe-io --no-install-recommends /tmp/debs/*.deb make pkgconf' > "$T/apt.log" 2>&1; then
  ok "apt-get install of the three .debs: $(grep -c '^Setting up' "$T/apt.log") packages set up"
else
  bad "apt-get install: $(tail -15 "$T/apt.log")"
fi
cp -n "$R"/var/cache/apt/archives/*.deb "$CACHE/archives/" 2>/dev/null
lap "packages installed"

# 3. use them
check() { # check DESCRIPTION PATTERN SCRIPT
  local out rc
  out=$(in_chroot "$3" 2>&1); rc=$?
  if [ "$rc" -eq 0 ] && grep -qE -- "$2" <<<"$out"; then ok "$1"; else bad "$1 (exit $rc): $out"; fi
}
check "xdrv --help" "^commands:" 'xdrv --help'
check "xdrv abi" "ABI 1\.[0-9]+\.[0-9]+" 'xdrv abi'
check "the man pages are installed, gzipped" "^\\.TH XDRV-BUILD 1" 'test -f /usr/share/man/man1/xdrv-build.1.gz && zcat /usr/share/man/man1/xdrv-build.1.gz | head -3'
check "xdrv build + pack of hello with the installed headers" "hello-1.0.0.xdrv" '
  set -e; cd /tmp/hello
  xdrv build -v -o hello.bc hello.c 2>&1 | grep -q -- "-isystem /usr/include/xdrv-driver "
  xdrv pack -o hello-1.0.0.xdrv --version 1.0.0 --security-version 1 hello.bc
  xdrv inspect --allow-unsigned hello-1.0.0.xdrv >/dev/null; ls hello-1.0.0.xdrv'
check "driver.mk through pkg-config, sign and verify" "OK" '
  set -e; mkdir -p /tmp/drv && cp /tmp/hello/hello.c /tmp/drv/ && cd /tmp/drv
  printf "DRIVER := hello\nVERSION := 1.0.0\ninclude \$(shell pkg-config --variable=makeinclude xdrv-driver)\n" > Makefile
  xdrv pki --out /tmp/pki --quiet
  make -s all sign SIGN_CERT=/tmp/pki/signer.pem SIGN_KEY=/tmp/pki/signer.key SIGN_CHAIN=/tmp/pki/vendor.pem
  xdrv verify --trust /tmp/pki/root.pem build/hello-1.0.0.signed.xdrv'
check "xdrv-repod --help" "^  xdrv-repod init --dir DIR" 'xdrv-repod --help'
check "xdrv-repod serves /health" '"status": *"ok"' '
  set -e; cd /tmp
  xdrv-repod keys init --dir /tmp/keys >/dev/null
  printf "listen = 127.0.0.1\nport = 0\ndata_dir = /tmp/data\nkeys_dir = /tmp/keys/online\ntrust_root = /tmp/pki/root.pem\n" > repod.conf
  [ -f /tmp/pki/root.pem ] || xdrv pki --out /tmp/pki --quiet
  xdrv-repod serve --config repod.conf --port-file /tmp/port > /tmp/repod.log 2>&1 & pid=$!
  for i in $(seq 300); do [ -s /tmp/port ] && break; sleep 0.1; done
  exec 3<>/dev/tcp/127.0.0.1/$(cat /tmp/port)
  printf "GET /health HTTP/1.0\r\nHost: x\r\n\r\n" >&3; cat <&3
  kill $pid; wait $pid'
check "the unit is installed where systemd looks" "DynamicUser=yes" 'cat /lib/systemd/system/xdrv-repod.service'
lap "done"

if [ "$fails" -eq 0 ]; then echo "ok - .debs install and run in a clean bookworm chroot ($(($(date +%s) - t0)) s)"; exit 0; fi
echo "FAIL - deb chroot: $fails problems"
exit 1
