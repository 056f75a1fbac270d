// SPDX-License-Identifier: MIT
/*
 * The dp83820 sample driver end to end, in process: the signed package <build>/pkg/dp83820.xdrv
 * is verified, JIT-compiled (eager and lazy), bound to the DP83820 device model on the native
 * backend with the in-process generator/sink wire attached, and must move data both ways:
 * generator frames arrive at the host byte-identical with the chip's checksum verdict; frames
 * the host transmits (split into fragments, checksums left for the chip to insert) leave on
 * the wire with correct checksums and the same digest as the correct frames; and the driver's
 * statistics agree with both ends. Also: MAC and link from the chip, the ring parameters,
 * and the software checksum fallback when offload is switched off. The default package is
 * built against ABI 1.1 (receive buffer pool, a batch per poll); <build>/pkg-abi10/dp83820.xdrv,
 * the same source built with -DXDRV_ABI_WANT=1000000, must keep working the 1.0 way.
 */
#include "jit_rig.h"

#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/dp83820.h>
#include <xdrv/hvb.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>
#include <xdrv/wire.h>

#define NFRAMES 300u

struct nic {
	struct rig r; /* first: the rig's before-bind hook gets &n->r */
	struct hvb_wire *wire;
	struct ldr_netdev *nd;
	/* what the host received */
	uint64_t rx_frames, rx_bytes, rx_bad, rx_csum_ok, next_seq;
	uint32_t size;
};

/* the package under test, relative to <build>/pkg */
static const char *pkg_file = "dp83820.xdrv";

static void on_rx(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags)
{
	struct nic *n = ctx;
	uint8_t want[2048];
	uint64_t seq = 0;
	n->rx_frames++;
	n->rx_bytes += len;
	if (hvb_wire_gen_check(frame, len, &seq) && n->rx_frames == 1)
		n->next_seq = seq; /* the generator numbers on across hvb_wire_gen_start calls */
	if (!hvb_wire_gen_check(frame, len, &seq) || seq != n->next_seq || len != n->size ||
	    hvb_wire_gen_frame(want, sizeof want, seq, n->size, ldr_net_mac(n->nd),
			       (const uint8_t[6]){2, 0, 0, 0, 0, 2}) != (int)len ||
	    memcmp(want, frame, len) != 0)
		n->rx_bad++;
	n->next_seq = seq + 1;
	if ((csum_flags & (XDRV_CSUM_IP | XDRV_CSUM_L4_GOOD)) == (XDRV_CSUM_IP | XDRV_CSUM_L4_GOOD))
		n->rx_csum_ok++;
}

/* Before bind: the generator/sink wire on the model's cable. */
static int attach_gen_wire(struct rig *r, void *arg, char **err)
{
	struct nic *n = arg;
	int rc = hvb_wire_create("gen", "count=0,size=60", &n->wire, err);
	return rc ? rc : hvb_wire_attach(n->wire, r->dev, err);
}

static int nic_start(struct nic *n, uint32_t mode, const struct ldr_param_value *params,
		     size_t nparams)
{
	char *err = NULL;
	memset(n, 0, sizeof *n);
	int rc = rig_start(&n->r, pkg_file, mode, "dp83820", "mac=02:00:00:00:00:01", params,
			   nparams, attach_gen_wire, n);
	if (rc == 0 && !(n->nd = ldr_driver_netdev(n->r.drv, 0)))
		rc = -1;
	if (rc == 0) {
		ldr_net_set_rx(n->nd, on_rx, n);
		rc = ldr_net_open(n->nd, &err);
	}
	if (rc != 0)
		fprintf(stderr, "dp83820 start: %s\n", err ? err : "no netdev");
	free(err);
	return rc;
}

static void nic_stop(struct nic *n)
{
	ldr_driver_unbind(n->r.drv);
	n->r.drv = NULL;
	hvb_wire_destroy(n->wire);
	rig_stop(&n->r, NULL);
}

/* Dispatch until cond(n) or 5 s. */
static int run_until(struct nic *n, int (*cond)(struct nic *))
{
	uint64_t end = xdrv_time_ns() + 5000000000ull;
	while (!cond(n)) {
		if (xdrv_time_ns() > end)
			return -1;
		ldr_driver_dispatch(n->r.drv);
	}
	return 0;
}

static int all_received(struct nic *n)
{
	return n->rx_frames >= NFRAMES;
}

static int all_sent(struct nic *n)
{
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(n->wire, &ws);
	return ws.tx_frames >= NFRAMES;
}

