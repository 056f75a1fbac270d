// SPDX-License-Identifier: MIT
/*
 * xdrv-extcompile: what it costs to bring a packet extension up (issue 16; docs/BENCHMARKS.md,
 * "Packet extensions: compile cost and the eBPF peer"), at the fast tier's level (O0, fast
 * instruction selection) and at O2. For each package, N rounds with the two levels alternating
 * first, each in a fresh loader context with no object cache: ldr_ext_load_file (signature and
 * chain, the extension lint, the memory-check pass, the budget, optimization, code generation
 * in the compiler process, link). Prints the medians of wall time and of CPU time (this process
 * and its children), in ms: the in-kernel JVM seed's NYA compiled its priority-queue VIFlet in
 * about 0.26 ms, a figure to hold these against.
 *
 *   usage: xdrv-extcompile --trust ROOT.pem [-n 1..64] EXT.xdrv...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "xdrv/ext_host.h"
#include "xdrv/loader.h"
#include "xdrv/util.h"

#define MAX_ROUNDS 64

static double cpu_ms(void)
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One load at `fast` (O0 fast tier) or O2: 0, or -1 with the message printed. */
static int once(const char *root, const char *pkg, int fast, double *wall, double *cpu)
{
	struct ldr_config cfg = {.trust_root = root,
				 .opt_level = fast ? 0 : 2,
				 .tier = fast ? LDR_TIER_FAST : LDR_TIER_FULL};
	struct ldr_ctx *ctx = NULL;
	struct ldr_ext *ext = NULL;
	char *e = NULL;
	double c0 = cpu_ms();
	uint64_t t0 = xdrv_now_ns();
	int rc = ldr_ctx_create(&cfg, &ctx, &e);
	if (!rc)
		rc = ldr_ext_load_file(ctx, pkg, NULL, 0, NULL, &ext, &e);
	*wall = (double)(xdrv_now_ns() - t0) / 1e6;
	*cpu = cpu_ms() - c0;
	if (rc)
		fprintf(stderr, "xdrv-extcompile: %s\n", e ? e : "failed");
	ldr_ext_unload(ext);
	ldr_ctx_destroy(ctx);
	free(e);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *root = NULL;
	int n = 5, first = argc;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trust") && i + 1 < argc) {
			root = argv[++i];
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = atoi(argv[++i]);
		} else {
			first = i;
			break;
		}
	}
	if (!root || first >= argc || n < 1 || n > MAX_ROUNDS) {
		fprintf(stderr, "usage: xdrv-extcompile --trust ROOT.pem [-n 1..%d] EXT.xdrv...\n",
			MAX_ROUNDS);
		return 2;
	}
	printf("%-16s %21s %21s  (medians of %d, ms)\n", "extension", "fast (O0): wall/cpu",
	       "O2: wall/cpu", n);
	for (int i = first; i < argc; i++) {
		double wf[MAX_ROUNDS], cf[MAX_ROUNDS], wo[MAX_ROUNDS], co[MAX_ROUNDS];
		for (int k = 0; k < n; k++)
			for (int w = 0; w < 2; w++) {
				int fast = (k + w) % 2;
				if (once(root, argv[i], fast, fast ? &wf[k] : &wo[k],
					 fast ? &cf[k] : &co[k]))
					return 1;
			}
		const char *base = strrchr(argv[i], '/');
		printf("%-16s %10.1f/%10.1f %10.1f/%10.1f\n", base ? base + 1 : argv[i],
		       median(wf, n), median(cf, n), median(wo, n), median(co, n));
		fflush(stdout);
	}
	return 0;
}
