// SPDX-License-Identifier: MIT
/*
 * `xdrv bench`: driver throughput, JIT-compiled against natively compiled, in one process.
 *
 * The same two sample drivers (dp83820 NIC, virtio_scsi HBA) in four variants, all through the
 * same runtime (ABI) and the same native backend and device models: the signed package
 * JIT-compiled eagerly and lazily, the same C sources compiled natively as a shared object
 * (dlopen) and linked statically into this executable (the Makefile's native section). Each
 * variant gets its own devices; every repetition runs every variant (order rotated per rep),
 * and each figure is the median over the repetitions. Ceilings measured in the same reps:
 * memcpy of the same bytes (NIC, RAM disk) and pread/pwrite on the same image file.
 *
 * Lazy mode: the first bind and a first, unmeasured pass of every workload compile what runs;
 * those times are reported as warm-up, and the measured reps are steady state.
 * Output: a table on stdout, and the figures as JSON (--json) and CSV (--csv).
 */
#define _GNU_SOURCE /* pread, pwrite */
#include "bench.h"

#include <xdrv/cli.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

/* The statically linked builds (Makefile: $(O)/native/<drv>.o); weak: absent in cross builds. */
extern const struct xdrv_driver xdrv_driver_dp83820 __attribute__((weak));
extern const struct xdrv_driver xdrv_driver_virtio_scsi __attribute__((weak));

#define NMODES	       4
#define NSIZES	       3
#define MEASURE_CAP_NS (20ull * 1000000000u) /* one measurement may not take longer */
#define FRAME_BUF      2048
#define CEIL_RING      256 /* destination buffers the memcpy ceiling cycles through */

static const char *const mode_names[NMODES] = {"jit-eager", "jit-lazy", "native-so",
					       "native-static"};
static const uint32_t frame_sizes[NSIZES] = {60, 512, 1514}; /* without FCS */
static const uint32_t wire_sizes[NSIZES] = {64, 512, 1514};  /* as named: 64 = 60 + FCS */

/* Every driver parameter is the same in every variant: no interrupt holdoff (it would cap the
 * packet rate at one ring per 100 us whatever the driver costs) and larger rings. */
static const struct ldr_param_value nic_params[] = {
	{"holdoff_us", "0"}, {"rx_ring", "256"}, {"tx_ring", "256"}};
static const char *const nic_kv[] = {"holdoff_us=0", "rx_ring=256", "tx_ring=256"};
#define NIC_NPARAMS 3

/* ---- metrics --------------------------------------------------------------------------------- */

enum metric {
	M_RX_PPS, /* + size index */
	M_TX_PPS = M_RX_PPS + NSIZES,
	M_RX_GBPS = M_TX_PPS + NSIZES,
	M_TX_GBPS = M_RX_GBPS + NSIZES,
	M_LAT_P50 = M_TX_GBPS + NSIZES,
	M_LAT_P99,
	M_RAM_RR, /* ram disk: 4K random read, write IOPS, 1M sequential read, write MB/s */
	M_RAM_RW,
	M_RAM_SR,
	M_RAM_SW,
	M_IMG_RR, /* image file: the same */
	M_IMG_RW,
	M_IMG_SR,
	M_IMG_SW,
	M_COUNT
};

struct metric_info {
	char key[40], label[48];
	const char *unit;
	bool lower_better;
	const char *ceiling_name; /* NULL: none */
};
static struct metric_info minfo[M_COUNT];

static void metric_setup(void)
{
	for (int s = 0; s < NSIZES; s++) {
		struct {
			int m;
			const char *dir, *Dir, *ukey, *unit;
		} t[4] = {{M_RX_PPS + s, "rx", "RX", "mpps", "Mpps"},
			  {M_TX_PPS + s, "tx", "TX", "mpps", "Mpps"},
			  {M_RX_GBPS + s, "rx", "RX", "gbit_s", "Gbit/s"},
			  {M_TX_GBPS + s, "tx", "TX", "gbit_s", "Gbit/s"}};
		for (int i = 0; i < 4; i++) {
			struct metric_info *mi = &minfo[t[i].m];
			snprintf(mi->key, sizeof mi->key, "nic.%s.%u.%s", t[i].dir, wire_sizes[s],
				 t[i].ukey);
			snprintf(mi->label, sizeof mi->label, "NIC %s %u B", t[i].Dir,
				 wire_sizes[s]);
			mi->unit = t[i].unit;
			mi->ceiling_name = "memcpy";
		}
	}
	static const struct {
		int m;
		const char *key, *label, *unit, *ceil;
		bool lower;
	} o[] = {
		{M_LAT_P50, "nic.rtt.64.p50_us", "NIC round trip 64 B p50", "us", NULL, true},
		{M_LAT_P99, "nic.rtt.64.p99_us", "NIC round trip 64 B p99", "us", NULL, true},
		{M_RAM_RR, "scsi.ram.randread4k.kiops", "SCSI RAM 4 KiB rand read", "kIOPS",
		 "memcpy", false},
		{M_RAM_RW, "scsi.ram.randwrite4k.kiops", "SCSI RAM 4 KiB rand write", "kIOPS",
		 "memcpy", false},
		{M_RAM_SR, "scsi.ram.seqread1m.mb_s", "SCSI RAM 1 MiB seq read", "MB/s", "memcpy",
		 false},
		{M_RAM_SW, "scsi.ram.seqwrite1m.mb_s", "SCSI RAM 1 MiB seq write", "MB/s", "memcpy",
		 false},
		{M_IMG_RR, "scsi.image.randread4k.kiops", "SCSI image 4 KiB rand read", "kIOPS",
		 "pread", false},
		{M_IMG_RW, "scsi.image.randwrite4k.kiops", "SCSI image 4 KiB rand write", "kIOPS",
		 "pwrite", false},
		{M_IMG_SR, "scsi.image.seqread1m.mb_s", "SCSI image 1 MiB seq read", "MB/s",
		 "pread", false},
		{M_IMG_SW, "scsi.image.seqwrite1m.mb_s", "SCSI image 1 MiB seq write", "MB/s",
		 "pwrite", false},
	};
	for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
		struct metric_info *mi = &minfo[o[i].m];
		snprintf(mi->key, sizeof mi->key, "%s", o[i].key);
		snprintf(mi->label, sizeof mi->label, "%s", o[i].label);
		mi->unit = o[i].unit;
		mi->ceiling_name = o[i].ceil;
		mi->lower_better = o[i].lower;
	}
}

