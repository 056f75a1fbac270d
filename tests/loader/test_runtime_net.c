// SPDX-License-Identifier: MIT
/*
 * Tests for loader/runtime_net.c with a natively compiled loopback NIC (`fake_nic`) bound to the
 * testdev model: what the host transmits comes back through the driver's receive path, by an
 * interrupt, the NAPI poll and xdrv_net_rx. Covers scatter-gather fragments, NAPI budgets, flow
 * control with the host backlog, re-entrancy, statistics, link state, packet handle validation
 * and release at unbind. Receive is batched (one host call per poll), and the fake NIC can
 * also receive through an ABI 1.1 buffer pool (N.pool_count): the frame is copied into a pool
 * buffer in xmit, as a device would write it, and each poll delivers its frames in one call.
 */
#include "test_runtime_fixture.h"

#include "../../loader/runtime_priv.h"

#include <errno.h>

#define TD_IRQ 0x800u
#define QMAX   4096u

/* ---- the fake NIC -------------------------------------------------------------------------- */

static struct {
	xdrv_device_t *dev;
	xdrv_region_t *mmio;
	xdrv_netdev_t *nd;
	int in_entry, reentered;
	uint32_t ring_cap, ring_used; /* transmit "ring": packets awaiting completion */
	int use_tx_stop;	      /* stop the queue when the ring fills (else EBUSY) */
	int open_fail;
	xdrv_pkt_t *txq[QMAX], *rxq[QMAX];
	uint32_t rx_head, rx_tail;
	uint32_t max_frags, poll_calls, busy_returns;
	struct xdrv_net_stats st;
	xdrv_pkt_t *stale; /* a handle kept after completion */
	int misuse;	   /* run handle-misuse checks in the next poll */
	int misuse_ok;
	uint32_t hold_rx; /* packets allocated in probe and never delivered */
	/* ABI 1.1: receive through a buffer pool of pool_count buffers of POOL_BUF bytes */
	uint32_t pool_count;
	xdrv_rxpool_t *pool;
	uint32_t pool_len[QMAX];
	uint64_t pool_bus0;
	const uint8_t *pool_last;     /* the buffer of the last frame */
	int pool_zeroed;	      /* every byte of the new pool read 0 */
	int pool_keep;		      /* leave the pool to unbind (no destroy at remove) */
	int pool_misuse, misuse_done; /* run pool misuse checks in the next poll */
	int32_t misuse_rc[12];
	uint32_t secret_scan; /* xmit allocates this many packets and looks for SECRET */
	uint32_t secret_seen, scanned;
} N;

#define POOL_BUF 2048u
#define SECRET	 0xa5u
static xdrv_rxpool_t *foreign_pool; /* another driver's */

static void enter(void)
{
	if (N.in_entry)
		N.reentered = 1;
	N.in_entry = 1;
}

static void leave(void)
{
	N.in_entry = 0;
}

static void raise_irq(void)
{
	xdrv_io_write32(N.mmio, TD_IRQ, 1);
}

static int32_t nic_open(xdrv_netdev_t *nd)
{
	(void)nd;
	return N.open_fail ? XDRV_EIO : XDRV_OK;
}

static int32_t nic_stop(xdrv_netdev_t *nd)
{
	(void)nd;
	return XDRV_OK;
}

static int32_t nic_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *pkt)
{
	enter();
	int32_t rc = XDRV_OK;
	if (N.ring_used >= N.ring_cap) {
		N.busy_returns++;
		rc = XDRV_EBUSY;
		goto out;
	}
	uint32_t len = xdrv_pkt_len(pkt), n = xdrv_pkt_frag_count(pkt), off = 0;
	if (n > N.max_frags)
		N.max_frags = n;
	/* hold them all (a freed packet would come straight back), then look for a run of
	 * SECRET bytes (frame() patterns hold single ones) */
	xdrv_pkt_t *held[64];
	uint32_t nheld = N.secret_scan < 64 ? N.secret_scan : 64;
	for (uint32_t i = 0; i < nheld; i++) {
		held[i] = xdrv_pkt_alloc(nd, POOL_BUF);
		const uint8_t *b = xdrv_pkt_frag(held[i], 0, NULL);
		uint32_t run = 0;
		for (uint32_t j = 0; b && j < POOL_BUF; j++) {
			run = b[j] == SECRET ? run + 1 : 0;
			if (run == 64)
				N.secret_seen++;
		}
		N.scanned += b != NULL;
	}
	for (uint32_t i = 0; i < nheld; i++)
		xdrv_pkt_free(held[i]);
	N.secret_scan = 0;
	xdrv_pkt_t *rx = NULL;
	uint8_t *dst = NULL;
	if (N.pool) { /* the "device" writes the frame into the next pool buffer */
		uint32_t slot = N.rx_tail % N.pool_count;
		dst = xdrv_rxpool_buf(N.pool, slot, NULL);
		N.pool_len[slot] = len;
		N.pool_last = dst;
	} else {
		rx = xdrv_pkt_alloc(nd, len);
		dst = xdrv_pkt_frag(rx, 0, NULL);
	}
	for (uint32_t i = 0; dst && i < n; i++) {
		uint32_t fl = 0;
		const uint8_t *src = xdrv_pkt_frag(pkt, i, &fl);
		memcpy(dst + off, src, fl);
		off += fl;
	}
	N.rxq[N.rx_tail++ % QMAX] = rx;
	N.txq[N.ring_used++] = pkt; /* completed in poll, like a real ring */
	N.st.tx_packets++;
	N.st.tx_bytes += len;
	if (N.use_tx_stop && N.ring_used == N.ring_cap)
		xdrv_net_tx_stop(nd);
	raise_irq();
out:
	leave();
	return rc;
}

