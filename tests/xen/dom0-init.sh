#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the real-Xen stage's dom0 (busybox sh; built into the initramfs by mkinitrd.sh, booted
# by run.sh). Loads the Xen modules, mounts xenfs, starts xenstored and runs xen-init-dom0, then
# runs the checks and prints one line per check on the console (hvc0, which Xen copies to the
# serial port the host reads):
#   XDRV-RESULT name=NAME ok=1|0|skip [key=value]... [msg=TEXT to the end of the line]
#   XDRV-DONE uptime=SECONDS            (all checks ran; then the machine powers off)
# Other lines (T+SECONDS ..., the logs of failed checks) are for people reading the log.
# Settings come from /etc/xdrv-xen.conf (written by run.sh): XDRV_XEN_CHECKS ("smoke net blk"),
# XDRV_XEN_PINGS (200), XDRV_XEN_NET_WIRE ("netfront"), XDRV_XEN_BLK_DISK
# ("blkfront:xvda:/dev/loop0"), XDRV_XEN_UP_TIMEOUT (seconds for a driver to come up),
# XDRV_XEN_EMULATE=1: the harness's self-test, the net and blk checks on --backend native with
# a TAP named vif0.0 in dom0's root namespace for netfront+netback and disk=file:/dev/loop0 for
# blkfront+blkback (no xenstore readiness or teardown checks then; results carry emulated=1).
export PATH=/usr/local/sbin:/xdrv/bin:/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/ TERM=dumb
# the test build's sanitizers: report to the console, no leak check of an exiting xdrv here
# (the host's suites do that), abort on the first error so it shows as a failed check
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
XDRV_XEN_CHECKS="smoke net blk" XDRV_XEN_PINGS=200 XDRV_XEN_NET_WIRE=netfront
XDRV_XEN_BLK_DISK=blkfront:xvda:/dev/loop0 XDRV_XEN_UP_TIMEOUT=240 XDRV_XEN_EMULATE=0
# The driver host's heartbeat deadline is CPU time, 100 ms by default; under QEMU TCG (and a
# sanitizer build) the guest's CPU is tens of times slower than a real one, so a NAPI poll can
# take longer than that: 10 s here (the wall-clock limits scale with it).
HB="--heartbeat 10000"
# shellcheck disable=SC1091
[ -r /etc/xdrv-xen.conf ] && . /etc/xdrv-xen.conf
TRUST=/xdrv/pki/root.pem
# iproute2 (busybox's ash runs its own applets before PATH, and its ip has no netns)
IP=/usr/local/sbin/ip
PKG=/xdrv/pkg

up() { cut -d' ' -f1 /proc/uptime; }
t() { echo "T+$(up)s $*"; }
res() { echo "XDRV-RESULT $*"; }
# seconds between two uptimes
dt() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
# the log of a failed check, indented, at most 40 lines
show() { echo "---- $1"; tail -n 40 "$1" | sed 's/^/  | /'; echo "----"; }
finish() {
	echo "XDRV-DONE uptime=$(up)"
	sync
	poweroff -f
}

/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /dev/pts /run/xenstored /var/run
mount -t devpts devpts /dev/pts
dmesg -n 1 # kernel messages stay in dmesg, not between the result lines
t "dom0 /init: Linux $(uname -r)"

# ---- Xen: modules, xenfs, xenstored, xen-init-dom0 ------------------------------------------
mods_ok=1
while read -r m; do
	insmod "/mod/$m.ko" || { echo "insmod $m failed"; mods_ok=0; }
done </mod/order
mount -t xenfs xenfs /proc/xen || mods_ok=0
caps=$(cat /proc/xen/capabilities 2>/dev/null)
xenstored --pid-file /run/xenstored.pid >/tmp/xenstored.log 2>&1
xs_rc=$?
# xenstored answers once it has daemonized and opened its socket
for _ in $(seq 50); do
	xenstore-read /local >/dev/null 2>&1 && break
	sleep 0.2
done
xen-init-dom0 >/tmp/xen-init-dom0.log 2>&1
init_rc=$?
dom0_name=$(xenstore-read /local/domain/0/name 2>/dev/null)
if [ "$mods_ok" = 1 ] && [ "$caps" = control_d ] && [ "$xs_rc" = 0 ] && [ "$init_rc" = 0 ] &&
	[ "$dom0_name" = Domain-0 ]; then
	res "name=dom0 ok=1 uptime=$(up) kernel=$(uname -r) hypervisor=$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra)"
