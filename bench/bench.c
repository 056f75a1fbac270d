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
 *
 * This file is the run: the image and buffers, loading and warming up each variant, the reps,
 * and every workload's result recorded as a sample. The workloads themselves are nic.c's,
 * disk.c's and ceilings.c's, the variants variants.c's, the options args.c's, the outputs
 * output.c's (bench_priv.h lists the layers).
 */
#define _GNU_SOURCE /* mkostemp */
#include "bench.h"
#include "bench_priv.h"

#include <xdrv/cli.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <xdrv/domain.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/hvb_split.h>
#include <xdrv/runtime.h>
#include <xdrv/sandbox.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#include "../cli/run/run.h"

#define IOBUF_LEN (1u << 20) /* the largest I/O: 1 MiB sequential */

struct run {
	struct bench_args *a;
	struct variant v[NCOLS]; /* by column: mode and parameter set */
	struct results r;
	struct ceil_bufs c;
	uint8_t frames[NSIZES][FRAME_BUF];
	uint8_t *iobuf; /* IOBUF_LEN */
	char build[PATH_MAX], image[PATH_MAX];
	bool temp_image;
	char host[512];
	/* jit-isolated: the image disk is served by a backend server, as xdrv run serves it */
	struct hvb_split_plan split;
	struct hvb_split *server;
	/* --package: the device spec with its disk, the disk the block ceilings compare with */
	char devspec[PATH_MAX + 512];
	char disk[PATH_MAX + 16];
};

static void log_sink(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	(void)ctx;
	char d[256], m[4096]; /* the label and message come from the driver: shown escaped */
	if (level <= XDRV_LOG_WARN)
		fprintf(stderr, "[%s] %s%s\n", xdrv_escape_text(driver, d, sizeof d),
			level == XDRV_LOG_ERROR ? "error: " : "",
			xdrv_escape_text(msg, m, sizeof m));
}

/* Record sample `x` of figure k for column m, unless this is the warm-up pass (rep < 0). */
static void record(struct run *R, int k, int m, int rep, double x)
{
	if (rep >= 0)
		R->r.s[k][m][rep] = x;
}

/* Fresh devices for variant m (every rep gets new ones, so where their memory lands is not
 * the same bias for a variant in every rep), with every disk block written once, so no
 * measured I/O pays for a first-touch page fault of the RAM disk. Not timed. */
static int prefault(struct run *R, int m, char **err)
{
	struct variant *v = &R->v[m];
	int rc = 0;
	bool pkg = R->a->package != NULL;
	struct disk *d[2] = {pkg ? &v->blk : &v->ram, pkg ? NULL : &v->img};
	for (int i = 0; i < 2 && rc == 0 && d[i] && d[i]->bd; i++) {
		uint64_t mib = ldr_blk_num_blocks(d[i]->bd) * ldr_blk_block_size(d[i]->bd) >> 20;
		double x;
		if (bench_wants(R->a, pkg ? "blk" : i ? "scsi.image" : "scsi.ram") && mib)
			rc = bench_disk_run(v, d[i], XDRV_BLK_WRITE, true, 1u << 20, (uint32_t)mib,
					    R->iobuf, &x, err);
	}
	return rc;
}

/* The variant's devices: the samples', or --package's device (its class must be the one the
 * first variant found: the same driver on the same device). */
static int setup_devices(struct run *R, struct variant *v, const struct bench_args *a,
			 const char *devspec, char **err)
{
	if (!a->package)
		return bench_variant_setup(v, a, R->image, err);
	int rc = bench_variant_setup_pkg(v, a, devspec, a->wire, err);
	if (rc == 0 && R->a->cls == CLASS_UNKNOWN)
		R->a->cls = v->cls;
	else if (rc == 0 && v->cls != R->a->cls)
		rc = xdrv_err(err, -EPROTO, "%s: %s registered another class of device than before",
			      bench_mode_names[v->mode], a->package);
	return rc;
}

