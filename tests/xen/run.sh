#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real-Xen stage: Xen 4.17 and a Debian 6.1 dom0 booted under QEMU TCG (KVM is not usable
# here; smap=0 smep=0 are needed under TCG), and inside dom0, xdrv against the dom0 kernel's
# own xen-netback and xen-blkback. See tests/xen/README.md.
#
#   1. tests/xen/fetch.sh: the .debs (apt-get download, checked against Debian's signed lists)
#      into the cache ${XDRV_XEN_CACHE:-$HOME/.cache/xdrv-xen}, reused when present
#      (about 72 MB, about 1 minute cold);
#   2. tests/xen/mkinitrd.sh: a dom0 initramfs with busybox, the Xen modules and tools, and
#      BUILD_DIR's xdrv with every library it loads, its signed sample packages and root.pem;
#   3. QEMU (not nice'd: under make test the other lanes share the cores, and a starved TCG
#      guest ran out of time; no network device, serial console to a file) boots Xen with that dom0;
#      its /init (tests/xen/dom0-init.sh) runs the checks and prints one XDRV-RESULT line each,
#      then powers off;
#   4. this script reads the serial log: each XDRV-RESULT line becomes "ok", "FAIL" or "SKIP",
#      and the timings are printed.
# Checks (XDRV_XEN_CHECKS, default "smoke net blk"):
#   smoke  dom0 up (xenstored, xen-init-dom0), `xdrv --version`, and the signed hello and
#          dp83820 (generator wire) drivers JIT-compiled and run on --backend
#          native inside dom0 (their load/optimize/JIT times under TCG are printed);
#   net    dp83820 on --backend xen, --wire netfront, the driver's interface on a TAP in a
#          namespace of dom0, netback's vif0.N in dom0's root namespace: first ping, 200 pings
#          with no loss, 4 MiB over HTTP each way with matching SHA-256, exit 0 on SIGTERM, vif
#          and xenstore directories gone; again after a second run is killed (SIGKILL);
#   blk    virtio_scsi on --backend xen with disk=blkfront:xvda:/dev/loop0: a pattern written
#          through the driver and flushed is what dom0's dd (O_DIRECT) reads from the loop
#          device, and a pattern dom0 wrote is what the driver reads; vbd directories gone.
# A net or blk check that this xdrv cannot run yet (no xen backend, no netfront or blkfront in
# `xdrv run --help`) is reported as SKIP with the reason; XDRV_XEN_REQUIRE=1 makes that a
# failure. Exit status: 0 if nothing failed.
#
#   usage: tests/xen/run.sh BUILD_DIR
#   environment: XDRV_XEN_CACHE (cache folder), XDRV_XEN_CHECKS, XDRV_XEN_REQUIRE=1,
#     XDRV_XEN_PINGS (200), XDRV_XEN_TIMEOUT (QEMU's limit, s; default 900),
#     XDRV_XEN_LOG=FILE (keep a copy of the serial log), XDRV_XEN_KERNEL (see fetch.sh),
#     XDRV_XEN_EMULATE=1 (the harness's self-test, see dom0-init.sh), XDRV_XEN_EXTRA=FOLDER
#     (copied into the initramfs; with the check "extra", dom0 runs its xdrv/extra.sh),
#     XDRV_XEN_NET_WIRE, XDRV_XEN_BLK_DISK (the CLI spelling), XDRV_XEN_CPU, XDRV_XEN_SMP
# Needs: root (apt-get update, when the lists are stale), qemu-system-x86, busybox-static, cpio,
# iproute2 (scripts/install-deps), network access to Debian's mirror on a cold cache.
set -uo pipefail
B=${1:?usage: tests/xen/run.sh BUILD_DIR}
S=$(cd "$(dirname "$0")" && pwd)
CACHE=${XDRV_XEN_CACHE:-$HOME/.cache/xdrv-xen}
CHECKS=${XDRV_XEN_CHECKS:-smoke net blk}
TMO=${XDRV_XEN_TIMEOUT:-900}
T=$(mktemp -d /tmp/xdrv-xen.XXXXXX)
QPID=""
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	[ -n "${XDRV_XEN_LOG:-}" ] && [ -e "$T/serial.log" ] && cp "$T/serial.log" "$XDRV_XEN_LOG"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fails=0 skips=0 passes=0
ok() {
	echo "ok   - $*"
	passes=$((passes + 1))
}
bad() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}
skip() {
	if [ "${XDRV_XEN_REQUIRE:-0}" = 1 ]; then
		bad "$* (XDRV_XEN_REQUIRE=1)"
	else
		echo "SKIP - $*"
		skips=$((skips + 1))
	fi
}
now() { date +%s.%N; }
# CPU seconds (user + system) of the waited-for children in the output of bash's `times`
child_cpu() { awk 'NR == 2 { split($1, u, "m"); split($2, s, "m")
	printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"; }
secs() { awk -v a="$2" -v b="$1" 'BEGIN {printf "%.1f", a - b}'; }

for t in qemu-system-x86_64 cpio gzip; do
	command -v "$t" >/dev/null || {
		echo "FAIL - $t not installed (scripts/install-deps)"
		exit 1
	}
done
[ -x "$B/bin/xdrv" ] || {
	echo "FAIL - no $B/bin/xdrv"
	exit 1
}
t_all=$(now)

# ---- 1. the packages --------------------------------------------------------------------------
t0=$(now)
if ! "$S/fetch.sh" "$CACHE"; then
	echo "FAIL - fetching Xen and the dom0 kernel into $CACHE (above)"
	exit 1
fi
t_fetch=$(secs "$t0" "$(now)")
CR=$CACHE/root
kdirs=("$CR"/lib/modules/6.1.0-*-amd64)
KV=${kdirs[0]##*/}

# ---- 2. the initramfs -------------------------------------------------------------------------
t0=$(now)
mkdir -p "$T/extra/etc"
# files of one's own for the initramfs (XDRV_XEN_EXTRA=FOLDER, e.g. xdrv/extra.sh for the check "extra")
[ -n "${XDRV_XEN_EXTRA:-}" ] && cp -a "$XDRV_XEN_EXTRA"/. "$T/extra/"
{
	echo "XDRV_XEN_CHECKS='$CHECKS'"
	echo "XDRV_XEN_PINGS=${XDRV_XEN_PINGS:-200}"
	echo "XDRV_XEN_EMULATE=${XDRV_XEN_EMULATE:-0}"
	[ -n "${XDRV_XEN_NET_WIRE:-}" ] && echo "XDRV_XEN_NET_WIRE='$XDRV_XEN_NET_WIRE'"
	[ -n "${XDRV_XEN_BLK_DISK:-}" ] && echo "XDRV_XEN_BLK_DISK='$XDRV_XEN_BLK_DISK'"
} >"$T/extra/etc/xdrv-xen.conf"
if ! XDRV_XEN_EXTRA=$T/extra "$S/mkinitrd.sh" "$B" "$CACHE" "$T/tree" "$T/initrd.cpio"; then
	echo "FAIL - building the dom0 initramfs (above)"
	exit 1
fi
rm -rf "$T/tree"
gzip -dc "$CR/boot/xen-4.17-amd64.gz" >"$T/xen" || {
	echo "FAIL - unpacking the hypervisor"
	exit 1
}
t_initrd=$(secs "$t0" "$(now)")

# ---- 3. boot ---------------------------------------------------------------------------------
# dom0 gets 1536 MiB: the unpacked initramfs (about 400 MB) lives in its RAM, and xdrv's JIT
# and the test build's ASan shadow need room besides. Serial console only, no NIC, no reboot.
t0=$(now)
times >"$T/times0"
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M smap=0 smep=0"
DOM0_ARGS="console=hvc0 loglevel=4"
timeout "$TMO" qemu-system-x86_64 -accel "${XDRV_XEN_ACCEL:-tcg}" -cpu "${XDRV_XEN_CPU:-max}" -machine pc -m 3072 -smp "${XDRV_XEN_SMP:-1}" \
	-display none -nic none -monitor none -parallel none -no-reboot \
	-serial "file:$T/serial.log" -kernel "$T/xen" -append "$XEN_ARGS" \
	-initrd "$CR/boot/vmlinuz-$KV $DOM0_ARGS,$T/initrd.cpio" >"$T/qemu.log" 2>&1 &
QPID=$!
# when Xen started, when dom0's /init ran, when the checks were done (wall seconds from start)
t_xen="" t_init="" t_done=""
while kill -0 "$QPID" 2>/dev/null; do
	[ -z "$t_xen" ] && grep -q '(XEN) Xen version' "$T/serial.log" 2>/dev/null && t_xen=$(secs "$t0" "$(now)")
	[ -z "$t_init" ] && grep -q 'dom0 /init:' "$T/serial.log" 2>/dev/null && t_init=$(secs "$t0" "$(now)")
	[ -z "$t_done" ] && grep -q '^XDRV-DONE' "$T/serial.log" 2>/dev/null && t_done=$(secs "$t0" "$(now)")
	sleep 0.5
done
wait "$QPID"
qrc=$?
# the guest powers off right after XDRV-DONE, often before the next look
[ -z "$t_done" ] && grep -q '^XDRV-DONE' "$T/serial.log" && t_done="<$(secs "$t0" "$(now)")"
times >"$T/times1"
cpu_qemu=$(awk -v a="$(child_cpu "$T/times1")" -v b="$(child_cpu "$T/times0")" 'BEGIN {printf "%.0f", a - b}')
QPID=""
t_boot=$(secs "$t0" "$(now)")
[ "$qrc" = 124 ] && bad "QEMU was still running after ${TMO} s (XDRV_XEN_TIMEOUT): killed"
[ "$qrc" != 0 ] && [ "$qrc" != 124 ] && bad "QEMU exited $qrc: $(head -c 2000 "$T/qemu.log")"

# ---- 4. the results ---------------------------------------------------------------------------
tr -d '\r' <"$T/serial.log" >"$T/console.log"
grep '^XDRV-RESULT ' "$T/console.log" >"$T/results" || true
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
while read -r line; do
	name=$(field name "$line")
	status=$(field ok "$line")
	rest=${line#"XDRV-RESULT name=$name ok=$status"}
	case $status in
	1) ok "$name:$rest" ;;
	skip) skip "$name:$rest" ;;
	*) bad "$name:$rest" ;;
	esac