/* ---- arguments ------------------------------------------------------------------------------- */

struct bench_args {
	const char *build, *json, *csv, *image, *only;
	uint32_t reps, frames, ios, seq_ios, lat, disk_mb;
	bool mode_on[NMODES];
	bool quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv bench [--build DIR] [--reps N] [--frames N] [--ios N] [--seq-ios N]\n"
		"                  [--latency N] [--disk-mb N] [--image FILE] [--modes LIST]\n"
		"                  [--json FILE] [--csv FILE] [--quiet]\n"
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
		"is measured apart; the reps are steady state.\n"
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
		"  --json FILE     write the figures (medians, samples, ratios) as JSON\n"
		"  --csv FILE      write every sample as CSV (metric,unit,mode,rep,value)\n"
		"  --quiet         no table on stdout\n"
		"  --only PREFIX   run only the workloads whose figure names start with PREFIX\n"
		"                  (e.g. nic.rx.1514, scsi.image: for profiling; others read "
		"null)\n");
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
		while (m < NMODES && strcmp(t, mode_names[m]) != 0)
			m++;
		if (m == NMODES)
			return -1;
		on[m] = true;
		n++;
	}
	return n ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct bench_args *a)
{
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
		{NULL, 0, NULL, 0},
	};
	a->reps = 7;
	a->frames = 400000;
	a->ios = 10000;
	a->seq_ios = 192;
	a->lat = 5000;
	a->disk_mb = 64;
	for (int m = 0; m < NMODES; m++)
		a->mode_on[m] = true;
	opterr = 0;
	optind = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		uint32_t *u = NULL, min = 1, max = 100000000;
		switch (c) {
		case 'B':
			a->build = optarg;
			break;
		case 'r':
			u = &a->reps, max = 101;
			break;
		case 'f':
			u = &a->frames, min = 4;
			break;
		case 'i':
			u = &a->ios;
			break;
		case 's':
			u = &a->seq_ios;
			break;
		case 'l':
			u = &a->lat;
			break;
		case 'd':
			u = &a->disk_mb, max = 4096;
			break;
		case 'I':
			a->image = optarg;
			break;
		case 'm':
			if (parse_modes(optarg, a->mode_on))
				return xdrv_cli_usage_error(
					"bench",
					"--modes wants a list of jit-eager, jit-lazy, "
					"native-so, native-static, not",
					optarg);
			break;
		case 'j':
			a->json = optarg;
			break;
		case 'c':
			a->csv = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'o':
			a->only = optarg;
			break;
		case ':':
			return xdrv_cli_usage_error("bench", "missing value for", argv[optind - 1]);
		default:
			return xdrv_cli_option_error("bench", longopts, argv[optind - 1]);
		}
		if (u && parse_u32(optarg, min, max, u))
			return xdrv_cli_usage_error("bench",
						    "number out of range or malformed:", optarg);
	}
	if (optind != argc)
		return xdrv_cli_usage_error("bench", "unexpected argument", argv[optind]);
	if (a->disk_mb < 2)
		return xdrv_cli_usage_error("bench", "--disk-mb must be at least 2", NULL);
	return 0;
}

/* ---- one variant: its drivers bound to their devices ----------------------------------------- */

struct nic {
	struct hvb_device *dev;
	struct hvb_wire *wire;
	struct ldr_driver *drv;
	struct ldr_netdev *nd;
	uint64_t rx, rx_bytes;
};

struct disk {
	struct hvb_device *dev;
	struct ldr_driver *drv;
	struct ldr_blkdev *bd;
};

struct variant {
	int mode;
	struct ldr_ctx *ctx; /* JIT modes */
	struct ldr_image *nic_img, *scsi_img;
	void *nic_lib, *scsi_lib; /* native-so */
	const struct xdrv_driver *nic_desc, *scsi_desc;
	struct hvb_backend *be;
	struct nic nic;
	struct disk ram, img;
	double load_ms, bind_ms, warm_ms; /* warm-up, reported apart */
	uint32_t compiled_before_warm, compiled_after_warm, compiled_end, total_funcs;
};

static void on_rx(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags)
{
	(void)frame;
	(void)csum_flags;
	struct nic *n = ctx;
	n->rx++;
	n->rx_bytes += len;
}

static void log_sink(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	(void)ctx;
	if (level <= XDRV_LOG_WARN)
		fprintf(stderr, "[%s] %s%s\n", driver, level == XDRV_LOG_ERROR ? "error: " : "",
			msg);
}

