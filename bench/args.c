// SPDX-License-Identifier: MIT
/*
 * The options of `xdrv bench`: --help text, parsing into struct bench_args with the defaults,
 * ranges and usage errors (exit status 2, through xdrv_cli_usage_error), and the two questions
 * the run asks of them (does --only let a workload run; how many frames a NIC figure takes).
 * What the options do is the run's (bench.c).
 */
#include "bench_priv.h"

#include <xdrv/cli.h>

#include "../cli/run/run.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv bench [--build DIR] [--reps N] [--frames N] [--ios N] [--seq-ios N]\n"
		"                  [--latency N] [--disk-mb N] [--image FILE] [--modes LIST]\n"
		"                  [--json FILE] [--csv FILE] [--quiet] [--cpu-time]\n"
		"                  [--backend NAME[:OPTIONS]] [--image-disk SPEC]\n"
		"                  [--budget N] [--max-depth N] [--no-budget]\n"
		"                  [--package PKG --device MODEL[:CONFIG]\n"
		"                   [--wire KIND[:OPTIONS] | --disk SPEC] [--native LIB.so]]\n"
		"                  [--params NAME=VALUE,...]...\n"
		"\n"
		"Throughput of the dp83820 and virtio_scsi sample drivers, JIT-compiled (eager, "
		"lazy)\n"
		"against the same C sources compiled natively (shared object, static), through the "
		"same\n"
		"ABI runtime and device models, in one run: each figure is the median of --reps\n"
		"repetitions, every variant in every repetition. Ratios are JIT / native speed (>= "
		"1:\n"
		"the JIT-compiled driver is at least as fast). Lazy-mode warm-up (first-call "
		"compiles)\n"
		"is measured apart; the reps are steady state. The table shows each median with "
		"the\n"
		"spread of its reps, (max - min) / median, and marks with ! a ratio whose per-rep\n"
		"values (both columns are measured in every rep) spread too wide to trust it: "
		"their\n"
		"p25-p75 spans more than %.0f %% of their median. Noise, not a difference.\n"
		"\n"
		"With --package, any signed NIC or block driver instead: it is bound to --device\n"
		"and what it registers decides the workloads (a network interface: NIC RX, TX and\n"
		"round trip; a block device: 4 KiB random and 1 MiB sequential reads and writes).\n"
		"\n"
		"  --build DIR     build folder with pkg/, pki/root.pem and native/ (default: the "
		"one\n"
		"                  this xdrv was built in)\n"
		"  --reps N        repetitions (default 7)\n"
		"  --frames N      frames per NIC figure at 64 B (default 400000; 512 B: N/2, "
		"1514 B: N/4)\n"
		"  --ios N         4 KiB random I/Os per SCSI figure (default 10000)\n"
		"  --seq-ios N     1 MiB sequential I/Os per SCSI figure (default 192)\n"
		"  --latency N     round trips per latency figure (default 5000)\n"
		"  --disk-mb N     RAM disk and image size in MiB (default 64)\n"
		"  --image FILE    image file to create and use (default: a temporary file, "
		"deleted)\n"
		"  --modes LIST    comma-separated subset of jit-eager,jit-lazy,native-so,"
		"native-static\n"
		"                  (default all of them), or jit-nobudget: JIT eager compiled\n"
		"                  without budgets (their cost: compare it with jit-eager), or\n"
		"                  jit-isolated: JIT eager in a sandboxed driver host as xdrv run\n"
		"                  runs it, the image disk served through a blkfront ring (the\n"
		"                  cost of driver domains: compare it with jit-eager), or\n"
		"                  jit-fast: JIT eager at the fast tier, O0 (xdrv run --tier\n"
		"                  fast; what --tier auto runs before O2 is live)\n"
		"  --json FILE     write the figures (medians, samples, min, max, spread, ratios) "
		"as JSON\n"
		"  --csv FILE      write every sample as CSV (metric,unit,mode,rep,value)\n"
		"  --quiet         no table on stdout\n"
		"  --cpu-time      time every measurement on the bench thread's CPU clock, not "
		"the\n"
		"                  wall clock: time the bench was not running (a busy machine) "
		"does\n"
		"                  not count, nor work of other processes and threads "
		"(jit-isolated's\n"
		"                  backend server, kernel I/O workers): rates are per CPU second\n"
		"  --backend NAME[:OPTIONS]  hypervisor backend of every device (default native)\n"
		"  --image-disk SPEC  disk spec of the image disk instead of file:IMAGE (e.g.\n"
		"                  blkfront:xvda, served by xdrv-backd from the same image;\n"
		"                  the pread/pwrite ceiling still reads IMAGE)\n"
		"  --only PREFIX   run only the workloads whose figure names start with PREFIX\n"
		"                  (e.g. nic.rx.1514, scsi.image: for profiling; others read "
		"null)\n"
		"  --package PKG   measure this signed driver package instead of the samples; "
		"modes\n"
		"                  jit-eager,jit-lazy,jit-isolated by default, native-so only "
		"with\n"
		"                  --native (native-static never: it links the samples)\n"
		"  --device MODEL[:CONFIG]  the device model it is bound to, as for xdrv run\n"
		"  --wire KIND[:OPTIONS]  a NIC's cable, as for xdrv run (default: a generator,\n"
		"                  gen:check=0,digest=0 sending to the driver's MAC address; RX\n"
		"                  and round trips need a generator, TX takes any wire)\n"
		"  --disk SPEC     a block device's disk, added to the device as disk=SPEC "
		"(default\n"
		"                  for a model without a NIC: file:IMAGE); the bench writes to "
		"it.\n"
		"                  Ceiling: memcpy for ram:, pread/pwrite on the file for file:\n"
		"  --native LIB.so the same driver compiled natively (xdrv run --native), for\n"
		"                  native-so\n"
		"  --params NAME=VALUE,...  driver parameters, over the defaults of the dp83820\n"
		"                  (holdoff_us=0,rx_ring=256,tx_ring=256); given up to %d times,\n"
		"                  each set is measured side by side in every rep (columns\n"
		"                  eager.p1, eager.p2, ...; ratios \"eager p2/p1\")\n"
		"The JIT modes compile the budgets of xdrv run (loader/README.md "
		"\"Budgets\"):\n" CLI_BUDGET_USAGE,
		SPREAD_WARN * 100, BENCH_MAX_SETS);
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !*s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_modes(const char *s, bool on[NMODES])
{
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return -1;
	snprintf(buf, sizeof buf, "%s", s);
	memset(on, 0, NMODES * sizeof on[0]);
	int n = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int m = 0;
		while (m < NMODES && strcmp(t, bench_mode_names[m]) != 0)
			m++;
		if (m == NMODES)
			return -1;
		on[m] = true;
		n++;
	}
	return n ? 0 : -1;
}

