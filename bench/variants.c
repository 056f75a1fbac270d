// SPDX-License-Identifier: MIT
/*
 * The bench's variants: the dp83820 and virtio_scsi drivers loaded four ways (the signed
 * packages JIT-compiled eagerly or lazily, the same C sources compiled natively as a shared
 * object opened with dlopen, and statically linked into this program under the names
 * xdrv_driver_<drv>), and each variant's own devices (a native backend, a dp83820 on a
 * generator wire, virtio-scsi on a RAM disk and on the image file) with its drivers bound.
 * The same driver parameters in every variant. Timing the workloads on these devices is for
 * nic.c and disk.c; when to build and tear them down is bench.c's.
 */
#include "bench_priv.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#include "../cli/run/run.h"

/* The statically linked builds (Makefile: $(O)/native/<drv>.o); weak: absent in cross builds. */
extern const struct xdrv_driver xdrv_driver_dp83820 __attribute__((weak));
extern const struct xdrv_driver xdrv_driver_virtio_scsi __attribute__((weak));

/* The driver parameters of the variant's set (args.c: --params over the dp83820's defaults,
 * the same in every mode of the set): the JIT modes take them at load, the native ones at
 * bind. */
static const struct bench_paramset *params(const struct variant *v)
{
	return &v->a->sets[v->set];
}

/* The drivers' descriptors from the images loaded or linked. */
static int take_descriptors(struct variant *v, char **err)
{
	v->nic_desc = ldr_image_descriptor(v->nic_img);
	v->scsi_desc = ldr_image_descriptor(v->scsi_img);
	if (!v->nic_desc || !v->scsi_desc)
		return xdrv_err(err, -EINVAL, "%s: a package has no descriptor",
				bench_mode_names[v->mode]);
	return 0;
}

/* The JIT modes, as xdrv run compiles them; jit-isolated only through the compiler process
 * (bench_variant_link links the objects in the driver host). */
static int load_jit(struct variant *v, const char *build, char **err)
{
	char root[PATH_MAX], path[PATH_MAX];
	snprintf(root, sizeof root, "%s/pki/root.pem", build);
	struct ldr_config cfg = {.trust_root = root,
				 .jit_mode =
					 v->mode == MODE_JIT_LAZY ? LDR_JIT_LAZY : LDR_JIT_EAGER,
				 .opt_level = 2,
				 .tier = v->mode == MODE_JIT_FAST ? LDR_TIER_FAST : LDR_TIER_FULL};
	struct cli_budget dflt = {0}, off = {.off = 1};
	cli_budget_apply(v->mode == MODE_JIT_NOBUDGET ? &off
			 : v->budget		      ? v->budget
						      : &dflt,
			 &cfg); /* as xdrv run compiles */
	int rc = ldr_ctx_create(&cfg, &v->ctx, err);
	bool iso = v->mode == MODE_JIT_ISOLATED;
	const struct bench_paramset *ps = params(v);
	if (v->a->package) {
		if (rc == 0 && iso)
			rc = ldr_package_compile(v->ctx, v->a->package, ps->pv, ps->n, &v->pkg_comp,
						 err);
		else if (rc == 0)
			rc = ldr_image_load_file(v->ctx, v->a->package, ps->pv, ps->n, &v->pkg_img,
						 err);
		if (rc)
			xdrv_err_prefix(err, "--package %s", v->a->package);
		if (rc == 0 && !iso && !(v->pkg_desc = ldr_image_descriptor(v->pkg_img)))
			rc = xdrv_err(err, -EINVAL, "--package %s: no driver descriptor",
				      v->a->package);
		return rc;
	}
	snprintf(path, sizeof path, "%s/pkg/dp83820.xdrv", build);
	if (rc == 0 && iso) /* as xdrv run does: the compiler process, linked in the host */
		rc = ldr_package_compile(v->ctx, path, ps->pv, ps->n, &v->nic_comp, err);
	else if (rc == 0)
		rc = ldr_image_load_file(v->ctx, path, ps->pv, ps->n, &v->nic_img, err);
	snprintf(path, sizeof path, "%s/pkg/virtio_scsi.xdrv", build);
	if (rc == 0 && iso)
		rc = ldr_package_compile(v->ctx, path, NULL, 0, &v->scsi_comp, err);
	else if (rc == 0)
		rc = ldr_image_load_file(v->ctx, path, NULL, 0, &v->scsi_img, err);
	return rc == 0 && !iso ? take_descriptors(v, err) : rc;
}

