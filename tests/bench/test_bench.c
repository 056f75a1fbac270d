// SPDX-License-Identifier: MIT
/*
 * Tests for bench/ (xdrv-bench), through the built front end (<build>/bin/xdrv bench): a tiny
 * configuration (a few frames and I/Os) runs every variant (JIT eager and lazy, native shared
 * object and static build) and writes JSON with every figure, sample, ratio and warm-up entry,
 * and CSV with one row per sample; --modes and --only limit what runs; usage errors exit 2 and
 * a missing native build exits 1 naming the file; the table fits 100 columns and shows the
 * spread. --package with the signed dp83820 and virtio_scsi packages: the class the driver
 * registered picks the figures, --params sets run side by side (--cpu-time: on the CPU clock), and
 * each failure (a package that does not verify, an unknown model, a driver of neither class, a
 * failed probe) is named. No timing assertions: figures only have to be present and positive.
 */
#include "../xtest.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH(...) xtest_sh("%s/bin/xdrv bench " __VA_ARGS__)
#define TINY	   "--reps 2 --frames 64 --ios 8 --seq-ios 2 --latency 8 --disk-mb 4 --quiet"

static const char *const all_modes[] = {"jit-eager", "jit-lazy", "native-so", "native-static"};
#define NFIGURES 22 /* 12 NIC rate, 2 latency, 8 SCSI */

static json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fprintf(stderr, "%s: %s (line %d)\n", path, je.text, je.line);
	return j;
}

static const json_t *metric(const json_t *root, const char *key)
{
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(root, "metrics"), i, m)
	{
		const char *k = json_string_value(json_object_get(m, "key"));
		if (k && strcmp(k, key) == 0)
			return m;
	}
	return NULL;
}

/* fixed: the samples' run, whose JSON has the four JIT/native ratios whichever modes ran */
static void check_metric_of(const json_t *m, const char *const *modes, size_t nmodes, int reps,
			    bool fixed)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	const char *key = json_string_value(json_object_get(m, "key"));
	CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(m, "label")));
	CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(m, "unit")));
	CU_ASSERT(json_is_boolean(json_object_get(m, "lower_is_better")));
	const json_t *ceil = json_object_get(m, "ceiling");
	CU_ASSERT(json_is_string(ceil) || json_is_null(ceil));
	const json_t *med = json_object_get(m, "median"), *smp = json_object_get(m, "samples"),
		     *rat = json_object_get(m, "ratios");
	CU_ASSERT_FATAL(json_is_object(med) && json_is_object(smp) && json_is_object(rat));
	for (size_t i = 0; i <= nmodes; i++) {
		const char *name = i < nmodes ? modes[i] : "ceiling";
		if (i == nmodes && !json_is_string(ceil)) {
			CU_ASSERT_PTR_NULL(json_object_get(med, "ceiling"));
			continue;
		}
		const json_t *v = json_object_get(med, name), *s = json_object_get(smp, name);
		if (!json_is_real(v) || !(json_real_value(v) > 0))
			fprintf(stderr, "%s: median of %s missing or not positive\n", key, name);
		CU_ASSERT(json_is_real(v) && json_real_value(v) > 0);
		CU_ASSERT(json_is_array(s) && json_array_size(s) == (size_t)reps);
	}
	static const char *const rk[] = {"eager/so", "lazy/so", "eager/static", "lazy/static"};
	for (size_t i = 0; fixed && i < 4; i++) {
		const json_t *r = json_object_get(rat, rk[i]);
		CU_ASSERT(r != NULL && (json_is_real(r) || json_is_null(r)));
		if (nmodes == 4)
			CU_ASSERT(json_is_real(r) && json_real_value(r) > 0);
	}
}

static void check_metric(const json_t *m, const char *const *modes, size_t nmodes, int reps)
{
	check_metric_of(m, modes, nmodes, reps, true);
}

