/* SPDX-License-Identifier: MIT */
/*
 * What the files of the bench program share: the catalogue of variants and figures, the
 * options, a variant's drivers and devices, the ceilings' buffers and the samples, and the
 * functions each file offers the ones above it. Layers, lowest first (a file calls only into
 * lower ones, never back up):
 *
 *   metrics.c   the six modes, the frame sizes, every figure's key, label, unit, ceiling;
 *               the clock of the measurements
 *   stats.c     median, percentile, spread, ratio JIT/native and when a ratio is noise
 *   args.c      the options, --help, --only
 *   variants.c  a variant's drivers loaded (JIT eager/lazy, native .so, native static) and
 *               bound to its own devices
 *   ceilings.c  memcpy of the same bytes, pread/pwrite on the same image
 *   nic.c       NIC workloads: RX, TX, round trip
 *   disk.c      SCSI workloads: random and sequential I/O through the block device
 *   output.c    the table on stdout, JSON and CSV
 *   bench.c     the run: warm-up, reps, rotation, ceilings and workloads into the samples
 */
#ifndef XDRV_BENCH_PRIV_H
#define XDRV_BENCH_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/loader.h>

#include "../cli/budget_args.h"

/* ---- metrics.c: variants and figures ------------------------------------------------------- */

/* MODE_JIT_NOBUDGET: JIT eager compiled without the budgets (loader/budget.c), to measure their
 * cost beside jit-eager (scripts/bench.d/22-budget.sh); MODE_JIT_ISOLATED: JIT eager as `xdrv
 * run` runs it, compiled in a compiler process and run in a sandboxed driver host, the image
 * disk served by a backend server through a blkfront (driver domains, loader/README.md); both
 * only when --modes names them. */
enum bench_mode {
	MODE_JIT_EAGER,
	MODE_JIT_LAZY,
	MODE_NATIVE_SO,
	MODE_NATIVE_STATIC,
	MODE_JIT_NOBUDGET,
	MODE_JIT_ISOLATED,
	MODE_JIT_FAST, /* JIT eager at the fast tier (O0, fast instruction selection), by name */
	NMODES
};
/* A column of samples is one variant: a mode with one set of driver parameters (--params may
 * be given up to BENCH_MAX_SETS times, each set measured side by side in the same reps).
 * Column c is mode c % NMODES with set c / NMODES; with one set, columns are the modes. */
#define BENCH_MAX_SETS 4
#define NCOLS	       (NMODES * BENCH_MAX_SETS)
#define CEIL	       NCOLS /* index of the ceiling among the sample columns (variants, then it) */
#define NSIZES	       3

extern const char *const bench_mode_names[NMODES]; /* "jit-eager", ... as --modes spells them */
extern const uint32_t bench_frame_sizes[NSIZES];   /* 60, 512, 1514: frame bytes without FCS */
extern const uint32_t bench_wire_sizes[NSIZES];	   /* 64, 512, 1514: as the figures name them */

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
	M_BLK_RR, /* --package, a block driver: the same four on its disk */
	M_BLK_RW,
	M_BLK_SR,
	M_BLK_SW,
	M_COUNT
};

/* What the run measures: the two sample drivers (no --package), or the package's driver, whose
 * class is known once it probed (what it registered: a network interface or a block device). */
enum bench_class { CLASS_SAMPLES, CLASS_UNKNOWN, CLASS_NIC, CLASS_BLOCK };

struct metric_info {
	char key[40], label[48];
	const char *unit;
	bool lower_better;
	const char *ceiling_name; /* NULL: none */
};

/* Figure k (0 <= k < M_COUNT): borrowed, valid for the life of the program. */
const struct metric_info *bench_metric(int k);
/* The ceiling of the block figures (M_BLK_*): "memcpy" (a RAM disk), "pread" for reads and
 * "pwrite" for writes (a file; `file` true), or none (NULL, file false: another backend). */