static int load_so(struct variant *v, const char *build, char **err)
{
	const char *mname = bench_mode_names[v->mode];
	char path[PATH_MAX];
	size_t nsyms = 0;
	ldr_abi_bindings(&nsyms); /* every ABI function linked in, for the library */
	if (v->a->package) {	  /* --native, as xdrv run --native opens it */
		if (!(v->pkg_lib = dlopen(v->a->native, RTLD_NOW | RTLD_LOCAL)))
			return xdrv_err(err, -ENOENT, "--native: %s", dlerror());
		if (!(v->pkg_desc = dlsym(v->pkg_lib, "xdrv_driver")))
			return xdrv_err(err, -ENOENT, "--native %s: no symbol xdrv_driver",
					v->a->native);
		return 0;
	}
	void **libs[2] = {&v->nic_lib, &v->scsi_lib};
	const struct xdrv_driver **descs[2] = {&v->nic_desc, &v->scsi_desc};
	const char *names[2] = {"dp83820", "virtio_scsi"};
	int rc = 0;
	for (int i = 0; i < 2 && rc == 0; i++) {
		snprintf(path, sizeof path, "%s/native/%s.so", build, names[i]);
		*libs[i] = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!*libs[i])
			rc = xdrv_err(err, -ENOENT, "%s: %s (built by `make` in %s)", mname,
				      dlerror(), build);
		else if (!(*descs[i] = dlsym(*libs[i], "xdrv_driver")))
			rc = xdrv_err(err, -ENOENT, "%s: %s: no symbol xdrv_driver", mname, path);
	}
	return rc;
}

static int load_static(struct variant *v, char **err)
{
	v->nic_desc = &xdrv_driver_dp83820;
	v->scsi_desc = &xdrv_driver_virtio_scsi;
	if (!v->nic_desc || !v->scsi_desc)
		return xdrv_err(err, -ENOENT,
				"%s: this xdrv was built without the statically linked "
				"drivers (Makefile section \"native driver builds\"); leave "
				"it out with --modes",
				bench_mode_names[v->mode]);
	return 0;
}

int bench_variant_link(struct variant *v, char **err)
{
	if (v->pkg_comp) {
		int rc = ldr_image_load_compiled(v->ctx, v->pkg_comp, &v->pkg_img, err);
		if (rc == 0 && !(v->pkg_desc = ldr_image_descriptor(v->pkg_img)))
			rc = xdrv_err(err, -EINVAL, "--package %s: no driver descriptor",
				      v->a->package);
		return rc;
	}
	int rc = ldr_image_load_compiled(v->ctx, v->nic_comp, &v->nic_img, err);
	if (rc == 0)
		rc = ldr_image_load_compiled(v->ctx, v->scsi_comp, &v->scsi_img, err);
	return rc ? rc : take_descriptors(v, err);
}

int bench_variant_load(struct variant *v, const char *build, char **err)
{
	uint64_t t0 = xdrv_now_ns();
	int rc;
	if (v->mode == MODE_JIT_EAGER || v->mode == MODE_JIT_ISOLATED || v->mode == MODE_JIT_LAZY ||
	    v->mode == MODE_JIT_NOBUDGET || v->mode == MODE_JIT_FAST)
		rc = load_jit(v, build, err);
	else if (v->mode == MODE_NATIVE_SO)
		rc = load_so(v, build, err);
	else
		rc = load_static(v, err);
	v->load_ms = (double)(xdrv_now_ns() - t0) / 1e6;
	return rc;
}

static void on_rx(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags)
{
	(void)frame;
	(void)csum_flags;
	struct nic *n = ctx;
	n->rx++;
	n->rx_bytes += len;
}