static void test_bench_tiny_run_writes_every_figure_for_every_mode(void)
{
	const char *json = xtest_path("%s/b.json", xtest_tmpdir());
	const char *csv = xtest_path("%s/b.csv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(BENCH(TINY " --json %s --csv %s", xtest_build_dir(), json, csv), 0);
	json_t *j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(j, "host")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "reps")), 2);
	const json_t *cfg = json_object_get(j, "config");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(cfg, "frames_64")), 64);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(cfg, "random_ios")), 8);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cfg, "wire")),
			       "gen:check=0,digest=0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cfg, "clock")), "wall");
	const json_t *modes = json_object_get(j, "modes");
	CU_ASSERT_EQUAL_FATAL(json_array_size(modes), 4);
	for (size_t i = 0; i < 4; i++) {
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(modes, i)), all_modes[i]);
		const json_t *w = json_object_get(json_object_get(j, "warmup"), all_modes[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		static const char *const wk[] = {"load_ms",
						 "bind_ms",
						 "first_pass_ms",
						 "functions_compiled_after_bind",
						 "functions_compiled_after_warmup",
						 "functions_total",
						 "functions_compiled_at_end"};
		for (size_t k = 0; k < 7; k++)
			CU_ASSERT_PTR_NOT_NULL(json_object_get(w, wk[k]));
	}
	/* lazy mode compiles on first call: fewer functions after bind than in total */
	const json_t *lazy = json_object_get(json_object_get(j, "warmup"), "jit-lazy");
	CU_ASSERT(json_integer_value(json_object_get(lazy, "functions_compiled_after_bind")) <
		  json_integer_value(json_object_get(lazy, "functions_total")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "metrics")), NFIGURES);
	size_t i;
	const json_t *m;
	size_t rows = 0;
	json_array_foreach(json_object_get(j, "metrics"), i, m)
	{
		check_metric(m, all_modes, 4, 2);
		rows += 2 * (4 + json_is_string(json_object_get(m, "ceiling")));
	}
	static const char *const keys[] = {"nic.rx.64.mpps",
					   "nic.rx.512.gbit_s",
					   "nic.rx.1514.gbit_s",
					   "nic.tx.1514.mpps",
					   "nic.rtt.64.p50_us",
					   "nic.rtt.64.p99_us",
					   "scsi.ram.randread4k.kiops",
					   "scsi.image.randwrite4k.kiops",
					   "scsi.image.seqread1m.mb_s",
					   "scsi.ram.seqwrite1m.mb_s"};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		if (!metric(j, keys[k]))
			fprintf(stderr, "figure %s missing\n", keys[k]);
		CU_ASSERT_PTR_NOT_NULL(metric(j, keys[k]));
	}
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				       metric(j, "scsi.image.randread4k.kiops"), "ceiling")),
			       "pread");
	CU_ASSERT(json_is_true(json_object_get(metric(j, "nic.rtt.64.p99_us"), "lower_is_better")));
	json_decref(j);
	/* CSV: a header and one row per sample (every mode and the ceiling, every rep) */
	size_t n = 0;
	char *c = (char *)xtest_read(csv, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(strncmp(c, "metric,unit,mode,rep,value\n", 27), 0);
	size_t lines = 0;
	for (size_t k = 0; k < n; k++)
		lines += c[k] == '\n';
	CU_ASSERT_EQUAL(lines, rows + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(c, "\nnic.rx.1514.gbit_s,Gbit/s,native-static,2,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(c, "\nscsi.image.seqread1m.mb_s,MB/s,pread,1,"));
	free(c);
}

static void test_bench_modes_and_only_limit_what_runs(void)
{
	const char *json = xtest_path("%s/m.json", xtest_tmpdir());
	const char *out = xtest_path("%s/m.out", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(
		BENCH("--reps 1 --frames 16 --disk-mb 2 --modes native-static,jit-eager "
		      "--only nic.rx.64 --json %s >%s 2>&1",
		      xtest_build_dir(), json, out),
		0);
	json_t *j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const json_t *modes = json_object_get(j, "modes");
	CU_ASSERT_EQUAL(json_array_size(modes), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(modes, 0)), "jit-eager");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(modes, 1)), "native-static");
	const char *const two[] = {"jit-eager", "native-static"};
	check_metric(metric(j, "nic.rx.64.mpps"), two, 2, 1);
	/* not run: null medians, and no ratio against a native-so that did not run */
	const json_t *tx = json_object_get(metric(j, "nic.tx.64.mpps"), "median");
	CU_ASSERT(json_is_null(json_object_get(tx, "jit-eager")));
	CU_ASSERT_PTR_NULL(json_object_get(tx, "native-so"));
	const json_t *rx = json_object_get(metric(j, "nic.rx.64.mpps"), "ratios");
	CU_ASSERT(json_is_null(json_object_get(rx, "eager/so")));
	CU_ASSERT(json_is_real(json_object_get(rx, "eager/static")));
	json_decref(j);
	char *o = (char *)xtest_read(out, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "NIC RX 64 B"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nratios "));
	free(o);
}

/* jit-nobudget (only by name) beside jit-eager: the budgets' cost (scripts/bench.d/22-budget.sh);
 * the JSON says which budgets the JIT modes compiled. */
static void test_bench_jit_nobudget_runs_beside_jit_eager(void)
{
	const char *json = xtest_path("%s/nb.json", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(
		BENCH("--reps 1 --frames 16 --disk-mb 2 --modes jit-eager,jit-nobudget "
		      "--only nic.rx.64 --budget 5000000 --json %s --quiet >/dev/null",
		      xtest_build_dir(), json),
		0);
	json_t *j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const json_t *modes = json_object_get(j, "modes");
	CU_ASSERT_EQUAL(json_array_size(modes), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(modes, 1)), "jit-nobudget");
	const char *const two[] = {"jit-eager", "jit-nobudget"};
	check_metric(metric(j, "nic.rx.64.mpps"), two, 2, 1);
	const json_t *cfg = json_object_get(j, "config");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(cfg, "budget_edges")), 5000000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(cfg, "budget_depth")), 256);
	json_decref(j);
}

