#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `xdrv ext test` end to end (issue 16): a small extension written here is built with
# `xdrv build --extension`, packed and signed; a capture made here (python3) goes through it.
# The verdict of every frame, the digest of every frame after the run, the output capture and
# the table the extension counts in are predicted independently (python3 applies the same
# rules) and must match byte for byte; the same with a big-endian nanosecond capture; a frame
# that makes the extension read out of bounds stops it at that frame and the rest get the
# policy verdict; a malformed capture is refused naming the record and field; a driver
# package is refused; and, where make built it, the sample filter drops what its table lists.
#   usage: tests/e2e/ext_test.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: ext_test.sh BUILD_DIR}
X="$B/bin/xdrv" PKI="$B/pki"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
command -v python3 >/dev/null || { bad "python3 is needed to make and check the captures"; exit 1; }
[ -f "$PKI/root.pem" ] || { bad "no $PKI/root.pem (make all)"; exit 1; }

# ---- the extension ----
cat > "$T/rw.c" <<'EOF'
#include <xdrv/ext.h>
/* table seen: [0] IPv4 frames, [1] others. IPv4: swap the MAC addresses, TTL 9; UDP is sent
 * back (TX), TCP to port 5201 is class 0, other TCP class 1. Anything else is dropped. */
static const struct xdrv_ext_table tables[] = {
	{.name = "seen", .kind = XDRV_EXT_TABLE_ARRAY, .max_entries = 8},
	{.name = NULL},
};
static int32_t rw_run(xdrv_ext_pkt_t *pkt)
{
	if (xdrv_ext_len(pkt) < 14)
		return XDRV_EXT_DROP;
	uint32_t type = xdrv_ext_ld16(pkt, 12);
	xdrv_ext_tab_add(pkt, 0, type == 0x0800 ? 0 : 1, 1);
	if (type != 0x0800)
		return XDRV_EXT_DROP;
	uint32_t proto = xdrv_ext_ld8(pkt, 23); /* out of bounds in a short frame */
	for (uint32_t i = 0; i < 6; i++) {
		uint32_t a = xdrv_ext_ld8(pkt, i), b = xdrv_ext_ld8(pkt, 6 + i);
		xdrv_ext_st8(pkt, i, b);
		xdrv_ext_st8(pkt, 6 + i, a);
	}
	xdrv_ext_st8(pkt, 22, 9);
	if (proto == 17)
		return XDRV_EXT_TX;
	return xdrv_ext_ld16(pkt, 36) == 5201 ? XDRV_EXT_CLASS(0) : XDRV_EXT_CLASS(1);
}
XDRV_EXTENSION(.name = "rw", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX, .tables = tables,
	       .run = rw_run);
EOF
if "$X" build --extension -o "$T/rw.bc" "$T/rw.c" > "$T/build.log" 2>&1 &&
  "$X" pack -o "$T/rw.unsigned.xdrv" "$T/rw.bc" >> "$T/build.log" 2>&1 &&
  "$X" sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" --chain "$PKI/vendor.pem" \
    -o "$T/rw.xdrv" "$T/rw.unsigned.xdrv" >> "$T/build.log" 2>&1; then
  ok "extension built, packed and signed"
else
  bad "building the extension: $(cat "$T/build.log")"; exit 1
fi

# ---- captures and the expected results (python3: the same rules, independently) ----
cat > "$T/cap.py" <<'EOF'
import hashlib, struct, sys
def ipv4(i, proto, dport):
    l4 = struct.pack('>HHHH', 4000 + i, dport, 26, 0) + bytes(18) if proto == 17 else \
         struct.pack('>HHIIHHHH', 4000 + i, dport, i, 0, 0x5002, 512, 0, 0) + bytes(range(i % 7))
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), i, 0, 64, proto, 0,
                     bytes([10, 0, 0, 1 + i % 5]), bytes([10, 0, 0, 200]))
    return bytes([2, 0, 0, 0, 0, 0xaa]) + bytes([2, 0, 0, 0, i, 1]) + b'\x08\x00' + ip + l4
