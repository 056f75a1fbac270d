// SPDX-License-Identifier: MIT
/*
 * Tests for loader/runtime_update.c (ldr_driver_update) with the real dp83820 package on the
 * dp83820 model and the generator wire, its frames echoed by the host as `xdrv run` does: the
 * driver is replaced by a second image of the package while the interface stays the same host
 * object (pointer, receive callback, extension chain), frames flow before and after; another
 * driver's descriptor is refused with nothing changed; a new version whose probe fails after it
 * registered the interface, or that does not register it, is unbound and the old one probed
 * again on the same interface; frames the host had queued are counted as dropped.
 */
#include "test_runtime_fixture.h"

#include "../../loader/boot_priv.h"

#include <errno.h>
#include <unistd.h>
#include <xdrv/boot.h>
#include <xdrv/ext_host.h>
#include <xdrv/loader.h>
#include <xdrv/net.h>
#include <xdrv/net_ext.h>
#include <xdrv/wire.h>

#define FLEN 60u

static struct {
	struct ldr_netdev *nd;
	uint64_t rx;
	uint8_t buf[2048];
} H;

/* The host's receive callback: count, and send the frame back with the addresses swapped. */
static void echo(void *ctx, const uint8_t *frame, size_t len, uint32_t csum)
{
	(void)ctx;
	(void)csum;
	H.rx++;
	if (len < 12 || len > sizeof H.buf)
		return;
	memcpy(H.buf, frame + 6, 6);
	memcpy(H.buf + 6, frame, 6);
	memcpy(H.buf + 12, frame + 12, len - 12);
	ldr_net_xmit(H.nd, H.buf, len, 0, 0, 0);
}

static struct ldr_ctx *ctx_create(void)
{
	struct ldr_config cfg = {.trust_root = xtest_path("%s/pki/root.pem", xtest_build_dir()),
				 .jit_mode = LDR_JIT_EAGER,
				 .opt_level = 1};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0)
		fprintf(stderr, "ctx: %s\n", err ? err : "?");
	free(err);
	return ctx;
}

static struct ldr_image *image(struct ldr_ctx *ctx, const char *pkg)
{
	struct ldr_image *img = NULL;
	char *err = NULL;
	const char *path = xtest_path("%s/pkg/%s", xtest_build_dir(), pkg);
	if (ldr_image_load_file(ctx, path, NULL, 0, &img, &err) != 0)
		fprintf(stderr, "%s: %s (make all builds the packages)\n", path, err ? err : "?");
	free(err);
	return img;
}

/* Dispatch until the wire took back `want` frames from the NIC in all (bounded). */
static uint64_t run_until(struct ldr_driver *drv, struct hvb_wire *w, uint64_t want)
{
	struct hvb_wire_stats ws = {0};
	for (int i = 0; i < 200000; i++) {
		ldr_driver_dispatch(drv);
		hvb_wire_get_stats(w, &ws);
		if (ws.tx_frames >= want)
			break;
	}
	return ws.tx_frames;
}

struct rig {
	struct ldr_ctx *ctx;
	struct ldr_image *a, *b;
	struct rtf_dev f;
	struct hvb_wire *w;
	struct ldr_driver *drv;
};

/* dp83820 (image a) bound, interface open with the echo, 100 generator frames through. */
static int rig_up(struct rig *r)
{
	memset(r, 0, sizeof *r);
	memset(&H, 0, sizeof H);
	rtf_log_reset();
	r->ctx = ctx_create();
	if (!r->ctx)
		return -1;
	r->a = image(r->ctx, "dp83820.xdrv");
	r->b = image(r->ctx, "dp83820.xdrv");
	if (!r->a || !r->b)
		return -1;
	r->f = rtf_dev_create("dp83820");
	r->drv = rtf_bind(ldr_image_descriptor(r->a), &r->f);
	H.nd = ldr_driver_netdev(r->drv, 0);
	char *err = NULL;
	int rc = H.nd ? 0 : -1;
	if (rc == 0) {
		ldr_net_set_rx(H.nd, echo, NULL);
		rc = ldr_net_open(H.nd, &err);
	}
	if (rc == 0)
		rc = hvb_wire_create("gen", "count=100,size=60,check=0,digest=0", &r->w, &err);
	if (rc == 0)
		rc = hvb_wire_attach(r->w, r->f.dev, &err);
	if (rc)
		fprintf(stderr, "rig: %s\n", err ? err : "?");
	free(err);
	if (rc == 0 && run_until(r->drv, r->w, 100) != 100)
		rc = -1;
	return rc;
}