static uint32_t nic_irq(void *ctx)
{
	(void)ctx;
	enter();
	xdrv_io_write32(N.mmio, TD_IRQ, 0);
	xdrv_net_napi_schedule(N.nd);
	leave();
	return XDRV_IRQ_HANDLED;
}

static void poll_misuse(xdrv_netdev_t *nd)
{
	int n = rtf_log.lines;
	N.misuse_ok = xdrv_pkt_len(N.stale) == 0 && rtf_log.lines == ++n;
	xdrv_pkt_t *tx = N.txq[0];
	xdrv_net_rx(nd, tx, 0); /* a transmit packet is not a receive packet */
	N.misuse_ok &= rtf_log.lines == ++n;
	N.misuse_ok &= xdrv_pkt_set_len(tx, 1) == XDRV_EINVAL && rtf_log.lines == ++n;
	N.misuse_ok &= xdrv_pkt_frag(tx, 99, NULL) == NULL && rtf_log.lines == ++n;
	struct xdrv_pkt_csum cs;
	N.misuse_ok &= xdrv_pkt_csum(tx, &cs) == XDRV_OK && cs.flags == XDRV_CSUM_PARTIAL &&
		       cs.csum_start == 14 && cs.csum_offset == 16;
	xdrv_pkt_t *rx = N.rxq[N.rx_head % QMAX];
	N.misuse_ok &= xdrv_pkt_set_len(rx, 100000) == XDRV_EINVAL && rtf_log.lines == ++n;
	N.misuse_ok &= xdrv_pkt_set_len(rx, 10) == XDRV_OK && xdrv_pkt_len(rx) == 10;
	xdrv_net_tx_complete(nd, rx, 0); /* a receive packet was not transmitted */
	N.misuse_ok &= rtf_log.lines == ++n;
}

static void pool_misuse(xdrv_netdev_t *nd)
{
	struct xdrv_rx_frame f[3] = {
		{.buf = 0, .len = 60},
		{.buf = N.pool_count, .len = 60}, /* no such buffer */
		{.buf = 1, .len = POOL_BUF + 1},  /* longer than a buffer */
	};
	int32_t *rc = N.misuse_rc;
	rc[0] = xdrv_rxpool_deliver(N.pool, f, 3); /* 1: the good one */
	f[0].reserved = 1;
	rc[1] = xdrv_rxpool_deliver(N.pool, f, 1); /* 0 */
	f[0].reserved = 0;
	f[0].len = 0;
	rc[2] = xdrv_rxpool_deliver(N.pool, f, 1);		  /* 0 */
	rc[3] = xdrv_rxpool_deliver(N.pool, f, N.pool_count + 1); /* EINVAL */
	rc[4] = xdrv_rxpool_deliver(N.pool, NULL, 1);		  /* EINVAL */
	rc[5] = xdrv_rxpool_deliver(foreign_pool, f, 1);	  /* another driver's */
	rc[6] = xdrv_rxpool_deliver((xdrv_rxpool_t *)nd, f, 1);	  /* not a pool */
	rc[7] = xdrv_rxpool_buf(N.pool, N.pool_count, NULL) == NULL;
	xdrv_rxpool_t *tmp = xdrv_rxpool_create(nd, 2, 64);
	xdrv_rxpool_destroy(tmp);
	rc[8] = xdrv_rxpool_deliver(tmp, f, 1);	       /* stale */
	rc[9] = xdrv_rxpool_buf(tmp, 0, NULL) == NULL; /* stale */
	rc[10] = xdrv_rxpool_create(nd, 0, 64) == NULL &&
		 xdrv_rxpool_create(nd, 4097, 64) == NULL && xdrv_rxpool_create(nd, 8, 0) == NULL &&
		 xdrv_rxpool_create(nd, 8, 65537) == NULL;
	N.misuse_done = 1;
}

/* Deliver the queued pool frames in batches of at most `budget` (one call each). */
static uint32_t poll_pool(xdrv_netdev_t *nd, uint32_t budget)
{
	(void)nd;
	struct xdrv_rx_frame f[64];
	uint32_t done = 0;
	while (done < budget && N.rx_head != N.rx_tail && done < 64) {
		uint32_t slot = N.rx_head++ % N.pool_count;
		f[done] = (struct xdrv_rx_frame){
			.buf = slot, .len = N.pool_len[slot], .csum_flags = XDRV_CSUM_IP};
		N.st.rx_packets++;
		N.st.rx_bytes += N.pool_len[slot];
		done++;
	}
	if (done && xdrv_rxpool_deliver(N.pool, f, done) != (int32_t)done)
		N.st.rx_dropped++;
	return done;
}

