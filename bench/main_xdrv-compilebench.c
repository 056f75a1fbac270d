// SPDX-License-Identifier: MIT
/*
 * xdrv-compilebench: the cost of the compiler process (loader/compile.c, issue 12). For each
 * package, N rounds (the two ways alternating first), each in a fresh loader context with no
 * object cache: an in-process eager load (ldr_image_load_file) against ldr_package_compile (a
 * forked compiler process) followed by ldr_image_load_compiled (the driver host's link). Prints
 * the medians of wall time and of CPU time (this process and its children).
 *
 *   usage: xdrv-compilebench --trust ROOT.pem [-n N] PACKAGE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/loader.h"
#include "xdrv/util.h"

#include "bench_priv.h"
#include "rounds.h"

/* One way, once: 0 or -1 (the message printed). */
static int once(struct ldr_ctx *ctx, const char *pkg, int via_process, double *wall, double *cpu,
		double *link)
{
	char *e = NULL;
	struct ldr_image *img = NULL;
	struct ldr_compiled *c = NULL;
	double c0 = rounds_cpu_ms();
	uint64_t t0 = xdrv_now_ns();
	int rc;
	if (via_process) {
		rc = ldr_package_compile(ctx, pkg, NULL, 0, &c, &e);
		uint64_t t1 = xdrv_now_ns();
		if (!rc)
			rc = ldr_image_load_compiled(ctx, c, &img, &e);
		*link = (double)(xdrv_now_ns() - t1) / 1e6;
	} else {
		rc = ldr_image_load_file(ctx, pkg, NULL, 0, &img, &e);
	}
	*wall = (double)(xdrv_now_ns() - t0) / 1e6;
	*cpu = rounds_cpu_ms() - c0;
	if (rc)
		fprintf(stderr, "xdrv-compilebench: %s\n", e ? e : "failed");
	ldr_image_unload(img);
	ldr_compiled_free(c);
	free(e);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *root;
	int n;
	int first = rounds_args(argc, argv, "xdrv-compilebench", "PACKAGE", &root, &n);
	if (first < 0)
		return 2;
	printf("%-18s %21s %21s %9s  (medians of %d, ms)\n", "package", "in process: wall/cpu",
	       "compiler: wall/cpu", "link", n);
	for (int i = first; i < argc; i++) {
		double wi[ROUNDS_MAX], ci[ROUNDS_MAX], wp[ROUNDS_MAX], cp[ROUNDS_MAX],
			lk[ROUNDS_MAX];
		for (int k = 0; k < n; k++) {
			struct ldr_config cfg = {.trust_root = root, .opt_level = 2};
			struct ldr_ctx *ctx = NULL;
			char *e = NULL;
			if (ldr_ctx_create(&cfg, &ctx, &e)) {
				fprintf(stderr, "xdrv-compilebench: %s\n", e ? e : "?");
				free(e);
				return 1;
			}
			for (int w = 0; w < 2; w++) {
				int via = (k + w) % 2;
				double unused;
				if (once(ctx, argv[i], via, via ? &wp[k] : &wi[k],
					 via ? &cp[k] : &ci[k], via ? &lk[k] : &unused)) {
					ldr_ctx_destroy(ctx);
					return 1;
				}
			}
			ldr_ctx_destroy(ctx);
		}
		const char *base = strrchr(argv[i], '/');
		printf("%-18s %10.1f/%10.1f %10.1f/%10.1f %9.1f\n", base ? base + 1 : argv[i],
		       bench_median(wi, (uint32_t)n), bench_median(ci, (uint32_t)n),
		       bench_median(wp, (uint32_t)n), bench_median(cp, (uint32_t)n),
		       bench_median(lk, (uint32_t)n));
		fflush(stdout);
	}
	return 0;
}