/* jit-isolated (only by name) beside jit-eager: the same workloads in a sandboxed driver host, the
 * image disk through a blkfront to the bench's backend server (driver domains); figures come
 * back for both, and the isol/eager ratio exists. */
static void test_bench_jit_isolated_runs_in_a_driver_host(void)
{
	const char *json = xtest_path("%s/iso.json", xtest_tmpdir());
	const char *out = xtest_path("%s/iso.out", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(
		BENCH("--reps 1 --frames 16 --ios 8 --seq-ios 2 --disk-mb 2 "
		      "--modes jit-eager,jit-isolated --only scsi.image --json %s >%s 2>&1",
		      xtest_build_dir(), json, out),
		0);
	json_t *j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const json_t *modes = json_object_get(j, "modes");
	CU_ASSERT_EQUAL(json_array_size(modes), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(modes, 1)), "jit-isolated");
	const char *const two[] = {"jit-eager", "jit-isolated"};
	check_metric(metric(j, "scsi.image.randread4k.kiops"), two, 2, 1);
	const json_t *rr = json_object_get(metric(j, "scsi.image.randread4k.kiops"), "ratios");
	CU_ASSERT(json_is_real(json_object_get(rr, "isol/eager")));
	json_decref(j);
	char *o = (char *)xtest_read(out, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "isol/eager"));
	free(o);
}

/* The table as printed: every line within 100 columns, medians with their spread; the JSON's
 * min <= median <= max and a verdict on each ratio that exists. Which ratios are marked noisy
 * depends on the machine: not asserted. */