void bench_metric_blk_ceiling(const char *name, bool file);
/* The clock every measurement reads (nic.c, disk.c, ceilings.c): the wall clock, or with
 * --cpu-time (bench_cpu_clock) the CPU time of the calling thread, which does not count the
 * time the bench was not running on a busy machine, nor work done by other threads and
 * processes (a backend server, the kernel's I/O workers). Timeouts stay on the wall clock. */
extern bool bench_cpu_clock;
uint64_t bench_clock_ns(void);
/* Short names of the modes, for ratio and column names: "eager", "lazy", "so", ... */
extern const char *const bench_mode_short[NMODES];

/* ---- stats.c: samples and what they say ---------------------------------------------------- */

struct results {
	uint32_t reps;
	double *s[M_COUNT][NCOLS + 1]; /* samples per rep, per column; NAN: not measured */
};

/* The table shows each median with the spread of its reps, (max - min) / median. A ratio is
 * judged on its own reps instead: every rep measures both columns a moment apart (variants
 * interleaved, order rotated), so the ratio of rep i, x_i / y_i, cancels what the machine did
 * across reps, and a load spike shows as one odd rep, not as a wide range. A ratio is noise,
 * not a finding, when the middle half of its per-rep values spans more than SPREAD_WARN of
 * their median: (p75 - p25) / median > 20 % (percentiles interpolated; two paired reps at
 * least). On a shared machine max - min of either side passes 20 % in most runs of 7 reps or
 * more, which said nothing; the interquartile range of the paired ratios does not move for
 * one or two disturbed reps. */
#define SPREAD_WARN 0.20

struct spread {
	double min, median, max;
	double rel;	 /* (max - min) / median; NAN without samples or with a median <= 0 */
	double p25, p75; /* interpolated percentiles; NAN without samples */
};

double bench_median(const double *s, uint32_t n); /* of the samples that are not NaN; NaN: none */
double bench_percentile(double *v, size_t n, double p); /* sorts v; n > 0, 0 <= p <= 1 */
/* JIT speed over native speed: >= 1 means the JIT-compiled driver is at least as fast. */
double bench_ratio(const struct metric_info *mi, double jit, double native);
/* min, median, max, relative spread and p25, p75 of the samples that are not NaN */
struct spread bench_spread(const double *s, uint32_t n);
/* The per-rep ratios of figure k, column jit over column native (reps where both were
 * measured): their min, median, max, p25, p75; rel is (p75 - p25) / median. */
struct spread bench_ratio_reps(const struct results *r, int k, int jit, int native);
/* Is the ratio of figure k between columns jit and native noise (bench_ratio_reps' rel more than
 * SPREAD_WARN)? False with fewer than two paired reps (nothing to judge; no ratio at all). */
bool bench_ratio_noisy(const struct results *r, int k, int jit, int native);

/* The ratios every figure reports, in this order everywhere (table, JSON): column jit's speed
 * over column native's. Without --package the five of the JIT-vs-native comparison (set 1);
 * with it those whose two modes run; then, with more than one --params, each set over the
 * first for every mode ("eager p2/p1"). With --package and no native mode, lazy/eager too. */
struct ratio_pair {
	char name[24];
	int jit, native; /* columns */
};
#define NRATIOS_FIXED	 5
#define BENCH_MAX_RATIOS (NRATIOS_FIXED + 2 + (BENCH_MAX_SETS - 1) * NMODES)
struct bench_args;
/* Fills out[] (BENCH_MAX_RATIOS); returns how many. */
int bench_ratio_list(const struct bench_args *a, struct ratio_pair *out);

/* ---- args.c: options ----------------------------------------------------------------------- */

/* One set of driver parameters (--params K=V,...), merged over the bench's defaults for the
 * dp83820 (holdoff_us=0, rx_ring=256, tx_ring=256, where the set does not name them). */
#define BENCH_MAX_PARAMS 32
struct bench_paramset {
	struct ldr_param_value pv[BENCH_MAX_PARAMS]; /* JIT modes: at load */
	const char *kv[BENCH_MAX_PARAMS];	     /* native modes: "NAME=VALUE" at bind */
	char *names[BENCH_MAX_PARAMS];		     /* owned */
	size_t n;
	char *buf;	/* owned: the --params text, split */
	char text[256]; /* every value, "holdoff_us=0,rx_ring=64,..." ("" none) */
};

