// SPDX-License-Identifier: MIT
/*
 * Tests for bench/output.c with made-up samples (no driver runs, no timing): every line of the
 * table fits 100 columns, even with extreme figures, missing ones and a long host string; the
 * table shows each median with its spread, marks ratios whose per-rep values spread more than
 * 20 % and counts them in a warning, and says nothing of the kind for tight samples; the JSON keeps
 * its keys and adds min, max, spread and ratio_noisy per figure.
 */
#include "../xtest.h"

#include "../../bench/bench_priv.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define REPS 3

struct fixture {
	struct results r;
	struct bench_args a;
};

/* Every figure and column: `base` times (1, 1 + wide, 1 - wide) in the three reps. */
static void fill(struct fixture *fx, double base, double wide)
{
	memset(fx, 0, sizeof *fx);
	fx->r.reps = REPS;
	fx->a.reps = REPS;
	for (int m = 0; m < NMODES; m++)
		fx->a.mode_on[m] = m != MODE_JIT_FAST; /* by name only; its own test below */
	for (int k = 0; k < M_COUNT; k++)
		for (int m = 0; m <= NCOLS; m++) {
			double *s = malloc(REPS * sizeof *s);
			CU_ASSERT_FATAL(s != NULL);
			s[0] = base;
			s[1] = base * (1 + wide);
			s[2] = base * (1 - wide);
			fx->r.s[k][m] = s;
		}
}

static void unfill(struct fixture *fx)
{
	for (int k = 0; k < M_COUNT; k++)
		for (int m = 0; m <= NCOLS; m++)
			free(fx->r.s[k][m]);
}

/* The table for fx as a malloc'd string. */
static char *table(const struct fixture *fx, const char *host)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_FATAL(f != NULL);
	bench_print_table(f, &fx->r, &fx->a, host);
	fclose(f);
	return buf;
}

/* The line at p, without its newline, in a static buffer. */
static const char *line_at(const char *p)
{
	static char line[256];
	snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
	return line;
}

static size_t widest_line(const char *t)
{
	size_t widest = 0;
	for (const char *p = t; *p;) {
		size_t n = strcspn(p, "\n");
		widest = n > widest ? n : widest;
		p += n + (p[n] == '\n');
	}
	return widest;
}

static void test_table_fits_100_columns_with_extreme_figures(void)
{
	struct fixture fx;
	fill(&fx, 1e300, 0.9);
	fx.r.s[M_RX_PPS][MODE_JIT_LAZY][1] = 1e-300;
	for (int i = 0; i < REPS; i++)
		fx.r.s[M_TX_PPS][MODE_NATIVE_SO][i] = 0.0 / 0.0;
	char host[700];
	for (size_t i = 0; i + 1 < sizeof host; i++)
		host[i] = i % 9 == 8 ? ',' : 'x';
	host[sizeof host - 1] = 0;
	char *t = table(&fx, host);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	if (widest_line(t) > 100)
		fprintf(stderr, "table wider than 100 columns:\n%s", t);
	CU_ASSERT(widest_line(t) <= 100);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "host: xxxxxxxx,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nratios "));
	free(t);
	unfill(&fx);
}

static void test_table_marks_and_counts_ratios_of_wide_spread(void)
{
	struct fixture fx;
	fill(&fx, 2.0, 0.01);	       /* 2 % spread, every column in step: trusted */
	for (int i = 0; i < REPS; i++) /* native-static of NIC RX 64 B Mpps: 1, 1.5, 2 */
		fx.r.s[M_RX_PPS][MODE_NATIVE_STATIC][i] = 1.0 + 0.5 * i;
	char *t = table(&fx, "test-host");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT(widest_line(t) <= 100);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "figure: median, spread"));
	/* medians with their spread: 2.000 2 % and 1.500 67 % */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "NIC RX 64 B                 Mpps      2.000   2%"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "1.500  67%"));
	/* eager/static and lazy/static of that figure: 2 / 1.5 = 1.33, marked (per rep 2, 1.35,
	 * 0.99: p25-p75 37 % of 1.35); isol/eager 1.00, in step */
	const char *row = strstr(strstr(t, "\nratios "), "NIC RX 64 B");
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT_STRING_EQUAL(line_at(row + 34),
			       "        1.00         1.00         1.33!        1.33!        1.00");
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "warning: 2 of 110 ratios"));
	free(t);
	unfill(&fx);
}

static void test_table_of_tight_samples_warns_of_nothing(void)
{
	struct fixture fx;
	fill(&fx, 5.0, 0.05);
	char *t = table(&fx, "test-host");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NULL(strchr(t, '!'));
	CU_ASSERT_PTR_NULL(strstr(t, "warning"));
	free(t);
	unfill(&fx);
}

