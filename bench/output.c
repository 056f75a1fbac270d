// SPDX-License-Identifier: MIT
/*
 * The bench's outputs: the table on stdout, at most 100 columns (the host, the configuration,
 * per figure the median of every variant that ran with its spread and the ceiling, then the
 * five ratios (four JIT/native, isolated/in-process) with a mark and a warning where a side spreads
 * too wide to trust them), every sample as CSV (--csv: metric,unit,mode,rep,value) and everything
 * as JSON
 * (--json: host, config, modes, warm-up per variant, and per figure medians, samples, min,
 * max, spread, ratios and which ratios are noise; keys are only ever added). It reads
 * the samples and the variants' warm-up figures; taking them is bench.c's, the arithmetic
 * stats.c's.
 */
#include "bench_priv.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <xdrv/util.h>

#define TABLE_COLS 100 /* every line of the table fits a terminal or a review pane */

/* `text` after `prefix`, broken after a ',' or ' ' so no line passes TABLE_COLS; continuation
 * lines indented like the first. */
static void print_wrapped(FILE *f, const char *prefix, const char *text)
{
	int indent = (int)strlen(prefix), room = TABLE_COLS - indent;
	fputs(prefix, f);
	for (;;) {
		int len = (int)strlen(text);
		if (len <= room) {
			fprintf(f, "%s\n", text);
			return;
		}
		int cut = room;
		while (cut > room / 2 && text[cut - 1] != ',' && text[cut - 1] != ' ')
			cut--;
		if (cut <= room / 2)
			cut = room; /* no break point: cut the word */
		fprintf(f, "%.*s\n%*s", cut, text, indent, "");
		text += cut;
	}
}

/* A figure in at most 8 characters, about 4 significant digits, no exponent below 10^7;
 * "-": not measured. */
static const char *fmt_value(char buf[16], double v)
{
	if (v != v)
		snprintf(buf, 16, "-");
	else if (v >= 1e7)
		snprintf(buf, 16, "%.2g", v);
	else
		snprintf(buf, 16, "%.*f",
			 v >= 1000  ? 0
			 : v >= 100 ? 1
			 : v >= 10  ? 2
			 : v >= 1   ? 3
				    : 4,
			 v);
	return buf;
}

/* A relative spread as a percentage in at most 4 characters; "" without one. */
static const char *fmt_spread(char buf[16], double rel)
{
	if (rel != rel)
		buf[0] = 0;
	else
		snprintf(buf, 16, "%.0f%%", rel * 100 < 999 ? rel * 100 : 999);
	return buf;
}

/* The columns that ran, in column order (modes of set 1, then of set 2, ...); how many. */
static int columns_on(const struct bench_args *a, int on[NCOLS])
{
	int n = 0;
	for (int c = 0; c < NCOLS; c++)
		if (bench_col_on(a, c))
			on[n++] = c;
	return n;
}

/* A row of the table: a figure of the run that some column measured (--only leaves others out). */
static bool row_on(const struct results *r, const struct bench_args *a, int k)
{
	if (!bench_figure_on(a, k))
		return false;
	for (int c = 0; c < NCOLS; c++)
		if (bench_col_on(a, c) &&
		    bench_median(r->s[k][c], r->reps) == bench_median(r->s[k][c], r->reps))
			return true;
	return false;
}

/* Medians and spreads per variant, the ceiling: 27 + 7 + 4 * 14 + 10 = 100 columns. More than
 * four variants (jit-nobudget beside the four of the JIT-vs-native comparison, or several
 * --params sets) continue in further blocks of the same rows, the ceiling in the last, so no
 * line is wider. */
#define MEDIAN_COLS 4
static void print_medians(FILE *f, const struct results *r, const struct bench_args *a)
{
	char v[16], sp[16], name[32];
	int on[NCOLS] = {0}, n = columns_on(a, on);
	for (int g = 0; g == 0 || g < n; g += MEDIAN_COLS) {
		int end = g + MEDIAN_COLS < n ? g + MEDIAN_COLS : n;
		bool last = end == n;
		if (g)
			fprintf(f, "\n");
		fprintf(f, "%-27s %-6s", "figure: median, spread", "unit");
		for (int i = g; i < end; i++)
			fprintf(f, " %13s", bench_col_name(a, on[i], name));
		if (last)
			fprintf(f, " %9s", "ceiling");
		fprintf(f, "\n");
		for (int k = 0; k < M_COUNT; k++) {
			if (!row_on(r, a, k))
				continue;
			const struct metric_info *mi = bench_metric(k);
			fprintf(f, "%-27s %-6s", mi->label, mi->unit);
			for (int i = g; i < end; i++) {
				struct spread s = bench_spread(r->s[k][on[i]], r->reps);
				fprintf(f, " %8s %4s", fmt_value(v, s.median),
					fmt_spread(sp, s.rel));
			}
			if (last)
				fprintf(f, " %9s",
					fmt_value(v, mi->ceiling_name
							     ? bench_median(r->s[k][CEIL], r->reps)
							     : 0.0 / 0.0));
			fprintf(f, "\n");
		}
	}
}