done <"$T/results"
# every check that ran said what it had to say
need() { grep -q "^XDRV-RESULT name=$1 " "$T/results" || bad "$1: no result on the console"; }
for c in $CHECKS; do
	case $c in
	smoke)
		for n in dom0 xdrv-version; do need "$n"; done
		# the native hello and dp83820 runs stand in for the net check's JIT when that one
		# cannot run
		if [[ " $CHECKS " != *" net "* ]] || grep -q '^XDRV-RESULT name=xen-net ok=skip' "$T/results"; then
			need native-hello
			need native-dp83820
		fi
		;;
	net) grep -q '^XDRV-RESULT name=xen-net ' "$T/results" ||
		for n in xen-net-up xen-net-first-ping xen-net-ping xen-net-tcp-from-driver \
			xen-net-tcp-to-driver xen-net-exit xen-net-teardown xen-net-kill-teardown; do need "$n"; done ;;
	blk) grep -q '^XDRV-RESULT name=xen-blk ' "$T/results" ||
		for n in xen-blk-run xen-blk-driver-to-dom0 xen-blk-dom0-to-driver xen-blk-teardown; do need "$n"; done ;;
	esac
done
done_line=$(grep -m1 '^XDRV-DONE ' "$T/console.log")
[ -n "$done_line" ] || bad "dom0 did not finish its checks (no XDRV-DONE on the console)"
if [ "$fails" -gt 0 ]; then
	echo "---- the console's last 80 lines (Xen, dom0):"
	tail -n 80 "$T/console.log" | sed 's/^/  | /'