static int32_t nic_poll(xdrv_netdev_t *nd, uint32_t budget)
{
	enter();
	N.poll_calls++;
	if (N.misuse) {
		N.misuse = 0;
		poll_misuse(nd);
	}
	if (N.pool_misuse) {
		N.pool_misuse = 0;
		pool_misuse(nd);
	}
	uint32_t done = 0;
	if (N.pool)
		done = poll_pool(nd, budget);
	while (!N.pool && done < budget && N.rx_head != N.rx_tail) {
		xdrv_pkt_t *rx = N.rxq[N.rx_head++ % QMAX];
		N.st.rx_packets++;
		N.st.rx_bytes += xdrv_pkt_len(rx);
		xdrv_net_rx(nd, rx, XDRV_CSUM_IP);
		done++;
	}
	for (uint32_t i = 0; i < N.ring_used; i++) {
		if (i == 0)
			N.stale = N.txq[0];
		xdrv_net_tx_complete(nd, N.txq[i], XDRV_OK);
	}
	if (N.ring_used == N.ring_cap)
		xdrv_net_tx_wake(nd);
	N.ring_used = 0;
	leave();
	return (int32_t)done;
}

static int32_t nic_stats(xdrv_netdev_t *nd, struct xdrv_net_stats *st)
{
	(void)nd;
	*st = N.st;
	st->reserved[0] = 99; /* the host must not pass reserved bytes on */
	return XDRV_OK;
}

static const struct xdrv_net_ops nic_ops = {
	.struct_size = sizeof(struct xdrv_net_ops),
	.open = nic_open,
	.stop = nic_stop,
	.xmit = nic_xmit,
	.poll = nic_poll,
	.get_stats = nic_stats,
};

static const uint8_t nic_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

static int32_t nic_probe(xdrv_device_t *dev)
{
	N.dev = dev;
	N.mmio = xdrv_dev_region(dev, 0);
	N.nd = xdrv_net_register(dev, &nic_ops, nic_mac, &N);
	if (!N.nd)
		return XDRV_ENOMEM;
	xdrv_net_link_set(N.nd, 1, 1000, 1);
	for (uint32_t i = 0; i < N.hold_rx; i++)
		xdrv_pkt_alloc(N.nd, 128);
	if (N.pool_count) {
		N.pool = xdrv_rxpool_create(N.nd, N.pool_count, POOL_BUF);
		if (!N.pool)
			return XDRV_ENOMEM;
		N.pool_zeroed = 1;
		for (uint32_t i = 0; i < N.pool_count; i++) {
			uint64_t bus = 0;
			const uint8_t *b = xdrv_rxpool_buf(N.pool, i, &bus);
			if (i == 0)
				N.pool_bus0 = bus;
			for (uint32_t j = 0; b && j < POOL_BUF; j++)
				N.pool_zeroed &= b[j] == 0;
			N.pool_zeroed &= b != NULL && bus != 0;
		}
	}
	return xdrv_irq_request(dev, 0, nic_irq, NULL);
}

static void nic_remove(xdrv_device_t *dev)
{
	xdrv_irq_free(dev, 0);
	if (N.pool && !N.pool_keep)
		xdrv_rxpool_destroy(N.pool);
	if (N.hold_rx == 0)
		xdrv_net_unregister(N.nd);
}

static const struct xdrv_match nic_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

const struct xdrv_driver fake_nic_driver = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "fake_nic",
	.version = "1.0.0",
	.match = nic_match,
	.probe = nic_probe,
	.remove = nic_remove,
};

/* ---- host side ----------------------------------------------------------------------------- */

static struct {
	uint32_t frames;
	size_t bytes;
	uint8_t last[70000];
	size_t last_len;
	uint32_t csum;
	uint32_t in_order; /* frames carried increasing sequence numbers */
	uint32_t next_seq;
	struct ldr_netdev *echo_to;
	uint32_t echo_left;
	uint32_t corrupt; /* frames whose bytes are not frame()'s pattern for their seq */
} R;

static struct {
	uint32_t calls, max_n, frames_at_poll_end;
	uint32_t during_poll; /* batch calls while the driver's poll ran */
} B;

static void rx_cb(void *ctx, const uint8_t *frame, size_t len, uint32_t csum);

static void rx_batch_cb(void *ctx, const struct ldr_net_frame *f, size_t n)
{
	B.calls++;
	if (n > B.max_n)
		B.max_n = (uint32_t)n;
	B.during_poll += N.in_entry;
	for (size_t i = 0; i < n; i++)
		rx_cb(ctx, f[i].data, f[i].len, f[i].csum_flags);
}

