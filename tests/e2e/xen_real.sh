#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real Xen (issue 11): Xen 4.17 and a Debian 6.1 dom0 under QEMU TCG, and inside dom0 the signed
# sample drivers through xdrv against the dom0 kernel's own xen-netback and xen-blkback. The
# stage itself is tests/xen/run.sh (read its header and tests/xen/README.md): it downloads the
# Xen and kernel packages into ${XDRV_XEN_CACHE:-$HOME/.cache/xdrv-xen} on the first run (about
# 72 MB, checked against Debian's signed package lists), builds a dom0 initramfs around
# BUILD_DIR's xdrv, boots it, and turns the guest's XDRV-RESULT lines into ok/FAIL/SKIP lines.
# About 2 minutes with a warm cache on 2 idle cores; checks this xdrv cannot run yet are SKIP.
#   usage: tests/e2e/xen_real.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: xen_real.sh BUILD_DIR}
exec "$(dirname "$0")/../xen/run.sh" "$B"
