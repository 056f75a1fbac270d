// SPDX-License-Identifier: MIT
/*
 * The options and the CPU clock of the compile-cost programs (rounds.h).
 */
#include "rounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

double rounds_cpu_ms(void)
{
	struct rusage s, c;
	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec +
			c.ru_stime.tv_sec) *
		       1e3 +
	       (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec +
			c.ru_stime.tv_usec) /
		       1e3;
}

int rounds_args(int argc, char **argv, const char *prog, const char *operand, const char **root,
		int *n)
{
	int first = argc;
	*root = NULL;
	*n = 5;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trust") && i + 1 < argc) {
			*root = argv[++i];
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			*n = atoi(argv[++i]);
		} else {
			first = i;
			break;
		}
	}
	if (!*root || first >= argc || *n < 1 || *n > ROUNDS_MAX) {
		fprintf(stderr, "usage: %s --trust ROOT.pem [-n 1..%d] %s...\n", prog, ROUNDS_MAX,
			operand);
		return -1;
	}
	return first;
}