static int load_variant(struct variant *v, const struct bench_args *a, const char *build,
			char **err)
{
	const char *mname = mode_names[v->mode];
	char path[PATH_MAX];
	uint64_t t0 = xdrv_now_ns();
	int rc = 0;
	if (v->mode <= 1) {
		char root[PATH_MAX];
		snprintf(root, sizeof root, "%s/pki/root.pem", build);
		struct ldr_config cfg = {.trust_root = root,
					 .jit_mode = v->mode ? LDR_JIT_LAZY : LDR_JIT_EAGER,
					 .opt_level = 2};
		rc = ldr_ctx_create(&cfg, &v->ctx, err);
		snprintf(path, sizeof path, "%s/pkg/dp83820.xdrv", build);
		if (rc == 0)
			rc = ldr_image_load_file(v->ctx, path, nic_params, NIC_NPARAMS, &v->nic_img,
						 err);
		snprintf(path, sizeof path, "%s/pkg/virtio_scsi.xdrv", build);
		if (rc == 0)
			rc = ldr_image_load_file(v->ctx, path, NULL, 0, &v->scsi_img, err);
		if (rc == 0) {
			v->nic_desc = ldr_image_descriptor(v->nic_img);
			v->scsi_desc = ldr_image_descriptor(v->scsi_img);
			if (!v->nic_desc || !v->scsi_desc)
				rc = xdrv_err(err, -EINVAL, "%s: a package has no descriptor",
					      mname);
		}
	} else if (v->mode == 2) {
		size_t nsyms = 0;
		ldr_abi_bindings(&nsyms); /* every ABI function linked in, for the library */
		void **libs[2] = {&v->nic_lib, &v->scsi_lib};
		const struct xdrv_driver **descs[2] = {&v->nic_desc, &v->scsi_desc};
		const char *names[2] = {"dp83820", "virtio_scsi"};
		for (int i = 0; i < 2 && rc == 0; i++) {
			snprintf(path, sizeof path, "%s/native/%s.so", build, names[i]);
			*libs[i] = dlopen(path, RTLD_NOW | RTLD_LOCAL);
			if (!*libs[i])
				rc = xdrv_err(err, -ENOENT, "%s: %s (built by `make` in %s)", mname,
					      dlerror(), build);
			else if (!(*descs[i] = dlsym(*libs[i], "xdrv_driver")))
				rc = xdrv_err(err, -ENOENT, "%s: %s: no symbol xdrv_driver", mname,
					      path);
		}
	} else {
		v->nic_desc = &xdrv_driver_dp83820;
		v->scsi_desc = &xdrv_driver_virtio_scsi;
		if (!v->nic_desc || !v->scsi_desc)
			rc = xdrv_err(err, -ENOENT,
				      "%s: this xdrv was built without the statically linked "
				      "drivers (Makefile section \"native driver builds\"); leave "
				      "it out with --modes",
				      mname);
	}
	v->load_ms = (double)(xdrv_now_ns() - t0) / 1e6;
	(void)a;
	return rc;
}

static int bind_one(struct variant *v, const struct xdrv_driver *desc, struct hvb_device *dev,
		    bool nic, struct ldr_driver **out, char **err)
{
	bool native = v->mode >= 2;
	struct ldr_bind_opts o = {
		.label = NULL,
		.write_params = native,
		.param_kv = native && nic ? nic_kv : NULL,
		.nparams = native && nic ? NIC_NPARAMS : 0,
		.io_timeout_ms = 10000,
	};
	int rc = ldr_driver_bind(desc, dev, &o, out, err);
	if (rc)
		xdrv_err_prefix(err, "%s: ", mode_names[v->mode]);
	return rc;
}

static int setup_variant(struct variant *v, const char *image, uint32_t disk_mb, char **err)
{
	const char *mname = mode_names[v->mode];
	char cfg[PATH_MAX + 32];
	int rc = hvb_backend_create("native", NULL, &v->be, err);
	uint64_t t0 = xdrv_now_ns();
	if (rc == 0)
		rc = hvb_device_create(v->be, "dp83820", NULL, &v->nic.dev, err);
	if (rc == 0)
		rc = hvb_wire_create("gen", "check=0,digest=0", &v->nic.wire, err);
	if (rc == 0)
		rc = hvb_wire_attach(v->nic.wire, v->nic.dev, err);
	if (rc == 0)
		rc = bind_one(v, v->nic_desc, v->nic.dev, true, &v->nic.drv, err);
	if (rc == 0 && !(v->nic.nd = ldr_driver_netdev(v->nic.drv, 0)))
		rc = xdrv_err(err, -ENODEV, "%s: dp83820 registered no interface", mname);
	if (rc == 0) {
		ldr_net_set_rx(v->nic.nd, on_rx, &v->nic);
		rc = ldr_net_open(v->nic.nd, err);
	}
	snprintf(cfg, sizeof cfg, "disk=ram:%uM", disk_mb);
	if (rc == 0)
		rc = hvb_device_create(v->be, "virtio-scsi", cfg, &v->ram.dev, err);
	if (rc == 0)
		rc = bind_one(v, v->scsi_desc, v->ram.dev, false, &v->ram.drv, err);
	snprintf(cfg, sizeof cfg, "disk=file:%s", image);
	if (rc == 0)
		rc = hvb_device_create(v->be, "virtio-scsi", cfg, &v->img.dev, err);
	if (rc == 0)
		rc = bind_one(v, v->scsi_desc, v->img.dev, false, &v->img.drv, err);
	struct disk *d[2] = {&v->ram, &v->img};
	for (int i = 0; i < 2 && rc == 0; i++)
		if (!(d[i]->bd = ldr_driver_blkdev(d[i]->drv, 0)) ||
		    ldr_blk_block_size(d[i]->bd) == 0 || 4096 % ldr_blk_block_size(d[i]->bd))
			rc = xdrv_err(err, -ENODEV,
				      "%s: virtio_scsi found no disk with a block size dividing "
				      "4096",
				      mname);
	if (v->bind_ms == 0) /* the first binding: lazy mode compiles probe on the way */
		v->bind_ms = (double)(xdrv_now_ns() - t0) / 1e6;
	return rc;
}

/* Unbind the drivers and destroy the devices (the drivers stay loaded); again-safe. */
static void teardown_devices(struct variant *v)
{
	if (v->nic.nd)
		ldr_net_stop(v->nic.nd);
	ldr_driver_unbind(v->nic.drv);
	ldr_driver_unbind(v->ram.drv);
	ldr_driver_unbind(v->img.drv);
	hvb_wire_destroy(v->nic.wire);
	hvb_backend_destroy(v->be);
	memset(&v->nic, 0, sizeof v->nic);
	memset(&v->ram, 0, sizeof v->ram);
	memset(&v->img, 0, sizeof v->img);
	v->be = NULL;
}