/* The ratios of the medians per figure, five to a block, '!' after those that are noise
 * (bench_ratio_noisy: their per-rep values spread more than SPREAD_WARN); 27 + 7 + 5 * 13 = 99
 * columns. Returns how many were marked; *n counts those printed. */
#define RATIO_COLS 5
static int print_ratios(FILE *f, const struct results *r, const struct bench_args *a, int *n)
{
	struct ratio_pair rl[BENCH_MAX_RATIOS];
	int nr = bench_ratio_list(a, rl), noisy = 0;
	char v[16];
	for (int g = 0; g < nr; g += RATIO_COLS) {
		int end = g + RATIO_COLS < nr ? g + RATIO_COLS : nr;
		if (g)
			fprintf(f, "\n");
		fprintf(f, "%-27s %-6s", "ratios", "");
		for (int i = g; i < end; i++)
			fprintf(f, " %11s%s", rl[i].name, i + 1 < end ? " " : "");
		fprintf(f, "\n");
		for (int k = 0; k < M_COUNT; k++) {
			if (!row_on(r, a, k))
				continue;
			const struct metric_info *mi = bench_metric(k);
			fprintf(f, "%-27s %-6s", mi->label, mi->unit);
			for (int i = g; i < end; i++) {
				int j = rl[i].jit, nat = rl[i].native;
				double x = bench_ratio(mi, bench_median(r->s[k][j], r->reps),
						       bench_median(r->s[k][nat], r->reps));
				bool bad = x == x && bench_ratio_noisy(r, k, j, nat);
				if (x == x)
					snprintf(v, sizeof v, "%.2f", x);
				else
					snprintf(v, sizeof v, "-");
				fprintf(f, " %11s%s", v, bad ? "!" : i + 1 < end ? " " : "");
				noisy += bad;
				*n += x == x;
			}
			fprintf(f, "\n");
		}
	}
	return noisy;
}

static const char *class_name(enum bench_class c)
{
	return c == CLASS_NIC ? "NIC" : c == CLASS_BLOCK ? "block" : "?";
}

/* What ran: the drivers, their devices and parameters. */
static void print_config(FILE *f, const struct bench_args *a)
{
	char line[1024];
	if (!a->package) {
		fprintf(f,
			"medians of %u reps; spread: (max - min) / median of the reps; Gbit/s of "
			"frame\nbytes without FCS; wire gen check=0 digest=0\n",
			a->reps);
	} else {
		snprintf(line, sizeof line, "%s (%s driver) on %s%s%s%s", a->package,
			 class_name(a->cls), a->device, a->disk ? ", disk " : "",
			 a->disk ? a->disk : "",
			 a->cls != CLASS_NIC ? ""
			 : a->wire	     ? ", wire "
					     : ", wire gen to the driver's MAC");
		if (a->cls == CLASS_NIC && a->wire)
			snprintf(line + strlen(line), sizeof line - strlen(line), "%s", a->wire);
		print_wrapped(f, "package: ", line);
		fprintf(f, "medians of %u reps; spread: (max - min) / median of the reps\n",
			a->reps);
	}
	if (a->cpu_time)
		fprintf(f, "clock: the bench thread's CPU time (--cpu-time), not wall time\n");
	for (uint32_t i = 0; i < a->nsets; i++) {
		char prefix[32];
		if (a->nsets == 1)
			snprintf(prefix, sizeof prefix, "params: ");
		else
			snprintf(prefix, sizeof prefix, "params p%u: ", i + 1);
		print_wrapped(f, prefix, a->sets[i].text[0] ? a->sets[i].text : "(defaults)");
	}
	fprintf(f, "\n");
}

void bench_print_table(FILE *f, const struct results *r, const struct bench_args *a,
		       const char *host)
{
	print_wrapped(f, "host: ", host);
	print_config(f, a);
	print_medians(f, r, a);
	fprintf(f, "ceiling: memcpy of the same bytes (NIC, RAM disk), pread or pwrite on the same "
		   "file\n\n");
	int n = 0, noisy = print_ratios(f, r, a, &n);
	fprintf(f,
		"ratio: the medians' speed of one column / the other's (latency: the inverse);\n"
		"eager/so etc.: JIT / native, >= 1: the JIT-compiled driver is at least as fast;\n"
		"isol/eager: a driver host against one process; fast/eager: O0 against O2;\n"
		"p2/p1: parameter set 2 against 1\n");
	if (noisy)
		fprintf(f,
			"! warning: %d of %d ratios are noise, not a difference: the middle half "
			"of "
			"their\n  per-rep values (p25-p75) spans more than %.0f %% of their "
			"median; "
			"more --reps or a\n  quieter machine\n",
			noisy, n, SPREAD_WARN * 100);
}