static void rig_down(struct rig *r)
{
	hvb_wire_destroy(r->w);
	ldr_driver_unbind(r->drv);
	rtf_dev_destroy(&r->f);
	ldr_image_unload(r->a);
	ldr_image_unload(r->b);
	ldr_ctx_destroy(r->ctx);
	ldr_runtime_set_log(NULL, NULL);
}

static void test_update_keeps_the_interface_and_frames_flow(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(rig_up(&r), 0);
	CU_ASSERT_EQUAL(H.rx, 100);
	struct ldr_netdev *nd = H.nd;
	struct ldr_update_report rep;
	char *err = NULL;
	int rc = ldr_driver_update(&r.drv, ldr_image_descriptor(r.b), NULL, 0, &rep, &err);
	if (rc)
		fprintf(stderr, "update: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.drv);
	CU_ASSERT_PTR_EQUAL(ldr_driver_netdev(r.drv, 0), nd); /* the same host object */
	CU_ASSERT_EQUAL(rep.netdevs_kept, 1);
	CU_ASSERT_EQUAL(rep.rolled_back, 0);
	CU_ASSERT_EQUAL(rep.removed.netdevs, 0); /* held, not released as a leak */
	CU_ASSERT(rtf_logged("dp83820: removed;"));
	/* the new instance runs: more frames through, into the same callback */
	CU_ASSERT_EQUAL(hvb_wire_gen_start(r.w, 100, FLEN), 0);
	CU_ASSERT_EQUAL(run_until(r.drv, r.w, 200), 200);
	CU_ASSERT_EQUAL(H.rx, 200);
	uint32_t up = 0;
	ldr_net_link(nd, &up, NULL, NULL);
	CU_ASSERT_EQUAL(up, 1);
	rig_down(&r);
}

static void test_another_driver_is_refused_and_nothing_changes(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(rig_up(&r), 0);
	struct ldr_image *uart = image(r.ctx, "uart16550.xdrv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(uart);
	struct ldr_driver *old = r.drv;
	char *err = NULL;
	int rc = ldr_driver_update(&r.drv, ldr_image_descriptor(uart), NULL, 0, NULL, &err);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT(err && strstr(err, "the new package's driver is \"uart16550\", not \"dp83820\""));
	free(err);
	CU_ASSERT_PTR_EQUAL(r.drv, old);
	CU_ASSERT_FALSE(rtf_logged("dp83820: removed;")); /* never touched */
	CU_ASSERT_EQUAL(hvb_wire_gen_start(r.w, 50, FLEN), 0);
	CU_ASSERT_EQUAL(run_until(r.drv, r.w, 150), 150);
	ldr_image_unload(uart);
	rig_down(&r);
}

/* ---- new versions that fail: natively compiled stand-ins named dp83820 ------------------------
 */

static const uint8_t fake_mac[6] = {0x02, 0, 0, 0, 0, 0x77};
static int32_t fake_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *p)
{
	(void)nd;
	xdrv_pkt_free(p);
	return XDRV_OK;
}
static const struct xdrv_net_ops fake_ops = {.struct_size = sizeof fake_ops, .xmit = fake_xmit};
static int fake_probes;

/* registers the interface, then fails (as a probe that fails late and unregisters) */
static int32_t probe_fails_late(xdrv_device_t *dev)
{
	fake_probes++;
	xdrv_netdev_t *nd = xdrv_net_register(dev, &fake_ops, fake_mac, NULL);
	if (nd)
		xdrv_net_unregister(nd);
	return XDRV_EIO;
}

/* registers the interface and fails without unregistering it (unbind's release takes it) */
static int32_t probe_fails_leaving_it(xdrv_device_t *dev)
{
	fake_probes++;
	return xdrv_net_register(dev, &fake_ops, fake_mac, NULL) ? XDRV_EIO : XDRV_ENOMEM;
}

/* succeeds without an interface */
static int32_t probe_no_netdev(xdrv_device_t *dev)
{
	(void)dev;
	fake_probes++;
	return XDRV_OK;
}

static const struct xdrv_match dp_match[] = {
	{.bus = XDRV_BUS_PCI, .vendor = 0x100b, .device = 0x0022},
	{.bus = 0},
};

static void fails_and_rolls_back(int32_t (*probe)(xdrv_device_t *), const char *why)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(rig_up(&r), 0);
	struct xdrv_driver bad = {.magic = XDRV_DRIVER_MAGIC,
				  .abi_version = XDRV_ABI_VERSION,
				  .struct_size = sizeof bad,
				  .name = "dp83820",
				  .version = "1.0.2",
				  .match = dp_match,
				  .probe = probe};
	struct ldr_netdev *nd = H.nd;
	uint64_t before = H.rx;
	fake_probes = 0;
	struct ldr_update_report rep;
	char *err = NULL;
	int rc = ldr_driver_update(&r.drv, &bad, NULL, 0, &rep, &err);
	CU_ASSERT(rc < 0);
	CU_ASSERT_EQUAL(fake_probes, 1);
	CU_ASSERT(err && strstr(err, why));
	CU_ASSERT(err && strstr(err, "the old version was probed again and runs"));
	if (err && (!strstr(err, why) || !strstr(err, "probed again")))
		fprintf(stderr, "rollback: %s\n", err);
	free(err);
	CU_ASSERT_EQUAL(rep.rolled_back, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.drv);
	CU_ASSERT_PTR_EQUAL(ldr_driver_netdev(r.drv, 0), nd); /* the old version on it again */
	CU_ASSERT_EQUAL(rep.netdevs_kept, 1);
	CU_ASSERT_EQUAL(hvb_wire_gen_start(r.w, 100, FLEN), 0);
	CU_ASSERT_EQUAL(run_until(r.drv, r.w, 200), 200);
	CU_ASSERT_EQUAL(H.rx, before + 100);
	rig_down(&r);
}