static void unload_variant(struct variant *v)
{
	teardown_devices(v);
	ldr_image_unload(v->nic_img);
	ldr_image_unload(v->scsi_img);
	ldr_ctx_destroy(v->ctx);
	if (v->nic_lib)
		dlclose(v->nic_lib);
	if (v->scsi_lib)
		dlclose(v->scsi_lib);
}

/* ---- the workloads --------------------------------------------------------------------------- */

struct timeout_ctx {
	uint64_t end;
	const char *what;
	int mode;
};

static int too_long(const struct timeout_ctx *t, char **err)
{
	if (xdrv_now_ns() < t->end)
		return 0;
	return xdrv_err(err, -ETIMEDOUT, "%s: %s did not finish within %llu s", mode_names[t->mode],
			t->what, MEASURE_CAP_NS / 1000000000ull);
}

/* Frames/s the host receives: the generator feeds `count` frames into the chip. */
static int nic_rx(struct variant *v, uint32_t size, uint32_t count, double *pps, char **err)
{
	struct nic *n = &v->nic;
	struct timeout_ctx to = {xdrv_now_ns() + MEASURE_CAP_NS, "NIC RX", v->mode};
	uint64_t want = n->rx + count;
	uint64_t t0 = xdrv_now_ns();
	if (hvb_wire_gen_start(n->wire, count, size) != 0)
		return xdrv_err(err, -EINVAL, "generator refused %u frames of %u bytes", count,
				size);
	uint32_t spins = 0;
	while (n->rx < want) {
		ldr_driver_dispatch(n->drv);
		if (++spins % 64 == 0 && too_long(&to, err))
			return -ETIMEDOUT;
	}
	*pps = count / ((double)(xdrv_now_ns() - t0) / 1e9);
	return 0;
}

static uint64_t wire_tx_frames(const struct nic *n)
{
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(n->wire, &ws);
	return ws.tx_frames;
}