static void rx_cb(void *ctx, const uint8_t *frame, size_t len, uint32_t csum)
{
	(void)ctx;
	R.frames++;
	R.bytes += len;
	memcpy(R.last, frame, len);
	R.last_len = len;
	R.csum = csum;
	uint32_t seq = (uint32_t)frame[0] << 8 | frame[1];
	if (seq != R.next_seq++)
		R.in_order = 0;
	for (size_t i = 2; i < len; i++)
		if (frame[i] != (uint8_t)(i * 31 + seq)) {
			R.corrupt++;
			break;
		}
	if (R.echo_to && R.echo_left) {
		R.echo_left--;
		/* echo from inside the driver's poll: must not re-enter it */
		CU_ASSERT_EQUAL(ldr_net_xmit(R.echo_to, frame, len, 0, 0, 0), 0);
	}
}

static struct rtf_dev F;

static struct ldr_netdev *setup_pool(struct ldr_driver **drv, uint32_t ring_cap,
				     uint32_t pool_count)
{
	memset(&N, 0, sizeof N);
	memset(&R, 0, sizeof R);
	memset(&B, 0, sizeof B);
	R.in_order = 1;
	N.ring_cap = ring_cap;
	N.pool_count = pool_count;
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	*drv = rtf_bind(&fake_nic_driver, &F);
	struct ldr_netdev *nd = ldr_driver_netdev(*drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
	ldr_net_set_rx(nd, rx_cb, NULL);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_net_open(nd, &err), 0);
	free(err);
	return nd;
}

static struct ldr_netdev *setup(struct ldr_driver **drv, uint32_t ring_cap)
{
	return setup_pool(drv, ring_cap, 0);
}

static void teardown(struct ldr_driver *drv)
{
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

static void frame(uint8_t *buf, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + seq);
	buf[0] = (uint8_t)(seq >> 8);
	buf[1] = (uint8_t)seq;
}

static void test_loopback_frame_reaches_rx_callback_with_the_same_bytes(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 64);
	uint8_t f[60];
	frame(f, sizeof f, 0);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(R.frames, 0); /* delivered by interrupt + poll, not inside xmit */
	CU_ASSERT(rtf_run(drv, 10) >= 2);
	CU_ASSERT_EQUAL(R.frames, 1);
	CU_ASSERT_EQUAL(R.last_len, sizeof f);
	CU_ASSERT(memcmp(R.last, f, sizeof f) == 0);
	CU_ASSERT_EQUAL(R.csum, XDRV_CSUM_IP);
	struct xdrv_net_stats st;
	CU_ASSERT_EQUAL(ldr_net_stats(nd, &st), 0);
	CU_ASSERT_EQUAL(st.tx_packets, 1);
	CU_ASSERT_EQUAL(st.rx_packets, 1);
	CU_ASSERT_EQUAL(st.rx_bytes, 60);
	CU_ASSERT_EQUAL(st.reserved[0], 0);
	uint32_t up, speed, duplex;
	ldr_net_link(nd, &up, &speed, &duplex);
	CU_ASSERT(up == 1 && speed == 1000 && duplex == 1);
	CU_ASSERT(memcmp(ldr_net_mac(nd), nic_mac, 6) == 0);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown(drv);
}

static void test_fragmented_frames_are_gathered_intact(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 64);
	static uint8_t f[3000];
	ldr_net_set_tx_frag(nd, 100);
	frame(f, 1000, 0);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, 1000, 0, 0, 0), 0);
	rtf_run(drv, 10);
	CU_ASSERT_EQUAL(N.max_frags, 10);
	CU_ASSERT(R.last_len == 1000 && memcmp(R.last, f, 1000) == 0);
	/* more than 16 fragments' worth: the last fragment takes the rest */
	frame(f, sizeof f, 1);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	rtf_run(drv, 10);
	CU_ASSERT_EQUAL(N.max_frags, XDRV_PKT_MAX_FRAGS);
	CU_ASSERT(R.last_len == sizeof f && memcmp(R.last, f, sizeof f) == 0);
	CU_ASSERT_EQUAL(R.frames, 2);
	teardown(drv);
}

static void test_napi_polls_with_budget_until_a_short_round(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 1024);
	uint8_t f[64];
	for (uint32_t i = 0; i < 150; i++) {
		frame(f, sizeof f, i);
		CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	}
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 4); /* one interrupt, polls of 64, 64, 22 */
	CU_ASSERT_EQUAL(N.poll_calls, 3);
	CU_ASSERT_EQUAL(R.frames, 150);
	CU_ASSERT(R.in_order);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 0);
	teardown(drv);
}

static void flow_control(int use_tx_stop)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 4);
	N.use_tx_stop = use_tx_stop;
	uint8_t f[64];
	for (uint32_t i = 0; i < 20; i++) {
		frame(f, sizeof f, i);
		CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	}
	CU_ASSERT_EQUAL(N.st.tx_packets, 4);
	rtf_run(drv, 100);
	CU_ASSERT_EQUAL(R.frames, 20);
	CU_ASSERT(R.in_order);
	CU_ASSERT_EQUAL(N.busy_returns, use_tx_stop ? 0 : 4);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown(drv);
}