static int fresh_devices(struct run *R, int m, char **err)
{
	bench_variant_teardown(&R->v[m]);
	int rc = setup_devices(R, &R->v[m], R->a, R->devspec, err);
	return rc ? rc : prefault(R, m, err);
}

/* NIC RX and TX at every size, then the round trips. */
static int run_nic(struct run *R, int m, int rep, char **err)
{
	struct variant *v = &R->v[m];
	const struct bench_args *a = R->a;
	bool warm = rep < 0, source = hvb_wire_is_source(v->nic.wire);
	int rc = 0;
	double x, y;
	for (int s = 0; s < NSIZES && rc == 0; s++) {
		uint32_t n = warm ? 64 : bench_frames_for(a, s), size = bench_frame_sizes[s];
		char key[32];
		snprintf(key, sizeof key, "nic.rx.%u", bench_wire_sizes[s]);
		if (source && bench_wants(a, key) &&
		    (rc = bench_nic_rx(v, size, n, &x, err)) == 0) {
			record(R, M_RX_PPS + s, m, rep, x / 1e6);
			record(R, M_RX_GBPS + s, m, rep, x * size * 8 / 1e9);
		}
		snprintf(key, sizeof key, "nic.tx.%u", bench_wire_sizes[s]);
		if (rc == 0 && bench_wants(a, key) &&
		    (rc = bench_nic_tx(v, R->frames[s], size, n, &x, err)) == 0) {
			record(R, M_TX_PPS + s, m, rep, x / 1e6);
			record(R, M_TX_GBPS + s, m, rep, x * size * 8 / 1e9);
		}
	}
	if (rc == 0 && source && bench_wants(a, "nic.rtt") &&
	    (rc = bench_nic_latency(v, R->frames[0], warm ? 16 : a->lat, &x, &y, err)) == 0) {
		record(R, M_LAT_P50, m, rep, x);
		record(R, M_LAT_P99, m, rep, y);
	}
	return rc;
}

/* On the RAM disk and the image: 4 KiB random read and write (kIOPS), 1 MiB sequential read
 * and write (MB/s). */
static int run_disks(struct run *R, int m, int rep, char **err)
{
	struct variant *v = &R->v[m];
	bool warm = rep < 0, pkg = R->a->package != NULL;
	uint32_t nr = warm ? 8 : R->a->ios, ns = warm ? 2 : R->a->seq_ios;
	struct disk *d[2] = {pkg ? &v->blk : &v->ram, &v->img};
	int rc = 0;
	for (int i = 0; i < (pkg ? 1 : 2) && rc == 0; i++) {
		int base = pkg ? M_BLK_RR : i ? M_IMG_RR : M_RAM_RR;
		if (!bench_wants(R->a, pkg ? "blk" : i ? "scsi.image" : "scsi.ram"))
			continue;
		for (int j = 0; j < 4 && rc == 0; j++) {
			bool seq = j >= 2;
			uint32_t op = j % 2 ? XDRV_BLK_WRITE : XDRV_BLK_READ;
			uint32_t bytes = seq ? 1u << 20 : 4096;
			double x;
			rc = bench_disk_run(v, d[i], op, seq, bytes, seq ? ns : nr, R->iobuf, &x,
					    err);
			if (rc == 0)
				record(R, base + j, m, rep, seq ? x * bytes / 1e6 : x / 1e3);
		}
	}
	return rc;
}

/* Every workload of one variant; rep < 0: the warm-up pass (small, not recorded). */
static int run_variant(struct run *R, int m, int rep, char **err)
{
	if (R->a->package)
		return R->v[m].cls == CLASS_NIC ? run_nic(R, m, rep, err)
						: run_disks(R, m, rep, err);
	int rc = run_nic(R, m, rep, err);
	return rc ? rc : run_disks(R, m, rep, err);
}

