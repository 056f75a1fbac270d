#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Write llvm/Config/llvm-config.h for a cross build: the build machine's copy with the host and
# default triples and the LLVM_NATIVE_* names of the target architecture. This header is the only
# architecture-dependent one the llvm-c headers include (llvm-19-dev cannot be co-installed for a
# second architecture); the list of configured targets is the same in Debian's LLVM on every
# architecture and is left as it is.
#   usage: scripts/cross-llvm-config.sh ARCH OUT_DIR     (ARCH: arm64, ppc64el, s390x)
set -euo pipefail
arch=${1:?usage: cross-llvm-config.sh ARCH OUT_DIR} out=${2:?usage: cross-llvm-config.sh ARCH OUT_DIR}
case "$arch" in
  arm64) triple=aarch64-unknown-linux-gnu llvm=AArch64 ;;
  ppc64el) triple=powerpc64le-unknown-linux-gnu llvm=PowerPC ;;
  s390x) triple=s390x-unknown-linux-gnu llvm=SystemZ ;;
  *) echo "cross-llvm-config.sh: unsupported architecture '$arch'" >&2; exit 2 ;;
esac
src="$(llvm-config-19 --includedir)/llvm/Config/llvm-config.h"
mkdir -p "$out/llvm/Config"
sed -E \
  -e "s/^(#define LLVM_(DEFAULT_TARGET|HOST)_TRIPLE) \".*\"/\1 \"$triple\"/" \
  -e "s/^(#define LLVM_NATIVE_ARCH) .*/\1 $llvm/" \
  -e "s/^(#define LLVM_NATIVE_[A-Z]+ LLVMInitialize)X86/\1$llvm/" \
  "$src" > "$out/llvm/Config/llvm-config.h.tmp"
grep -q "LLVM_NATIVE_ARCH $llvm\$" "$out/llvm/Config/llvm-config.h.tmp" || {
  echo "cross-llvm-config.sh: $src: no LLVM_NATIVE_ARCH to rewrite" >&2; exit 1; }
mv "$out/llvm/Config/llvm-config.h.tmp" "$out/llvm/Config/llvm-config.h"
