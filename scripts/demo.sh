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

# Bold step titles only on a terminal, and never with NO_COLOR set (https://no-color.org):
# a log file or CI output gets plain text.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-}" != dumb ]; then
  BOLD=$'\033[1m' PLAIN=$'\033[0m'
else
  BOLD='' PLAIN=''
fi
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
show() { printf '$ %s\n' "$*"; "$@"; }
# show_bg: the same for a command left running in the background ($! is its pid)
show_bg() { printf '$ %s &\n' "$*"; "$@" & }

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
policy=$("$X" verify --help | sed -n 's/^policy OID: *//p')   # from the tool, not a header
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

# ---- measured boot + attestation (issue 5): swtpm on loopback, guarded so the demo above stands
step "host: measured boot with a TPM (swtpm on loopback), quote, and a verifier checks the chain"
if command -v swtpm >/dev/null && command -v tpm2_checkquote >/dev/null; then
  TPMPORT=$(python3 -c 'import socket
for _ in range(200):
    a=socket.socket(); a.bind(("127.0.0.1",0)); p=a.getsockname()[1]; b=socket.socket()
    try: b.bind(("127.0.0.1",p+1)); print(p); break
    except OSError: pass
    finally: a.close(); b.close()')
  mkdir -p "$D/tpm"
  show_bg swtpm socket --tpmstate dir="$D/tpm" --tpm2 --server type=tcp,port="$TPMPORT",bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((TPMPORT + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear
  SWTPM_PID=$!
  trap 'kill $SWTPM_PID 2>/dev/null || true' EXIT
  TCTI="swtpm:host=127.0.0.1,port=$TPMPORT"
  for _ in $(seq 50); do TPM2TOOLS_TCTI=$TCTI tpm2_pcrread sha256:0 >/dev/null 2>&1 && break; sleep 0.1; done
  cat > "$D/boot.json" <<JSON
{"format": 1, "tpm": "$TCTI", "event_log": "boot.log", "state_dir": "state",
 "trust": {"root": "pki/root.pem"},
 "policy": {"allowed_vendors": ["xdrv dev vendor"], "min_security_versions": {"hello": 1}},
 "drivers": [{"package": "hello.xdrv", "device": "null", "params": {"greeting_count": 2}},
             {"package": "uart16550.xdrv", "device": "uart16550", "params": {"baud": 38400}}]}
JSON
  show "$X" boot --config "$D/boot.json"
  NONCE=$(openssl rand -hex 20)
  show "$X" attest --config "$D/boot.json" --nonce "$NONCE" -o "$D/attestation.json" --export "$D/quote"
  # the reference lists each driver by its payload digest (its identity; `xdrv verify` prints it)
  payload() { "$X" verify --trust "$D/pki/root.pem" "$1" | awk '/^payload sha256:/{print $3}'; }
  printf '{"drivers": {"hello": ["%s"], "uart16550": ["%s"]}}\n' \
    "$(payload "$D/hello.xdrv")" "$(payload "$D/uart16550.xdrv")" > "$D/reference.json"
  show "$X" verify-boot "$D/attestation.json" --nonce "$NONCE" --expect "$D/reference.json"
  step "independent check: the standard TPM tools accept the event log and the quote"
  TPM2TOOLS_TCTI=$TCTI show tpm2_pcrread sha256:11,12
  tpm2_eventlog "$D/boot.log" 2>/dev/null | tail -8
  show tpm2_checkquote -u "$D/quote/ak.pem" -m "$D/quote/quote.msg" -s "$D/quote/quote.sig" \
    -f "$D/quote/pcrs.bin" -l sha256:11,12 -e "$D/quote/eventlog.bin" -q "$NONCE" -g sha256
  kill $SWTPM_PID 2>/dev/null || true
else
  echo "(skipped: swtpm / tpm2-tools not installed; scripts/install-deps installs them)"
fi
step "measured boot finished: boot -> event log + PCRs 11/12 -> quote -> verify-boot"
