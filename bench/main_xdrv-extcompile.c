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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/ext_host.h"
#include "xdrv/loader.h"
#include "xdrv/util.h"

#include "bench_priv.h"
#include "rounds.h"

/* One load at `fast` (O0 fast tier) or O2: 0, or -1 with the message printed. */
static int once(const char *root, const char *pkg, int fast, double *wall, double *cpu)
{
	struct ldr_config cfg = {.trust_root = root,
				 .opt_level = fast ? 0 : 2,
				 .tier = fast ? LDR_TIER_FAST : LDR_TIER_FULL};
	struct ldr_ctx *ctx = NULL;
	struct ldr_ext *ext = NULL;
	char *e = NULL;
	double c0 = rounds_cpu_ms();
	uint64_t t0 = xdrv_now_ns();
	int rc = ldr_ctx_create(&cfg, &ctx, &e);
	if (!rc)
		rc = ldr_ext_load_file(ctx, pkg, NULL, 0, NULL, &ext, &e);
	*wall = (double)(xdrv_now_ns() - t0) / 1e6;
	*cpu = rounds_cpu_ms() - c0;
	if (rc)
		fprintf(stderr, "xdrv-extcompile: %s\n", e ? e : "failed");
	ldr_ext_unload(ext);
	ldr_ctx_destroy(ctx);
	free(e);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *root;
	int n;
	int first = rounds_args(argc, argv, "xdrv-extcompile", "EXT.xdrv", &root, &n);
	if (first < 0)
		return 2;
	printf("%-16s %21s %21s  (medians of %d, ms)\n", "extension", "fast (O0): wall/cpu",
	       "O2: wall/cpu", n);
	for (int i = first; i < argc; i++) {
		double wf[ROUNDS_MAX], cf[ROUNDS_MAX], wo[ROUNDS_MAX], co[ROUNDS_MAX];
		for (int k = 0; k < n; k++)
			for (int w = 0; w < 2; w++) {
				int fast = (k + w) % 2;
				if (once(root, argv[i], fast, fast ? &wf[k] : &wo[k],
					 fast ? &cf[k] : &co[k]))
					return 1;
			}
		const char *base = strrchr(argv[i], '/');
		printf("%-16s %10.1f/%10.1f %10.1f/%10.1f\n", base ? base + 1 : argv[i],
		       bench_median(wf, (uint32_t)n), bench_median(cf, (uint32_t)n),
		       bench_median(wo, (uint32_t)n), bench_median(co, (uint32_t)n));
		fflush(stdout);
	}
	return 0;
}
