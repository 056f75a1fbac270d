// SPDX-License-Identifier: MIT
/*
 * Tests for bench/stats.c: the median skips samples that were not measured (NaN); the spread
 * is (max - min) / median over the measured samples; a ratio is JIT speed over native speed
 * (native over JIT for latencies); a ratio is noise when either side spreads more than
 * SPREAD_WARN, and not at exactly that spread. Fixed samples: no timing.
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

static void test_ratio_is_noise_when_either_side_spreads_more_than_20_percent(void)
{
	const double flat[3] = {100, 100, 100}, wide[3] = {100, 130, 100},
		     narrow[3] = {100, 110, 100}, edge[3] = {100, 120, 100},
		     gone[3] = {NaN, NaN, NaN};
	CU_ASSERT_TRUE(noisy(flat, wide));
	CU_ASSERT_TRUE(noisy(wide, flat));
	CU_ASSERT_FALSE(noisy(flat, narrow));
	CU_ASSERT_FALSE(noisy(narrow, narrow));
	CU_ASSERT_FALSE(noisy(edge, flat)); /* exactly 20 %: still trusted */
	CU_ASSERT_FALSE(noisy(gone, wide)); /* no ratio at all: nothing to warn about */
}

XTEST_SUITE(bench_stats, NULL, NULL, XTEST(test_median_skips_unmeasured_samples),
	    XTEST(test_spread_is_range_over_median),
	    XTEST(test_spread_without_samples_or_positive_median_is_nan),
	    XTEST(test_ratio_is_jit_over_native_speed_and_inverted_for_latency),
	    XTEST(test_ratio_is_noise_when_either_side_spreads_more_than_20_percent))
