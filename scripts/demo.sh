#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The end-to-end demo: a vendor builds, packs and signs two drivers; a host verifies them,
# JIT-compiles them eagerly and lazily, and runs them on the native backend against device
# models, showing the UART driver's output through the UART model. Run by `make demo`.
#   usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
B=${1:-build}
X="$B/bin/xdrv"
D="$B/demo"
rm -rf "$D" && mkdir -p "$D"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "vendor: a development PKI (root CA -> vendor CA -> signer)"
show "$X" pki --out "$D/pki"

for drv in hello uart16550; do
  step "vendor: build, pack and sign $drv"
  show "$X" build -o "$D/$drv.bc" sample-drivers/$drv/*.c
  ver=$(sed -n "s/^${drv}_VERSION *:= *//p" sample-drivers/$drv/driver.mk)
  sec=$(sed -n "s/^${drv}_SECVER *:= *//p" sample-drivers/$drv/driver.mk)
  show "$X" pack -o "$D/$drv.unsigned.xdrv" --version "$ver" --security-version "$sec" "$D/$drv.bc"
  show "$X" sign --cert "$D/pki/signer.pem" --key "$D/pki/signer.key" --chain "$D/pki/vendor.pem" \
    -o "$D/$drv.xdrv" "$D/$drv.unsigned.xdrv"
done

step "host: verify and inspect"
show "$X" verify --trust "$D/pki/root.pem" "$D/hello.xdrv"
show "$X" inspect --trust "$D/pki/root.pem" "$D/uart16550.xdrv"

step "independent check: openssl cms verifies the same signature"
policy=$(sed -n 's/^#define SIG_OID_POLICY_DRIVER "\(.*\)"/\1/p' signer/include/xdrv/signer.h)
show "$X" verify --split "$D/split" "$D/hello.xdrv"
show openssl cms -verify -binary -inform DER -in "$D/split/signature.der" -content "$D/split/payload" \
  -CAfile "$D/pki/root.pem" -purpose any -policy "$policy" -explicit_policy -out /dev/null

step "host: a tampered package is refused"
cp "$D/hello.xdrv" "$D/tampered.xdrv"
printf 'X' | dd of="$D/tampered.xdrv" bs=1 seek=700 conv=notrunc status=none
if "$X" verify --trust "$D/pki/root.pem" "$D/tampered.xdrv"; then
  echo "demo: a tampered package was accepted" >&2; exit 1
fi

step "host: JIT-compile hello eagerly and lazily"
show "$X" load --trust "$D/pki/root.pem" --eager "$D/hello.xdrv"
show "$X" load --trust "$D/pki/root.pem" --lazy "$D/hello.xdrv"

step "host: run hello (eager) on the native backend"
show "$X" run --trust "$D/pki/root.pem" --eager --device null "$D/hello.xdrv"

step "host: run uart16550 (lazy) on the 16550A model; type 'hello, driver' into its receiver"
show "$X" run --trust "$D/pki/root.pem" --lazy --device uart16550 --input $'hello, driver\r' \
  --param baud=38400 "$D/uart16550.xdrv"

step "demo finished: build -> pack -> sign -> verify -> JIT (eager, lazy) -> run"