static void test_tx_stop_queues_in_the_backlog_and_wake_drains_it(void)
{
	flow_control(1);
}

static void test_xmit_busy_requeues_the_frame_until_wake(void)
{
	flow_control(0);
}

static void test_rx_callback_may_transmit_without_reentering_the_driver(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 64);
	R.echo_to = nd;
	R.echo_left = 3;
	uint8_t f[64];
	frame(f, sizeof f, 0);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	rtf_run(drv, 100);
	CU_ASSERT_EQUAL(R.frames, 4); /* the frame and three echoes */
	CU_ASSERT(!N.reentered);
	teardown(drv);
}

static void test_xmit_refuses_closed_interface_and_bad_frames(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 64);
	static uint8_t f[70000];
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, 0, 0, 0, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, NULL, 10, 0, 0, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(ldr_net_stop(nd), 0);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, 64, 0, 0, 0), -ENETDOWN);
	N.open_fail = 1;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_net_open(nd, &err), XDRV_EIO);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "fake_nic/net0: open failed: -5 (EIO)") : NULL);
	free(err);
	CU_ASSERT_EQUAL(ldr_net_xmit(NULL, f, 64, 0, 0, 0), -ENODEV);
	CU_ASSERT_PTR_NULL(ldr_driver_netdev(drv, 1));
	CU_ASSERT_PTR_NULL(ldr_driver_netdev(drv, 99));
	teardown(drv);
}

static void test_packet_handles_are_checked_and_go_stale_after_completion(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 64);
	uint8_t f[64];
	frame(f, sizeof f, 0);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	rtf_run(drv, 10); /* completes the first packet, keeping a stale handle */
	N.misuse = 1;
	frame(f, sizeof f, 1);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, XDRV_CSUM_PARTIAL, 14, 16), 0);
	rtf_run(drv, 10);
	CU_ASSERT(N.misuse_ok);
	CU_ASSERT(rtf_logged("xdrv_pkt_len: invalid packet handle"));
	CU_ASSERT(rtf_logged("was not allocated on this interface"));
	CU_ASSERT(rtf_logged("was not transmitted on this interface"));
	CU_ASSERT_EQUAL(R.frames, 2);
	CU_ASSERT_EQUAL(R.last_len, 10);
	teardown(drv);
}

static void test_packets_and_netdev_held_at_unbind_are_released(void)
{
	memset(&N, 0, sizeof N);
	N.hold_rx = 3;
	N.ring_cap = 4;
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = rtf_bind(&fake_nic_driver, &F);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.pkts, 3);
	CU_ASSERT_EQUAL(rep.netdevs, 1);
	CU_ASSERT(rtf_logged("3 packets, 1 class registrations"));
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

/* ---- packet pool --------------------------------------------------------------------------- */

/* 3,000 frames of 60..1514 bytes through the loopback at rings of 64 and 1,024: every frame
 * arrives in order with its bytes (a recycled buffer must not mix frames), and the pool holds
 * at most what was in flight at once, within its bound. */
static void check_pool_ring(uint32_t ring)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, ring);
	static uint8_t f[1514];
	uint32_t bad = 0;
	size_t bytes = 0;
	for (uint32_t seq = 0; seq < 3000; seq++) {
		size_t len = 60 + (seq * 7919u) % (sizeof f - 59);
		frame(f, len, seq);
		bad += ldr_net_xmit(nd, f, len, 0, 0, 0) != 0;
		bytes += len;
		if ((seq + 1) % ring == 0 || seq == 2999)
			rtf_run(drv, 10);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(R.frames, 3000);
	CU_ASSERT_EQUAL(R.bytes, bytes);
	CU_ASSERT(R.in_order);
	CU_ASSERT_EQUAL(R.corrupt, 0);
	CU_ASSERT(drv->pkt_pool_n > 0);
	CU_ASSERT(drv->pkt_pool_n <= LDR_PKT_POOL_MAX);
	CU_ASSERT(drv->pkt_pool_n <= 2 * ring + 2); /* tx + rx packets in flight at most */
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown(drv);
}

static void test_pool_recycles_packets_at_ring_64_and_1024(void)
{
	check_pool_ring(64);
	check_pool_ring(1024);
}

/* A driver that keeps every packet it allocates is cut off at LDR_PKTS_MAX with a log line
 * naming the limit; the packets it kept refill the pool only up to its bound at unbind, and the
 * rest are freed (the sanitizer's leak check covers the pool itself). */
static void test_packet_hoarder_is_cut_off_and_reported(void)
{
	memset(&N, 0, sizeof N);
	N.hold_rx = LDR_PKTS_MAX + 5;
	N.ring_cap = 4;
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = rtf_bind(&fake_nic_driver, &F);
	CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
	CU_ASSERT_EQUAL(drv->pkts, LDR_PKTS_MAX);
	CU_ASSERT(rtf_logged("xdrv_pkt_alloc: the driver holds 65536 packets already"));
	CU_ASSERT(drv->pkt_pool_n <= LDR_PKT_POOL_MAX);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.pkts, LDR_PKTS_MAX);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