static void test_json_adds_min_max_spread_and_ratio_noisy(void)
{
	struct fixture fx;
	fill(&fx, 2.0, 0.5);
	fx.a.mode_on[MODE_NATIVE_SO] = false;
	/* native-static of figure 0 out of step with jit-eager: per rep 1, 3, 1/3 */
	fx.r.s[0][MODE_NATIVE_STATIC][1] = 1.0;
	fx.r.s[0][MODE_NATIVE_STATIC][2] = 3.0;
	for (int k = 0; k < M_COUNT; k++)
		for (int i = 0; i < REPS; i++)
			fx.r.s[k][MODE_NATIVE_SO][i] = 0.0 / 0.0;
	fx.a.json = xtest_path("%s/o.json", xtest_tmpdir());
	static struct variant vs[NCOLS];
	memset(vs, 0, sizeof vs);
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(bench_write_outputs(&fx.r, &fx.a, vs, "h", &err), 0);
	json_error_t je;
	json_t *j = json_load_file(fx.a.json, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const json_t *m = json_array_get(json_object_get(j, "metrics"), 0);
	static const char *const keep[] = {"key",     "label",	"unit",	   "lower_is_better",
					   "ceiling", "median", "samples", "ratios"};
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(m, keep[i]));
	const json_t *mn = json_object_get(m, "min"), *mx = json_object_get(m, "max"),
		     *sp = json_object_get(m, "spread"), *rn = json_object_get(m, "ratio_noisy");
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(mn, "jit-eager")), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(mx, "ceiling")), 3.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(sp, "native-static")), 1.0, 1e-12);
	CU_ASSERT_PTR_NULL(json_object_get(sp, "native-so")); /* not run: no column */
	CU_ASSERT(json_is_true(json_object_get(rn, "eager/static")));
	CU_ASSERT(json_is_false(json_object_get(rn, "isol/eager"))); /* in step: trusted */
	const json_t *pr = json_object_get(json_object_get(m, "ratio_per_rep"), "eager/static");
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(pr, "median")), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(pr, "p25")), 2.0 / 3, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(pr, "p75")), 2.0, 1e-12);
	CU_ASSERT(json_is_null(json_object_get(rn, "eager/so"))); /* no ratio: no verdict */
	json_decref(j);
	unfill(&fx);
}

/* --package with the most columns there can be (five modes, four parameter sets): still 100
 * columns, the medians in blocks of four, the ratios of each set to the first named by mode;
 * only the class's figures (a NIC: no disk rows). */
static void test_package_table_of_four_sets_fits_100_columns(void)
{
	struct fixture fx;
	fill(&fx, 3.0, 0.01);
	fx.a.package = "some.xdrv";
	fx.a.device = "dp83820";
	fx.a.cls = CLASS_NIC;
	fx.a.nsets = BENCH_MAX_SETS;
	fx.a.mode_on[MODE_NATIVE_STATIC] = false;
	for (uint32_t i = 0; i < BENCH_MAX_SETS; i++)
		snprintf(fx.a.sets[i].text, sizeof fx.a.sets[i].text, "rx_ring=%u", 64u << i);
	for (int i = 0; i < REPS; i++) /* set 4 of jit-lazy twice as fast */
		fx.r.s[M_RX_PPS][3 * NMODES + MODE_JIT_LAZY][i] = 6.0;
	char *t = table(&fx, "test-host");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	if (widest_line(t) > 100)
		fprintf(stderr, "table wider than 100 columns:\n%s", t);
	CU_ASSERT(widest_line(t) <= 100);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "package: some.xdrv (NIC driver) on dp83820"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "params p4: rx_ring=512"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "isol.p4"));
	CU_ASSERT_PTR_NULL(strstr(t, "static.p1"));
	CU_ASSERT_PTR_NULL(strstr(t, "eager/static")); /* with --package: only pairs that ran */
	CU_ASSERT_PTR_NULL(strstr(t, "Disk 4 KiB"));
	CU_ASSERT_PTR_NULL(strstr(t, "SCSI"));
	const char *hdr = strstr(t, "lazy p4/p1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(hdr);
	struct ratio_pair rl[BENCH_MAX_RATIOS];
	int n = bench_ratio_list(&fx.a, rl);
	CU_ASSERT_EQUAL(n, 4 + 3 * 5); /* eager/so, lazy/so, isol/eager, lazy/eager; 3 sets x 5 */
	CU_ASSERT_STRING_EQUAL(rl[n - 1].name, "isol p4/p1");
	free(t);
	unfill(&fx);
}

/* jit-fast (tiers): a column, and the ratio fast/eager when both ran. */
static void test_fast_mode_column_and_ratio(void)
{
	struct fixture fx;
	fill(&fx, 2.0, 0.01);
	struct ratio_pair rl[BENCH_MAX_RATIOS];
	int n0 = bench_ratio_list(&fx.a, rl);
	fx.a.mode_on[MODE_JIT_FAST] = true;
	int n = bench_ratio_list(&fx.a, rl);
	CU_ASSERT_EQUAL(n, n0 + 1);
	CU_ASSERT_STRING_EQUAL(rl[n - 1].name, "fast/eager");
	CU_ASSERT_EQUAL(rl[n - 1].jit, MODE_JIT_FAST);
	CU_ASSERT_EQUAL(rl[n - 1].native, MODE_JIT_EAGER);
	char *t = table(&fx, "test-host");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT(widest_line(t) <= 100);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "jit-fast"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "fast/eager"));
	free(t);
	unfill(&fx);
}

XTEST_SUITE(bench_output, NULL, NULL, XTEST(test_fast_mode_column_and_ratio),
	    XTEST(test_package_table_of_four_sets_fits_100_columns),
	    XTEST(test_table_fits_100_columns_with_extreme_figures),
	    XTEST(test_table_marks_and_counts_ratios_of_wide_spread),
	    XTEST(test_table_of_tight_samples_warns_of_nothing),
	    XTEST(test_json_adds_min_max_spread_and_ratio_noisy))