static void test_probe_failing_after_register_rolls_back(void)
{
	fails_and_rolls_back(probe_fails_late, "probe failed: -5 (EIO)");
}

static void test_probe_failing_with_the_interface_registered_rolls_back(void)
{
	fails_and_rolls_back(probe_fails_leaving_it, "probe failed: -5 (EIO)");
}

static void test_new_version_without_the_interface_rolls_back(void)
{
	fails_and_rolls_back(probe_no_netdev, "did not register interface net0 again");
}

/* Frames the host queued beyond the transmit ring when the update starts: those the old driver
 * had go out (quiesce), the backlog is dropped and counted; none is lost silently. */
static void test_queued_frames_go_out_or_are_counted(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(rig_up(&r), 0);
	struct hvb_wire_stats w0, w1;
	hvb_wire_get_stats(r.w, &w0);
	uint8_t f[FLEN];
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 2}, src[6] = {2, 0, 0, 0, 0, 9};
	uint32_t queued = 0;
	for (uint32_t i = 0; i < 600; i++) {
		CU_ASSERT_EQUAL_FATAL(hvb_wire_gen_frame(f, sizeof f, i, FLEN, dst, src),
				      (int)FLEN);
		queued += ldr_net_xmit(H.nd, f, sizeof f, 0, 0, 0) == 0;
	}
	CU_ASSERT_EQUAL(queued, 600); /* the ring (128) took some, the backlog the rest */
	struct ldr_update_report rep;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_driver_update(&r.drv, ldr_image_descriptor(r.b), NULL, 0, &rep, &err),
			0);
	free(err);
	rtf_run(r.drv, 1000);
	hvb_wire_get_stats(r.w, &w1);
	uint64_t sent = w1.tx_frames - w0.tx_frames;
	CU_ASSERT_EQUAL(sent + rep.frames_dropped, 600);
	if (sent + rep.frames_dropped != 600)
		fprintf(stderr, "sent %llu + dropped %llu != 600\n", (unsigned long long)sent,
			(unsigned long long)rep.frames_dropped);
	rig_down(&r);
}