/* ---- batched delivery ---------------------------------------------------------------------- */

/* 150 frames: polls of 64, 64 and 22, each reaching the batch callback in one call after the
 * poll returned, in order and intact. */
static void test_rx_batch_callback_gets_one_call_per_poll(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 1024);
	ldr_net_set_rx_batch(nd, rx_batch_cb, NULL);
	uint8_t f[64];
	for (uint32_t i = 0; i < 150; i++) {
		frame(f, sizeof f, i);
		CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	}
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 4);
	CU_ASSERT_EQUAL(N.poll_calls, 3);
	CU_ASSERT_EQUAL(B.calls, 3);
	CU_ASSERT_EQUAL(B.max_n, 64);
	CU_ASSERT_EQUAL(B.during_poll, 0);
	CU_ASSERT_EQUAL(R.frames, 150);
	CU_ASSERT(R.in_order);
	CU_ASSERT_EQUAL(R.corrupt, 0);
	/* back to one call per frame */
	ldr_net_set_rx(nd, rx_cb, NULL);
	frame(f, sizeof f, 150);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	rtf_run(drv, 10);
	CU_ASSERT_EQUAL(B.calls, 3);
	CU_ASSERT_EQUAL(R.frames, 151);
	teardown(drv);
}

/* Host frames the driver never got (a backlog dropped at stop) are scrubbed before their
 * buffers are recycled: xdrv_pkt_alloc no longer zeroes, so a packet the driver allocates
 * afterwards holds zeros or bytes it saw, never those frames. The pool runs out and is
 * refilled on the way (more packets than it keeps). */
static void test_recycled_packet_never_shows_a_frame_the_driver_did_not_get(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup(&drv, 1);
	N.use_tx_stop = 1;
	static uint8_t f[POOL_BUF];
	memset(f, SECRET, sizeof f);
	frame(f, 60, 0);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, 60, 0, 0, 0), 0); /* the driver gets this one */
	memset(f, SECRET, sizeof f);
	for (uint32_t i = 0; i < 8; i++) /* queue stopped: these wait in the backlog */
		CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(ldr_net_stop(nd), 0); /* drops the backlog: 8 secret frames */
	uint32_t pooled = drv->pkt_pool_n;
	CU_ASSERT(pooled >= 8);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_net_open(nd, &err), 0);
	free(err);
	/* the next frame reaches xmit once the poll completed the first one and woke the queue;
	 * xmit then allocates more packets than the pool holds: it runs dry, new ones are zeroed */
	N.secret_scan = pooled + 8;
	frame(f, 60, 1);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, 60, 0, 0, 0), 0);
	rtf_run(drv, 10);
	CU_ASSERT_EQUAL(N.scanned, pooled + 8);
	CU_ASSERT_EQUAL(N.secret_seen, 0);
	CU_ASSERT(drv->pkt_pool_n >= pooled); /* refilled */
	CU_ASSERT_EQUAL(R.frames, 2);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown(drv);
}

/* ---- ABI 1.1 receive buffer pools ---------------------------------------------------------- */

/* 3,000 frames of 60..1514 bytes through a pool of `ring` buffers (rings of 64 and 1,024):
 * every frame arrives in order with its bytes, each poll's frames in one batch call made
 * during the driver's deliver, and no packet or streaming mapping is used. */
static void check_rxpool_ring(uint32_t ring)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup_pool(&drv, ring, ring);
	CU_ASSERT_PTR_NOT_NULL_FATAL(N.pool);
	CU_ASSERT(N.pool_zeroed);
	ldr_net_set_rx_batch(nd, rx_batch_cb, NULL);
	uint32_t maps = ldr_driver_dma_in_use(drv);
	static uint8_t f[1514];
	uint32_t bad = 0;
	size_t bytes = 0;
	for (uint32_t seq = 0; seq < 3000; seq++) {
		size_t len = 60 + (seq * 7919u) % (sizeof f - 59);
		frame(f, len, seq);
		bad += ldr_net_xmit(nd, f, len, 0, 0, 0) != 0;
		bytes += len;
		if ((seq + 1) % ring == 0 || seq == 2999)
			rtf_run(drv, 10);
		CU_ASSERT(ldr_driver_dma_in_use(drv) == maps);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(R.frames, 3000);
	CU_ASSERT_EQUAL(R.bytes, bytes);
	CU_ASSERT(R.in_order);
	CU_ASSERT_EQUAL(R.corrupt, 0);
	CU_ASSERT_EQUAL(R.csum, XDRV_CSUM_IP);
	CU_ASSERT(B.calls > 0 && B.calls <= N.poll_calls);
	CU_ASSERT(B.max_n <= 64);
	CU_ASSERT_EQUAL(B.during_poll, B.calls); /* synchronous, inside the driver's deliver */
	CU_ASSERT_EQUAL(drv->pkts, 0);
	CU_ASSERT_EQUAL(N.st.rx_dropped, 0);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	/* the host only read the buffers: the last frame is still where the device put it */
	CU_ASSERT_EQUAL(N.pool_len[(N.rx_tail - 1) % ring], R.last_len);
	CU_ASSERT(N.pool_last && memcmp(N.pool_last, R.last, R.last_len) == 0);
	teardown(drv);
}

