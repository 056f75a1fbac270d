// SPDX-License-Identifier: MIT
/*
 * Tests for bench/stats.c: the median skips samples that were not measured (NaN); the spread
 * is (max - min) / median over the measured samples; a ratio is JIT speed over native speed
 * (native over JIT for latencies); a ratio is noise when the p25-p75 of its per-rep values
 * spans more than SPREAD_WARN of their median, not for one disturbed rep nor for sides that
 * spread wide in step. Fixed samples: no timing.
 */
#include "../xtest.h"

#include "../../bench/bench_priv.h"

#include <math.h>
#include <stdlib.h>

#define NaN (0.0 / 0.0)

static void test_median_skips_unmeasured_samples(void)
{
	const double odd[] = {3, NaN, 1, 2}, even[] = {4, 1, 3, 2}, none[] = {NaN, NaN};
	CU_ASSERT_DOUBLE_EQUAL(bench_median(odd, 4), 2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(bench_median(even, 4), 2.5, 1e-12);
	CU_ASSERT(isnan(bench_median(none, 2)));
}

static void test_spread_is_range_over_median(void)
{
	const double s[] = {11, NaN, 10, 12};
	struct spread sp = bench_spread(s, 4);
	CU_ASSERT_DOUBLE_EQUAL(sp.min, 10, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sp.median, 11, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sp.max, 12, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sp.rel, 2.0 / 11, 1e-12);
	const double one[] = {5};
	CU_ASSERT_DOUBLE_EQUAL(bench_spread(one, 1).rel, 0, 1e-12);
}

static void test_spread_without_samples_or_positive_median_is_nan(void)
{
	const double none[] = {NaN, NaN}, zero[] = {0, 0, 1};
	struct spread sp = bench_spread(none, 2);
	CU_ASSERT(isnan(sp.min) && isnan(sp.median) && isnan(sp.max) && isnan(sp.rel));
	CU_ASSERT(isnan(bench_spread(zero, 3).rel));
}

static void test_ratio_is_jit_over_native_speed_and_inverted_for_latency(void)
{
	const struct metric_info *rx = bench_metric(M_RX_PPS), *lat = bench_metric(M_LAT_P50);
	CU_ASSERT_FALSE(rx->lower_better);
	CU_ASSERT_TRUE(lat->lower_better);
	CU_ASSERT_DOUBLE_EQUAL(bench_ratio(rx, 3, 2), 1.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(bench_ratio(lat, 3, 2), 2.0 / 3, 1e-12);
	CU_ASSERT(isnan(bench_ratio(rx, NaN, 2)));
	CU_ASSERT(isnan(bench_ratio(rx, 3, 0)));
}

/* Figure 0, three reps: jit-eager's samples `jit`, native-so's `nat`. */
static bool noisy(const double jit[3], const double nat[3])
{
	struct results r = {.reps = 3};
	double *s[2] = {malloc(3 * sizeof(double)), malloc(3 * sizeof(double))};
	CU_ASSERT_FATAL(s[0] && s[1]);
	for (int i = 0; i < 3; i++) {
		s[0][i] = jit[i];
		s[1][i] = nat[i];
	}
	r.s[0][MODE_JIT_EAGER] = s[0];
	r.s[0][MODE_NATIVE_SO] = s[1];
	bool b = bench_ratio_noisy(&r, 0, MODE_JIT_EAGER, MODE_NATIVE_SO);
	free(s[0]);
	free(s[1]);
	return b;
}

static void test_ratio_is_noise_when_its_per_rep_values_spread_more_than_20_percent(void)
{
	const double flat[3] = {100, 100, 100}, wide[3] = {100, 130, 100},
		     apart[3] = {70, 100, 130}, narrow[3] = {90, 100, 110},
		     under[3] = {81, 100, 119}, one[3] = {100, NaN, NaN}, gone[3] = {NaN, NaN, NaN};
	CU_ASSERT_TRUE(noisy(flat, apart)); /* per rep 1.43, 1, 0.77: p25-p75 33 % */
	CU_ASSERT_TRUE(noisy(apart, flat));
	CU_ASSERT_FALSE(noisy(flat, wide));   /* one disturbed rep: p25-p75 12 % */
	CU_ASSERT_FALSE(noisy(wide, wide));   /* 30 % range each, in step: every rep 1.00 */
	CU_ASSERT_FALSE(noisy(narrow, flat)); /* 10 % */
	CU_ASSERT_FALSE(noisy(under, flat));  /* 19 %: still trusted */
	CU_ASSERT_FALSE(noisy(one, apart));   /* one paired rep: nothing to judge */
	CU_ASSERT_FALSE(noisy(gone, wide));   /* no ratio at all: nothing to warn about */
}

static void test_ratio_reps_are_paired_per_rep(void)
{
	struct results r = {.reps = 4};
	double a[4] = {2, 4, NaN, 6}, b[4] = {1, 4, 5, 2};
	r.s[M_LAT_P50][MODE_JIT_EAGER] = a; /* latency: native / JIT per rep */
	r.s[M_LAT_P50][MODE_NATIVE_SO] = b;
	struct spread sp = bench_ratio_reps(&r, M_LAT_P50, MODE_JIT_EAGER, MODE_NATIVE_SO);
	CU_ASSERT_DOUBLE_EQUAL(sp.min, 1.0 / 3, 1e-12); /* 0.5, 1, (unpaired), 1/3 */
	CU_ASSERT_DOUBLE_EQUAL(sp.median, 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sp.max, 1, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sp.p25, (1.0 / 3 + 0.5) / 2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sp.p75, 0.75, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sp.rel, (0.75 - (1.0 / 3 + 0.5) / 2) / 0.5, 1e-12);
}

XTEST_SUITE(bench_stats, NULL, NULL, XTEST(test_median_skips_unmeasured_samples),
	    XTEST(test_spread_is_range_over_median),
	    XTEST(test_spread_without_samples_or_positive_median_is_nan),
	    XTEST(test_ratio_is_jit_over_native_speed_and_inverted_for_latency),
	    XTEST(test_ratio_is_noise_when_its_per_rep_values_spread_more_than_20_percent),
	    XTEST(test_ratio_reps_are_paired_per_rep))