fi

# ---- timings --------------------------------------------------------------------------------
up_dom0=$(field uptime "$(grep -m1 '^XDRV-RESULT name=dom0 ' "$T/results")")
echo "timings: fetch ${t_fetch} s, initramfs ${t_initrd} s ($(du -m "$T/initrd.cpio" | cut -f1) MB)," \
	"QEMU ${t_boot} s (Xen at ${t_xen:-?} s, dom0's /init at ${t_init:-?} s, checks done at ${t_done:-?} s;" \
	"dom0 up ${up_dom0:-?} s, done at $(field uptime "$done_line" | sed 's/^$/?/') s of its uptime)," \
	"total $(secs "$t_all" "$(now)") s; QEMU used ${cpu_qemu} s of CPU; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in native-hello native-dp83820 xen-net-up xen-net-exit xen-blk-run; do
	l=$(grep -m1 "^XDRV-RESULT name=$n ok=1 " "$T/results") || continue
	w=$(field wall_s "$l") ms=$(field load_ms "$l")
	[ -n "$w$ms" ] || continue
	echo "  $n:${w:+ wall $w s in dom0}${w:+${ms:+;}}${ms:+ xdrv load $ms ms (optimize $(field optimize_ms "$l"), JIT $(field jit_ms "$l"))}"
done
echo "xen-real: $passes ok, $fails failed, $skips skipped"
[ "$fails" -eq 0 ]