static void test_rxpool_delivers_each_poll_in_one_call_at_ring_64_and_1024(void)
{
	check_rxpool_ring(64);
	check_rxpool_ring(1024);
}

/* The per-frame callback gets pool frames too, one call each. */
static void test_rxpool_frames_reach_a_per_frame_callback(void)
{
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup_pool(&drv, 64, 64);
	uint8_t f[100];
	for (uint32_t i = 0; i < 100; i++) {
		frame(f, sizeof f, i);
		CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
		if (i % 50 == 49)
			rtf_run(drv, 10);
	}
	CU_ASSERT_EQUAL(R.frames, 100);
	CU_ASSERT(R.in_order);
	CU_ASSERT_EQUAL(R.corrupt, 0);
	teardown(drv);
}

static int32_t owner_probe(xdrv_device_t *dev)
{
	xdrv_netdev_t *nd = xdrv_net_register(dev, &nic_ops, nic_mac, NULL);
	foreign_pool = nd ? xdrv_rxpool_create(nd, 4, 256) : NULL;
	return foreign_pool ? XDRV_OK : XDRV_ENOMEM;
}

/* Bad frames are refused one by one, the rest of the batch is delivered; bad, stale, foreign
 * and mistyped pool handles are refused whole, each with a log line. */
static void test_rxpool_refuses_bad_frames_and_stale_or_foreign_pools(void)
{
	struct xdrv_driver od = fake_nic_driver;
	od.name = "pool_owner";
	od.probe = owner_probe;
	od.remove = NULL;
	struct rtf_dev of = rtf_dev_create("testdev");
	struct ldr_driver *odrv = rtf_bind(&od, &of);
	CU_ASSERT_PTR_NOT_NULL_FATAL(foreign_pool);
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup_pool(&drv, 64, 16);
	N.pool_misuse = 1;
	uint8_t f[64];
	frame(f, sizeof f, 0);
	CU_ASSERT_EQUAL(ldr_net_xmit(nd, f, sizeof f, 0, 0, 0), 0);
	rtf_run(drv, 10);
	CU_ASSERT_FATAL(N.misuse_done);
	int32_t *rc = N.misuse_rc;
	CU_ASSERT_EQUAL(rc[0], 1);
	CU_ASSERT_EQUAL(rc[1], 0);
	CU_ASSERT_EQUAL(rc[2], 0);
	CU_ASSERT_EQUAL(rc[3], XDRV_EINVAL);
	CU_ASSERT_EQUAL(rc[4], XDRV_EINVAL);
	CU_ASSERT_EQUAL(rc[5], XDRV_EINVAL);
	CU_ASSERT_EQUAL(rc[6], XDRV_EINVAL);
	CU_ASSERT_EQUAL(rc[7], 1);
	CU_ASSERT_EQUAL(rc[8], XDRV_EINVAL);
	CU_ASSERT_EQUAL(rc[9], 1);
	CU_ASSERT_EQUAL(rc[10], 1);
	CU_ASSERT(rtf_logged("xdrv_rxpool_deliver: frame 1 refused (buffer 16 of 16"));
	CU_ASSERT(rtf_logged("xdrv_rxpool_deliver: frame 2 refused (buffer 1 of 16, len 2049"));
	CU_ASSERT(rtf_logged("reserved 0x1"));
	CU_ASSERT(rtf_logged("more frames than buffers"));
	CU_ASSERT(rtf_logged("xdrv_rxpool_deliver: rx pool handle"));
	CU_ASSERT(rtf_logged("belongs to another driver"));
	CU_ASSERT(rtf_logged("xdrv_rxpool_deliver: invalid rx pool handle"));
	CU_ASSERT(rtf_logged("xdrv_rxpool_buf: no buffer 16 (pool has 16)"));
	CU_ASSERT(rtf_logged("xdrv_rxpool_create: 4097 buffers of 64 bytes"));
	/* the good frame of the first batch and the frame itself (the host saw exactly those) */
	CU_ASSERT_EQUAL(R.frames, 2);
	CU_ASSERT_EQUAL(R.last_len, sizeof f);
	teardown(drv);
	ldr_driver_unbind(odrv);
	rtf_dev_destroy(&of);
	foreign_pool = NULL;
}

/* A pool the driver leaves behind is unmapped when its interface is unregistered, or at
 * unbind (the device can no longer reach it), and counted in the unbind report; one more than
 * LDR_RXPOOLS_MAX per interface is refused. */
static int32_t greedy_probe(xdrv_device_t *dev)
{
	xdrv_netdev_t *nd = xdrv_net_register(dev, &nic_ops, nic_mac, NULL);
	uint32_t n = 0;
	for (uint32_t i = 0; nd && i <= LDR_RXPOOLS_MAX; i++)
		n += xdrv_rxpool_create(nd, 8, 1536) != NULL;
	return n == LDR_RXPOOLS_MAX ? XDRV_OK : XDRV_EIO;
}