/* A NIC whose transmit ring (16) never completes: what it holds and the host's backlog are
 * dropped at the update, and counted exactly. */
static xdrv_pkt_t *held_pkts[16];
static uint32_t nheld;
static int32_t hold_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *p)
{
	(void)nd;
	if (nheld == 16)
		return XDRV_EBUSY;
	held_pkts[nheld++] = p;
	return XDRV_OK;
}
static const struct xdrv_net_ops hold_ops = {.struct_size = sizeof hold_ops, .xmit = hold_xmit};
static int32_t hold_probe(xdrv_device_t *dev)
{
	nheld = 0;
	return xdrv_net_register(dev, &hold_ops, fake_mac, NULL) ? XDRV_OK : XDRV_ENOMEM;
}

static void test_stuck_transmits_and_backlog_are_counted_exactly(void)
{
	rtf_log_reset();
	struct rtf_dev f = rtf_dev_create("dp83820");
	struct xdrv_driver d = {.magic = XDRV_DRIVER_MAGIC,
				.abi_version = XDRV_ABI_VERSION,
				.struct_size = sizeof d,
				.name = "holdnic",
				.version = "1.0.0",
				.match = dp_match,
				.probe = hold_probe};
	struct ldr_driver *drv = rtf_bind(&d, &f);
	struct ldr_netdev *nd = ldr_driver_netdev(drv, 0);
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_net_open(nd, &err), 0);
	uint8_t frame[FLEN] = {0};
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(ldr_net_xmit(nd, frame, sizeof frame, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(nheld, 16); /* the rest in the backlog */
	struct ldr_update_report rep;
	CU_ASSERT_EQUAL_FATAL(ldr_driver_update(&drv, &d, NULL, 20, &rep, &err), 0);
	free(err);
	CU_ASSERT_EQUAL(rep.in_flight_left, 16); /* quiescing gave up on them */
	CU_ASSERT_EQUAL(rep.frames_dropped, 100);
	CU_ASSERT_EQUAL(rep.removed.pkts, 0); /* counted as dropped frames, not as a leak */
	CU_ASSERT_PTR_EQUAL(ldr_driver_netdev(drv, 0), nd);
	CU_ASSERT_EQUAL(nheld, 0); /* the new instance's ring */
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, frame, sizeof frame, 0, 0, 0), 0); /* open again */
	CU_ASSERT_EQUAL(nheld, 1);
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
	ldr_runtime_set_log(NULL, NULL);
}

