// SPDX-License-Identifier: MIT
/*
 * What the bench's samples say: the median of a figure's repetitions (what the table, JSON
 * and the ratios report), how far the repetitions spread around it (min, max, and
 * (max - min) / median), percentiles (the round-trip latencies of one measurement), the ratio
 * of JIT speed to native speed, and whether its two sides spread too wide to trust it. Pure
 * arithmetic on arrays of doubles, NaN standing for "not measured"; taking the samples is
 * bench.c's, printing them output.c's.
 */
#include "bench_priv.h"

#include <stdlib.h>

/* The JIT-vs-native comparison (and isolated against in process), modes of set 1. */
static const struct {
	const char *name;
	int jit, native;
} fixed[NRATIOS_FIXED] = {
	{"eager/so", MODE_JIT_EAGER, MODE_NATIVE_SO},
	{"lazy/so", MODE_JIT_LAZY, MODE_NATIVE_SO},
	{"eager/static", MODE_JIT_EAGER, MODE_NATIVE_STATIC},
	{"lazy/static", MODE_JIT_LAZY, MODE_NATIVE_STATIC},
	{"isol/eager", MODE_JIT_ISOLATED, MODE_JIT_EAGER}, /* driver domains: isolated/in process */
};

int bench_ratio_list(const struct bench_args *a, struct ratio_pair *out)
{
	int n = 0;
	for (int i = 0; i < NRATIOS_FIXED; i++) {
		/* without --package all five, as ever (null where a side did not run) */
		if (a->package && (!a->mode_on[fixed[i].jit] || !a->mode_on[fixed[i].native]))
			continue;
		snprintf(out[n].name, sizeof out[n].name, "%s", fixed[i].name);
		out[n].jit = fixed[i].jit;
		out[n].native = fixed[i].native;
		n++;
	}
	if (a->package && a->mode_on[MODE_JIT_LAZY] && a->mode_on[MODE_JIT_EAGER]) {
		snprintf(out[n].name, sizeof out[n].name, "lazy/eager"); /* no native to compare */
		out[n].jit = MODE_JIT_LAZY;
		out[n].native = MODE_JIT_EAGER;
		n++;
	}
	if (a->mode_on[MODE_JIT_FAST] && a->mode_on[MODE_JIT_EAGER]) {
		snprintf(out[n].name, sizeof out[n].name, "fast/eager"); /* tiers: O0 against O2 */
		out[n].jit = MODE_JIT_FAST;
		out[n].native = MODE_JIT_EAGER;
		n++;
	}
	for (uint32_t s = 1; s < a->nsets; s++)
		for (int m = 0; m < NMODES; m++) {
			if (!a->mode_on[m])
				continue;
			snprintf(out[n].name, sizeof out[n].name, "%s p%u/p1", bench_mode_short[m],
				 s + 1);
			out[n].jit = (int)s * NMODES + m;
			out[n].native = m;
			n++;
		}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
	qsort(v, n, sizeof *v, cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

double bench_median(const double *s, uint32_t n)
{
	double tmp[128]; /* --reps is at most 101 */
	uint32_t k = 0;
	for (uint32_t i = 0; i < n && k < 128; i++)
		if (s[i] == s[i]) /* not NaN */
			tmp[k++] = s[i];
	if (!k)
		return 0.0 / 0.0;
	qsort(tmp, k, sizeof tmp[0], cmp_double);
	return k % 2 ? tmp[k / 2] : (tmp[k / 2 - 1] + tmp[k / 2]) / 2;
}

double bench_ratio(const struct metric_info *mi, double jit, double native)
{
	if (!(jit > 0) || !(native > 0))
		return 0.0 / 0.0;
	return mi->lower_better ? native / jit : jit / native;
}

/* Interpolated percentile p of the n sorted values v (n > 0). */
static double quantile(const double *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t i = (size_t)pos;
	return i + 1 < n ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

struct spread bench_spread(const double *s, uint32_t n)
{
	struct spread sp = {0.0 / 0.0, bench_median(s, n), 0.0 / 0.0,
			    0.0 / 0.0, 0.0 / 0.0,	   0.0 / 0.0};
	double v[128];
	size_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] != s[i])
			continue;
		if (k < 128)
			v[k++] = s[i];
		if (!(s[i] >= sp.min)) /* also the first: min is NaN */
			sp.min = s[i];
		if (!(s[i] <= sp.max))
			sp.max = s[i];
	}
	if (sp.median > 0)
		sp.rel = (sp.max - sp.min) / sp.median;
	if (k) {
		qsort(v, k, sizeof v[0], cmp_double);
		sp.p25 = quantile(v, k, 0.25);
		sp.p75 = quantile(v, k, 0.75);
	}
	return sp;
}

struct spread bench_ratio_reps(const struct results *r, int k, int jit, int native)
{
	const struct metric_info *mi = bench_metric(k);
	double x[128];
	uint32_t n = 0;
	for (uint32_t i = 0; i < r->reps && n < 128; i++)
		x[n++] = bench_ratio(mi, r->s[k][jit][i], r->s[k][native][i]); /* NaN: unpaired */
	struct spread sp = bench_spread(x, n);
	sp.rel = sp.median > 0 ? (sp.p75 - sp.p25) / sp.median : 0.0 / 0.0;
	return sp;
}

bool bench_ratio_noisy(const struct results *r, int k, int jit, int native)
{
	uint32_t paired = 0;
	for (uint32_t i = 0; i < r->reps; i++)
		paired += r->s[k][jit][i] > 0 && r->s[k][native][i] > 0;
	if (paired < 2)
		return false;
	struct spread sp = bench_ratio_reps(r, k, jit, native);
	return sp.rel > SPREAD_WARN;
}