struct bench_args {
	const char *build, *json, *csv, *image, *only;
	const char *backend;	/* --backend NAME[:OPTIONS], default native */
	const char *image_disk; /* --image-disk SPEC instead of file:IMAGE, or NULL */
	/* --package PKG --device MODEL[:CONFIG] [--wire SPEC | --disk SPEC] [--native SO] */
	const char *package, *device, *wire, *disk, *native;
	const char *params[BENCH_MAX_SETS]; /* --params as given */
	uint32_t nparams;		    /* how many --params */
	struct bench_paramset sets[BENCH_MAX_SETS];
	uint32_t nsets; /* >= 1 after parsing: without --params, one set of the defaults */
	enum bench_class cls;
	uint32_t reps, frames, ios, seq_ios, lat, disk_mb;
	bool mode_on[NMODES];
	bool modes_given; /* --modes */
	bool quiet;
	bool cpu_time;		  /* --cpu-time: bench_clock_ns on the thread's CPU clock */
	struct cli_budget budget; /* the JIT modes' budgets: --budget, --max-depth, --no-budget */
};

void bench_usage(FILE *f);
/* Fills *a (defaults, then argv); 0, or 2 after a usage message on stderr. Free with
 * bench_args_free (also after a failure). */
int bench_args_parse(int argc, char **argv, struct bench_args *a);
void bench_args_free(struct bench_args *a);
/* Is column c (a mode and a set) measured? Its name in the outputs: the mode's ("jit-eager")
 * with one set, else "eager.p2" (mode short name, set number from 1). */
bool bench_col_on(const struct bench_args *a, int c);
const char *bench_col_name(const struct bench_args *a, int c, char buf[32]);
/* Does the run report figure k (the samples' figures, or the package driver's class)? */
bool bench_figure_on(const struct bench_args *a, int k);
/* --only: does the workload named `key` run? */
bool bench_wants(const struct bench_args *a, const char *key);
/* Frames per NIC figure of size index s: --frames at 64 B, half at 512 B, a quarter at 1514 B. */
uint32_t bench_frames_for(const struct bench_args *a, int s);

/* ---- variants.c: one variant, its drivers bound to their devices --------------------------- */

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
	int mode, set;
	const struct bench_args *a;
	const struct cli_budget *budget; /* JIT modes: the budgets compiled in */
	/* --package: its driver (JIT image, compiled object for jit-isolated, --native library) */
	struct ldr_image *pkg_img;
	struct ldr_compiled *pkg_comp;
	void *pkg_lib;
	const struct xdrv_driver *pkg_desc;
	struct disk blk;      /* --package, a block driver: its disk */
	enum bench_class cls; /* --package: what the driver registered at the last setup */
	struct ldr_ctx *ctx;  /* JIT modes */
	struct ldr_image *nic_img, *scsi_img;
	struct ldr_compiled *nic_comp, *scsi_comp; /* jit-isolated: what the driver host links */
	void *nic_lib, *scsi_lib;		   /* native-so */
	const struct xdrv_driver *nic_desc, *scsi_desc;
	struct hvb_backend *be;
	struct nic nic;
	struct disk ram, img;
	double load_ms, bind_ms, warm_ms; /* warm-up, reported apart */
	uint32_t compiled_before_warm, compiled_after_warm, compiled_end, total_funcs;
};

/* Load v->mode's two drivers from `build` (pkg/, pki/root.pem, native/), or --package's (the
 * JIT modes) or --native's (native-so), with the parameters of set v->set; sets load_ms.
 * jit-isolated: compiled in the compiler process, not linked (bench_variant_link does that, in
 * the driver host). */