/* ---- jit-isolated: every pass in a driver host of its own ------------------------------------
 * As xdrv run runs a driver (loader/README.md, "Driver domains"): the bench process is the
 * supervisor, which compiled both packages in the compiler process; a forked driver host links
 * the objects, creates its devices (the image disk a blkfront to the bench's backend server),
 * confines itself (the driver-host sandbox) and only then runs the workloads, whose figures
 * come back over a pipe. Devices, linking and the sandbox are outside every timed part. */

struct iso_answer {
	int32_t rc;
	int32_t cls;	   /* --package: what the driver registered */
	double x[M_COUNT]; /* this rep's sample of every figure (NaN: not measured) */
	char msg[512];	   /* rc != 0 */
};

/* In the driver host. */
static int isolated_pass(struct run *R, int m, int rep, char **err)
{
	struct variant *v = &R->v[m];
	struct bench_args a = *R->a, *saved = R->a;
	int rc = bench_variant_link(v, err);
	if (rc == 0 && R->server)
		rc = hvb_split_frontends(hvb_split_socket(R->server), err);
	if (R->server && !a.package)
		a.image_disk = "blkfront:xvda";
	/* --package: the device and wire specs as the split plan rewrote them */
	const char *devspec = R->split.device ? R->split.device : R->devspec;
	if (a.package && R->split.wire[0])
		a.wire = R->split.wire;
	R->a = &a;
	if (rc == 0)
		rc = setup_devices(R, v, &a, devspec, err);
	if (rc == 0)
		rc = prefault(R, m, err);
	if (R->c.fd >= 0) { /* the ceiling's image descriptor is the supervisor's */
		close(R->c.fd);
		R->c.fd = -1;
	}
	if (rc == 0)
		rc = ldr_domain_sandbox(NULL, 0, 0, 0, true, NULL, NULL, err);
	if (rc == 0)
		rc = run_variant(R, m, rep, err);
	R->a = saved;
	return rc;
}

static _Noreturn void isolated_host(struct run *R, int m, int rep, int fd)
{
	static struct iso_answer ans;
	char *err = NULL;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	ans.rc = isolated_pass(R, m, rep, &err);
	ans.cls = (int32_t)R->v[m].cls;
	for (int k = 0; k < M_COUNT; k++)
		ans.x[k] = rep >= 0 ? R->r.s[k][m][rep] : 0.0 / 0.0;
	if (ans.rc)
		snprintf(ans.msg, sizeof ans.msg, "%s", err ? err : "failed");
	ssize_t w = write(fd, &ans, sizeof ans);
	fflush(NULL);
	_exit(w == (ssize_t)sizeof ans ? 0 : 1); /* no atexit handler, no leak check of a fork */
}

