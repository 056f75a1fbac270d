// SPDX-License-Identifier: MIT
/*
 * xdrv-bench: the program behind `xdrv bench` (cli/cmd_bench.c runs it from beside the `xdrv`
 * executable). It is a program of its own so that the shipped `xdrv` carries neither the bench
 * nor the natively compiled sample drivers it compares against.
 */
#include "bench.h"

int main(int argc, char **argv)
{
	argv[0] = "bench";
	return bench_main(argc, argv);
}