else
	res "name=dom0 ok=0 msg=modules_ok=$mods_ok capabilities='$caps' xenstored rc=$xs_rc xen-init-dom0 rc=$init_rc name='$dom0_name'"
	show /tmp/xenstored.log
	show /tmp/xen-init-dom0.log
	dmesg | tail -n 30
	finish
fi

# "load 1937.460 ms (verify 4.583, extract 2.367, parse+lint 13.681, optimize 1093.541, jit 716.979)"
# -> "load_ms=1937 optimize_ms=1093 jit_ms=716"
load_fields() {
	sed -n 's/^ *load *\([0-9.]*\) ms (.*optimize \([0-9.]*\), jit \([0-9.]*\)).*/load_ms=\1 optimize_ms=\2 jit_ms=\3/p' "$1" | head -n 1
}
# run a driver on a backend and check a line of its output; NAME LOG PATTERN xdrv-run-args...
run_check() {
	name=$1 log=$2 want=$3
	shift 3
	t0=$(up)
	xdrv run --trust "$TRUST" $HB "$@" >"$log" 2>&1
	rc=$?
	t1=$(up)
	if [ "$rc" = 0 ] && grep -q "$want" "$log"; then
		res "name=$name ok=1 wall_s=$(dt "$t0" "$t1") $(load_fields "$log")"
	else
		res "name=$name ok=0 wall_s=$(dt "$t0" "$t1") msg=exit $rc, no '$want' in its output"
		show "$log"
	fi
}

# ---- smoke: xdrv and its JIT under TCG, on the native backend --------------------------------
smoke() {
	if v=$(xdrv --version 2>&1); then
		res "name=xdrv-version ok=1 msg=$v"
	else
		res "name=xdrv-version ok=0 msg=$v"
		return
	fi
	# A driver's JIT under TCG on the native backend: only when the net check will not load
	# dp83820 on Xen itself (each load costs 10-40 s of TCG here, several times that on a
	# loaded machine: make test runs the other lanes beside this stage).
	case " $XDRV_XEN_CHECKS " in *" net "*) [ -z "$(xen_missing net)" ] || [ "$XDRV_XEN_EMULATE" = 1 ] && return ;; esac
	run_check native-hello /tmp/hello.log "hello from a JIT-compiled xdrv driver" \
		--device null "$PKG/hello.xdrv"
	run_check native-dp83820 /tmp/dp.log "rx 200 packets 12000 bytes, tx 200 packets 12000 bytes; errors rx 0 tx 0" \
		--device dp83820 --wire gen:count=200,size=60 "$PKG/dp83820.xdrv"
}

# ---- what this xdrv can do on Xen: "" if it can run CHECK, else why not ---------------------
xen_missing() {
	help=$(xdrv run --help 2>&1)
	if echo "$help" | grep -q '^  xen .*not built'; then
		echo "this xdrv has no xen backend ('xdrv run --help': not built in this version)"
	elif [ "$1" = net ] && ! echo "$help" | grep -q -E '^ +netfront[[:punct:][:space:]]'; then
		echo "this xdrv has no netfront wire ('xdrv run --help' lists no --wire netfront)"
	elif [ "$1" = blk ] && ! echo "$help" | grep -q '^  blkfront '; then
		echo "this xdrv has no blkfront disk ('xdrv run --help' lists no disk backend blkfront)"
	fi
}