static void test_bench_table_fits_100_columns_and_shows_spread(void)
{
	const char *json = xtest_path("%s/w.json", xtest_tmpdir());
	const char *out = xtest_path("%s/w.out", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(
		BENCH("--reps 3 --frames 16 --ios 8 --seq-ios 2 --latency 8 "
		      "--disk-mb 2 --modes jit-eager,native-static --json %s >%s 2>%s.err",
		      xtest_build_dir(), json, out, out),
		0);
	char *o = (char *)xtest_read(out, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	size_t lines = 0;
	for (char *p = o; *p; lines++) {
		size_t n = strcspn(p, "\n");
		if (n > 100)
			fprintf(stderr, "table line of %zu columns: %.*s\n", n, (int)n, p);
		CU_ASSERT(n <= 100);
		p += n + (p[n] == '\n');
	}
	CU_ASSERT(lines > 2 * NFIGURES);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "figure: median, spread"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nratios "));
	free(o);
	json_t *j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const json_t *m = metric(j, "nic.rx.64.mpps");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (size_t i = 0; i < 3; i++) {
		const char *col = i == 0 ? "jit-eager" : i == 1 ? "native-static" : "ceiling";
		double lo = json_real_value(json_object_get(json_object_get(m, "min"), col));
		double med = json_real_value(json_object_get(json_object_get(m, "median"), col));
		double hi = json_real_value(json_object_get(json_object_get(m, "max"), col));
		double sp = json_real_value(json_object_get(json_object_get(m, "spread"), col));
		CU_ASSERT(lo > 0 && lo <= med && med <= hi);
		CU_ASSERT_DOUBLE_EQUAL(sp, (hi - lo) / med, 1e-9);
	}
	const json_t *noisy = json_object_get(m, "ratio_noisy");
	CU_ASSERT(json_is_boolean(json_object_get(noisy, "eager/static")));
	CU_ASSERT(json_is_null(json_object_get(noisy, "eager/so")));
	json_decref(j);
}

static void test_bench_usage_errors_exit_2_naming_the_problem(void)
{
	const char *out = xtest_path("%s/u.out", xtest_tmpdir());
	CU_ASSERT_EQUAL(BENCH("--modes jit-eager,bogus >%s 2>&1", xtest_build_dir(), out), 2);
	char *o = (char *)xtest_read(out, NULL);
	CU_ASSERT(o && strstr(o, "xdrv bench: --modes wants a list of"));
	CU_ASSERT(o && strstr(o, "bogus"));
	free(o);
	CU_ASSERT_EQUAL(BENCH("--reps 0 >%s 2>&1", xtest_build_dir(), out), 2);
	o = (char *)xtest_read(out, NULL);
	CU_ASSERT(o && strstr(o, "number out of range or malformed: 0"));
	free(o);
	CU_ASSERT_EQUAL(BENCH("extra >%s 2>&1", xtest_build_dir(), out), 2);
	CU_ASSERT_EQUAL(BENCH("--frames >%s 2>&1", xtest_build_dir(), out), 2);
	CU_ASSERT_EQUAL(BENCH("--help >%s 2>&1", xtest_build_dir(), out), 0);
	o = (char *)xtest_read(out, NULL);
	CU_ASSERT(o && strstr(o, "usage: xdrv bench"));
	free(o);
}

static void test_bench_without_native_build_fails_naming_the_file(void)
{
	const char *out = xtest_path("%s/n.out", xtest_tmpdir());
	const char *empty = xtest_path("%s/emptybuild", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(xtest_sh("mkdir -p %s", empty), 0);
	CU_ASSERT_EQUAL(
		BENCH("--build %s --modes native-so --reps 1 --frames 8 --disk-mb 2 >%s 2>&1",
		      xtest_build_dir(), empty, out),
		1);
	char *o = (char *)xtest_read(out, NULL);
	CU_ASSERT(o && strstr(o, "xdrv bench: native-so: "));
	CU_ASSERT(o && strstr(o, "emptybuild/native/dp83820.so"));
	free(o);
}

/* ---- --package: any signed NIC or block driver ----------------------------------------------- */

#define PKG_TINY "--reps 2 --frames 64 --ios 8 --seq-ios 2 --latency 8 --disk-mb 4 --quiet"

/* Every line of a file within 100 columns; how many lines. */
static size_t check_width(const char *path)
{
	char *o = (char *)xtest_read(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	size_t lines = 0;
	for (char *p = o; *p; lines++) {
		size_t n = strcspn(p, "\n");
		if (n > 100)
			fprintf(stderr, "%s: line of %zu columns: %.*s\n", path, n, (int)n, p);
		CU_ASSERT(n <= 100);
		p += n + (p[n] == '\n');
	}
	free(o);
	return lines;
}

static size_t count_metrics(const json_t *j)
{
	return json_array_size(json_object_get(j, "metrics"));
}

/* The signed dp83820 package on a dp83820: a NIC (what it registered), the NIC figures only,
 * two --params sets side by side (each merged over the bench's defaults) and their ratio, and
 * the natively compiled build of the same driver beside it with --native. */
static void test_bench_package_nic_class_params_and_native(void)
{
	const char *json = xtest_path("%s/pn.json", xtest_tmpdir());
	const char *out = xtest_path("%s/pn.out", xtest_tmpdir());
	const char *b = xtest_build_dir();
	CU_ASSERT_EQUAL_FATAL(
		BENCH("--reps 2 --frames 64 --latency 8 --disk-mb 2 --package %s/pkg/dp83820.xdrv "
		      "--device dp83820 --modes jit-eager,native-so --native %s/native/dp83820.so "
		      "--params rx_ring=64,tx_ring=64 --params rx_ring=1024 --cpu-time --json %s "
		      ">%s 2>&1",
		      b, b, b, json, out),
		0);
	json_t *j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const json_t *cfg = json_object_get(j, "config");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cfg, "class")), "NIC");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cfg, "clock")), "thread-cpu");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cfg, "device")), "dp83820");
	const json_t *ps = json_object_get(cfg, "params");
	CU_ASSERT_EQUAL_FATAL(json_array_size(ps), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ps, 0)),
			       "rx_ring=64,tx_ring=64,holdoff_us=0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ps, 1)),
			       "rx_ring=1024,holdoff_us=0,tx_ring=256");
	const json_t *cols = json_object_get(j, "columns");
	CU_ASSERT_EQUAL_FATAL(json_array_size(cols), 4);
	static const char *const four[] = {"eager.p1", "so.p1", "eager.p2", "so.p2"};
	for (size_t i = 0; i < 4; i++)
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(cols, i)), four[i]);
	/* a NIC: 12 rate figures and 2 latencies, no disk figure */
	CU_ASSERT_EQUAL(count_metrics(j), 14);
	CU_ASSERT_PTR_NULL(metric(j, "blk.randread4k.kiops"));
	CU_ASSERT_PTR_NULL(metric(j, "scsi.ram.randread4k.kiops"));
	const json_t *rx = metric(j, "nic.rx.64.mpps");
	check_metric_of(rx, four, 4, 2, false);
	check_metric_of(metric(j, "nic.rtt.64.p99_us"), four, 4, 2, false);
	const json_t *rat = json_object_get(rx, "ratios");
	CU_ASSERT(json_is_real(json_object_get(rat, "eager/so")));
	CU_ASSERT(json_is_real(json_object_get(rat, "eager p2/p1")));
	CU_ASSERT(json_is_real(json_object_get(rat, "so p2/p1")));
	CU_ASSERT_PTR_NULL(json_object_get(rat, "lazy/so")); /* jit-lazy did not run */
	json_decref(j);
	CU_ASSERT(check_width(out) > 14);
	char *o = (char *)xtest_read(out, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "(NIC driver) on dp83820"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "params p2: rx_ring=1024,holdoff_us=0,tx_ring=256"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "eager p2/p1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "clock: the bench thread's CPU time"));
	CU_ASSERT_PTR_NULL(strstr(o, "Disk 4 KiB"));
	free(o);
	/* the parameters reach the driver: a value out of its declared range is refused */
	CU_ASSERT_EQUAL(BENCH(PKG_TINY " --package %s/pkg/dp83820.xdrv --device dp83820 --modes "
				       "jit-eager --params rx_ring=5 >%s 2>&1",
			      b, b, out),
			1);
	o = (char *)xtest_read(out, NULL);
	CU_ASSERT(o && strstr(o, "rx_ring") && strstr(o, "out of range"));
	free(o);
}

