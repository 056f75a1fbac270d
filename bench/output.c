// SPDX-License-Identifier: MIT
/*
 * The bench's outputs: the table on stdout (a host line, the configuration, then per figure
 * the median of every variant that ran, the ceiling and the four ratios JIT/native), every
 * sample as CSV (--csv: metric,unit,mode,rep,value) and everything as JSON (--json: host,
 * config, modes, warm-up per variant, and per figure medians, samples and ratios). It reads
 * the samples and the variants' warm-up figures; taking them is bench.c's, the arithmetic
 * stats.c's.
 */
#include "bench_priv.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <xdrv/util.h>

void bench_print_table(FILE *f, const struct results *r, const struct bench_args *a,
		       const char *host)
{
	fprintf(f, "host: %s\n", host);
	fprintf(f,
		"medians of %u reps; NIC params holdoff_us=0 rx_ring=256 tx_ring=256, "
		"wire gen check=0 digest=0; Gbit/s of frame bytes without FCS\n",
		a->reps);
	fprintf(f, "%-28s %-7s", "figure (median)", "unit");
	for (int m = 0; m < NMODES; m++)
		if (a->mode_on[m])
			fprintf(f, " %13s", bench_mode_names[m]);
	fprintf(f, " %13s  %s\n", "ceiling",
		"ratios JIT/native: eager/so lazy/so eager/static lazy/static");
	for (int k = 0; k < M_COUNT; k++) {
		const struct metric_info *mi = bench_metric(k);
		fprintf(f, "%-28s %-7s", mi->label, mi->unit);
		double med[NMODES + 1];
		for (int m = 0; m <= NMODES; m++)
			med[m] = bench_median(r->s[k][m], r->reps);
		for (int m = 0; m < NMODES; m++)
			if (a->mode_on[m])
				fprintf(f, " %13.4g", med[m]);
		if (mi->ceiling_name)
			fprintf(f, " %6s %6.4g ", mi->ceiling_name, med[CEIL]);
		else
			fprintf(f, " %13s ", "-");
		for (int i = 0; i < NRATIOS; i++)
			fprintf(f, " %5.2f",
				bench_ratio(mi, med[bench_ratios[i].jit],
					    med[bench_ratios[i].native]));
		fprintf(f, "\n");
	}
}

static int write_csv(const struct results *r, const char *path, char **err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return xdrv_err(err, -errno, "%s: %s", path, strerror(errno));
	fprintf(f, "metric,unit,mode,rep,value\n");
	for (int k = 0; k < M_COUNT; k++) {
		const struct metric_info *mi = bench_metric(k);
		for (int m = 0; m <= NMODES; m++)
			for (uint32_t i = 0; i < r->reps; i++)
				if (r->s[k][m][i] == r->s[k][m][i])
					fprintf(f, "%s,%s,%s,%u,%.6g\n", mi->key, mi->unit,
						m == CEIL ? mi->ceiling_name : bench_mode_names[m],
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
	json_object_set_new(cfg, "nic_params", json_string("holdoff_us=0,rx_ring=256,tx_ring=256"));
	json_object_set_new(cfg, "wire", json_string("gen:check=0,digest=0"));
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

/* One figure: key, label, unit, direction, ceiling, and per column its median and samples. */
static json_t *json_metric(const struct results *r, const struct bench_args *a, int k)
{
	const struct metric_info *mi = bench_metric(k);
	json_t *o = json_object(), *med = json_object(), *smp = json_object(), *rat = json_object();
	json_object_set_new(o, "key", json_string(mi->key));
	json_object_set_new(o, "label", json_string(mi->label));
	json_object_set_new(o, "unit", json_string(mi->unit));
	json_object_set_new(o, "lower_is_better", json_boolean(mi->lower_better));
	double md[NMODES + 1];
	for (int m = 0; m <= NMODES; m++) {
		md[m] = bench_median(r->s[k][m], r->reps);
		if (m < NMODES && !a->mode_on[m])
			continue;
		if (m == CEIL && !mi->ceiling_name)
			continue;
		const char *name = m == CEIL ? "ceiling" : bench_mode_names[m];
		json_object_set_new(med, name, jnum(md[m]));
		json_t *arr = json_array();
		for (uint32_t i = 0; i < r->reps; i++)
			json_array_append_new(arr, jnum(r->s[k][m][i]));
		json_object_set_new(smp, name, arr);
	}
	json_object_set_new(o, "ceiling",
			    mi->ceiling_name ? json_string(mi->ceiling_name) : json_null());
	for (int i = 0; i < NRATIOS; i++)
		json_object_set_new(
			rat, bench_ratios[i].name,
			jnum(bench_ratio(mi, md[bench_ratios[i].jit], md[bench_ratios[i].native])));
	json_object_set_new(o, "median", med);
	json_object_set_new(o, "samples", smp);
	json_object_set_new(o, "ratios", rat);
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
	for (int m = 0; m < NMODES; m++) {
		if (!a->mode_on[m])
			continue;
		json_array_append_new(modes, json_string(bench_mode_names[m]));
		json_object_set_new(warm, bench_mode_names[m], json_warmup(&vs[m]));
	}
	json_object_set_new(root, "modes", modes);
	json_object_set_new(root, "warmup", warm);
	for (int k = 0; k < M_COUNT; k++)
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
		rc = write_csv(r, a->csv, err);
	if (rc == 0 && a->json)
		rc = write_json(r, a, vs, host, err);
	return rc;
}