/* The digest the sink computes for `frames`, obtained from a second sink fed directly. */
static uint64_t reference_digest(uint8_t (*frames)[1514], uint32_t count, uint32_t size)
{
	struct hvb_backend *be = NULL;
	struct hvb_device *dev = NULL;
	struct hvb_wire *w = NULL;
	char *err = NULL;
	struct hvb_wire_stats ws = {0};
	if (hvb_backend_create("native", NULL, &be, &err) == 0 &&
	    hvb_device_create(be, "dp83820", NULL, &dev, &err) == 0 &&
	    hvb_wire_create("gen", NULL, &w, &err) == 0 && hvb_wire_attach(w, dev, &err) == 0) {
		for (uint32_t i = 0; i < count; i++)
			hvb_wire_tx(dev, frames[i], size);
		hvb_wire_get_stats(w, &ws);
	}
	free(err);
	hvb_wire_destroy(w);
	hvb_backend_destroy(be);
	return ws.digest;
}

static void rx_direction(struct nic *n, uint32_t size)
{
	n->size = size;
	n->rx_frames = n->rx_bytes = n->rx_bad = n->rx_csum_ok = n->next_seq = 0;
	CU_ASSERT_EQUAL_FATAL(hvb_wire_gen_start(n->wire, NFRAMES, size), 0);
	CU_ASSERT_EQUAL_FATAL(run_until(n, all_received), 0);
	CU_ASSERT_EQUAL(n->rx_frames, NFRAMES);
	CU_ASSERT_EQUAL(n->rx_bytes, (uint64_t)NFRAMES * size);
	CU_ASSERT_EQUAL(n->rx_bad, 0);
	CU_ASSERT_EQUAL(n->rx_csum_ok, NFRAMES);
}

/* Transmit NFRAMES generator frames with their checksums zeroed and the offload asked for,
 * split into frag-byte fragments; the wire must see the correct frames. */
static void tx_direction(struct nic *n, uint32_t size, uint32_t frag, int pseudo_in_field)
{
	static uint8_t good[NFRAMES][1514];
	uint8_t f[1514];
	const uint8_t dst[6] = {2, 0, 0, 0, 0, 2};
	ldr_net_set_tx_frag(n->nd, frag);
	for (uint32_t i = 0; i < NFRAMES; i++) {
		CU_ASSERT_EQUAL_FATAL(hvb_wire_gen_frame(good[i], sizeof good[i], i, size, dst,
							 ldr_net_mac(n->nd)),
				      (int)size);
		memcpy(f, good[i], size);
		f[24] = f[25] = 0;     /* IPv4 header checksum */
		f[40] = f[41] = 0;     /* UDP checksum */
		if (pseudo_in_field) { /* CHECKSUM_PARTIAL convention: the pseudo-header sum */
			uint32_t s = hvb_csum_add(0, f + 26, 8);
			s += 17u + (uint32_t)(size - 34);
			while (s >> 16)
				s = (s & 0xffff) + (s >> 16);
			f[40] = (uint8_t)(s >> 8);
			f[41] = (uint8_t)s;
		}
		CU_ASSERT_EQUAL_FATAL(
			ldr_net_xmit(n->nd, f, size, XDRV_CSUM_IP | XDRV_CSUM_PARTIAL, 34, 6), 0);
		if (i % 32 == 31)
			ldr_driver_dispatch(n->r.drv);
	}
	CU_ASSERT_EQUAL_FATAL(run_until(n, all_sent), 0);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(n->wire, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, NFRAMES);
	CU_ASSERT_EQUAL(ws.tx_bytes, (uint64_t)NFRAMES * size);
	CU_ASSERT_EQUAL(ws.tx_bad, 0);
	CU_ASSERT_EQUAL(ws.digest, reference_digest(good, NFRAMES, size));
}

static void check_stats(struct nic *n, uint64_t rx, uint64_t rxb, uint64_t tx, uint64_t txb)
{
	struct xdrv_net_stats st;
	for (int i = 0; i < 100; i++) /* let the last completions be reaped */
		ldr_driver_dispatch(n->r.drv);
	CU_ASSERT_EQUAL_FATAL(ldr_net_stats(n->nd, &st), 0);
	CU_ASSERT_EQUAL(st.rx_packets, rx);
	CU_ASSERT_EQUAL(st.rx_bytes, rxb);
	CU_ASSERT_EQUAL(st.tx_packets, tx);
	CU_ASSERT_EQUAL(st.tx_bytes, txb);
	CU_ASSERT_EQUAL(st.rx_errors, 0);
	CU_ASSERT_EQUAL(st.tx_errors, 0);
	CU_ASSERT_EQUAL(st.rx_csum_errors, 0);
}