/* A packet extension attached to the interface stays attached and runs after the update. */
static void test_extension_stays_attached(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(rig_up(&r), 0);
	struct ldr_ext *e = NULL;
	char *err = NULL;
	const char *path = xtest_path("%s/ext/empty.xdrv", xtest_build_dir());
	int rc = ldr_ext_load_file(r.ctx, path, NULL, 0, NULL, &e, &err);
	if (rc)
		fprintf(stderr, "%s: %s (make test-build builds the extensions)\n", path,
			err ? err : "?");
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT(ldr_net_ext_attach(H.nd, XDRV_EXT_HOOK_RX, LDR_NET_EXT_END, e, LDR_NET_EXT_PASS,
				     &err) > 0);
	CU_ASSERT_EQUAL(ldr_driver_update(&r.drv, ldr_image_descriptor(r.b), NULL, 0, NULL, &err),
			0);
	free(err);
	CU_ASSERT_EQUAL(hvb_wire_gen_start(r.w, 100, FLEN), 0);
	CU_ASSERT_EQUAL(run_until(r.drv, r.w, 200), 200);
	struct ldr_net_ext_info info[4];
	CU_ASSERT_EQUAL_FATAL(ldr_net_ext_list(H.nd, info, 4), 1);
	CU_ASSERT_STRING_EQUAL(info[0].name, "empty");
	CU_ASSERT(info[0].attached);
	CU_ASSERT_EQUAL(info[0].st.runs, 100); /* the frames after the update */
	rig_down(&r);
}

/* ---- disks: the real virtio_scsi package on the virtio-scsi model -----------------------------
 */

#define NREQ 16u

/* Write NREQ requests in flight, update the driver under them, wait for all of them, read the
 * data back: every request completed, the data identical, the disk the same host object. */
static void test_disk_requests_survive_the_update_and_data_is_identical(void)
{
	rtf_log_reset();
	struct ldr_ctx *ctx = ctx_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *a = image(ctx, "virtio_scsi.xdrv"), *b = image(ctx, "virtio_scsi.xdrv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	struct rtf_dev f = {0};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &f.be, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_device_create(f.be, "virtio-scsi", "disk=ram:4M", &f.dev, &err),
			      0);
	struct ldr_driver *drv = rtf_bind(ldr_image_descriptor(a), &f);
	struct ldr_blkdev *bd = ldr_driver_blkdev(drv, 0);
	struct ldr_scsi_host *sh = ldr_driver_scsi_host(drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	uint32_t bs = ldr_blk_block_size(bd);
	CU_ASSERT_FATAL(bs >= 512 && bs <= 4096);
	static uint8_t wr[NREQ][8 * 4096], rd[8 * 4096];
	struct ldr_blk_req *req[NREQ];
	for (uint32_t i = 0; i < NREQ; i++) {
		for (uint32_t j = 0; j < 8 * bs; j++)
			wr[i][j] = (uint8_t)(i * 37 + j * 11 + (j >> 8));
		CU_ASSERT_EQUAL_FATAL(ldr_blk_start(bd, XDRV_BLK_WRITE, (uint64_t)i * 8, 8, wr[i],
						    0, &req[i], &err),
				      0);
	}
	struct ldr_update_report rep;
	int rc = ldr_driver_update(&drv, ldr_image_descriptor(b), NULL, 0, &rep, &err);
	if (rc)
		fprintf(stderr, "update: %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_EQUAL(ldr_driver_blkdev(drv, 0), bd);
	CU_ASSERT_PTR_EQUAL(ldr_driver_scsi_host(drv, 0), sh);
	CU_ASSERT_EQUAL(rep.blkdevs_kept, 1);
	CU_ASSERT_EQUAL(rep.scsi_kept, 1);
	CU_ASSERT_EQUAL(rep.removed.blkdevs, 0);
	CU_ASSERT(rtf_logged("virtio_scsi: removed"));
	/* every request completes, drained before the remove or re-issued after the probe */
	for (uint32_t k = 0; k < NREQ; k++) {
		uint32_t idx = UINT32_MAX;
		rc = ldr_blk_wait(bd, req, NREQ, &idx, &err);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc || idx >= NREQ) {
			fprintf(stderr, "wait: %s\n", err ? err : "?");
			break;
		}
		req[idx] = NULL;
	}
	for (uint32_t i = 0; i < NREQ; i++) {
		CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_READ, (uint64_t)i * 8, 8, rd, &err), 0);
		CU_ASSERT_EQUAL(memcmp(rd, wr[i], 8 * bs), 0);
	}
	free(err);
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
	ldr_image_unload(a);
	ldr_image_unload(b);
	ldr_ctx_destroy(ctx);
	ldr_runtime_set_log(NULL, NULL);
}