static void set_defaults(struct bench_args *a)
{
	a->reps = 7;
	a->frames = 400000;
	a->ios = 10000;
	a->seq_ios = 192;
	a->lat = 5000;
	a->disk_mb = 64;
	for (int m = 0; m < NMODES; m++)
		a->mode_on[m] = m != MODE_JIT_NOBUDGET && m != MODE_JIT_ISOLATED &&
				m != MODE_JIT_FAST; /* by name */
}

/* A numeric option: which field (*u), and its range. false: not a numeric option. (A bool,
 * not the field pointer: &a->reps is `a` itself, and the analyzer took "not numeric" for a NULL.)
 */
static bool numeric_option(int c, struct bench_args *a, uint32_t **u, uint32_t *min, uint32_t *max)
{
	*min = 1;
	*max = 100000000;
	switch (c) {
	case 'r':
		*max = 101; /* bench_median's buffer */
		*u = &a->reps;
		return true;
	case 'f':
		*min = 4; /* 1514 B figures take a quarter */
		*u = &a->frames;
		return true;
	case 'i':
		*u = &a->ios;
		return true;
	case 's':
		*u = &a->seq_ios;
		return true;
	case 'l':
		*u = &a->lat;
		return true;
	case 'd':
		*max = 4096;
		*u = &a->disk_mb;
		return true;
	default:
		return false;
	}
}

/* Every option but the numeric ones; 0 or the usage error's status. */
/* The options, for getopt_long and for the did-you-mean of an unknown one. */
static const struct option longopts[] = {
	{"build", required_argument, NULL, 'B'},
	{"reps", required_argument, NULL, 'r'},
	{"frames", required_argument, NULL, 'f'},
	{"ios", required_argument, NULL, 'i'},
	{"seq-ios", required_argument, NULL, 's'},
	{"latency", required_argument, NULL, 'l'},
	{"disk-mb", required_argument, NULL, 'd'},
	{"image", required_argument, NULL, 'I'},
	{"modes", required_argument, NULL, 'm'},
	{"json", required_argument, NULL, 'j'},
	{"csv", required_argument, NULL, 'c'},
	{"quiet", no_argument, NULL, 'q'},
	{"only", required_argument, NULL, 'o'},
	{"backend", required_argument, NULL, 'k'},
	{"image-disk", required_argument, NULL, 'D'},
	{"package", required_argument, NULL, 'P'},
	{"device", required_argument, NULL, 'V'},
	{"wire", required_argument, NULL, 'W'},
	{"disk", required_argument, NULL, 'K'},
	{"native", required_argument, NULL, 'N'},
	{"params", required_argument, NULL, 'A'},
	{"cpu-time", no_argument, NULL, 'U'},
	CLI_BUDGET_LONGOPTS,
	{NULL, 0, NULL, 0},
};