/* The signed virtio_scsi package on a virtio-scsi: a block driver, the disk figures only;
 * without --disk the bench's image (pread/pwrite ceiling), served to jit-isolated's driver
 * host by the backend server; with --disk ram: the memcpy ceiling. The tables fit 100 columns
 * with six columns of medians (three modes, two parameter sets). */
static void test_bench_package_block_class_disks_and_isolated(void)
{
	const char *json = xtest_path("%s/pb.json", xtest_tmpdir());
	const char *out = xtest_path("%s/pb.out", xtest_tmpdir());
	const char *b = xtest_build_dir();
	CU_ASSERT_EQUAL_FATAL(BENCH("--reps 2 --ios 8 --seq-ios 2 --disk-mb 4 --package "
				    "%s/pkg/virtio_scsi.xdrv --device virtio-scsi --params "
				    "retries=1 --params retries=3 --json %s >%s 2>&1",
				    b, b, json, out),
			      0);
	json_t *j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const json_t *cfg = json_object_get(j, "config");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(cfg, "class")), "block");
	/* default modes with --package: the three JIT ones */
	const json_t *modes = json_object_get(j, "modes");
	CU_ASSERT_EQUAL_FATAL(json_array_size(modes), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(modes, 2)), "jit-isolated");
	CU_ASSERT_EQUAL(count_metrics(j), 4);
	CU_ASSERT_PTR_NULL(metric(j, "nic.rx.64.mpps"));
	static const char *const six[] = {"eager.p1", "lazy.p1", "isol.p1",
					  "eager.p2", "lazy.p2", "isol.p2"};
	static const char *const keys[] = {"blk.randread4k.kiops", "blk.randwrite4k.kiops",
					   "blk.seqread1m.mb_s", "blk.seqwrite1m.mb_s"};
	for (size_t i = 0; i < 4; i++)
		check_metric_of(metric(j, keys[i]), six, 6, 2, false);
	const json_t *rr = metric(j, "blk.randread4k.kiops");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rr, "ceiling")), "pread");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(metric(j, "blk.seqwrite1m.mb_s"), "ceiling")),
		"pwrite");
	const json_t *rat = json_object_get(rr, "ratios");
	CU_ASSERT(json_is_real(json_object_get(rat, "isol/eager")));
	CU_ASSERT(json_is_real(json_object_get(rat, "lazy/eager")));
	CU_ASSERT(json_is_real(json_object_get(rat, "isol p2/p1")));
	json_decref(j);
	CU_ASSERT(check_width(out) > 8);
	char *o = (char *)xtest_read(out, NULL);
	CU_ASSERT(o && strstr(o, "(block driver) on virtio-scsi"));
	CU_ASSERT(o && strstr(o, "Disk 4 KiB rand read"));
	free(o);
	/* a RAM disk: the memcpy ceiling */
	CU_ASSERT_EQUAL_FATAL(BENCH(PKG_TINY
				    " --package %s/pkg/virtio_scsi.xdrv --device "
				    "virtio-scsi --disk ram:8M --modes jit-eager --json %s",
				    b, b, json),
			      0);
	j = load_json(json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	rr = metric(j, "blk.seqread1m.mb_s");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rr, "ceiling")), "memcpy");
	CU_ASSERT(json_real_value(json_object_get(json_object_get(rr, "median"), "ceiling")) > 0);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(j, "config"), "disk")), "ram:8M");
	json_decref(j);
}