/* A disk whose driver never completes (version 1) and one that completes at submit (version
 * 2): what version 1 had outstanding is re-issued to version 2, none lost, none twice. */
static uint8_t ram[64 * 512];
static int32_t stuck_submit(xdrv_blkdev_t *b, const struct xdrv_blk_req *r)
{
	(void)b;
	(void)r;
	return XDRV_OK;
}
static uint32_t submits2;
static int32_t ram_submit(xdrv_blkdev_t *b, const struct xdrv_blk_req *r)
{
	submits2++;
	if (r->op == XDRV_BLK_WRITE)
		memcpy(ram + r->lba * 512, r->data, (size_t)r->count * 512);
	else if (r->op == XDRV_BLK_READ)
		memcpy(r->data, ram + r->lba * 512, (size_t)r->count * 512);
	xdrv_blk_complete(b, r, XDRV_OK);
	return XDRV_OK;
}
static const struct xdrv_blk_ops stuck_ops = {.struct_size = sizeof stuck_ops,
					      .submit = stuck_submit};
static const struct xdrv_blk_ops ram_ops = {.struct_size = sizeof ram_ops, .submit = ram_submit};
static int disk_blocks = 64;
static int32_t stuck_probe(xdrv_device_t *dev)
{
	return xdrv_blk_register(dev, &stuck_ops, "rd0", 512, 64, NULL) ? XDRV_OK : XDRV_ENOMEM;
}
static int32_t ram_probe(xdrv_device_t *dev)
{
	return xdrv_blk_register(dev, &ram_ops, "rd0", 512, (uint64_t)disk_blocks, NULL)
		       ? XDRV_OK
		       : XDRV_ENOMEM;
}