# wait up to $XDRV_XEN_UP_TIMEOUT s for the command $1 to succeed while pid $2 lives; 0 if it did
wait_for() {
	i=0
	while [ "$i" -lt "$((XDRV_XEN_UP_TIMEOUT * 5))" ]; do
		"$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# stop pid $1 with SIGTERM (SIGKILL after 20 s); its exit status in $stop_rc
stop() {
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
	stop_rc=$?
}
# the handle of the one vif (vbd) backend directory dom0 serves to itself, "" if none
be_handles() { xenstore-list "/local/domain/0/backend/$1/0" 2>/dev/null; }
be_state() { xenstore-read "/local/domain/0/backend/$1/0/$2/state" 2>/dev/null; }
# net is up: the driver's TAP exists in xd, and netback's backend is Connected (it then has
# vif0.N), or (emulated) the wire's TAP vif0.0 exists
net_up() {
	$IP -n xd link show xdrv0 >/dev/null 2>&1 || return 1
	if [ "$backend" = native ]; then
		$IP link show vif0.0 >/dev/null 2>&1
	else
		h=$(be_handles vif | head -n 1)
		[ -n "$h" ] && [ "$(be_state vif "$h")" = 4 ]
	fi
}
# busybox httpd listens on port 8080 (1F90, state LISTEN = 0A) in dom0's root namespace / in xd
httpd_d0() { grep -q ":1F90 00000000:0000 0A" /proc/net/tcp; }
httpd_xd() { $IP netns exec xd grep -q ":1F90 00000000:0000 0A" /proc/net/tcp; }

# result NAME [TEXT]: within 10 s, $vif and both xenstore directories of the vif are gone
net_gone() {
	i=0
	while { [ -e "/sys/class/net/$vif" ] || [ -n "$(be_handles vif)" ]; } && [ "$i" -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	left=""
	[ -e "/sys/class/net/$vif" ] && left="$left $vif"
	[ -n "$(be_handles vif)" ] && left="$left backend/vif/0/$(be_handles vif | tr '\n' ' ')"
	fe=$(xenstore-list /local/domain/0/xdrv/vif 2>/dev/null)
	[ -n "$fe" ] && left="$left xdrv/vif/$(echo "$fe" | tr '\n' ' ')"
	if [ -z "$left" ]; then
		res "name=$1 ok=1$em${2:+ $2}"
	else
		res "name=$1 ok=0$em${2:+ $2} msg=left behind:$left"
	fi
}

# ---- net: dp83820 -> netfront -> the kernel's xen-netback -> vif0.N in dom0 ----------------
# The driver's interface is a TAP in namespace xd (10.11.0.2); vif0.N in the root namespace
# (10.11.0.1). Pings and an HTTP transfer each way cross the whole path.
net() {
	why=$(xen_missing net)
	backend=xen wire=$XDRV_XEN_NET_WIRE em=""
	if [ "$XDRV_XEN_EMULATE" = 1 ]; then
		why="" backend=native wire=tap:vif0.0 em=" emulated=1"
	fi
	if [ -n "$why" ]; then
		res "name=xen-net ok=skip msg=$why"
		return
	fi
	if ! $IP netns add xd || ! $IP -n xd link set lo up; then
		res "name=xen-net ok=0$em msg=cannot create network namespace xd"
		return
	fi
	t0=$(up)
	xdrv run --trust "$TRUST" $HB --cache /tmp/xcache --backend "$backend" --device dp83820 \
		--host-tap xdrv0@xd --wire "$wire" "$PKG/dp83820.xdrv" >/tmp/net.log 2>&1 &
	xp=$!
	if ! wait_for net_up "$xp"; then
		res "name=xen-net ok=0$em wall_s=$(dt "$t0" "$(up)") msg=no TAP xdrv0 in xd or no Connected vif backend (handles '$(be_handles vif)', state '$(be_state vif "$(be_handles vif | head -n 1)")')"
		stop "$xp"
		show /tmp/net.log
		dmesg | grep -i -E 'vif|netback|xenbus' | tail -n 20
		return
	fi
	vif=vif0.$(be_handles vif | head -n 1)
	[ "$backend" = native ] && vif=vif0.0
	res "name=xen-net-up ok=1$em wall_s=$(dt "$t0" "$(up)") vif=$vif"
	$IP -n xd addr add 10.11.0.2/24 dev xdrv0
	$IP -n xd link set xdrv0 up
	$IP addr add 10.11.0.1/24 dev "$vif"
	$IP link set "$vif" up

	# the first reply (ARP, then ICMP), then the counted run with no loss allowed
	if ping -c 1 -W 20 10.11.0.2 >/tmp/ping1.log 2>&1; then
		res "name=xen-net-first-ping ok=1$em"
	else
		res "name=xen-net-first-ping ok=0$em msg=no reply from 10.11.0.2 within 20 s"
		show /tmp/ping1.log
	fi
	t1=$(up)
	# 20 a second, not 100: under QEMU TCG on a loaded CI machine the round trip reached 1.5 s,
	# so 100 a second put ~150 requests in flight, more than the driver's receive ring (64)
	# holds, and the NIC dropped what it had no room for, as a real one would
	ping -c "$XDRV_XEN_PINGS" -i 0.05 -W 10 -q 10.11.0.2 >/tmp/ping.log 2>&1
	got=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping.log)
	rtt=$(sed -n 's/^round-trip min\/avg\/max = \(.*\) ms/\1/p' /tmp/ping.log)
	if [ "$got" = "$XDRV_XEN_PINGS" ]; then
		res "name=xen-net-ping ok=1$em sent=$XDRV_XEN_PINGS received=$got rtt_ms=$rtt wall_s=$(dt "$t1" "$(up)")"
	else
		res "name=xen-net-ping ok=0$em sent=$XDRV_XEN_PINGS received=${got:-?} msg=loss"
		show /tmp/ping.log
	fi

	# TCP: 4 MiB each way over HTTP (busybox httpd and wget), digests compared
	mkdir -p /tmp/www-xd /tmp/www-d0
	dd if=/dev/urandom of=/tmp/www-xd/blob bs=64k count=64 2>/dev/null
	dd if=/dev/urandom of=/tmp/www-d0/blob bs=64k count=64 2>/dev/null
	$IP netns exec xd httpd -f -p 10.11.0.2:8080 -h /tmp/www-xd &
	hp1=$!
	httpd -f -p 10.11.0.1:8080 -h /tmp/www-d0 &
	hp2=$!
	if ! wait_for httpd_d0 "$hp2" || ! wait_for httpd_xd "$hp1"; then
		res "name=xen-net-httpd ok=0$em msg=busybox httpd does not listen on 10.11.0.1:8080 and 10.11.0.2:8080"
	fi
	for dir in from-driver to-driver; do
		t1=$(up)
		if [ "$dir" = from-driver ]; then
			want=$(sha256sum </tmp/www-xd/blob | cut -d' ' -f1)
			got=$(timeout 120 wget -q -O - http://10.11.0.2:8080/blob | sha256sum | cut -d' ' -f1)
		else
			want=$(sha256sum </tmp/www-d0/blob | cut -d' ' -f1)
			got=$($IP netns exec xd timeout 120 wget -q -O - http://10.11.0.1:8080/blob | sha256sum | cut -d' ' -f1)
		fi
		if [ "$got" = "$want" ]; then
			res "name=xen-net-tcp-$dir ok=1$em bytes=4194304 sha256=$got wall_s=$(dt "$t1" "$(up)")"
		else
			res "name=xen-net-tcp-$dir ok=0$em msg=sha256 $got, sent $want"
		fi
	done
	kill "$hp1" "$hp2" 2>/dev/null
	wait "$hp1" "$hp2" 2>/dev/null

	stop "$xp"
	if [ "$stop_rc" = 0 ]; then
		res "name=xen-net-exit ok=1$em $(load_fields /tmp/net.log)"
	else
		res "name=xen-net-exit ok=0$em msg=xdrv run exited $stop_rc after SIGTERM"
		show /tmp/net.log
	fi
	net_gone xen-net-teardown
	# a crash: SIGKILL leaves no vif either (xdrv's reaper removes the directories). This run
	# takes the object the first one stored in the cache, so it does not compile again.
	xdrv run --trust "$TRUST" $HB --cache /tmp/xcache --backend "$backend" --device dp83820 \
		--host-tap xdrv0@xd --wire "$wire" "$PKG/dp83820.xdrv" >/tmp/net-kill.log 2>&1 &
	xp=$!
	t0=$(up)
	if wait_for net_up "$xp"; then
		t1=$(up)
		vif=vif0.$(be_handles vif | head -n 1)
		[ "$backend" = native ] && vif=vif0.0
		kill -KILL "$xp"
		wait "$xp"
		net_gone xen-net-kill-teardown "up_s=$(dt "$t0" "$t1")"
	else
		res "name=xen-net-kill-teardown ok=0$em msg=the second run did not come up"
		stop "$xp"
		show /tmp/net-kill.log
	fi
	$IP netns del xd
}

# ---- blk: virtio-scsi -> SCSI disk -> blkfront -> the kernel's xen-blkback on /dev/loop0 -----
blk() {
	why=$(xen_missing blk)
	backend=xen disk=$XDRV_XEN_BLK_DISK em=""
	if [ "$XDRV_XEN_EMULATE" = 1 ]; then
		why="" backend=native disk=file:/dev/loop0 em=" emulated=1"
	fi
	if [ -n "$why" ]; then
		res "name=xen-blk ok=skip msg=$why"
		return
	fi
	dd if=/dev/zero of=/tmp/disk.img bs=1M count=16 2>/dev/null
	losetup /dev/loop0 /tmp/disk.img || {
		res "name=xen-blk ok=0$em msg=losetup /dev/loop0 failed"
		return
	}
	# A: 64 KiB written through the driver at LBA 0; B: 64 KiB written by dom0 at byte 1 MiB,
	# read through the driver (LBA 2048 of 512-byte sectors). O_DIRECT on dom0's side, so no
	# page cache stands between dom0's dd and what blkback wrote or reads.
	dd if=/dev/urandom of=/tmp/pat-a bs=64k count=1 2>/dev/null
	dd if=/dev/urandom of=/tmp/pat-b bs=64k count=1 2>/dev/null
	dd if=/tmp/pat-b of=/dev/loop0 bs=64k seek=16 count=1 oflag=direct conv=notrunc,fsync 2>/dev/null
	t0=$(up)
	xdrv run --trust "$TRUST" $HB --backend "$backend" --device "virtio-scsi:disk=$disk" \
		--blk-write sda:0:/tmp/pat-a --blk-flush sda --blk-read sda:2048:128:/tmp/back-b \
		"$PKG/virtio_scsi.xdrv" >/tmp/blk.log 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		res "name=xen-blk-run ok=1$em wall_s=$(dt "$t0" "$(up)") $(load_fields /tmp/blk.log)"
	else
		res "name=xen-blk-run ok=0$em wall_s=$(dt "$t0" "$(up)") msg=xdrv run exited $rc"
		show /tmp/blk.log
		dmesg | grep -i -E 'blkback|vbd|xenbus|blkif' | tail -n 20
	fi
	a=$(sha256sum </tmp/pat-a | cut -d' ' -f1)
	got=$(dd if=/dev/loop0 bs=64k count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	if [ "$got" = "$a" ]; then
		res "name=xen-blk-driver-to-dom0 ok=1$em sha256=$a"
	else
		res "name=xen-blk-driver-to-dom0 ok=0$em msg=dom0 dd of /dev/loop0 at 0: sha256 $got, the driver wrote $a"
	fi
	b=$(sha256sum </tmp/pat-b | cut -d' ' -f1)
	got=$(sha256sum </tmp/back-b 2>/dev/null | cut -d' ' -f1)
	if [ "$got" = "$b" ]; then
		res "name=xen-blk-dom0-to-driver ok=1$em sha256=$b"
	else
		res "name=xen-blk-dom0-to-driver ok=0$em msg=the driver read sha256 '$got' at LBA 2048, dom0 wrote $b"
	fi
	# teardown: no vbd backend or frontend directory left (the blkback device goes asynchronously)
	i=0
	while [ -n "$(be_handles vbd)" ] && [ "$i" -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	left=""
	[ -n "$(be_handles vbd)" ] && left="$left backend/vbd/0/$(be_handles vbd | tr '\n' ' ')"
	xenstore-list /local/domain/0/xdrv/vbd >/dev/null 2>&1 &&
		[ -n "$(xenstore-list /local/domain/0/xdrv/vbd)" ] && left="$left xdrv/vbd/$(xenstore-list /local/domain/0/xdrv/vbd | tr '\n' ' ')"
	if [ -z "$left" ]; then
		res "name=xen-blk-teardown ok=1$em"
	else
		res "name=xen-blk-teardown ok=0$em msg=left behind:$left"
	fi
	losetup -d /dev/loop0
}

for c in $XDRV_XEN_CHECKS; do
	case $c in
	smoke | net | blk)
		t "check $c"
		$c
		;;
	extra) # experiments: /xdrv/extra.sh, put there with run.sh's XDRV_XEN_EXTRA folder
		t "check extra"
		# shellcheck disable=SC1091 # not in the repository
		. /xdrv/extra.sh
		;;
	*) res "name=$c ok=0 msg=unknown check" ;;
	esac
done
finish