static int bind_one(struct variant *v, const struct xdrv_driver *desc, struct hvb_device *dev,
		    bool nic, struct ldr_driver **out, char **err)
{
	bool native = v->mode == MODE_NATIVE_SO || v->mode == MODE_NATIVE_STATIC;
	const struct bench_paramset *ps = params(v);
	struct ldr_bind_opts o = {
		.label = NULL,
		.write_params = native,
		.param_kv = native && nic ? ps->kv : NULL,
		.nparams = native && nic ? ps->n : 0,
		.io_timeout_ms = 10000,
	};
	int rc = ldr_driver_bind(desc, dev, &o, out, err);
	if (rc && v->a->package)
		xdrv_err_prefix(err, "%s failed probe on device %s", v->a->package,
				hvb_device_name(dev));
	if (rc)
		xdrv_err_prefix(err, "%s", bench_mode_names[v->mode]);
	return rc;
}

/* The dp83820 on a generator wire, its driver bound and its interface open. */
static int setup_nic(struct variant *v, char **err)
{
	int rc = hvb_device_create(v->be, "dp83820", NULL, &v->nic.dev, err);
	if (rc == 0)
		rc = hvb_wire_create("gen", "check=0,digest=0", &v->nic.wire, err);
	if (rc == 0)
		rc = hvb_wire_attach(v->nic.wire, v->nic.dev, err);
	if (rc == 0)
		rc = bind_one(v, v->nic_desc, v->nic.dev, true, &v->nic.drv, err);
	if (rc == 0 && !(v->nic.nd = ldr_driver_netdev(v->nic.drv, 0)))
		rc = xdrv_err(err, -ENODEV, "%s: dp83820 registered no interface",
			      bench_mode_names[v->mode]);
	if (rc == 0) {
		ldr_net_set_rx(v->nic.nd, on_rx, &v->nic);
		rc = ldr_net_open(v->nic.nd, err);
	}
	return rc;
}

/* A virtio-scsi device with disk spec `cfg`, the driver bound, its block device found. */
static int setup_disk(struct variant *v, struct disk *d, const char *cfg, char **err)
{
	int rc = hvb_device_create(v->be, "virtio-scsi", cfg, &d->dev, err);
	if (rc == 0)
		rc = bind_one(v, v->scsi_desc, d->dev, false, &d->drv, err);
	if (rc == 0 && (!(d->bd = ldr_driver_blkdev(d->drv, 0)) || ldr_blk_block_size(d->bd) == 0 ||
			4096 % ldr_blk_block_size(d->bd)))
		rc = xdrv_err(err, -ENODEV,
			      "%s: virtio_scsi found no disk with a block size dividing 4096",
			      bench_mode_names[v->mode]);
	return rc;
}

int bench_variant_setup(struct variant *v, const struct bench_args *a, const char *image,
			char **err)
{
	char cfg[PATH_MAX + 32];
	int rc = hvb_backend_create_spec(a->backend ? a->backend : "native", &v->be, err);
	uint64_t t0 = xdrv_now_ns();
	if (rc == 0)
		rc = setup_nic(v, err);
	snprintf(cfg, sizeof cfg, "disk=ram:%uM", a->disk_mb);
	if (rc == 0)
		rc = setup_disk(v, &v->ram, cfg, err);
	if (a->image_disk)
		snprintf(cfg, sizeof cfg, "disk=%s", a->image_disk);
	else
		snprintf(cfg, sizeof cfg, "disk=file:%s", image);
	if (rc == 0)
		rc = setup_disk(v, &v->img, cfg, err);
	if (v->bind_ms == 0) /* the first binding: lazy mode compiles probe on the way */
		v->bind_ms = (double)(xdrv_now_ns() - t0) / 1e6;
	return rc;
}

/* --package, a NIC: the wire (NULL: a generator sending to the driver's address), the
 * interface open. */