static void both_ways(uint32_t mode)
{
	struct nic n;
	CU_ASSERT_EQUAL_FATAL(nic_start(&n, mode, NULL, 0), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "dp83820: MAC 02:00:00:00:00:01"));
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "link up, 1000 Mbit/s full duplex"));
	uint32_t up = 0, speed = 0, duplex = 0;
	ldr_net_link(n.nd, &up, &speed, &duplex);
	CU_ASSERT(up == 1 && speed == 1000 && duplex == 1);
	rx_direction(&n, 1514);
	rx_direction(&n, 60);
	tx_direction(&n, 1514, 500, 0); /* 4 fragments per frame */
	check_stats(&n, 2ull * NFRAMES, (uint64_t)NFRAMES * (1514 + 60), NFRAMES,
		    (uint64_t)NFRAMES * 1514);
	nic_stop(&n);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "dp83820: removed; rx 600 packets, tx 300 packets"));
}

static void test_dp83820_eager_moves_frames_both_ways(void)
{
	both_ways(LDR_JIT_EAGER);
}
static void test_dp83820_lazy_moves_frames_both_ways(void)
{
	both_ways(LDR_JIT_LAZY);
}

static void test_dp83820_small_rings_and_64bit_descriptors_still_move_everything(void)
{
	struct nic n;
	const struct ldr_param_value p[] = {
		{"rx_ring", "8"}, {"tx_ring", "32"}, {"desc64", "1"}, {"holdoff_us", "0"}};
	CU_ASSERT_EQUAL_FATAL(nic_start(&n, LDR_JIT_EAGER, p, 4), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "rx ring 8, tx ring 32, 64-bit descriptors"));
	rx_direction(&n, 1000);
	tx_direction(&n, 1000, 64, 0); /* 16 fragments: the ring fills, the queue stops and wakes */
	check_stats(&n, NFRAMES, NFRAMES * 1000ull, NFRAMES, NFRAMES * 1000ull);
	nic_stop(&n);
}

static void test_dp83820_without_offload_checksums_in_software(void)
{
	struct nic n;
	const struct ldr_param_value p[] = {{"csum_offload", "0"}};
	CU_ASSERT_EQUAL_FATAL(nic_start(&n, LDR_JIT_EAGER, p, 1), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "checksum offload off"));
	tx_direction(&n, 600, 200, 1);
	check_stats(&n, 0, 0, NFRAMES, NFRAMES * 600ull);
	nic_stop(&n);
}

static uint32_t last_flags;
static uint64_t flagged;

static void on_rx_flags(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags)
{
	(void)ctx;
	(void)frame;
	(void)len;
	last_flags = csum_flags;
	flagged++;
}

static int one_flagged(struct nic *n)
{
	(void)n;
	return flagged >= 1;
}

static void test_dp83820_reports_bad_udp_checksum_from_the_chip(void)
{
	struct nic n;
	CU_ASSERT_EQUAL_FATAL(nic_start(&n, LDR_JIT_EAGER, NULL, 0), 0);
	ldr_net_set_rx(n.nd, on_rx_flags, &n);
	uint8_t f[200];
	const uint8_t src[6] = {2, 0, 0, 0, 0, 2};
	CU_ASSERT_EQUAL_FATAL(hvb_wire_gen_frame(f, sizeof f, 7, sizeof f, ldr_net_mac(n.nd), src),
			      (int)sizeof f);
	f[60] ^= 0x5a; /* payload byte: the UDP checksum no longer matches */
	flagged = 0;
	CU_ASSERT_EQUAL_FATAL(dp83820_receive(n.r.dev, f, sizeof f), 0);
	CU_ASSERT_EQUAL_FATAL(run_until(&n, one_flagged), 0);
	CU_ASSERT_EQUAL(last_flags, XDRV_CSUM_IP | XDRV_CSUM_L4_BAD);
	struct xdrv_net_stats st;
	CU_ASSERT_EQUAL_FATAL(ldr_net_stats(n.nd, &st), 0);
	CU_ASSERT_EQUAL(st.rx_csum_errors, 1);
	CU_ASSERT_EQUAL(st.rx_packets, 1); /* delivered: the stack decides what to do with it */
	nic_stop(&n);
}

static int link_is_down(struct nic *n)
{
	uint32_t up = 1;
	ldr_net_link(n->nd, &up, NULL, NULL);
	return !up;
}

static int link_is_up(struct nic *n)
{
	return !link_is_down(n);
}

