/* SPDX-License-Identifier: MIT */
/*
 * What the two compile-cost programs share (xdrv-compilebench, xdrv-extcompile): their options
 * (--trust ROOT.pem, -n ROUNDS, then the packages) and the CPU clock their rounds are timed on.
 * The medians they print are bench_median's (stats.c).
 */
#ifndef XDRV_BENCH_ROUNDS_H
#define XDRV_BENCH_ROUNDS_H

#define ROUNDS_MAX 64

/* CPU time so far of this process and of its waited-for children, in ms. */
double rounds_cpu_ms(void);

/* `PROG --trust ROOT.pem [-n 1..ROUNDS_MAX] OPERAND...`: the index of the first operand with
 * *root and *n (default 5) set, or -1 with the usage printed on stderr (exit status 2). */
int rounds_args(int argc, char **argv, const char *prog, const char *operand, const char **root,
		int *n);

#endif