static int write_csv(const struct results *r, const struct bench_args *a, const char *path,
		     char **err)
{
	char name[32];
	FILE *f = fopen(path, "w");
	if (!f)
		return xdrv_err(err, -errno, "%s: %s", path, strerror(errno));
	fprintf(f, "metric,unit,mode,rep,value\n");
	for (int k = 0; k < M_COUNT; k++) {
		const struct metric_info *mi = bench_metric(k);
		if (!bench_figure_on(a, k))
			continue;
		for (int m = 0; m <= NCOLS; m++)
			for (uint32_t i = 0; i < r->reps; i++)
				if ((m == CEIL ? mi->ceiling_name != NULL : bench_col_on(a, m)) &&
				    r->s[k][m][i] == r->s[k][m][i])
					fprintf(f, "%s,%s,%s,%u,%.6g\n", mi->key, mi->unit,
						m == CEIL ? mi->ceiling_name
							  : bench_col_name(a, m, name),
						i + 1, r->s[k][m][i]);
	}
	if (fclose(f) != 0)
		return xdrv_err(err, -EIO, "%s: write failed", path);
	return 0;
}

static json_t *jnum(double v)
{
	return v == v ? json_real(v) : json_null();
}

static json_t *json_config(const struct bench_args *a)
{
	json_t *cfg = json_object();
	json_object_set_new(cfg, "frames_64", json_integer(a->frames));
	json_object_set_new(cfg, "frames_512", json_integer(a->frames / 2));
	json_object_set_new(cfg, "frames_1514", json_integer(a->frames / 4));
	json_object_set_new(cfg, "random_ios", json_integer(a->ios));
	json_object_set_new(cfg, "seq_ios", json_integer(a->seq_ios));
	json_object_set_new(cfg, "round_trips", json_integer(a->lat));
	json_object_set_new(cfg, "disk_mib", json_integer(a->disk_mb));
	json_t *sets = json_array();
	for (uint32_t i = 0; i < a->nsets; i++)
		json_array_append_new(sets, json_string(a->sets[i].text));
	if (!a->package) {
		json_object_set_new(cfg, "nic_params", json_string(a->sets[0].text));
		json_object_set_new(cfg, "wire", json_string("gen:check=0,digest=0"));
	} else {
		json_object_set_new(cfg, "package", json_string(a->package));
		json_object_set_new(cfg, "device", json_string(a->device));
		json_object_set_new(cfg, "class", json_string(class_name(a->cls)));
		json_object_set_new(cfg, "wire", a->wire ? json_string(a->wire) : json_null());
		json_object_set_new(cfg, "disk", a->disk ? json_string(a->disk) : json_null());
		json_object_set_new(cfg, "native",
				    a->native ? json_string(a->native) : json_null());
	}
	json_object_set_new(cfg, "params", sets);
	json_object_set_new(cfg, "clock", json_string(a->cpu_time ? "thread-cpu" : "wall"));
	struct ldr_config lc = {0};
	cli_budget_apply(&a->budget, &lc);
	json_object_set_new(cfg, "budget_edges", json_integer((json_int_t)lc.budget_edges));
	json_object_set_new(cfg, "budget_depth", json_integer(lc.budget_depth));
	return cfg;
}

static json_t *json_warmup(const struct variant *v)
{
	json_t *w = json_object();
	json_object_set_new(w, "load_ms", json_real(v->load_ms));
	json_object_set_new(w, "bind_ms", json_real(v->bind_ms));
	json_object_set_new(w, "first_pass_ms", json_real(v->warm_ms));
	json_object_set_new(w, "functions_compiled_after_bind",
			    json_integer(v->compiled_before_warm));
	json_object_set_new(w, "functions_compiled_after_warmup",
			    json_integer(v->compiled_after_warm));
	json_object_set_new(w, "functions_total", json_integer(v->total_funcs));
	/* more than after warm-up: a measured rep compiled something (lazy) */
	json_object_set_new(w, "functions_compiled_at_end", json_integer(v->compiled_end));
	return w;
}

/* Per column (each variant that ran; the ceiling, if the figure has one): the median, the
 * samples, and their min, max and spread ((max - min) / median), each an object by column. */