static int setup_pkg_nic(struct variant *v, const char *wire, char **err)
{
	char spec[96];
	if (!wire) {
		const uint8_t *m = ldr_net_mac(v->nic.nd);
		snprintf(spec, sizeof spec,
			 "gen:check=0,digest=0,dst=%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
			 m[3], m[4], m[5]);
		wire = spec;
	}
	int rc = run_wire_create(wire, &v->nic.wire, err);
	if (rc == 0)
		rc = hvb_wire_attach(v->nic.wire, v->nic.dev, err);
	if (rc == 0) {
		ldr_net_set_rx(v->nic.nd, on_rx, &v->nic);
		rc = ldr_net_open(v->nic.nd, err);
	}
	if (rc)
		xdrv_err_prefix(err, "%s: %s", bench_mode_names[v->mode], v->a->package);
	return rc;
}

int bench_variant_setup_pkg(struct variant *v, const struct bench_args *a, const char *devspec,
			    const char *wire, char **err)
{
	const char *mname = bench_mode_names[v->mode];
	struct hvb_device *dev = NULL;
	struct ldr_driver *drv = NULL;
	int rc = hvb_backend_create_spec(a->backend ? a->backend : "native", &v->be, err);
	uint64_t t0 = xdrv_now_ns();
	if (rc == 0)
		rc = run_device_create(v->be, devspec, &dev, err);
	if (rc == 0)
		rc = bind_one(v, v->pkg_desc, dev, true, &drv, err);
	if (v->bind_ms == 0)
		v->bind_ms = (double)(xdrv_now_ns() - t0) / 1e6;
	if (rc)
		return rc;
	struct ldr_netdev *nd = ldr_driver_netdev(drv, 0);
	struct ldr_blkdev *bd = ldr_driver_blkdev(drv, 0);
	v->cls = nd ? CLASS_NIC : bd ? CLASS_BLOCK : CLASS_UNKNOWN;
	if (v->cls == CLASS_NIC) {
		v->nic = (struct nic){.dev = dev, .drv = drv, .nd = nd};
		if (a->disk)
			return xdrv_err(err, -EINVAL,
					"%s: %s registered a network interface on %s: --disk "
					"does not apply (--wire does)",
					mname, a->package, devspec);
		return setup_pkg_nic(v, wire, err);
	}
	/* a block device, or nothing to measure: unbound at teardown */
	v->blk = (struct disk){.dev = dev, .drv = drv, .bd = bd};
	if (v->cls == CLASS_UNKNOWN)
		return xdrv_err(err, -ENODEV,
				"%s: %s registered neither a network interface nor a block device "
				"on --device %s: the bench measures NIC and block drivers",
				mname, a->package, devspec);
	if (a->wire)
		return xdrv_err(err, -EINVAL,
				"%s: %s registered a block device on %s: --wire does not apply "
				"(--disk does)",
				mname, a->package, devspec);
	uint32_t bs = ldr_blk_block_size(bd);
	if (bs == 0 || 4096 % bs)
		return xdrv_err(err, -ENODEV,
				"%s: %s: block device %s has block size %u, which does not divide "
				"4096",
				mname, a->package, ldr_blk_name(bd), bs);
	return 0;
}

void bench_variant_teardown(struct variant *v)
{
	if (v->nic.nd)
		ldr_net_stop(v->nic.nd);
	ldr_driver_unbind(v->nic.drv);
	ldr_driver_unbind(v->ram.drv);
	ldr_driver_unbind(v->img.drv);
	ldr_driver_unbind(v->blk.drv);
	hvb_wire_destroy(v->nic.wire);
	hvb_backend_destroy(v->be);
	memset(&v->nic, 0, sizeof v->nic);
	memset(&v->ram, 0, sizeof v->ram);
	memset(&v->img, 0, sizeof v->img);
	memset(&v->blk, 0, sizeof v->blk);
	v->be = NULL;
}

void bench_variant_unload(struct variant *v)
{
	bench_variant_teardown(v);
	ldr_image_unload(v->nic_img);
	ldr_image_unload(v->scsi_img);
	ldr_image_unload(v->pkg_img);
	ldr_compiled_free(v->nic_comp);
	ldr_compiled_free(v->scsi_comp);
	ldr_compiled_free(v->pkg_comp);
	ldr_ctx_destroy(v->ctx);
	if (v->nic_lib)
		dlclose(v->nic_lib);
	if (v->scsi_lib)
		dlclose(v->scsi_lib);
	if (v->pkg_lib)
		dlclose(v->pkg_lib);
}