static void test_rxpool_limits_and_mappings_reclaimed_at_unbind(void)
{
	/* the fake NIC keeps its pool and unregisters at remove: that unmaps it */
	struct ldr_driver *drv;
	struct ldr_netdev *nd = setup_pool(&drv, 64, 32);
	(void)nd;
	N.pool_keep = 1;
	uint64_t bus = N.pool_bus0;
	CU_ASSERT_EQUAL(hvb_dma_mapped(F.dev, bus, 32 * POOL_BUF), 1);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.dma_maps, 0);
	CU_ASSERT_EQUAL(hvb_dma_mapped(F.dev, bus, 1), 0);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);

	struct xdrv_driver g = fake_nic_driver;
	g.probe = greedy_probe;
	g.remove = NULL;
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	drv = rtf_bind(&g, &F);
	CU_ASSERT(
		rtf_logged("xdrv_rxpool_create: over the driver's limits (16 pools per interface"));
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), LDR_RXPOOLS_MAX);
	/* no remove, no unregister: unbind finds the pools and reports them */
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.dma_maps, LDR_RXPOOLS_MAX);
	CU_ASSERT_EQUAL(rep.dma_bytes, LDR_RXPOOLS_MAX * 8ull * 1536);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), 0);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

/* ---- registration limits ------------------------------------------------------------------- */

static int reg_ok;

static int32_t multi_probe(xdrv_device_t *dev)
{
	xdrv_netdev_t *nd[5];
	for (int i = 0; i < 5; i++)
		nd[i] = xdrv_net_register(dev, &nic_ops, nic_mac, NULL);
	reg_ok = nd[0] && nd[3] && !nd[4];
	struct xdrv_net_ops no_xmit = {.struct_size = sizeof no_xmit};
	reg_ok &= xdrv_net_register(dev, &no_xmit, nic_mac, NULL) == NULL;
	struct xdrv_net_ops tiny = {.struct_size = 8};
	reg_ok &= xdrv_net_register(dev, &tiny, nic_mac, NULL) == NULL;
	reg_ok &= xdrv_net_register(dev, &nic_ops, NULL, NULL) == NULL;
	xdrv_net_unregister(nd[1]);
	reg_ok &= xdrv_net_priv(nd[1]) == NULL; /* stale */
	xdrv_netdev_t *again = xdrv_net_register(dev, &nic_ops, nic_mac, &reg_ok);
	reg_ok &= again && again != nd[1] && xdrv_net_priv(again) == &reg_ok;
	return XDRV_OK;
}

static void test_netdev_registration_is_limited_and_slots_are_reused(void)
{
	struct xdrv_driver d = fake_nic_driver;
	d.probe = multi_probe;
	d.remove = NULL;
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = rtf_bind(&d, &F);
	CU_ASSERT(reg_ok);
	CU_ASSERT(rtf_logged("xdrv_net_register: at most 4 interfaces per device"));
	CU_ASSERT(rtf_logged("xdrv_net_register: ops without xmit"));
	CU_ASSERT(rtf_logged("xdrv_net_register: ops struct_size 8 not plausible"));
	CU_ASSERT(rtf_logged("xdrv_net_register: NULL mac"));
	CU_ASSERT_PTR_NOT_NULL(ldr_driver_netdev(drv, 1));
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.netdevs, 4);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

XTEST_SUITE(loader_runtime_net, NULL, NULL,
	    XTEST(test_loopback_frame_reaches_rx_callback_with_the_same_bytes),
	    XTEST(test_fragmented_frames_are_gathered_intact),
	    XTEST(test_napi_polls_with_budget_until_a_short_round),
	    XTEST(test_tx_stop_queues_in_the_backlog_and_wake_drains_it),
	    XTEST(test_xmit_busy_requeues_the_frame_until_wake),
	    XTEST(test_rx_callback_may_transmit_without_reentering_the_driver),
	    XTEST(test_xmit_refuses_closed_interface_and_bad_frames),
	    XTEST(test_packet_handles_are_checked_and_go_stale_after_completion),
	    XTEST(test_packets_and_netdev_held_at_unbind_are_released),
	    XTEST(test_netdev_registration_is_limited_and_slots_are_reused),
	    XTEST(test_pool_recycles_packets_at_ring_64_and_1024),
	    XTEST(test_packet_hoarder_is_cut_off_and_reported),
	    XTEST(test_rx_batch_callback_gets_one_call_per_poll),
	    XTEST(test_recycled_packet_never_shows_a_frame_the_driver_did_not_get),
	    XTEST(test_rxpool_delivers_each_poll_in_one_call_at_ring_64_and_1024),
	    XTEST(test_rxpool_frames_reach_a_per_frame_callback),
	    XTEST(test_rxpool_refuses_bad_frames_and_stale_or_foreign_pools),
	    XTEST(test_rxpool_limits_and_mappings_reclaimed_at_unbind))
