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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

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

/* One way, once: 0 or -1 (the message printed). */
static int once(struct ldr_ctx *ctx, const char *pkg, int via_process, double *wall, double *cpu,
		double *link)
{
	char *e = NULL;
	struct ldr_image *img = NULL;
	struct ldr_compiled *c = NULL;
	double c0 = cpu_ms();
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
	*cpu = cpu_ms() - c0;
	if (rc)
		fprintf(stderr, "xdrv-compilebench: %s\n", e ? e : "failed");
	ldr_image_unload(img);
	ldr_compiled_free(c);
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
		fprintf(stderr, "usage: xdrv-compilebench --trust ROOT.pem [-n 1..%d] PACKAGE...\n",
			MAX_ROUNDS);
		return 2;
	}
	printf("%-18s %21s %21s %9s  (medians of %d, ms)\n", "package", "in process: wall/cpu",
	       "compiler: wall/cpu", "link", n);
	for (int i = first; i < argc; i++) {
		double wi[MAX_ROUNDS], ci[MAX_ROUNDS], wp[MAX_ROUNDS], cp[MAX_ROUNDS],
			lk[MAX_ROUNDS];
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
		       median(wi, n), median(ci, n), median(wp, n), median(cp, n), median(lk, n));
		fflush(stdout);
	}
	return 0;
}