/* Run the bench with `args` after PKG_TINY; its exit status, and its output in *o (freed by
 * the caller). */
static int bench_out(char **o, const char *args)
{
	const char *out = xtest_path("%s/pe.out", xtest_tmpdir());
	int rc = BENCH(PKG_TINY " --modes jit-eager %s >%s 2>&1", xtest_build_dir(), args, out);
	*o = (char *)xtest_read(out, NULL);
	if (!*o)
		*o = strdup("");
	return rc;
}

/* Each way --package can fail names the package, the device and the error. */
static void test_bench_package_errors_name_package_device_and_cause(void)
{
	const char *b = xtest_build_dir();
	char *o = NULL;
	/* a package that does not verify: the signed package cut short */
	const char *cut = xtest_path("%s/cut.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(xtest_sh("head -c 3000 %s/pkg/dp83820.xdrv >%s", b, cut), 0);
	CU_ASSERT_EQUAL(bench_out(&o, xtest_path("--package %s --device dp83820", cut)), 1);
	CU_ASSERT(strstr(o, "xdrv bench: --package ") && strstr(o, "cut.xdrv"));
	free(o);
	/* an unknown device model */
	CU_ASSERT_EQUAL(
		bench_out(&o, xtest_path("--package %s/pkg/dp83820.xdrv --device bogus", b)), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "unknown device model 'bogus'"));
	free(o);
	/* a driver that registers neither a network interface nor a block device */
	CU_ASSERT_EQUAL(
		bench_out(&o, xtest_path("--package %s/pkg/uart16550.xdrv --device uart16550", b)),
		1);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "uart16550.xdrv registered neither a network interface "
					 "nor a block device on --device uart16550"));
	free(o);
	/* a driver that fails to bind (probe): the dp83820 on a virtio-scsi */
	CU_ASSERT_EQUAL(bench_out(&o, xtest_path("--package %s/pkg/dp83820.xdrv --device "
						 "virtio-scsi --disk ram:4M",
						 b)),
			1);
	CU_ASSERT(strstr(o, "dp83820.xdrv failed probe on device virtio-scsi.0: ") &&
		  strstr(o, "does not match"));
	free(o);
	/* a wire for a block driver */
	CU_ASSERT_EQUAL(bench_out(&o, xtest_path("--package %s/pkg/virtio_scsi.xdrv --device "
						 "virtio-scsi:disk=ram:4M --wire gen",
						 b)),
			1);
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "registered a block device"));
	free(o);
	/* usage errors: exit 2 */
	static const char *const usage[][2] = {
		{"--device dp83820", "needs --package: --device"},
		{"--package x.xdrv", "--package needs --device"},
		{"--package x.xdrv --device dp83820 --wire gen --disk ram:4M",
		 "exclude each other"},
		{"--package x.xdrv --device dp83820 --modes native-static", "native-static"},
		{"--package x.xdrv --device dp83820 --modes native-so", "needs --native"},
		{"--package x.xdrv --device dp83820 --modes jit-eager --native x.so", "add it to"},
		{"--params rx_ring", "--params wants NAME=VALUE"},
		{"--params rx_ring=8,rx_ring=16", "names a parameter twice"},
		{"--params a=1 --params a=2 --params a=3 --params a=4 --params a=5",
		 "too many --params"},
	};
	for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
		const char *out = xtest_path("%s/pu.out", xtest_tmpdir());
		CU_ASSERT_EQUAL(BENCH("%s >%s 2>&1", b, usage[i][0], out), 2);
		o = (char *)xtest_read(out, NULL);
		if (!o || !strstr(o, usage[i][1]))
			fprintf(stderr, "%s: expected '%s' in: %s\n", usage[i][0], usage[i][1],
				o ? o : "(nothing)");
		CU_ASSERT(o && strstr(o, usage[i][1]));
		free(o);
	}
}

static int need_xdrv(void)
{
	const char *x = xtest_path("%s/bin/xdrv", xtest_build_dir());
	if (access(x, X_OK) == 0)
		return 0;
	fprintf(stderr, "loader_cmd_bench: %s is not built (make O=%s %s)\n", x, xtest_build_dir(),
		x);
	return 1;
}

XTEST_SUITE(loader_cmd_bench, need_xdrv, NULL,
	    XTEST(test_bench_tiny_run_writes_every_figure_for_every_mode),
	    XTEST(test_bench_modes_and_only_limit_what_runs),
	    XTEST(test_bench_jit_nobudget_runs_beside_jit_eager),
	    XTEST(test_bench_jit_isolated_runs_in_a_driver_host),
	    XTEST(test_bench_table_fits_100_columns_and_shows_spread),
	    XTEST(test_bench_usage_errors_exit_2_naming_the_problem),
	    XTEST(test_bench_without_native_build_fails_naming_the_file),
	    XTEST(test_bench_package_nic_class_params_and_native),
	    XTEST(test_bench_package_block_class_disks_and_isolated),
	    XTEST(test_bench_package_errors_name_package_device_and_cause))