static int other_option(int c, char **argv, struct bench_args *a)
{
	switch (c) {
	case 'B':
		a->build = optarg;
		return 0;
	case 'I':
		a->image = optarg;
		return 0;
	case 'm':
		a->modes_given = true;
		if (parse_modes(optarg, a->mode_on))
			return xdrv_cli_usage_error(
				"bench",
				"--modes wants a list of jit-eager, jit-lazy, "
				"native-so, native-static, jit-nobudget, jit-isolated, "
				"jit-fast, not",
				optarg);
		return 0;
	case 'j':
		a->json = optarg;
		return 0;
	case 'c':
		a->csv = optarg;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	case 'o':
		a->only = optarg;
		return 0;
	case 'k':
		a->backend = optarg;
		return 0;
	case 'D':
		a->image_disk = optarg;
		return 0;
	case 'P':
		a->package = optarg;
		return 0;
	case 'V':
		a->device = optarg;
		return 0;
	case 'W':
		a->wire = optarg;
		return 0;
	case 'K':
		a->disk = optarg;
		return 0;
	case 'N':
		a->native = optarg;
		return 0;
	case 'U':
		a->cpu_time = true;
		return 0;
	case 'A':
		if (a->nparams == BENCH_MAX_SETS)
			return xdrv_cli_usage_error("bench", "too many --params (at most 4 sets)",
						    NULL);
		a->params[a->nparams++] = optarg;
		return 0;
	case ':':
		return xdrv_cli_usage_error("bench", "missing value for", argv[optind - 1]);
	default:
		if (cli_budget_is_option(c))
			return cli_budget_option("bench", c, optarg, &a->budget);
		return xdrv_cli_option_error("bench", longopts, argv[optind - 1]);
	}
}

/* The dp83820's defaults in every variant: no interrupt holdoff (it would cap the packet rate at
 * one ring per 100 us whatever the driver costs) and larger rings. */
static const char *const param_defaults[] = {"holdoff_us=0", "rx_ring=256", "tx_ring=256"};
#define NDEFAULTS 3

static int add_param(struct bench_paramset *ps, const char *kv)
{
	char *name = NULL;
	const char *value = NULL;
	int rc = run_param_split(kv, &name, &value);
	if (rc)
		return rc;
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->names[i], name) == 0) {
			free(name);
			return -EEXIST;
		}
	if (ps->n == BENCH_MAX_PARAMS) {
		free(name);
		return -E2BIG;
	}
	ps->names[ps->n] = name;
	ps->pv[ps->n].name = name;
	ps->pv[ps->n].value = value;
	ps->kv[ps->n] = kv;
	ps->n++;
	return 0;
}

/* Set ps from --params `text` (NULL: none), then the defaults it does not name. `defaults`:
 * the dp83820's. 0, or the usage error's status. */
static int parse_paramset(const char *text, bool defaults, struct bench_paramset *ps)
{
	if (text && !(ps->buf = strdup(text)))
		return xdrv_cli_usage_error("bench", "out of memory", NULL);
	for (char *save = NULL, *t = ps->buf ? strtok_r(ps->buf, ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save)) {
		int rc = add_param(ps, t);
		if (rc == -ENOMEM)
			return xdrv_cli_usage_error("bench", "out of memory", NULL);
		if (rc == -EEXIST)
			return xdrv_cli_usage_error("bench",
						    "--params names a parameter twice:", t);
		if (rc)
			return xdrv_cli_usage_error("bench", "--params wants NAME=VALUE,..., not",
						    text);
	}
	for (int i = 0; defaults && i < NDEFAULTS; i++) {
		int rc = add_param(ps, param_defaults[i]);
		if (rc && rc != -EEXIST)
			return xdrv_cli_usage_error("bench", "too many --params", NULL);
	}
	size_t len = 0;
	for (size_t i = 0; i < ps->n && len < sizeof ps->text; i++)
		len += (size_t)snprintf(ps->text + len, sizeof ps->text - len, "%s%s=%s",
					i ? "," : "", ps->pv[i].name, ps->pv[i].value);
	return 0;
}