static void test_outstanding_disk_requests_are_reissued_once(void)
{
	rtf_log_reset();
	struct rtf_dev f = rtf_dev_create("dp83820");
	struct xdrv_driver v1 = {.magic = XDRV_DRIVER_MAGIC,
				 .abi_version = XDRV_ABI_VERSION,
				 .struct_size = sizeof v1,
				 .name = "ramdisk",
				 .version = "1.0.0",
				 .match = dp_match,
				 .probe = stuck_probe};
	struct xdrv_driver v2 = v1;
	v2.version = "1.0.1";
	v2.probe = ram_probe;
	struct ldr_driver *drv = rtf_bind(&v1, &f);
	struct ldr_blkdev *bd = ldr_driver_blkdev(drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	static uint8_t wr[8][512];
	struct ldr_blk_req *req[8];
	char *err = NULL;
	for (uint32_t i = 0; i < 8; i++) {
		memset(wr[i], (int)(0x40 + i), sizeof wr[i]);
		CU_ASSERT_EQUAL_FATAL(
			ldr_blk_start(bd, XDRV_BLK_WRITE, i, 1, wr[i], 0, &req[i], &err), 0);
	}
	/* a new version that registers the disk with another geometry: refused, back to v1 */
	disk_blocks = 32;
	submits2 = 0;
	struct ldr_update_report rep;
	CU_ASSERT(ldr_driver_update(&drv, &v2, NULL, 10, &rep, &err) < 0);
	CU_ASSERT(err && strstr(err, "registered disk rd0 as rd0, 512-byte blocks x 32 (was 512 x "
				     "64)"));
	CU_ASSERT(err && strstr(err, "the old version was probed again"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(rep.rolled_back, 1);
	CU_ASSERT_EQUAL(rep.reqs_reissued, 8); /* to version 1 again, still stuck */
	CU_ASSERT_EQUAL(submits2, 0);
	CU_ASSERT_PTR_EQUAL(ldr_driver_blkdev(drv, 0), bd);
	/* the right geometry: the 8 requests go to version 2, once each */
	disk_blocks = 64;
	CU_ASSERT_EQUAL_FATAL(ldr_driver_update(&drv, &v2, NULL, 10, &rep, &err), 0);
	CU_ASSERT_EQUAL(rep.in_flight_left, 8);
	CU_ASSERT_EQUAL(rep.reqs_reissued, 8);
	CU_ASSERT_EQUAL(rep.blkdevs_kept, 1);
	CU_ASSERT_EQUAL(submits2, 8);
	for (uint32_t k = 0; k < 8; k++) {
		uint32_t idx = UINT32_MAX;
		CU_ASSERT_EQUAL_FATAL(ldr_blk_wait(bd, req, 8, &idx, &err), 0);
		req[idx] = NULL;
	}
	for (uint32_t i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(memcmp(ram + i * 512, wr[i], 512), 0);
	free(err);
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
	ldr_runtime_set_log(NULL, NULL);
}

/* ---- the boot's rollback floor for `xdrv run --floors` --------------------------------------- */

static void test_floor_check_reads_the_boots_store_and_never_makes_one(void)
{
	const char *dir = xtest_path("%s/state", xtest_tmpdir());
	char *err = NULL;
	uint64_t floor = 99;
	/* no store: an error, and none made */
	CU_ASSERT_EQUAL(boot_floor_check(dir, "dp83820", 5, &floor, &err), -ENOENT);
	CU_ASSERT(err && strstr(err, "has no store"));
	free(err);
	err = NULL;
	CU_ASSERT_NOT_EQUAL(access(xtest_path("%s/floors.key", dir), F_OK), 0);
	/* a boot's store with dp83820 at 3 */
	struct boot_floors *f = NULL;
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, &err), 0);
	CU_ASSERT_EQUAL_FATAL(boot_floors_raise(f, "dp83820", 3, &err), 0);
	boot_floors_close(f);
	CU_ASSERT_EQUAL(boot_floor_check(dir, "dp83820", 2, &floor, &err), -EKEYREVOKED);
	CU_ASSERT(err && strstr(err, "security_version 2 is below the floor 3 (stored in "));
	CU_ASSERT_EQUAL(floor, 3);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(boot_floor_check(dir, "dp83820", 3, &floor, &err), 0);
	CU_ASSERT_EQUAL(boot_floor_check(dir, "uart16550", 0, &floor, &err), 0);
	CU_ASSERT_EQUAL(floor, 0);
	/* an edited store fails closed, as for a boot */
	const char *state = xtest_path("%s/floors.state", dir);
	size_t n = 0;
	unsigned char *buf = xtest_read(state, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	char *p = strstr((char *)buf, "dp83820 3");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[8] = '1';
	FILE *w = fopen(state, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	fwrite(buf, 1, n, w);
	fclose(w);
	free(buf);
	CU_ASSERT(boot_floor_check(dir, "dp83820", 2, &floor, &err) < 0);
	free(err);
}

XTEST_SUITE(loader_runtime_update, NULL, NULL,
	    XTEST(test_update_keeps_the_interface_and_frames_flow),
	    XTEST(test_another_driver_is_refused_and_nothing_changes),
	    XTEST(test_probe_failing_after_register_rolls_back),
	    XTEST(test_probe_failing_with_the_interface_registered_rolls_back),
	    XTEST(test_new_version_without_the_interface_rolls_back),
	    XTEST(test_queued_frames_go_out_or_are_counted),
	    XTEST(test_stuck_transmits_and_backlog_are_counted_exactly),
	    XTEST(test_extension_stays_attached),
	    XTEST(test_disk_requests_survive_the_update_and_data_is_identical),
	    XTEST(test_outstanding_disk_requests_are_reissued_once),
	    XTEST(test_floor_check_reads_the_boots_store_and_never_makes_one));
