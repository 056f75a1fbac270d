/* SPDX-License-Identifier: MIT */
/*
 * The bench program's entry points (bench/main_xdrv-bench.c calls them; `xdrv bench` runs that
 * program). Bench code is not part of the shipped `xdrv`: it links natively compiled builds of
 * the sample drivers (-march=native) for the JIT-vs-native comparison.
 */
#ifndef XDRV_BENCH_H
#define XDRV_BENCH_H

/* `xdrv bench`: argv[0] is "bench". Returns the exit status (0, 1 failure, 2 usage). */
int bench_main(int argc, char **argv);

#endif