static void test_dp83820_follows_link_changes_from_the_phy_interrupt(void)
{
	struct nic n;
	CU_ASSERT_EQUAL_FATAL(nic_start(&n, LDR_JIT_LAZY, NULL, 0), 0);
	CU_ASSERT(link_is_up(&n));
	dp83820_set_link(n.r.dev, false);
	CU_ASSERT_EQUAL(run_until(&n, link_is_down), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "dp83820: link down"));
	dp83820_set_link(n.r.dev, true);
	CU_ASSERT_EQUAL(run_until(&n, link_is_up), 0);
	uint32_t speed = 0;
	ldr_net_link(n.nd, NULL, &speed, NULL);
	CU_ASSERT_EQUAL(speed, 1000);
	nic_stop(&n);
}

static void test_dp83820_ring_param_out_of_range_is_refused(void)
{
	char *err = NULL;
	struct ldr_ctx *ctx = NULL;
	struct ldr_image *img = NULL;
	struct ldr_config cfg = {.trust_root = xtest_path("%s/pki/root.pem", xtest_build_dir())};
	struct ldr_param_value p = {"rx_ring", "4"};
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0);
	CU_ASSERT(ldr_image_load_file(ctx, xtest_path("%s/pkg/dp83820.xdrv", xtest_build_dir()), &p,
				      1, &img, &err) < 0);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "rx_ring") : NULL);
	free(err);
	ldr_ctx_destroy(ctx);
}

static uint64_t batch_calls;

static void on_rx_batch(void *ctx, const struct ldr_net_frame *f, size_t n)
{
	batch_calls++;
	for (size_t i = 0; i < n; i++)
		on_rx(ctx, f[i].data, f[i].len, f[i].csum_flags);
}

/* Rings of 64 and 1,024 descriptors, the default (ABI 1.1 and later) build: every frame arrives
 * byte-identical (60 and 1514 bytes, each checked against the generator's), in batches, and the
 * receive buffers are one pool mapping instead of a streaming mapping per descriptor. */
static void ring_with_pool(const char *ring)
{
	struct nic n;
	const struct ldr_param_value p[] = {
		{"rx_ring", ring}, {"tx_ring", ring}, {"holdoff_us", "0"}};
	CU_ASSERT_EQUAL_FATAL(nic_start(&n, LDR_JIT_EAGER, p, 3), 0);
	CU_ASSERT_EQUAL(ldr_image_abi_version(n.r.img), XDRV_ABI_VERSION); /* 1.1 or later */
	CU_ASSERT_PTR_NULL(strstr(logbuf, "no receive buffer pool"));
	/* rx ring, tx ring (coherent) and the pool: nothing per descriptor */
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(n.r.drv), 3);
	batch_calls = 0;
	ldr_net_set_rx_batch(n.nd, on_rx_batch, &n);
	rx_direction(&n, 60);
	rx_direction(&n, 1514);
	CU_ASSERT(batch_calls > 0 && batch_calls < 2 * NFRAMES);
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(n.r.drv), 3);
	check_stats(&n, 2ull * NFRAMES, (uint64_t)NFRAMES * (1514 + 60), 0, 0);
	nic_stop(&n);
}

static void test_dp83820_abi11_pool_at_rings_of_64_and_1024(void)
{
	ring_with_pool("64");
	ring_with_pool("1024");
}

/* The same source built against ABI 1.0: a 1.0 driver, a packet and a mapping per receive
 * buffer, and everything still moves both ways, eager and lazy. */
static void test_dp83820_abi10_build_moves_frames_both_ways(void)
{
	pkg_file = "../pkg-abi10/dp83820.xdrv";
	struct nic n;
	CU_ASSERT_EQUAL_FATAL(nic_start(&n, LDR_JIT_EAGER, NULL, 0), 0);
	CU_ASSERT_EQUAL(ldr_image_abi_version(n.r.img), XDRV_ABI_MKVER(1, 0, 0));
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(n.r.drv), 2 + 64); /* rings + rx_ring mappings */
	nic_stop(&n);
	both_ways(LDR_JIT_EAGER);
	both_ways(LDR_JIT_LAZY);
	pkg_file = "dp83820.xdrv";
}

XTEST_SUITE(dp83820_driver, NULL, NULL, XTEST(test_dp83820_eager_moves_frames_both_ways),
	    XTEST(test_dp83820_abi11_pool_at_rings_of_64_and_1024),
	    XTEST(test_dp83820_abi10_build_moves_frames_both_ways),
	    XTEST(test_dp83820_lazy_moves_frames_both_ways),
	    XTEST(test_dp83820_small_rings_and_64bit_descriptors_still_move_everything),
	    XTEST(test_dp83820_without_offload_checksums_in_software),
	    XTEST(test_dp83820_reports_bad_udp_checksum_from_the_chip),
	    XTEST(test_dp83820_follows_link_changes_from_the_phy_interrupt),
	    XTEST(test_dp83820_ring_param_out_of_range_is_refused))