/* --package and its options; the modes it runs. 0, or the usage error's status. */
static int check_package(struct bench_args *a)
{
	if (!a->package) {
		const char *stray = a->device	? "--device"
				    : a->wire	? "--wire"
				    : a->disk	? "--disk"
				    : a->native ? "--native"
						: NULL;
		return stray ? xdrv_cli_usage_error("bench", "needs --package:", stray) : 0;
	}
	if (!a->device)
		return xdrv_cli_usage_error("bench", "--package needs --device MODEL[:CONFIG]",
					    NULL);
	if (a->wire && a->disk)
		return xdrv_cli_usage_error("bench", "--wire and --disk exclude each other", NULL);
	if (a->image_disk)
		return xdrv_cli_usage_error("bench",
					    "--image-disk is for the samples; with "
					    "--package give --disk",
					    NULL);
	if (!a->modes_given)
		for (int m = 0; m < NMODES; m++)
			a->mode_on[m] = m == MODE_JIT_EAGER || m == MODE_JIT_LAZY ||
					m == MODE_JIT_ISOLATED ||
					(m == MODE_NATIVE_SO && a->native);
	if (a->mode_on[MODE_NATIVE_STATIC])
		return xdrv_cli_usage_error("bench",
					    "native-static links the sample drivers: not with "
					    "--package",
					    NULL);
	if (a->native && !a->mode_on[MODE_NATIVE_SO])
		return xdrv_cli_usage_error("bench",
					    "--native is measured as native-so: add it to "
					    "--modes",
					    NULL);
	if (a->mode_on[MODE_NATIVE_SO] && !a->native)
		return xdrv_cli_usage_error("bench",
					    "native-so with --package needs --native LIB.so", NULL);
	a->cls = CLASS_UNKNOWN;
	return 0;
}

int bench_args_parse(int argc, char **argv, struct bench_args *a)
{
	set_defaults(a);
	opterr = 0;
	optind = 0;
	int c, rc = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		uint32_t min, max, *u = NULL;
		if (!numeric_option(c, a, &u, &min, &max))
			rc = other_option(c, argv, a);
		else if (parse_u32(optarg, min, max, u))
			rc = xdrv_cli_usage_error("bench",
						  "number out of range or malformed:", optarg);
	}
	if (rc == 0 && optind != argc)
		rc = xdrv_cli_usage_error("bench", "unexpected argument", argv[optind]);
	if (rc == 0 && a->disk_mb < 2)
		rc = xdrv_cli_usage_error("bench", "--disk-mb must be at least 2", NULL);
	if (rc == 0)
		rc = check_package(a);
	/* the dp83820's defaults: the samples' NIC, or a package bound to a dp83820 */
	bool defaults = !a->package || (a->device && strncmp(a->device, "dp83820", 7) == 0 &&
					(a->device[7] == 0 || a->device[7] == ':'));
	a->nsets = a->nparams ? a->nparams : 1;
	for (uint32_t i = 0; rc == 0 && i < a->nsets; i++)
		rc = parse_paramset(a->nparams ? a->params[i] : NULL, defaults, &a->sets[i]);
	return rc;
}

void bench_args_free(struct bench_args *a)
{
	for (uint32_t i = 0; i < BENCH_MAX_SETS; i++) {
		for (size_t j = 0; j < a->sets[i].n; j++)
			free(a->sets[i].names[j]);
		free(a->sets[i].buf);
		memset(&a->sets[i], 0, sizeof a->sets[i]);
	}
}

bool bench_col_on(const struct bench_args *a, int c)
{
	uint32_t nsets = a->nsets ? a->nsets : 1;
	return c >= 0 && c < NCOLS && a->mode_on[c % NMODES] && (uint32_t)(c / NMODES) < nsets;
}

const char *bench_col_name(const struct bench_args *a, int c, char buf[32])
{
	if (a->nsets <= 1)
		snprintf(buf, 32, "%s", bench_mode_names[c % NMODES]);
	else
		snprintf(buf, 32, "%s.p%d", bench_mode_short[c % NMODES], c / NMODES + 1);
	return buf;
}

bool bench_figure_on(const struct bench_args *a, int k)
{
	switch (a->cls) {
	case CLASS_SAMPLES:
		return k < M_BLK_RR;
	case CLASS_NIC:
		return k < M_RAM_RR;
	case CLASS_BLOCK:
		return k >= M_BLK_RR;
	default:
		return false;
	}
}

bool bench_wants(const struct bench_args *a, const char *key)
{
	return !a->only || strncmp(key, a->only, strlen(a->only)) == 0 ||
	       strncmp(a->only, key, strlen(key)) == 0;
}

uint32_t bench_frames_for(const struct bench_args *a, int s)
{
	uint32_t n = a->frames >> s;
	return n < 4 ? 4 : n;
}