def frames(short_at=None):
    out = []
    for i in range(50):
        if i % 10 == 9:
            out.append(b'\xff' * 6 + bytes([2, 0, 0, 0, i, 1]) + b'\x08\x06' + bytes(28))  # ARP
        elif i == short_at:
            out.append(bytes([2, 0, 0, 0, 0, 0xaa]) + bytes(6) + b'\x08\x00' + bytes(6))   # 20 bytes
        else:
            out.append(ipv4(i, 17 if i % 3 == 0 else 6, 5201 if i % 4 == 1 else 80))
    return out
def write(path, frs, order='<', nsec=False):
    with open(path, 'wb') as f:
        f.write(struct.pack(order + 'IHHiIII', 0xa1b23c4d if nsec else 0xa1b2c3d4, 2, 4, 0, 0, 4096, 1))
        for i, fr in enumerate(frs):
            f.write(struct.pack(order + 'IIII', 1800000000 + i, 1000 * i, len(fr), len(fr)) + fr)
def run(fr):
    if len(fr) < 14: return 'drop', fr, None
    t = struct.unpack('>H', fr[12:14])[0]
    if t != 0x0800: return 'drop', fr, 1
    if len(fr) < 24: return 'fail', fr, 0
    b = bytearray(fr)
    b[0:6], b[6:12] = fr[6:12], fr[0:6]
    b[22] = 9
    if fr[23] == 17: return 'tx', bytes(b), 0
    return ('class0' if struct.unpack('>H', fr[36:38])[0] == 5201 else 'class1'), bytes(b), 0
mode = sys.argv[1]
if mode == 'make':
    write(sys.argv[2], frames()); write(sys.argv[3], frames(), '>', True)
    write(sys.argv[4], frames(short_at=7))
    sys.exit(0)
# expect VERDICTS OUT.pcap: the verdict file, the output capture (LE, usec) and the counts
short = 7 if mode == 'expect-fail' else None
fl = frames(short)
lines, outs, seen, failed = [], [], [0, 0], False
for i, fr in enumerate(fl):
    if failed:
        lines.append('%d policy-pass %d %s' % (i, len(fr), hashlib.sha256(fr).hexdigest())); outs.append(fr); continue
    v, o, k = run(fr)
    if v == 'fail':
        failed = True; seen[0] += 1
        lines.append('%d failed-pass %d %s' % (i, len(fr), hashlib.sha256(fr).hexdigest())); outs.append(fr); continue
    if k is not None: seen[k] += 1
    lines.append('%d %s %d %s' % (i, v, len(o), hashlib.sha256(o).hexdigest()))
    if v != 'drop': outs.append(o)
open(sys.argv[2], 'w').write('\n'.join(lines) + '\n')
with open(sys.argv[3], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 4096, 1))
    idx = [i for i, l in enumerate(lines) if l.split()[1] not in ('drop',)]
    for i, o in zip(idx, outs):
        f.write(struct.pack('<IIII', 1800000000 + i, 1000 * i, len(o), len(fl[i])) + o)
print(seen[0], seen[1])
EOF
python3 "$T/cap.py" make "$T/in.pcap" "$T/in-be-ns.pcap" "$T/in-short.pcap" || { bad "python3 could not write the captures"; exit 1; }
seen=$(python3 "$T/cap.py" expect "$T/want.txt" "$T/want.pcap")

# ---- 1. the run: verdicts, digests, output capture, table ----
if "$X" ext test --trust "$PKI/root.pem" --pcap "$T/in.pcap" --out "$T/out.pcap" \
  --verdicts "$T/got.txt" --dump-tables "$T/rw.xdrv" > "$T/sum.txt" 2> "$T/err.txt"; then
  ok "xdrv ext test ran: $(head -2 "$T/sum.txt" | tr '\n' ' ')"