/* Frames/s the host transmits until the wire has them all. */
static int nic_tx(struct variant *v, const uint8_t *frame, uint32_t size, uint32_t count,
		  double *pps, char **err)
{
	struct nic *n = &v->nic;
	struct timeout_ctx to = {xdrv_now_ns() + MEASURE_CAP_NS, "NIC TX", v->mode};
	uint64_t want = wire_tx_frames(n) + count;
	uint64_t t0 = xdrv_now_ns();
	uint32_t sent = 0, spins = 0;
	while (sent < count) {
		if (ldr_net_xmit(n->nd, frame, size, XDRV_CSUM_NONE, 0, 0) == 0) {
			if (++sent % 32 == 0)
				ldr_driver_dispatch(n->drv);
		} else {
			ldr_driver_dispatch(n->drv); /* backlog full: let the driver reap */
		}
		if (++spins % 256 == 0 && too_long(&to, err))
			return -ETIMEDOUT;
	}
	while (wire_tx_frames(n) < want) {
		ldr_driver_dispatch(n->drv);
		if (++spins % 64 == 0 && too_long(&to, err))
			return -ETIMEDOUT;
	}
	*pps = count / ((double)(xdrv_now_ns() - t0) / 1e9);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
	qsort(v, n, sizeof *v, cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Round trip: one 64-byte frame out through the driver to the wire, then one frame from the
 * wire in through the driver to the host, timed together; p50 and p99 in microseconds. */
static int nic_latency(struct variant *v, const uint8_t *frame, uint32_t count, double *p50,
		       double *p99, char **err)
{
	struct nic *n = &v->nic;
	struct timeout_ctx to = {xdrv_now_ns() + MEASURE_CAP_NS, "NIC round trip", v->mode};
	double *us = calloc(count, sizeof *us);
	if (!us)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = 0;
	for (uint32_t i = 0; i < count && rc == 0; i++) {
		uint64_t out = wire_tx_frames(n) + 1, in = n->rx + 1;
		uint64_t t0 = xdrv_now_ns();
		while (ldr_net_xmit(n->nd, frame, frame_sizes[0], XDRV_CSUM_NONE, 0, 0) != 0 &&
		       !(rc = too_long(&to, err)))
			ldr_driver_dispatch(n->drv);
		while (rc == 0 && wire_tx_frames(n) < out && !(rc = too_long(&to, err)))
			ldr_driver_dispatch(n->drv);
		if (rc == 0 && hvb_wire_gen_start(n->wire, 1, frame_sizes[0]) != 0)
			rc = xdrv_err(err, -EINVAL, "generator refused a frame");
		while (rc == 0 && n->rx < in && !(rc = too_long(&to, err)))
			ldr_driver_dispatch(n->drv);
		us[i] = (double)(xdrv_now_ns() - t0) / 1e3;
	}
	if (rc == 0) {
		*p50 = percentile(us, count, 0.50);
		*p99 = percentile(us, count, 0.99);
	}
	free(us);
	return rc;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Synchronous I/Os of `bytes` each (queue depth 1): random 4 KiB-aligned offsets or
 * sequential; returns I/Os per second. */
static int disk_run(struct variant *v, struct disk *d, uint32_t op, bool seq, uint32_t bytes,
		    uint32_t count, uint8_t *buf, double *iops, char **err)
{
	uint32_t bs = ldr_blk_block_size(d->bd), blocks = bytes / bs;
	uint64_t slots = ldr_blk_num_blocks(d->bd) / blocks, rng = 0x9e3779b97f4a7c15ull;
	if (!slots)
		return xdrv_err(err, -ERANGE, "disk smaller than one I/O");
	uint64_t t0 = xdrv_now_ns();
	for (uint32_t i = 0; i < count; i++) {
		uint64_t slot = seq ? i % slots : rng_next(&rng) % slots;
		char *e = NULL;
		int rc = ldr_blk_io(d->bd, op, slot * blocks, blocks, buf, &e);
		if (rc) {
			xdrv_err(err, rc, "%s: %s: %s", mode_names[v->mode], ldr_blk_name(d->bd),
				 e ? e : "I/O failed");
			free(e);
			return rc;
		}
	}
	*iops = count / ((double)(xdrv_now_ns() - t0) / 1e9);
	return 0;
}

/* ---- ceilings -------------------------------------------------------------------------------- */

struct ceil_bufs {
	uint8_t *ring; /* CEIL_RING * FRAME_BUF */
	uint8_t *ram;  /* disk_mb MiB */
	uint64_t ram_len;
	int fd;
	uint64_t sink;
};

/* memcpy of the same frames: one copy per frame into a ring of buffers. Frames/s. */
static double ceil_frames(struct ceil_bufs *c, const uint8_t *frame, uint32_t size, uint32_t count)
{
	uint64_t t0 = xdrv_now_ns();
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *dst = c->ring + (size_t)(i % CEIL_RING) * FRAME_BUF;
		memcpy(dst, frame, size);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return count / ((double)(xdrv_now_ns() - t0) / 1e9);
}

/* memcpy to/from the RAM buffer, or pread/pwrite on the image; I/Os per second. */
static double ceil_disk(struct ceil_bufs *c, bool file, bool write, bool seq, uint32_t bytes,
			uint32_t count, uint8_t *buf, char **err, int *rc)
{
	uint64_t slots = c->ram_len / bytes, rng = 0x9e3779b97f4a7c15ull;
	uint64_t t0 = xdrv_now_ns();
	for (uint32_t i = 0; i < count; i++) {
		uint64_t off = (seq ? i % slots : rng_next(&rng) % slots) * bytes;
		if (!file) {
			if (write)
				memcpy(c->ram + off, buf, bytes);
			else
				memcpy(buf, c->ram + off, bytes);
			__asm__ volatile("" : : "r"(buf) : "memory");
			continue;
		}
		ssize_t n = write ? pwrite(c->fd, buf, bytes, (off_t)off)
				  : pread(c->fd, buf, bytes, (off_t)off);
		if (n != (ssize_t)bytes) {
			*rc = xdrv_err(err, -EIO, "image: %s at %llu: %s",
				       write ? "pwrite" : "pread", (unsigned long long)off,
				       n < 0 ? strerror(errno) : "short");
			return 0;
		}
	}
	return count / ((double)(xdrv_now_ns() - t0) / 1e9);
}

/* ---- results ----------------------------------------------------------------------------------
 */

#define CEIL NMODES /* index of the ceiling among the columns */
struct results {
	uint32_t reps;
	double *s[M_COUNT][NMODES + 1]; /* samples per rep; NAN: not measured */
};

static double median_of(const double *s, uint32_t n)
{
	double tmp[128];
	uint32_t k = 0;
	for (uint32_t i = 0; i < n && k < 128; i++)
		if (s[i] == s[i]) /* not NaN */
			tmp[k++] = s[i];
	if (!k)
		return 0.0 / 0.0;
	qsort(tmp, k, sizeof tmp[0], cmp_double);
	return k % 2 ? tmp[k / 2] : (tmp[k / 2 - 1] + tmp[k / 2]) / 2;
}

/* JIT speed over native speed: >= 1 means the JIT-compiled driver is at least as fast. */
static double ratio(const struct metric_info *mi, double jit, double native)
{
	if (!(jit > 0) || !(native > 0))
		return 0.0 / 0.0;
	return mi->lower_better ? native / jit : jit / native;
}

static void print_table(const struct results *r, const struct bench_args *a)
{
	printf("%-28s %-7s", "figure (median)", "unit");
	for (int m = 0; m < NMODES; m++)
		if (a->mode_on[m])
			printf(" %13s", mode_names[m]);
	printf(" %13s  %s\n", "ceiling",
	       "ratios JIT/native: eager/so lazy/so eager/static lazy/static");
	for (int k = 0; k < M_COUNT; k++) {
		printf("%-28s %-7s", minfo[k].label, minfo[k].unit);
		double med[NMODES + 1];
		for (int m = 0; m <= NMODES; m++)
			med[m] = median_of(r->s[k][m], r->reps);
		for (int m = 0; m < NMODES; m++)
			if (a->mode_on[m])
				printf(" %13.4g", med[m]);
		if (minfo[k].ceiling_name)
			printf(" %6s %6.4g ", minfo[k].ceiling_name, med[CEIL]);
		else
			printf(" %13s ", "-");
		printf(" %5.2f %5.2f %5.2f %5.2f\n", ratio(&minfo[k], med[0], med[2]),
		       ratio(&minfo[k], med[1], med[2]), ratio(&minfo[k], med[0], med[3]),
		       ratio(&minfo[k], med[1], med[3]));
	}
}

static json_t *jnum(double v)
{
	return v == v ? json_real(v) : json_null();
}

static int write_outputs(const struct results *r, const struct bench_args *a,
			 const struct variant *vs, const char *host, char **err)
{
	if (a->csv) {
		FILE *f = fopen(a->csv, "w");
		if (!f)
			return xdrv_err(err, -errno, "%s: %s", a->csv, strerror(errno));
		fprintf(f, "metric,unit,mode,rep,value\n");
		for (int k = 0; k < M_COUNT; k++)
			for (int m = 0; m <= NMODES; m++)
				for (uint32_t i = 0; i < r->reps; i++)
					if (r->s[k][m][i] == r->s[k][m][i])
						fprintf(f, "%s,%s,%s,%u,%.6g\n", minfo[k].key,
							minfo[k].unit,
							m == CEIL ? minfo[k].ceiling_name
								  : mode_names[m],
							i + 1, r->s[k][m][i]);
		if (fclose(f) != 0)
			return xdrv_err(err, -EIO, "%s: write failed", a->csv);
	}
	if (!a->json)
		return 0;
	json_t *root = json_object(), *cfg = json_object(), *modes = json_array(),
	       *warm = json_object(), *metrics = json_array();
	json_object_set_new(root, "host", json_string(host));
	json_object_set_new(root, "reps", json_integer(a->reps));
	json_object_set_new(cfg, "frames_64", json_integer(a->frames));
	json_object_set_new(cfg, "frames_512", json_integer(a->frames / 2));
	json_object_set_new(cfg, "frames_1514", json_integer(a->frames / 4));
	json_object_set_new(cfg, "random_ios", json_integer(a->ios));
	json_object_set_new(cfg, "seq_ios", json_integer(a->seq_ios));
	json_object_set_new(cfg, "round_trips", json_integer(a->lat));
	json_object_set_new(cfg, "disk_mib", json_integer(a->disk_mb));
	json_object_set_new(cfg, "nic_params", json_string("holdoff_us=0,rx_ring=256,tx_ring=256"));
	json_object_set_new(cfg, "wire", json_string("gen:check=0,digest=0"));
	json_object_set_new(root, "config", cfg);
	for (int m = 0; m < NMODES; m++) {
		if (!a->mode_on[m])
			continue;
		json_array_append_new(modes, json_string(mode_names[m]));
		const struct variant *v = &vs[m];
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
		json_object_set_new(warm, mode_names[m], w);
	}
	json_object_set_new(root, "modes", modes);
	json_object_set_new(root, "warmup", warm);
	for (int k = 0; k < M_COUNT; k++) {
		const struct metric_info *mi = &minfo[k];
		json_t *o = json_object(), *med = json_object(), *smp = json_object(),
		       *rat = json_object();
		json_object_set_new(o, "key", json_string(mi->key));
		json_object_set_new(o, "label", json_string(mi->label));
		json_object_set_new(o, "unit", json_string(mi->unit));
		json_object_set_new(o, "lower_is_better", json_boolean(mi->lower_better));
		double md[NMODES + 1];
		for (int m = 0; m <= NMODES; m++) {
			md[m] = median_of(r->s[k][m], r->reps);
			if (m < NMODES && !a->mode_on[m])
				continue;
			if (m == CEIL && !mi->ceiling_name)
				continue;
			const char *name = m == CEIL ? "ceiling" : mode_names[m];
			json_object_set_new(med, name, jnum(md[m]));
			json_t *arr = json_array();
			for (uint32_t i = 0; i < r->reps; i++)
				json_array_append_new(arr, jnum(r->s[k][m][i]));
			json_object_set_new(smp, name, arr);
		}
		json_object_set_new(o, "ceiling",
				    mi->ceiling_name ? json_string(mi->ceiling_name) : json_null());
		json_object_set_new(rat, "eager/so", jnum(ratio(mi, md[0], md[2])));
		json_object_set_new(rat, "lazy/so", jnum(ratio(mi, md[1], md[2])));
		json_object_set_new(rat, "eager/static", jnum(ratio(mi, md[0], md[3])));
		json_object_set_new(rat, "lazy/static", jnum(ratio(mi, md[1], md[3])));
		json_object_set_new(o, "median", med);
		json_object_set_new(o, "samples", smp);
		json_object_set_new(o, "ratios", rat);
		json_array_append_new(metrics, o);
	}
	json_object_set_new(root, "metrics", metrics);
	int rc = json_dump_file(root, a->json, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (rc != 0)
		return xdrv_err(err, -EIO, "%s: cannot write the JSON", a->json);
	return 0;
}

/* ---- the run --------------------------------------------------------------------------------- */

struct run {
	struct bench_args *a;
	struct variant v[NMODES];
	struct results r;
	struct ceil_bufs c;
	uint8_t frames[NSIZES][FRAME_BUF];
	uint8_t *iobuf; /* 1 MiB */
};

static bool wants(const struct bench_args *a, const char *key);

/* Fresh devices for variant m (every rep gets new ones, so where their memory lands is not
 * the same bias for a variant in every rep), with every disk block written once, so no
 * measured I/O pays for a first-touch page fault of the RAM disk. Not timed. */
static int prefault(struct run *R, int m, char **err)
{
	struct variant *v = &R->v[m];
	int rc = 0;
	struct disk *d[2] = {&v->ram, &v->img};
	for (int i = 0; i < 2 && rc == 0; i++) {
		uint64_t mib = ldr_blk_num_blocks(d[i]->bd) * ldr_blk_block_size(d[i]->bd) >> 20;
		double x;
		if (wants(R->a, i ? "scsi.image" : "scsi.ram") && mib)
			rc = disk_run(v, d[i], XDRV_BLK_WRITE, true, 1u << 20, (uint32_t)mib,
				      R->iobuf, &x, err);
	}
	return rc;
}

static int fresh_devices(struct run *R, int m, const char *image, char **err)
{
	teardown_devices(&R->v[m]);
	int rc = setup_variant(&R->v[m], image, R->a->disk_mb, err);
	return rc ? rc : prefault(R, m, err);
}

/* --only: does the workload named `key` run? */
static bool wants(const struct bench_args *a, const char *key)
{
	return !a->only || strncmp(key, a->only, strlen(a->only)) == 0 ||
	       strncmp(a->only, key, strlen(key)) == 0;
}

/* Every workload of one variant; rep < 0: the warm-up pass (small, not recorded). */
static int run_variant(struct run *R, int m, int rep, char **err)
{
	struct variant *v = &R->v[m];
	const struct bench_args *a = R->a;
	bool warm = rep < 0;
	int rc = 0;
	double x, y;
	for (int s = 0; s < NSIZES && rc == 0; s++) {
		uint32_t n = warm ? 64 : a->frames >> (s == 0 ? 0 : s == 1 ? 1 : 2);
		if (n < 4)
			n = 4;
		char key[32];
		snprintf(key, sizeof key, "nic.rx.%u", wire_sizes[s]);
		if (wants(a, key))
			rc = nic_rx(v, frame_sizes[s], n, &x, err);
		if (rc == 0 && !warm && wants(a, key)) {
			R->r.s[M_RX_PPS + s][m][rep] = x / 1e6;
			R->r.s[M_RX_GBPS + s][m][rep] = x * frame_sizes[s] * 8 / 1e9;
		}
		snprintf(key, sizeof key, "nic.tx.%u", wire_sizes[s]);
		if (rc == 0 && wants(a, key))
			rc = nic_tx(v, R->frames[s], frame_sizes[s], n, &x, err);
		if (rc == 0 && !warm && wants(a, key)) {
			R->r.s[M_TX_PPS + s][m][rep] = x / 1e6;
			R->r.s[M_TX_GBPS + s][m][rep] = x * frame_sizes[s] * 8 / 1e9;
		}
	}
	bool lat = wants(a, "nic.rtt");
	if (rc == 0 && lat)
		rc = nic_latency(v, R->frames[0], warm ? 16 : a->lat, &x, &y, err);
	if (rc == 0 && !warm && lat) {
		R->r.s[M_LAT_P50][m][rep] = x;
		R->r.s[M_LAT_P99][m][rep] = y;
	}
	struct disk *d[2] = {&v->ram, &v->img};
	for (int i = 0; i < 2 && rc == 0; i++) {
		int base = i ? M_IMG_RR : M_RAM_RR;
		if (!wants(a, i ? "scsi.image" : "scsi.ram"))
			continue;
		uint32_t nr = warm ? 8 : a->ios, ns = warm ? 2 : a->seq_ios;
		rc = disk_run(v, d[i], XDRV_BLK_READ, false, 4096, nr, R->iobuf, &x, err);
		if (rc == 0 && !warm)
			R->r.s[base][m][rep] = x / 1e3;
		if (rc == 0)
			rc = disk_run(v, d[i], XDRV_BLK_WRITE, false, 4096, nr, R->iobuf, &x, err);
		if (rc == 0 && !warm)
			R->r.s[base + 1][m][rep] = x / 1e3;
		if (rc == 0)
			rc = disk_run(v, d[i], XDRV_BLK_READ, true, 1u << 20, ns, R->iobuf, &x,
				      err);
		if (rc == 0 && !warm)
			R->r.s[base + 2][m][rep] = x * (1u << 20) / 1e6;
		if (rc == 0)
			rc = disk_run(v, d[i], XDRV_BLK_WRITE, true, 1u << 20, ns, R->iobuf, &x,
				      err);
		if (rc == 0 && !warm)
			R->r.s[base + 3][m][rep] = x * (1u << 20) / 1e6;
	}
	return rc;
}

static int run_ceilings(struct run *R, int rep, char **err)
{
	const struct bench_args *a = R->a;
	struct ceil_bufs *c = &R->c;
	for (int s = 0; s < NSIZES; s++) {
		uint32_t n = a->frames >> (s == 0 ? 0 : s == 1 ? 1 : 2);
		double x = ceil_frames(c, R->frames[s], frame_sizes[s], n < 4 ? 4 : n);
		int ms[4] = {M_RX_PPS + s, M_TX_PPS + s, M_RX_GBPS + s, M_TX_GBPS + s};
		for (int i = 0; i < 4; i++)
			R->r.s[ms[i]][CEIL][rep] = i < 2 ? x / 1e6 : x * frame_sizes[s] * 8 / 1e9;
	}
	int rc = 0;
	for (int file = 0; file < 2 && rc == 0; file++) {
		int base = file ? M_IMG_RR : M_RAM_RR;
		double x;
		x = ceil_disk(c, file, false, false, 4096, a->ios, R->iobuf, err, &rc);
		R->r.s[base][CEIL][rep] = x / 1e3;
		if (rc == 0)
			x = ceil_disk(c, file, true, false, 4096, a->ios, R->iobuf, err, &rc);
		R->r.s[base + 1][CEIL][rep] = x / 1e3;
		if (rc == 0)
			x = ceil_disk(c, file, false, true, 1u << 20, a->seq_ios, R->iobuf, err,
				      &rc);
		R->r.s[base + 2][CEIL][rep] = x * (1u << 20) / 1e6;
		if (rc == 0)
			x = ceil_disk(c, file, true, true, 1u << 20, a->seq_ios, R->iobuf, err,
				      &rc);
		R->r.s[base + 3][CEIL][rep] = x * (1u << 20) / 1e6;
	}
	return rc;
}

/* The build folder this xdrv lives in: <build>/bin/xdrv. */
static int default_build(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *s = strrchr(exe, '/');
	if (!s)
		return -1;
	*s = 0;
	s = strrchr(exe, '/');
	if (!s)
		return -1;
	*s = 0;
	snprintf(out, cap, "%s", exe);
	return 0;
}

static int make_image(struct run *R, char *path, size_t cap, bool *temp, char **err)
{
	const struct bench_args *a = R->a;
	int fd;
	if (a->image) {
		snprintf(path, cap, "%s", a->image);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	} else {
		const char *td = getenv("TMPDIR");
		snprintf(path, cap, "%s/xdrv-bench-XXXXXX", td && *td ? td : "/tmp");
		fd = mkostemp(path, O_CLOEXEC);
		*temp = fd >= 0;
	}
	if (fd < 0)
		return xdrv_err(err, -errno, "image %s: %s", path, strerror(errno));
	uint64_t len = (uint64_t)a->disk_mb << 20;
	for (uint64_t off = 0; off < len; off += 1u << 20) {
		for (uint32_t i = 0; i < (1u << 20); i += 8)
			memcpy(R->iobuf + i, &(uint64_t){off + i}, 8);
		if (pwrite(fd, R->iobuf, 1u << 20, (off_t)off) != (ssize_t)(1u << 20)) {
			int e = errno;
			close(fd);
			return xdrv_err(err, -(e ? e : EIO), "image %s: write: %s", path,
					strerror(e ? e : EIO));
		}
	}
	R->c.fd = fd;
	R->c.ram_len = len;
	R->c.ram = malloc(len);
	if (!R->c.ram)
		return xdrv_err(err, -ENOMEM, "out of memory for the RAM ceiling");
	memset(R->c.ram, 0x5a, len);
	return 0;
}

static int bench(struct run *R, char **err)
{
	struct bench_args *a = R->a;
	char build[PATH_MAX], image[PATH_MAX];
	bool temp_image = false;
	if (a->build)
		snprintf(build, sizeof build, "%s", a->build);
	else if (default_build(build, sizeof build))
		return xdrv_err(err, -ENOENT, "cannot find this xdrv's build folder; give --build");
	R->c.fd = -1;
	R->iobuf = malloc(1u << 20);
	R->c.ring = malloc((size_t)CEIL_RING * FRAME_BUF);
	R->r.reps = a->reps;
	for (int k = 0; k < M_COUNT; k++)
		for (int m = 0; m <= NMODES; m++) {
			R->r.s[k][m] = malloc(a->reps * sizeof(double));
			if (R->r.s[k][m])
				for (uint32_t i = 0; i < a->reps; i++)
					R->r.s[k][m][i] = 0.0 / 0.0;
			else
				return xdrv_err(err, -ENOMEM, "out of memory");
		}
	if (!R->iobuf || !R->c.ring)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memset(R->iobuf, 0xa5, 1u << 20);
	memset(R->c.ring, 0, (size_t)CEIL_RING * FRAME_BUF); /* no page faults in the ceiling */
	const uint8_t nic_mac[6] = {2, 0, 0, 0, 0, 1}, peer[6] = {2, 0, 0, 0, 0, 2};
	for (int s = 0; s < NSIZES; s++)
		if (hvb_wire_gen_frame(R->frames[s], FRAME_BUF, s, frame_sizes[s], peer, nic_mac) !=
		    (int)frame_sizes[s])
			return xdrv_err(err, -EINVAL, "cannot build a %u-byte frame",
					frame_sizes[s]);
	int rc = make_image(R, image, sizeof image, &temp_image, err);
	const char *host = "?";
	for (int m = 0; m < NMODES && rc == 0; m++) {
		if (!a->mode_on[m])
			continue;
		R->v[m].mode = m;
		rc = load_variant(&R->v[m], a, build, err);
		if (rc == 0)
			rc = setup_variant(&R->v[m], image, a->disk_mb, err);
		if (rc == 0 && R->v[m].ctx)
			host = ldr_host_description(R->v[m].ctx);
		struct ldr_image *imgs[2] = {R->v[m].nic_img, R->v[m].scsi_img};
		for (int i = 0; i < 2 && rc == 0 && imgs[0]; i++) {
			R->v[m].compiled_before_warm += ldr_image_compiled_functions(imgs[i]);
			R->v[m].total_funcs += ldr_image_total_functions(imgs[i]);
		}
		/* warm-up: lazy mode compiles what each workload calls (and unbind what it calls);
		 * not recorded */
		if (rc == 0)
			rc = prefault(R, m, err);
		uint64_t t0 = xdrv_now_ns();
		if (rc == 0)
			rc = run_variant(R, m, -1, err);
		R->v[m].warm_ms = (double)(xdrv_now_ns() - t0) / 1e6;
		teardown_devices(&R->v[m]);
		for (int i = 0; i < 2 && rc == 0 && imgs[0]; i++)
			R->v[m].compiled_after_warm += ldr_image_compiled_functions(imgs[i]);
		if (rc == 0 && !a->quiet)
			fprintf(stderr,
				"bench: %-13s load %.1f ms, bind %.1f ms, warm-up pass %.1f ms\n",
				mode_names[m], R->v[m].load_ms, R->v[m].bind_ms, R->v[m].warm_ms);
	}
	for (uint32_t rep = 0; rep < a->reps && rc == 0; rep++) {
		rc = run_ceilings(R, (int)rep, err);
		for (int i = 0; i < NMODES && rc == 0; i++) {
			int m = (int)((i + rep) % NMODES); /* rotate which variant goes first */
			if (!a->mode_on[m])
				continue;
			rc = fresh_devices(R, m, image, err);
			if (rc == 0)
				rc = run_variant(R, m, (int)rep, err);
		}
		if (rc == 0 && !a->quiet)
			fprintf(stderr, "bench: rep %u of %u done\n", rep + 1, a->reps);
	}
	for (int m = 0; m < NMODES; m++) {
		struct ldr_image *imgs[2] = {R->v[m].nic_img, R->v[m].scsi_img};
		for (int i = 0; i < 2 && imgs[0]; i++)
			R->v[m].compiled_end += ldr_image_compiled_functions(imgs[i]);
	}
	char hostbuf[512];
	snprintf(hostbuf, sizeof hostbuf, "%s", host);
	if (rc == 0 && !a->quiet) {
		printf("host: %s\n", hostbuf);
		printf("medians of %u reps; NIC params holdoff_us=0 rx_ring=256 tx_ring=256, "
		       "wire gen check=0 digest=0; Gbit/s of frame bytes without FCS\n",
		       a->reps);
		print_table(&R->r, a);
	}
	if (rc == 0)
		rc = write_outputs(&R->r, a, R->v, hostbuf, err);
	for (int m = 0; m < NMODES; m++)
		if (a->mode_on[m])
			unload_variant(&R->v[m]);
	if (R->c.fd >= 0)
		close(R->c.fd);
	if (temp_image)
		unlink(image);
	return rc;
}

int bench_main(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	static struct run R; /* large: frames and variants */
	struct bench_args a;
	memset(&a, 0, sizeof a);
	memset(&R, 0, sizeof R);
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	metric_setup();
	R.a = &a;
	char *err = NULL;
	ldr_runtime_set_log(log_sink, NULL);
	rc = bench(&R, &err);
	ldr_runtime_set_log(NULL, NULL);
	for (int k = 0; k < M_COUNT; k++)
		for (int m = 0; m <= NMODES; m++)
			free(R.r.s[k][m]);
	free(R.iobuf);
	free(R.c.ring);
	free(R.c.ram);
	if (rc) {
		fflush(stdout);
		fprintf(stderr, "xdrv bench: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	return 0;
}