int bench_variant_load(struct variant *v, const char *build, char **err);
/* jit-isolated, in the driver host: link the compiled objects (no bitcode here). */
int bench_variant_link(struct variant *v, char **err);
/* A backend (a->backend, default native), a dp83820 on a generator wire, virtio-scsi on a RAM
 * disk of a->disk_mb MiB and on `image` (or a->image_disk), each bound to the variant's driver;
 * the first call sets bind_ms. --package: one device of spec `image` (MODEL[:CONFIG] with the
 * disk), the driver bound, v->cls what it registered: a NIC gets `wire` (NULL: a generator
 * sending to the driver's MAC address) and is opened, a block device must have a block size
 * dividing 4096. */
int bench_variant_setup(struct variant *v, const struct bench_args *a, const char *image,
			char **err);
int bench_variant_setup_pkg(struct variant *v, const struct bench_args *a, const char *devspec,
			    const char *wire, char **err);
/* Unbind the drivers and destroy the devices (the drivers stay loaded); again-safe. */
void bench_variant_teardown(struct variant *v);
/* Teardown, then unload the drivers; safe on a variant never loaded (all zero). */
void bench_variant_unload(struct variant *v);

/* ---- ceilings.c: the same bytes without a driver ------------------------------------------- */

#define FRAME_BUF 2048
#define CEIL_RING 256 /* destination buffers the memcpy ceiling cycles through */

struct ceil_bufs {
	uint8_t *ring; /* CEIL_RING * FRAME_BUF */
	uint8_t *ram;  /* ram_len bytes */
	uint64_t ram_len;
	int fd;		   /* the image; -1: none */
	uint64_t file_len; /* its bytes the ceiling visits */
};

/* Allocate and touch the ring and a RAM buffer of ram_len bytes (no page faults when timed). */
int bench_ceil_alloc(struct ceil_bufs *c, uint64_t ram_len, char **err);
void bench_ceil_free(struct ceil_bufs *c); /* frees the buffers; the fd stays the caller's */
/* memcpy of `count` frames of `size` bytes into the ring; frames per second. */
double bench_ceil_frames(struct ceil_bufs *c, const uint8_t *frame, uint32_t size, uint32_t count);
/* memcpy to/from the RAM buffer (file false) or pread/pwrite on the image; I/Os per second,
 * 0 with *rc set on an I/O error. */
double bench_ceil_disk(struct ceil_bufs *c, bool file, bool write, bool seq, uint32_t bytes,
		       uint32_t count, uint8_t *buf, char **err, int *rc);

/* The offsets random I/O visits: the same sequence for the driver and the ceiling. */
#define BENCH_RNG_SEED 0x9e3779b97f4a7c15ull
static inline uint64_t bench_rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- nic.c, disk.c: the workloads (each one timed measurement) ----------------------------- */

/* Frames per second the host receives: the generator feeds `count` frames into the chip. */
int bench_nic_rx(struct variant *v, uint32_t size, uint32_t count, double *pps, char **err);
/* Frames per second the host transmits until the wire has them all. */
int bench_nic_tx(struct variant *v, const uint8_t *frame, uint32_t size, uint32_t count,
		 double *pps, char **err);
/* `count` round trips of a 64-byte frame out and one in; p50 and p99 in microseconds. */
int bench_nic_latency(struct variant *v, const uint8_t *frame, uint32_t count, double *p50,
		      double *p99, char **err);
/* Synchronous I/Os of `bytes` each (queue depth 1): random 4 KiB-aligned offsets or
 * sequential; I/Os per second. */
int bench_disk_run(struct variant *v, struct disk *d, uint32_t op, bool seq, uint32_t bytes,
		   uint32_t count, uint8_t *buf, double *iops, char **err);

/* ---- output.c ------------------------------------------------------------------------------ */

/* The table, at most 100 columns: per figure the median of every variant with its spread, the
 * ceiling; then the ratios, marking and counting those whose sides spread too wide. Figures and
 * columns: those bench_figure_on and bench_col_on say. */
void bench_print_table(FILE *f, const struct results *r, const struct bench_args *a,
		       const char *host);
/* --csv and --json, where asked for; vs: the variants, indexed by mode. */
int bench_write_outputs(const struct results *r, const struct bench_args *a,
			const struct variant *vs, const char *host, char **err);

#endif