else
  bad "xdrv ext test failed: $(cat "$T/err.txt" "$T/sum.txt")"
fi
if cmp -s "$T/want.txt" "$T/got.txt"; then
  ok "every frame's verdict and digest as predicted ($(wc -l < "$T/got.txt") frames)"
else bad "verdict file differs: $(diff "$T/want.txt" "$T/got.txt" | head -6)"; fi
w=$(sha256sum < "$T/want.pcap" | cut -c1-64) g=$(sha256sum < "$T/out.pcap" 2>/dev/null | cut -c1-64)
if [ "$w" = "$g" ]; then ok "output capture as predicted: sha256 $g"
else bad "output capture: sha256 $g, predicted $w"; fi
want_counts=$(awk '{ n[$2]++ } END { printf "verdicts: pass %d, drop %d, tx %d, class0 %d, class1 %d, class2 0, class3 0", n["pass"], n["drop"], n["tx"], n["class0"], n["class1"] }' "$T/want.txt")
if grep -qx "$want_counts" "$T/sum.txt"; then ok "summary counts: $want_counts"
else bad "summary counts: wanted '$want_counts': $(cat "$T/sum.txt")"; fi
read -r s0 s1 <<<"$seen"
if grep -q "^  0 $s0\$" "$T/sum.txt" && grep -q "^  0x1 $s1\$" "$T/sum.txt"; then
  ok "table seen: $s0 IPv4 frames, $s1 others"
else bad "table seen: wanted $s0 and $s1: $(sed -n '/^table/,$p' "$T/sum.txt")"; fi

# ---- 2. a big-endian nanosecond capture: the same verdicts ----
if "$X" ext test --trust "$PKI/root.pem" --pcap "$T/in-be-ns.pcap" --verdicts - "$T/rw.xdrv" \
  > "$T/got-be.txt" 2> /dev/null && cmp -s "$T/want.txt" "$T/got-be.txt"; then
  ok "big-endian nanosecond capture: the same verdicts and digests"
else bad "big-endian capture: $(diff "$T/want.txt" "$T/got-be.txt" | head -4)"; fi

# ---- 3. out of bounds mid-capture: stopped at that frame, the rest gets the policy ----
python3 "$T/cap.py" expect-fail "$T/want-f.txt" "$T/want-f.pcap" > /dev/null
"$X" ext test --trust "$PKI/root.pem" --pcap "$T/in-short.pcap" --out "$T/out-f.pcap" \
  --verdicts "$T/got-f.txt" --json "$T/rw.xdrv" > "$T/f.json" 2> /dev/null
if cmp -s "$T/want-f.txt" "$T/got-f.txt" && cmp -s "$T/want-f.pcap" "$T/out-f.pcap"; then
  ok "failure at frame 7: failed-pass there, policy-pass after, output as predicted"
else bad "failure run: $(diff "$T/want-f.txt" "$T/got-f.txt" | head -4)"; fi
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["failed"]
assert f["frame"] == 7 and f["rc"] == -34, f
assert "xdrv_ext_ld8 at offset 23 (1 byte) past the frame'"'"'s 20 bytes" in f["message"], f
assert d["policy"] == 43 and d["verdicts"]["tx"] == 3, d
' "$T/f.json"; then ok "JSON names frame 7, -ERANGE and the access"
else bad "JSON summary: $(cat "$T/f.json")"; fi
if "$X" ext test --trust "$PKI/root.pem" --pcap "$T/in-short.pcap" --on-fail drop --verdicts - \
  "$T/rw.xdrv" 2> /dev/null | awk '$1 == 7 && $2 != "failed-drop" { bad = 1 }
    $1 >= 8 && $2 != "policy-drop" { bad = 1 } END { exit bad }'; then
  ok "--on-fail drop: failed-drop at frame 7, policy-drop after"
else bad "--on-fail drop not applied"; fi