static void json_columns(const struct results *r, const struct bench_args *a, int k, json_t *o)
{
	static const char *const keys[5] = {"median", "samples", "min", "max", "spread"};
	json_t *obj[5];
	char buf[32];
	for (int i = 0; i < 5; i++)
		obj[i] = json_object();
	for (int m = 0; m <= NCOLS; m++) {
		if ((m < NCOLS && !bench_col_on(a, m)) ||
		    (m == CEIL && !bench_metric(k)->ceiling_name))
			continue;
		const char *name = m == CEIL ? "ceiling" : bench_col_name(a, m, buf);
		struct spread s = bench_spread(r->s[k][m], r->reps);
		json_t *arr = json_array();
		for (uint32_t i = 0; i < r->reps; i++)
			json_array_append_new(arr, jnum(r->s[k][m][i]));
		json_object_set_new(obj[0], name, jnum(s.median));
		json_object_set_new(obj[1], name, arr);
		json_object_set_new(obj[2], name, jnum(s.min));
		json_object_set_new(obj[3], name, jnum(s.max));
		json_object_set_new(obj[4], name, jnum(s.rel));
	}
	for (int i = 0; i < 5; i++)
		json_object_set_new(o, keys[i], obj[i]);
}

/* One figure: key, label, unit, direction, ceiling, the columns, the ratios and which of them
 * are noise (null where the ratio is). */
static json_t *json_metric(const struct results *r, const struct bench_args *a, int k)
{
	const struct metric_info *mi = bench_metric(k);
	json_t *o = json_object(), *rat = json_object(), *noisy = json_object(),
	       *per_rep = json_object();
	json_object_set_new(o, "key", json_string(mi->key));
	json_object_set_new(o, "label", json_string(mi->label));
	json_object_set_new(o, "unit", json_string(mi->unit));
	json_object_set_new(o, "lower_is_better", json_boolean(mi->lower_better));
	json_object_set_new(o, "ceiling",
			    mi->ceiling_name ? json_string(mi->ceiling_name) : json_null());
	json_columns(r, a, k, o);
	struct ratio_pair rl[BENCH_MAX_RATIOS];
	int nr = bench_ratio_list(a, rl);
	for (int i = 0; i < nr; i++) {
		int j = rl[i].jit, n = rl[i].native;
		double x = bench_ratio(mi, bench_median(r->s[k][j], r->reps),
				       bench_median(r->s[k][n], r->reps));
		json_object_set_new(rat, rl[i].name, jnum(x));
		struct spread pr = bench_ratio_reps(r, k, j, n);
		json_t *o3 = json_object();
		json_object_set_new(o3, "median", jnum(pr.median));
		json_object_set_new(o3, "p25", jnum(pr.p25));
		json_object_set_new(o3, "p75", jnum(pr.p75));
		json_object_set_new(per_rep, rl[i].name, o3);
		json_object_set_new(noisy, rl[i].name,
				    x == x ? json_boolean(bench_ratio_noisy(r, k, j, n))
					   : json_null());
	}
	json_object_set_new(o, "ratios", rat);
	json_object_set_new(o, "ratio_noisy", noisy);
	json_object_set_new(o, "ratio_per_rep", per_rep);
	return o;
}

static int write_json(const struct results *r, const struct bench_args *a, const struct variant *vs,
		      const char *host, char **err)
{
	json_t *root = json_object(), *modes = json_array(), *warm = json_object(),
	       *metrics = json_array();
	json_object_set_new(root, "host", json_string(host));
	json_object_set_new(root, "reps", json_integer(a->reps));
	json_object_set_new(root, "config", json_config(a));
	json_t *cols = json_array();
	char name[32];
	for (int m = 0; m < NMODES; m++)
		if (a->mode_on[m])
			json_array_append_new(modes, json_string(bench_mode_names[m]));
	for (int c = 0; c < NCOLS; c++) {
		if (!bench_col_on(a, c))
			continue;
		json_array_append_new(cols, json_string(bench_col_name(a, c, name)));
		json_object_set_new(warm, name, json_warmup(&vs[c]));
	}
	json_object_set_new(root, "modes", modes);
	json_object_set_new(root, "columns", cols);
	json_object_set_new(root, "warmup", warm);
	for (int k = 0; k < M_COUNT; k++)
		if (bench_figure_on(a, k))
			json_array_append_new(metrics, json_metric(r, a, k));
	json_object_set_new(root, "metrics", metrics);
	int rc = json_dump_file(root, a->json, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (rc != 0)
		return xdrv_err(err, -EIO, "%s: cannot write the JSON", a->json);
	return 0;
}

int bench_write_outputs(const struct results *r, const struct bench_args *a,
			const struct variant *vs, const char *host, char **err)
{
	int rc = 0;
	if (a->csv)
		rc = write_csv(r, a, a->csv, err);
	if (rc == 0 && a->json)
		rc = write_json(r, a, vs, host, err);
	return rc;
}
