/* SPDX-License-Identifier: MIT */
/*
 * LLVM on first use, for the `xdrv` program (cli/llvm_lazy.c). The stubs that call it are
 * generated (scripts/gen-llvm-lazy); nothing else includes this.
 */
#ifndef XDRV_CLI_LLVM_LAZY_H
#define XDRV_CLI_LLVM_LAZY_H

#include <stddef.h>

/* Load the first library of `sonames` (space-separated; each looked for beside the program in
 * ../lib/xdrv/, then on the library path) that loads, and resolve names[0..n) into fns. Called
 * once, by the first stub called. On failure it prints what is missing and ends the process with
 * status 1: the stub's caller cannot be given an error (an LLVM-C function has no way to say "LLVM
 * is missing"). */
void xdrv_llvm_lazy_load(const char *sonames, const char *const *names, void (**fns)(void),
			 size_t n);

#endif