# ---- 4. refusals: a malformed capture, a driver, an unsigned package without --allow-unsigned ----
head -c 130 "$T/in.pcap" > "$T/trunc.pcap"
out=$("$X" ext test --trust "$PKI/root.pem" --pcap "$T/trunc.pcap" "$T/rw.xdrv" 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "record 1: data truncated: caplen 55, 14 bytes left" <<<"$out"; then
  ok "truncated capture refused: ${out##*: record}"
else bad "truncated capture: rc $rc: $out"; fi
python3 -c '
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read()); struct.pack_into("<I", d, 24 + 8, 5000); struct.pack_into("<I", d, 24 + 12, 5000)
open(sys.argv[2], "wb").write(d)' "$T/in.pcap" "$T/big.pcap"
out=$("$X" ext test --trust "$PKI/root.pem" --pcap "$T/big.pcap" "$T/rw.xdrv" 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "record 0: caplen 5000 exceeds the snaplen 4096" <<<"$out"; then ok "caplen over the snaplen refused"
else bad "oversized record: rc $rc: $out"; fi
if [ -f "$B/pkg/hello.xdrv" ]; then
  out=$("$X" ext test --trust "$PKI/root.pem" --pcap "$T/in.pcap" "$B/pkg/hello.xdrv" 2>&1); rc=$?
  if [ $rc = 1 ] && grep -q "is a driver, not an extension" <<<"$out"; then ok "a driver package is refused"
  else bad "driver package: rc $rc: $out"; fi
fi
out=$("$X" ext test --pcap "$T/in.pcap" --trust "$PKI/root.pem" "$T/rw.unsigned.xdrv" 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "unsigned" <<<"$out"; then ok "an unsigned package is refused"
else bad "unsigned package: rc $rc: $out"; fi

# revocation: a deny-list naming the package, and a CRL revoking its signer
if "$X" revoke --deny-list "$T/deny.txt" --package "$T/rw.xdrv" > /dev/null 2>&1; then
  out=$("$X" ext test --trust "$PKI/root.pem" --deny-list "$T/deny.txt" --pcap "$T/in.pcap" "$T/rw.xdrv" 2>&1); rc=$?
  if [ $rc = 1 ] && grep -q "deny-list" <<<"$out"; then ok "a package on the deny-list is refused"
  else bad "deny-list: rc $rc: $out"; fi
else bad "xdrv revoke --deny-list failed"; fi
if "$X" revoke --root-cert "$PKI/root.pem" --root-key "$PKI/root.key" --crl "$T/crl.pem" \
  --cert "$PKI/signer.pem" > /dev/null 2>&1; then
  out=$("$X" ext test --trust "$PKI/root.pem" --crl "$T/crl.pem" --pcap "$T/in.pcap" "$T/rw.xdrv" 2>&1); rc=$?
  if [ $rc = 1 ] && grep -q "revoked" <<<"$out"; then ok "a package signed by a revoked certificate is refused"
  else bad "CRL: rc $rc: $out"; fi
else bad "xdrv revoke --crl failed"; fi

# ---- 5. the sample filter (built by make): drops what its table lists ----
if [ -f "$B/ext/filter.xdrv" ]; then
  out=$("$X" ext test --trust "$PKI/root.pem" --pcap "$T/in.pcap" --json --dump-tables \
    --table deny=10.0.0.2 "$B/ext/filter.xdrv" 2>/dev/null)
  if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["verdicts"]["drop"] == 10 and d["verdicts"]["pass"] == 40, d["verdicts"]
assert d["tables"]["hits"]["entries"] == [["167772162", "10"]], d["tables"]
' "$out"; then ok "sample filter: the 10 IPv4 frames from 10.0.0.2 dropped and counted"
  else bad "sample filter: $out"; fi
fi

if [ "$fails" -eq 0 ]; then echo "ok - xdrv ext test"; exit 0; fi
echo "FAIL - xdrv ext test: $fails problems"
exit 1