static int run_isolated(struct run *R, int m, int rep, char **err)
{
	static struct iso_answer ans;
	int p[2], st = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return xdrv_err(err, -errno, "jit-isolated: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		isolated_host(R, m, rep, p[1]);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return xdrv_err(err, -errno, "jit-isolated: fork: %s", strerror(errno));
	}
	size_t got = 0;
	while (got < sizeof ans) {
		ssize_t n = read(p[0], (char *)&ans + got, sizeof ans - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof ans && WIFSIGNALED(st))
		return xdrv_err(err, -ECHILD, "jit-isolated: the driver host died: %s",
				strsignal(WTERMSIG(st)));
	if (got != sizeof ans)
		return xdrv_err(err, -EPROTO,
				"jit-isolated: the driver host ended without figures");
	ans.msg[sizeof ans.msg - 1] = 0;
	if (ans.rc)
		return xdrv_err(err, ans.rc < 0 ? ans.rc : -EIO, "%s", ans.msg);
	if (R->a->package && R->a->cls == CLASS_UNKNOWN)
		R->a->cls = (enum bench_class)ans.cls;
	for (int k = 0; k < M_COUNT; k++)
		record(R, k, m, rep, ans.x[k]);
	return 0;
}

/* jit-isolated on the native backend with the image file: the supervisor's backend server. */
static int start_backends(struct run *R, char **err)
{
	const struct bench_args *a = R->a;
	char dev[PATH_MAX + 32];
	if (!a->mode_on[MODE_JIT_ISOLATED])
		return 0;
	if (!xdrv_sandbox_available())
		return xdrv_err(err, -ENOTSUP,
				"jit-isolated: this build has no sandbox (built without "
				"libseccomp)");
	if (a->image_disk || !hvb_split_backend_applies(a->backend))
		return 0;
	snprintf(dev, sizeof dev, "virtio-scsi:disk=file:%s", R->image);
	int rc = a->package ? hvb_split_plan(HVB_SPLIT_AUTO, R->devspec, a->wire, &R->split, err)
			    : hvb_split_plan(HVB_SPLIT_AUTO, dev, NULL, &R->split, err);
	if (rc == 0 && a->package && !R->split.ndevs)
		return 0; /* nothing to serve: a generator, a RAM disk */
	if (rc == 0)
		rc = hvb_split_start(&R->split, "xdrv bench: backend", false, &R->server, err);
	return rc;
}

/* The ceilings of one rep: memcpy of the frames, then per disk the same four I/O patterns. */
static int run_ceilings(struct run *R, int rep, char **err)
{
	const struct bench_args *a = R->a;
	for (int s = 0; s < NSIZES; s++) {
		uint32_t size = bench_frame_sizes[s];
		double x = bench_ceil_frames(&R->c, R->frames[s], size, bench_frames_for(a, s));
		int ms[4] = {M_RX_PPS + s, M_TX_PPS + s, M_RX_GBPS + s, M_TX_GBPS + s};
		for (int i = 0; i < 4; i++)
			record(R, ms[i], CEIL, rep, i < 2 ? x / 1e6 : x * size * 8 / 1e9);
	}
	int rc = 0;
	bool pkg = a->package != NULL;
	const char *cname = bench_metric(M_BLK_RR)->ceiling_name;
	if (pkg && (a->cls != CLASS_BLOCK || !cname))
		return 0; /* a NIC, or a disk without a ceiling */
	for (int file = 0; file < 2 && rc == 0; file++) {
		int base = pkg ? M_BLK_RR : file ? M_IMG_RR : M_RAM_RR;
		if (pkg && file != (strcmp(cname, "memcpy") != 0))
			continue; /* the one ceiling of the package's disk */
		for (int j = 0; j < 4 && rc == 0; j++) {
			bool seq = j >= 2;
			uint32_t bytes = seq ? 1u << 20 : 4096;
			double x = bench_ceil_disk(&R->c, file, j % 2, seq, bytes,
						   seq ? a->seq_ios : a->ios, R->iobuf, err, &rc);
			record(R, base + j, CEIL, rep, seq ? x * bytes / 1e6 : x / 1e3);
		}
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

/* The image file (--image, or a temporary one), every 8 bytes holding its own offset; its fd
 * goes to the pread/pwrite ceiling. */
static int make_image(struct run *R, char **err)
{
	const struct bench_args *a = R->a;
	char *path = R->image;
	int fd;
	if (a->image) {
		snprintf(path, sizeof R->image, "%s", a->image);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	} else {
		const char *td = getenv("TMPDIR");
		snprintf(path, sizeof R->image, "%s/xdrv-bench-XXXXXX", td && *td ? td : "/tmp");
		fd = mkostemp(path, O_CLOEXEC);
		R->temp_image = fd >= 0;
	}
	if (fd < 0)
		return xdrv_err(err, -errno, "image %s: %s", path, strerror(errno));
	R->c.fd = fd;
	uint64_t len = (uint64_t)a->disk_mb << 20;
	for (uint64_t off = 0; off < len; off += IOBUF_LEN) {
		for (uint32_t i = 0; i < IOBUF_LEN; i += 8)
			memcpy(R->iobuf + i, &(uint64_t){off + i}, 8);
		if (pwrite(fd, R->iobuf, IOBUF_LEN, (off_t)off) != (ssize_t)IOBUF_LEN) {
			int e = errno ? errno : EIO;
			return xdrv_err(err, -e, "image %s: write: %s", path, strerror(e));
		}
	}
	return 0;
}

/* Sample arrays (all NaN: not measured), the I/O buffer and the frames of every size. */
static int alloc_run(struct run *R, char **err)
{
	const struct bench_args *a = R->a;
	R->r.reps = a->reps;
	for (int k = 0; k < M_COUNT; k++)
		for (int m = 0; m <= NCOLS; m++) {
			R->r.s[k][m] = malloc(a->reps * sizeof(double));
			if (!R->r.s[k][m])
				return xdrv_err(err, -ENOMEM, "out of memory");
			for (uint32_t i = 0; i < a->reps; i++)
				R->r.s[k][m][i] = 0.0 / 0.0;
		}
	R->iobuf = malloc(IOBUF_LEN);
	if (!R->iobuf)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memset(R->iobuf, 0xa5, IOBUF_LEN);
	const uint8_t nic_mac[6] = {2, 0, 0, 0, 0, 1}, peer[6] = {2, 0, 0, 0, 0, 2};
	for (int s = 0; s < NSIZES; s++)
		if (hvb_wire_gen_frame(R->frames[s], FRAME_BUF, s, bench_frame_sizes[s], peer,
				       nic_mac) != (int)bench_frame_sizes[s])
			return xdrv_err(err, -EINVAL, "cannot build a %u-byte frame",
					bench_frame_sizes[s]);
	return 0;
}

static uint32_t compiled_functions(const struct variant *v)
{
	if (v->pkg_img)
		return ldr_image_compiled_functions(v->pkg_img);
	if (!v->nic_img)
		return 0;
	return ldr_image_compiled_functions(v->nic_img) + ldr_image_compiled_functions(v->scsi_img);
}

/* Load variant m, bind it, and run the warm-up pass (lazy mode compiles what each workload
 * calls, and what unbinding calls); not recorded. */
static int warm_up(struct run *R, int m, char **err)
{
	struct variant *v = &R->v[m];
	v->mode = m % NMODES;
	v->set = m / NMODES;
	v->a = R->a;
	v->budget = &R->a->budget;
	bool iso = v->mode == MODE_JIT_ISOLATED; /* devices and the pass in a driver host */
	int rc = bench_variant_load(v, R->build, err);
	if (rc == 0 && !iso)
		rc = setup_devices(R, v, R->a, R->devspec, err);
	if (rc == 0 && v->ctx)
		snprintf(R->host, sizeof R->host, "%s", ldr_host_description(v->ctx));
	if (rc == 0 && v->pkg_img) {
		v->compiled_before_warm = compiled_functions(v);
		v->total_funcs = ldr_image_total_functions(v->pkg_img);
	} else if (rc == 0 && v->nic_img) {
		v->compiled_before_warm = compiled_functions(v);
		v->total_funcs = ldr_image_total_functions(v->nic_img) +
				 ldr_image_total_functions(v->scsi_img);
	}
	if (rc == 0 && !iso)
		rc = prefault(R, m, err);
	uint64_t t0 = xdrv_now_ns();
	if (rc == 0)
		rc = iso ? run_isolated(R, m, -1, err) : run_variant(R, m, -1, err);
	v->warm_ms = (double)(xdrv_now_ns() - t0) / 1e6;
	bench_variant_teardown(v);
	if (rc == 0)
		v->compiled_after_warm = compiled_functions(v);
	char name[32];
	if (rc == 0 && !R->a->quiet)
		fprintf(stderr, "bench: %-13s load %.1f ms, bind %.1f ms, warm-up pass %.1f ms\n",
			bench_col_name(R->a, m, name), v->load_ms, v->bind_ms, v->warm_ms);
	return rc;
}

/* The measured reps: the ceilings, then every variant on fresh devices, the first variant
 * rotating from rep to rep over the variants that run (each is first equally often). */
static int run_reps(struct run *R, char **err)
{
	const struct bench_args *a = R->a;
	int rc = 0, on[NCOLS] = {0}, n = 0;
	for (int c = 0; c < NCOLS; c++)
		if (bench_col_on(a, c))
			on[n++] = c;
	for (uint32_t rep = 0; rep < a->reps && rc == 0; rep++) {
		rc = run_ceilings(R, (int)rep, err);
		for (int i = 0; i < n && rc == 0; i++) {
			int m = on[(i + (int)(rep % (uint32_t)n)) %
				   n]; /* each column first in turn */
			if (m % NMODES == MODE_JIT_ISOLATED) {
				rc = run_isolated(R, m, (int)rep, err);
				continue;
			}
			rc = fresh_devices(R, m, err);
			if (rc == 0)
				rc = run_variant(R, m, (int)rep, err);
		}
		if (rc == 0 && !a->quiet)
			fprintf(stderr, "bench: rep %u of %u done\n", rep + 1, a->reps);
	}
	return rc;
}

/* "disk=" in a "key=value,..." config: the value (up to the next ','), into out. */
static bool config_disk(const char *config, char *out, size_t cap)
{
	for (const char *p = config; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, "disk=", 5) == 0) {
			snprintf(out, cap, "%.*s", (int)strcspn(p + 5, ","), p + 5);
			return true;
		}
	return false;
}

/* Does the model take a disk= in its config (a storage controller)? Asked of the model itself:
 * a throwaway device with a small RAM disk. */
static bool takes_disk(const char *model, const char *config)
{
	if (hvb_model_find(model)->nic)
		return false;
	char cfg[PATH_MAX + 512], *e = NULL;
	struct hvb_backend *be = NULL;
	struct hvb_device *dev = NULL;
	snprintf(cfg, sizeof cfg, "%s%sdisk=ram:1M", config ? config : "", config ? "," : "");
	bool ok = hvb_backend_create("native", NULL, &be, &e) == 0 &&
		  hvb_device_create(be, model, cfg, &dev, &e) == 0;
	hvb_backend_destroy(be);
	free(e);
	return ok;
}

/* --package's device spec: --device with --disk added as disk=SPEC (without one, a model that is
 * not a NIC gets the image, unless its config names a disk); and the block ceiling of that disk:
 * memcpy of a RAM buffer of its size (ram:), pread/pwrite on the file (file:), none. *ram_len:
 * the RAM ceiling's bytes. */
static int package_device(struct run *R, uint64_t *ram_len, char **err)
{
	const struct bench_args *a = R->a;
	char model[128], disk[PATH_MAX + 16] = "";
	int rc = run_device_model(a->device, model, sizeof model, err);
	if (rc)
		return rc;
	const char *colon = strchr(a->device, ':');
	const char *config = colon && colon[1] ? colon + 1 : NULL;
	int base = colon ? (int)(colon - a->device) : (int)strlen(a->device);
	if (a->disk)
		snprintf(disk, sizeof disk, "%s", a->disk);
	else if (!config_disk(config, R->disk, sizeof R->disk) && takes_disk(model, config))
		snprintf(disk, sizeof disk, "file:%s", R->image);
	if (disk[0]) {
		snprintf(R->devspec, sizeof R->devspec, "%.*s:%s%sdisk=%s", base, a->device,
			 config ? config : "", config ? "," : "", disk);
		snprintf(R->disk, sizeof R->disk, "%s", disk);
	} else {
		snprintf(R->devspec, sizeof R->devspec, "%s", a->device);
	}
	uint64_t size = 0;
	if (strncmp(R->disk, "ram:", 4) == 0 && hvb_disk_parse_size(R->disk + 4, &size) == 0 &&
	    size >= (1u << 20) && size <= (4ull << 30)) {
		bench_metric_blk_ceiling("memcpy", false);
		*ram_len = size;
	} else if (strncmp(R->disk, "file:", 5) == 0) {
		bench_metric_blk_ceiling(NULL, true);
		if (strcmp(R->disk + 5, R->image) != 0) { /* the user's file, not the image */
			close(R->c.fd);
			R->c.fd = open(R->disk + 5, O_RDWR | O_CLOEXEC);
			struct stat st;
			if (R->c.fd < 0 || fstat(R->c.fd, &st) != 0)
				return xdrv_err(err, -errno, "--disk %s: %s", R->disk,
						strerror(errno));
			R->c.file_len = (uint64_t)st.st_size;
		}
	} else {
		bench_metric_blk_ceiling(NULL, false);
	}
	return 0;
}

static int bench(struct run *R, char **err)
{
	const struct bench_args *a = R->a;
	if (a->build)
		snprintf(R->build, sizeof R->build, "%s", a->build);
	else if (default_build(R->build, sizeof R->build))
		return xdrv_err(err, -ENOENT, "cannot find this xdrv's build folder; give --build");
	snprintf(R->host, sizeof R->host, "?");
	int rc = alloc_run(R, err);
	if (rc == 0)
		rc = make_image(R, err);
	uint64_t ram_len = (uint64_t)a->disk_mb << 20;
	R->c.file_len = ram_len;
	if (rc == 0 && a->package)
		rc = package_device(R, &ram_len, err);
	if (rc == 0)
		rc = bench_ceil_alloc(&R->c, ram_len, err);
	if (rc == 0)
		rc = start_backends(R, err);
	for (int m = 0; m < NCOLS && rc == 0; m++)
		if (bench_col_on(a, m))
			rc = warm_up(R, m, err);
	if (rc == 0)
		rc = run_reps(R, err);
	for (int m = 0; m < NCOLS; m++)
		R->v[m].compiled_end = compiled_functions(&R->v[m]);
	if (rc == 0 && !a->quiet)
		bench_print_table(stdout, &R->r, a, R->host);
	if (rc == 0)
		rc = bench_write_outputs(&R->r, a, R->v, R->host, err);
	return rc;
}

/* Everything bench() made, whether it finished or not. */
static void run_free(struct run *R)
{
	hvb_split_stop(R->server);
	hvb_split_plan_free(&R->split);
	for (int m = 0; m < NCOLS; m++)
		if (bench_col_on(R->a, m))
			bench_variant_unload(&R->v[m]);
	if (R->c.fd >= 0)
		close(R->c.fd);
	if (R->temp_image)
		unlink(R->image);
	bench_ceil_free(&R->c);
	for (int k = 0; k < M_COUNT; k++)
		for (int m = 0; m <= NCOLS; m++)
			free(R->r.s[k][m]);
	free(R->iobuf);
}

int bench_main(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		bench_usage(stdout);
		return 0;
	}
	static struct run R; /* large: frames and variants */
	struct bench_args a;
	memset(&a, 0, sizeof a);
	memset(&R, 0, sizeof R);
	int rc = bench_args_parse(argc, argv, &a);
	if (rc) {
		bench_args_free(&a);
		return rc;
	}
	R.a = &a;
	R.c.fd = -1;
	bench_cpu_clock = a.cpu_time;
	char *err = NULL;
	ldr_runtime_set_log(log_sink, NULL);
	rc = bench(&R, &err);
	run_free(&R);
	bench_args_free(&a);
	ldr_runtime_set_log(NULL, NULL);
	if (rc) {
		fflush(stdout);
		fprintf(stderr, "xdrv bench: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	return 0;
}
