// SPDX-License-Identifier: MIT
/*
 * Tests for the packet extension chains (loader/runtime_ext.c, xdrv/net_ext.h) on a natively
 * compiled loopback NIC bound to the testdev model: what the host transmits runs the TX chain,
 * reaches the driver's ring, comes back through the driver's receive path and runs the RX chain
 * before the host's callback.
 *
 * Most extensions here are a test double of xdrv/ext_host.h (struct ldr_ext defined below, put
 * in place with ldr_net_ext_set_calls): C functions standing for extensions, so that a test can
 * make one fail at a given frame, or change the chain while a frame is in it. The last tests
 * run the real loader's signed sample and hostile extensions (<build>/ext, <build>/ext-test:
 * make test-build makes them) through the same chains; tests/e2e/ext_run.sh runs them in
 * `xdrv run`.
 */
#include "test_runtime_fixture.h"

#include "../../loader/runtime_priv.h"

#include <errno.h>
#include <xdrv/ext.h>
#include <xdrv/loader.h>
#include <xdrv/net_ext.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#define TD_IRQ 0x800u
#define QMAX   8192u
#define FLEN   60u

/* ---- the extension double --------------------------------------------------------------------
 */

struct ldr_ext {
	const char *name;
	uint32_t hooks;
	int32_t (*fn)(struct ldr_ext *e, uint8_t *frame, uint32_t len);
	struct ldr_ext_stats st;
	const char *failure;
	char tag; /* appended to the frame's trace */
	int32_t fail_at;
	int *unloaded;
	int arg;
	int writes;		  /* what ldr_ext_writes says (ext(): 1) */
	uint32_t in_pool, copied; /* frames seen in a receive pool's buffer, in a copy */
};

static struct {
	char trace[QMAX][8]; /* per sequence number: the tags of the extensions that ran */
	int unloaded;
	struct ldr_netdev *nd;
	uint32_t replace_at, replace_id;
	struct ldr_ext *replacement;
	int replace_rc;
	const uint8_t *pool_lo, *pool_hi; /* the receive pool's buffers */
} X;

/* The batch double's figures (not reset by setup). */
static struct {
	uint32_t calls, max_n;
} B;

static uint32_t seq_of(const uint8_t *f)
{
	return (uint32_t)f[0] << 8 | f[1];
}

static void trace(struct ldr_ext *e, const uint8_t *f)
{
	char *t = X.trace[seq_of(f) % QMAX];
	size_t n = strlen(t);
	if (n + 1 < sizeof X.trace[0])
		t[n] = e->tag;
}

static int32_t fn_pass(struct ldr_ext *e, uint8_t *f, uint32_t len)
{
	(void)len;
	trace(e, f);
	return XDRV_EXT_PASS;
}

static int32_t fn_drop_odd(struct ldr_ext *e, uint8_t *f, uint32_t len)
{
	(void)len;
	trace(e, f);
	return seq_of(f) & 1 ? XDRV_EXT_DROP : XDRV_EXT_PASS;
}

/* Fails (as an exhausted budget would) at sequence number fail_at. */
static int32_t fn_fail_at(struct ldr_ext *e, uint8_t *f, uint32_t len)
{
	(void)len;
	trace(e, f);
	if (seq_of(f) == (uint32_t)e->fail_at) {
		e->failure = "loop budget of 4096 back edges exhausted";
		return -ELOOP;
	}
	return XDRV_EXT_PASS;
}

/* Class from the frame's byte 2. */
static int32_t fn_class(struct ldr_ext *e, uint8_t *f, uint32_t len)
{
	(void)len;
	trace(e, f);
	return XDRV_EXT_CLASS(f[2]);
}

/* Bounce frames marked 'B' (rewritten to 'b', so they pass when they come back). */
static int32_t fn_bounce(struct ldr_ext *e, uint8_t *f, uint32_t len)
{
	(void)len;
	trace(e, f);
	if (f[2] != 'B')
		return XDRV_EXT_PASS;
	f[2] = 'b';
	return XDRV_EXT_TX;
}

/* At sequence number replace_at: replace attachment replace_id while this frame is in the
 * chain. */
static int32_t fn_replacer(struct ldr_ext *e, uint8_t *f, uint32_t len)
{
	(void)len;
	trace(e, f);
	if (seq_of(f) == X.replace_at && X.replacement) {
		char *err = NULL;
		X.replace_rc = ldr_net_ext_replace(X.nd, X.replace_id, X.replacement,
						   LDR_NET_EXT_PASS, &err);
		X.replacement = NULL;
		free(err);
	}
	return XDRV_EXT_PASS;
}

static int32_t dbl_run(struct ldr_ext *e, uint8_t *frame, uint32_t len,
		       const struct ldr_ext_meta *m)
{
	CU_ASSERT(m->hook == XDRV_EXT_HOOK_RX || m->hook == XDRV_EXT_HOOK_TX);
	CU_ASSERT(m->hook & e->hooks);
	if (e->st.failed)
		return -EPROTO;
	e->st.runs++;
	if (X.pool_lo && frame >= X.pool_lo && frame < X.pool_hi)
		e->in_pool++;
	else if (X.pool_lo)
		e->copied++;
	int32_t v = e->fn(e, frame, len);
	if (v < 0)
		e->st.failed = 1;
	else if (v == XDRV_EXT_PASS)
		e->st.pass++;
	else if (v == XDRV_EXT_DROP)
		e->st.drop++;
	else if (v == XDRV_EXT_TX)
		e->st.tx++;
	else
		e->st.classed++;
	return v;
}

static const char *dbl_failure(const struct ldr_ext *e)
{
	return e->st.failed ? e->failure : NULL;
}

static const char *dbl_name(const struct ldr_ext *e)
{
	return e->name;
}

static const char *dbl_version(const struct ldr_ext *e)
{
	(void)e;
	return "1.0.0";
}

static uint32_t dbl_hooks(const struct ldr_ext *e)
{
	return e->hooks;
}

static void dbl_stats(const struct ldr_ext *e, struct ldr_ext_stats *st)
{
	*st = e->st;
}

static void dbl_unload(struct ldr_ext *e)
{
	if (!e)
		return;
	X.unloaded++;
	if (e->unloaded)
		*e->unloaded = 1;
	free(e);
}

static const struct ldr_ext_calls dbl_calls = {
	.run = dbl_run,
	.failure = dbl_failure,
	.name = dbl_name,
	.version = dbl_version,
	.hooks = dbl_hooks,
	.stats = dbl_stats,
	.unload = dbl_unload,
};

/* The batch entry, as ldr_ext_run_batch: frames in order, the status from the first that fails
 * on. */
static uint32_t dbl_run_batch(struct ldr_ext *e, uint8_t *const *frames, const uint32_t *lens,
			      uint32_t n, const struct ldr_ext_meta *m, int32_t *out)
{
	B.calls++;
	if (n > B.max_n)
		B.max_n = n;
	uint32_t k = 0;
	for (; k < n; k++) {
		out[k] = dbl_run(e, frames[k], lens[k], m);
		if (out[k] < 0)
			break;
	}
	for (uint32_t j = k + 1; j < n; j++)
		out[j] = out[k]; /* k < n here: the status */
	return k;
}

static int dbl_writes(const struct ldr_ext *e)
{
	return e->writes;
}

static const struct ldr_ext_calls dbl_batch_calls = {
	.run = dbl_run,
	.failure = dbl_failure,
	.name = dbl_name,
	.version = dbl_version,
	.hooks = dbl_hooks,
	.stats = dbl_stats,
	.unload = dbl_unload,
	.run_batch = dbl_run_batch,
	.writes = dbl_writes,
};
static const struct ldr_ext_calls *dbl = &dbl_calls; /* what setup puts in place */

static struct ldr_ext *ext(const char *name, char tag, uint32_t hooks,
			   int32_t (*fn)(struct ldr_ext *, uint8_t *, uint32_t))
{
	struct ldr_ext *e = calloc(1, sizeof *e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	e->name = name;
	e->tag = tag;
	e->hooks = hooks;
	e->fn = fn;
	e->fail_at = -1;
	e->writes = 1;
	return e;
}

/* ---- the loopback NIC ------------------------------------------------------------------------
 */

static struct {
	xdrv_region_t *mmio;
	xdrv_netdev_t *nd;
	uint32_t ring_cap, ring_used;
	int hold; /* keep transmitted packets in the ring (a wire slower than the host) */
	xdrv_pkt_t *ring[QMAX], *rxq[QMAX];
	uint32_t rx_head, rx_tail;
	uint8_t sent_cls[QMAX]; /* byte 2 of each frame the driver was given, in order */
	uint32_t sent;
	/* ABI 1.1: receive into a pool of pool_count buffers, delivered a poll at a time */
	uint32_t pool_count;
	xdrv_rxpool_t *pool;
	uint32_t pool_len[QMAX];
	int32_t delivered; /* what the last xdrv_rxpool_deliver returned */
	uint32_t short_delivers;
	uint8_t pool_w2[QMAX]; /* byte 2 of each pool buffer as the "device" wrote it */
	uint8_t pool_b2[QMAX]; /* ... and after its deliver call */
} N;

static int32_t nic_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *pkt)
{
	if (N.ring_used >= N.ring_cap)
		return XDRV_EBUSY;
	uint32_t len = xdrv_pkt_len(pkt), fl = 0;
	const uint8_t *src = xdrv_pkt_frag(pkt, 0, &fl);
	xdrv_pkt_t *rx = NULL;
	uint8_t *dst = NULL;
	if (N.pool) { /* the "device" writes the frame into the next pool buffer */
		uint32_t slot = N.rx_tail % N.pool_count;
		dst = xdrv_rxpool_buf(N.pool, slot, NULL);
		N.pool_len[slot] = len;
	} else {
		rx = xdrv_pkt_alloc(nd, len);
		dst = xdrv_pkt_frag(rx, 0, NULL);
	}
	if (dst && src && fl == len)
		memcpy(dst, src, len);
	N.sent_cls[N.sent++ % QMAX] = src ? src[2] : 0xff;
	N.pool_w2[N.rx_tail % QMAX] = src ? src[2] : 0xff;
	N.rxq[N.rx_tail++ % QMAX] = rx;
	N.ring[N.ring_used++] = pkt;
	if (N.ring_used == N.ring_cap)
		xdrv_net_tx_stop(nd);
	xdrv_io_write32(N.mmio, TD_IRQ, 1);
	return XDRV_OK;
}

static uint32_t nic_irq(void *ctx)
{
	(void)ctx;
	xdrv_io_write32(N.mmio, TD_IRQ, 0);
	xdrv_net_napi_schedule(N.nd);
	return XDRV_IRQ_HANDLED;
}

static int32_t nic_poll(xdrv_netdev_t *nd, uint32_t budget)
{
	uint32_t done = 0;
	struct xdrv_rx_frame f[64];
	uint32_t first = N.rx_head;
	while (done < budget && done < 64 && N.rx_head != N.rx_tail) {
		if (N.pool) {
			uint32_t slot = N.rx_head++ % N.pool_count;
			f[done] = (struct xdrv_rx_frame){.buf = slot, .len = N.pool_len[slot]};
		} else {
			xdrv_net_rx(nd, N.rxq[N.rx_head++ % QMAX], 0);
		}
		done++;
	}
	if (N.pool && !X.pool_lo) {
		X.pool_lo = xdrv_rxpool_buf(N.pool, 0, NULL);
		X.pool_hi = (uint8_t *)xdrv_rxpool_buf(N.pool, N.pool_count - 1, NULL) + 2048;
	}
	if (N.pool && done) {
		N.delivered = xdrv_rxpool_deliver(N.pool, f, done);
		N.short_delivers += N.delivered != (int32_t)done;
		for (uint32_t i = 0; i < done; i++) {
			const uint8_t *b = xdrv_rxpool_buf(N.pool, f[i].buf, NULL);
			N.pool_b2[(first + i) % QMAX] = b ? b[2] : 0xff;
		}
	}
	if (N.hold) /* look again later */
		return (int32_t)budget;
	bool full = N.ring_used == N.ring_cap;
	for (uint32_t i = 0; i < N.ring_used; i++)
		xdrv_net_tx_complete(nd, N.ring[i], XDRV_OK);
	N.ring_used = 0;
	if (full)
		xdrv_net_tx_wake(nd);
	return (int32_t)done;
}

static const struct xdrv_net_ops nic_ops = {
	.struct_size = sizeof(struct xdrv_net_ops),
	.xmit = nic_xmit,
	.poll = nic_poll,
};

static int32_t nic_probe(xdrv_device_t *dev)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x02};
	N.mmio = xdrv_dev_region(dev, 0);
	N.nd = xdrv_net_register(dev, &nic_ops, mac, NULL);
	if (N.nd && N.pool_count && !(N.pool = xdrv_rxpool_create(N.nd, N.pool_count, 2048)))
		return XDRV_ENOMEM;
	return N.nd ? xdrv_irq_request(dev, 0, nic_irq, NULL) : XDRV_ENOMEM;
}

static void nic_remove(xdrv_device_t *dev)
{
	xdrv_irq_free(dev, 0);
}

static const struct xdrv_match nic_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static const struct xdrv_driver loop_nic = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "loop_nic",
	.version = "1.0.0",
	.match = nic_match,
	.probe = nic_probe,
	.remove = nic_remove,
};

/* ---- host side ---------------------------------------------------------------------------------
 */

static struct {
	uint32_t frames;
	uint8_t got[QMAX]; /* per sequence number: delivered this many times */
	uint8_t last2;	   /* byte 2 of the last frame */
} R;

static void rx_cb(void *ctx, const uint8_t *frame, size_t len, uint32_t csum)
{
	(void)ctx;
	(void)csum;
	CU_ASSERT_EQUAL(len, FLEN);
	R.frames++;
	R.got[seq_of(frame) % QMAX]++;
	R.last2 = frame[2];
}

static struct rtf_dev F;
static struct ldr_driver *D;

static struct ldr_netdev *setup_pool(uint32_t ring_cap, uint32_t pool_count)
{
	memset(&N, 0, sizeof N);
	memset(&R, 0, sizeof R);
	memset(&X, 0, sizeof X);
	N.ring_cap = ring_cap;
	N.pool_count = pool_count;
	ldr_net_ext_set_calls(dbl);
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	D = rtf_bind(&loop_nic, &F);
	struct ldr_netdev *nd = ldr_driver_netdev(D, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
	ldr_net_set_rx(nd, rx_cb, NULL);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_net_open(nd, &err), 0);
	free(err);
	X.nd = nd;
	return nd;
}

static struct ldr_netdev *setup(uint32_t ring_cap)
{
	return setup_pool(ring_cap, 0);
}

static void teardown(void)
{
	ldr_driver_unbind(D);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
	ldr_net_ext_set_calls(NULL);
}

static int send(struct ldr_netdev *nd, uint32_t seq, uint8_t b2)
{
	uint8_t f[FLEN];
	for (uint32_t i = 0; i < FLEN; i++)
		f[i] = (uint8_t)(i * 7 + seq);
	f[0] = (uint8_t)(seq >> 8);
	f[1] = (uint8_t)seq;
	f[2] = b2;
	return ldr_net_xmit(nd, f, sizeof f, 0, 0, 0);
}

static int attach(struct ldr_netdev *nd, uint32_t hook, uint32_t pos, struct ldr_ext *e,
		  uint32_t policy)
{
	char *err = NULL;
	int id = ldr_net_ext_attach(nd, hook, pos, e, policy, &err);
	if (id <= 0)
		fprintf(stderr, "attach: %s\n", err ? err : "?");
	free(err);
	return id;
}

/* ---- tests -------------------------------------------------------------------------------------
 */

static void test_chain_runs_in_order_and_attach_takes_a_position(void)
{
	struct ldr_netdev *nd = setup(64);
	int a = attach(nd, XDRV_EXT_HOOK_RX, LDR_NET_EXT_END, ext("a", 'A', 1, fn_pass), 0);
	int c = attach(nd, XDRV_EXT_HOOK_RX, LDR_NET_EXT_END, ext("c", 'C', 1, fn_pass), 0);
	int b = attach(nd, XDRV_EXT_HOOK_RX, 1, ext("b", 'B', 1, fn_pass), 0);
	int t = attach(nd, XDRV_EXT_HOOK_TX, 0, ext("t", 'T', 3, fn_pass), 0);
	CU_ASSERT(a > 0 && b > 0 && c > 0 && t > 0 && a != b && b != c);
	CU_ASSERT_EQUAL(send(nd, 1, 0), 0);
	rtf_run(D, 10);
	CU_ASSERT_STRING_EQUAL(X.trace[1], "TABC"); /* TX chain, then RX chain in order */
	CU_ASSERT_EQUAL(R.frames, 1);
	struct ldr_net_ext_info info[8];
	CU_ASSERT_EQUAL(ldr_net_ext_list(nd, info, 8), 4);
	CU_ASSERT_STRING_EQUAL(info[0].name, "a");
	CU_ASSERT_STRING_EQUAL(info[1].name, "b");
	CU_ASSERT_EQUAL(info[1].pos, 1);
	CU_ASSERT_STRING_EQUAL(info[2].name, "c");
	CU_ASSERT(info[3].hook == XDRV_EXT_HOOK_TX && info[3].id == (uint32_t)t);
	CU_ASSERT(info[0].attached && info[0].st.runs == 1 && info[0].st.pass == 1);
	/* detach b: a, c */
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_net_ext_detach(nd, (uint32_t)b, &err), 0);
	CU_ASSERT_EQUAL(X.unloaded, 1);
	CU_ASSERT_EQUAL(ldr_net_ext_detach(nd, (uint32_t)b, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	CU_ASSERT_EQUAL(send(nd, 2, 0), 0);
	rtf_run(D, 10);
	CU_ASSERT_STRING_EQUAL(X.trace[2], "TAC");
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown();
	CU_ASSERT_EQUAL(X.unloaded, 4); /* unbind detached the three left */
}

static void test_drops_are_exact_and_counted_on_both_hooks(void)
{
	struct ldr_netdev *nd = setup(64);
	struct ldr_ext *rx = ext("filter", 'F', 1, fn_drop_odd);
	attach(nd, XDRV_EXT_HOOK_RX, 0, rx, 0);
	for (uint32_t s = 0; s < 100; s++)
		CU_ASSERT_EQUAL(send(nd, s, 0), 0);
	rtf_run(D, 50);
	CU_ASSERT_EQUAL(R.frames, 50);
	for (uint32_t s = 0; s < 100; s++)
		CU_ASSERT_EQUAL(R.got[s], (s & 1) ? 0 : 1);
	struct ldr_net_ext_counts c;
	ldr_net_ext_counts(nd, &c);
	CU_ASSERT_EQUAL(c.rx_dropped, 50);
	CU_ASSERT_EQUAL(c.tx_dropped, 0);
	CU_ASSERT_EQUAL(c.class_sent[0], 100);
	CU_ASSERT(rx->st.runs == 100 && rx->st.drop == 50 && rx->st.pass == 50);
	/* the same on TX: the driver never sees the odd ones */
	attach(nd, XDRV_EXT_HOOK_TX, 0, ext("txf", 'G', 2, fn_drop_odd), 0);
	memset(&R, 0, sizeof R);
	uint32_t sent0 = N.sent;
	for (uint32_t s = 200; s < 300; s++)
		CU_ASSERT_EQUAL(send(nd, s, 0), 0);
	rtf_run(D, 50);
	CU_ASSERT_EQUAL(N.sent - sent0, 50);
	CU_ASSERT_EQUAL(R.frames, 50);
	ldr_net_ext_counts(nd, &c);
	CU_ASSERT_EQUAL(c.tx_dropped, 50);
	teardown();
}

static void test_replace_is_atomic_for_the_frame_in_the_chain(void)
{
	struct ldr_netdev *nd = setup(256);
	int old_unloaded = 0;
	attach(nd, XDRV_EXT_HOOK_RX, 0, ext("replacer", 'R', 1, fn_replacer), 0);
	struct ldr_ext *b = ext("b", 'B', 1, fn_pass);
	b->unloaded = &old_unloaded;
	int bid = attach(nd, XDRV_EXT_HOOK_RX, LDR_NET_EXT_END, b, 0);
	attach(nd, XDRV_EXT_HOOK_RX, LDR_NET_EXT_END, ext("z", 'Z', 1, fn_pass), 0);
	X.replace_at = 40;
	X.replace_id = (uint32_t)bid;
	X.replacement = ext("c", 'C', 1, fn_pass);
	for (uint32_t s = 0; s < 100; s++)
		CU_ASSERT_EQUAL(send(nd, s, 0), 0);
	rtf_run(D, 50);
	CU_ASSERT_EQUAL(R.frames, 100);
	CU_ASSERT(X.replace_rc > 0);
	/* every frame ran wholly under one chain: R B Z up to the replacement's frame (which was
	 * in the old chain when it was swapped), R C Z after it */
	int bad = 0;
	for (uint32_t s = 0; s < 100; s++)
		bad += strcmp(X.trace[s], s <= 40 ? "RBZ" : "RCZ") != 0;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(old_unloaded); /* once the frame was through */
	struct ldr_net_ext_info info[4];
	CU_ASSERT_EQUAL(ldr_net_ext_list(nd, info, 4), 4);
	CU_ASSERT_STRING_EQUAL(info[1].name, "c");
	/* the replaced one's last figures: frames 0..40 */
	CU_ASSERT(!info[3].attached && info[3].st.runs == 41 && info[3].st.failed == 0);
	CU_ASSERT_STRING_EQUAL(info[3].failure, "replaced");
	CU_ASSERT_EQUAL(info[1].id, (uint32_t)X.replace_rc);
	/* from outside a run, too; and a replacement that does not fit is refused and unloaded */
	char *err = NULL;
	int unl = X.unloaded;
	CU_ASSERT_EQUAL(
		ldr_net_ext_replace(nd, info[1].id, ext("tx_only", 'x', 2, fn_pass), 0, &err),
		-EINVAL);
	CU_ASSERT(err && strstr(err, "may not be attached to the rx hook"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(X.unloaded, unl + 1);
	CU_ASSERT(ldr_net_ext_replace(nd, info[1].id, ext("d", 'D', 1, fn_pass), 0, &err) > 0);
	CU_ASSERT_EQUAL(send(nd, 500, 0), 0);
	rtf_run(D, 10);
	CU_ASSERT_STRING_EQUAL(X.trace[500], "RDZ");
	teardown();
}

static void test_failing_extension_is_detached_and_traffic_continues(void)
{
	for (uint32_t policy = 0; policy < 2; policy++) {
		struct ldr_netdev *nd = setup(64);
		struct ldr_ext *h = ext("hostile", 'H', 1, fn_fail_at);
		h->fail_at = 5;
		attach(nd, XDRV_EXT_HOOK_RX, 0, h, policy);
		struct ldr_ext *d = ext("after", 'A', 1, fn_pass);
		attach(nd, XDRV_EXT_HOOK_RX, 1, d, 0);
		for (uint32_t s = 0; s < 20; s++)
			CU_ASSERT_EQUAL(send(nd, s, 0), 0);
		rtf_run(D, 50);
		/* pass: all 20 arrive; drop: all but the frame it failed on */
		CU_ASSERT_EQUAL(R.frames, policy == LDR_NET_EXT_DROP ? 19 : 20);
		CU_ASSERT_EQUAL(R.got[5], policy == LDR_NET_EXT_DROP ? 0 : 1);
		CU_ASSERT_STRING_EQUAL(X.trace[4], "HA");
		CU_ASSERT_STRING_EQUAL(X.trace[5], policy == LDR_NET_EXT_DROP ? "H" : "HA");
		CU_ASSERT_STRING_EQUAL(X.trace[6], "A"); /* detached */
		CU_ASSERT_EQUAL(d->st.runs, policy == LDR_NET_EXT_DROP ? 19 : 20);
		CU_ASSERT_EQUAL(X.unloaded, 1);
		CU_ASSERT_EQUAL(rtf_log.lines, 1);
		CU_ASSERT(rtf_logged("net0: extension hostile detached from the rx hook: loop "
				     "budget of 4096 back edges exhausted"));
		struct ldr_net_ext_counts c;
		ldr_net_ext_counts(nd, &c);
		CU_ASSERT_EQUAL(c.failures, 1);
		CU_ASSERT_EQUAL(c.policy_dropped, policy);
		struct ldr_net_ext_info info[4];
		CU_ASSERT_EQUAL(ldr_net_ext_list(nd, info, 4), 2);
		CU_ASSERT_STRING_EQUAL(info[0].name, "after");
		CU_ASSERT(!info[1].attached && info[1].st.failed == 1 && info[1].st.runs == 6);
		CU_ASSERT_STRING_EQUAL(info[1].name, "hostile");
		CU_ASSERT(strstr(info[1].failure, "budget") != NULL);
		teardown();
	}
}

static void test_tx_verdict_sends_the_rewritten_frame_back_out(void)
{
	struct ldr_netdev *nd = setup(64);
	struct ldr_ext *b = ext("bounce", 'X', 1, fn_bounce);
	attach(nd, XDRV_EXT_HOOK_RX, 0, b, 0);
	struct ldr_ext *t = ext("txcount", 'T', 2, fn_pass);
	attach(nd, XDRV_EXT_HOOK_TX, 0, t, 0);
	CU_ASSERT_EQUAL(send(nd, 7, 'B'), 0);
	rtf_run(D, 20);
	/* out (TX chain), back in (bounced: not delivered), out again without the TX chain, in
	 * again rewritten: delivered */
	CU_ASSERT_EQUAL(N.sent, 2);
	CU_ASSERT_EQUAL(R.frames, 1);
	CU_ASSERT_EQUAL(R.last2, 'b');
	CU_ASSERT_STRING_EQUAL(X.trace[7], "TXX");
	CU_ASSERT_EQUAL(t->st.runs, 1);
	struct ldr_net_ext_counts c;
	ldr_net_ext_counts(nd, &c);
	CU_ASSERT(c.rx_bounced == 1 && c.rx_bounce_lost == 0 && b->st.tx == 1);
	teardown();
}

static void test_pool_frames_are_copied_for_the_chain_and_counted_as_delivered(void)
{
	struct ldr_netdev *nd = setup_pool(256, 512);
	struct ldr_ext *f = ext("filter", 'F', 1, fn_drop_odd);
	attach(nd, XDRV_EXT_HOOK_RX, 0, f, 0);
	attach(nd, XDRV_EXT_HOOK_RX, 1, ext("bounce", 'X', 1, fn_bounce), 0);
	for (uint32_t s = 0; s < 200; s++)
		CU_ASSERT_EQUAL(send(nd, s, (s % 10) == 4 ? 'B' : 0), 0);
	rtf_run(D, 50);
	/* odd ones dropped; the even ones marked B bounced once (rewritten to b) and came back */
	uint32_t bounced = 0, bad = 0;
	for (uint32_t s = 0; s < 200; s++) {
		bounced += (s % 10) == 4;
		bad += R.got[s] != ((s & 1) ? 0 : 1);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(R.frames, 100);
	CU_ASSERT_EQUAL(N.sent, 200 + bounced);
	struct ldr_net_ext_counts c;
	ldr_net_ext_counts(nd, &c);
	CU_ASSERT(c.rx_dropped == 100 && c.rx_bounced == bounced && c.rx_bounce_lost == 0);
	/* the driver's buffers were never written (the chain rewrote a copy), and frames the
	 * chain took count as delivered */
	uint32_t written = 0, marked = 0;
	for (uint32_t i = 0; i < N.sent; i++) {
		written += N.pool_b2[i] != N.pool_w2[i];
		marked += N.pool_w2[i] == 'B';
	}
	CU_ASSERT_EQUAL(marked, bounced);
	CU_ASSERT_EQUAL(written, 0);
	CU_ASSERT_EQUAL(N.short_delivers, 0);
	teardown();
}

static void test_class_backlogs_are_served_by_strict_priority_with_a_full_ring(void)
{
	struct ldr_netdev *nd = setup(4);
	attach(nd, XDRV_EXT_HOOK_TX, 0, ext("prio", 'P', 2, fn_class), 0);
	N.hold = 1; /* the wire is slower: the ring fills and stays full */
	for (uint32_t s = 0; s < 4; s++)
		CU_ASSERT_EQUAL(send(nd, s, 3), 0);
	rtf_run(D, 2);
	CU_ASSERT_EQUAL(N.sent, 4);
	/* the queue is stopped: low (class 1) and high (class 0) frames wait, interleaved */
	for (uint32_t s = 4; s < 404; s++)
		CU_ASSERT_EQUAL(send(nd, s, (uint8_t)(s & 1)), 0);
	/* a class's backlog is bounded, the other classes are not affected */
	uint32_t refused = 0;
	for (uint32_t s = 404; s < 404 + LDR_NET_CLASS_BACKLOG + 10; s++)
		refused += send(nd, s, 2) == -ENOBUFS;
	CU_ASSERT_EQUAL(refused, 10 + 0);
	struct ldr_net_ext_counts c;
	ldr_net_ext_counts(nd, &c);
	CU_ASSERT_EQUAL(c.class_waiting[0], 200);
	CU_ASSERT_EQUAL(c.class_waiting[1], 200);
	CU_ASSERT_EQUAL(c.class_waiting[2], LDR_NET_CLASS_BACKLOG);
	CU_ASSERT_EQUAL(c.class_dropped[2], 10);
	CU_ASSERT_EQUAL(N.sent, 4);
	N.hold = 0;
	rtf_run(D, 4000);
	CU_ASSERT_EQUAL(N.sent, 4 + 400 + LDR_NET_CLASS_BACKLOG);
	/* after the first four (class 3): every class 0 frame, then class 1, then class 2 */
	int order_ok = 1;
	for (uint32_t i = 0; i < N.sent; i++) {
		uint8_t want = i < 4 ? 3 : i < 204 ? 0 : i < 404 ? 1 : 2;
		order_ok &= N.sent_cls[i] == want;
	}
	CU_ASSERT(order_ok);
	ldr_net_ext_counts(nd, &c);
	CU_ASSERT(c.class_sent[0] == 200 && c.class_sent[1] == 200 && c.class_sent[3] == 4);
	CU_ASSERT_EQUAL(c.class_sent[2], LDR_NET_CLASS_BACKLOG);
	CU_ASSERT(c.class_waiting[0] == 0 && c.class_waiting[2] == 0);
	CU_ASSERT_EQUAL(R.frames, N.sent);
	teardown();
}

static void test_attach_checks_hooks_policy_and_chain_length(void)
{
	struct ldr_netdev *nd = setup(64);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_net_ext_attach(nd, XDRV_EXT_HOOK_TX, 0, ext("rx_only", 'r', 1, fn_pass),
					   0, &err),
			-EINVAL);
	CU_ASSERT(err && strstr(err, "extension rx_only: may not be attached to the tx hook"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(
		ldr_net_ext_attach(nd, XDRV_EXT_HOOK_RX, 0, ext("p", 'p', 1, fn_pass), 7, &err),
		-EINVAL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(X.unloaded, 2); /* refused ones are the runtime's too */
	for (uint32_t i = 0; i < LDR_NET_EXT_CHAIN_MAX; i++)
		CU_ASSERT(attach(nd, XDRV_EXT_HOOK_RX, 0, ext("n", 'n', 1, fn_pass), 0) > 0);
	CU_ASSERT_EQUAL(
		ldr_net_ext_attach(nd, XDRV_EXT_HOOK_RX, 0, ext("n", 'n', 1, fn_pass), 0, &err),
		-ENOSPC);
	free(err);
	CU_ASSERT_PTR_NULL(ldr_net_ext_get(nd, 999));
	teardown();
	CU_ASSERT_EQUAL(X.unloaded, 3 + LDR_NET_EXT_CHAIN_MAX);
}

static void unregister_remove(xdrv_device_t *dev)
{
	xdrv_net_unregister(N.nd);
	CU_ASSERT_EQUAL(X.unloaded, 1); /* at the unregister, before remove returns */
	nic_remove(dev);
}

static void test_unregister_and_unbind_detach_everything(void)
{
	struct ldr_netdev *nd = setup(64);
	attach(nd, XDRV_EXT_HOOK_RX, 0, ext("a", 'a', 1, fn_pass), 0);
	attach(nd, XDRV_EXT_HOOK_TX, 0, ext("b", 'b', 2, fn_pass), 0);
	CU_ASSERT_EQUAL(send(nd, 1, 0), 0);
	rtf_run(D, 10);
	CU_ASSERT_EQUAL(X.unloaded, 0);
	ldr_driver_unbind(D);
	CU_ASSERT_EQUAL(X.unloaded, 2);
	rtf_dev_destroy(&F);
	/* a driver that unregisters its interface (at remove): detached there */
	struct xdrv_driver d = loop_nic;
	d.remove = unregister_remove;
	memset(&X, 0, sizeof X);
	F = rtf_dev_create("testdev");
	D = rtf_bind(&d, &F);
	nd = ldr_driver_netdev(D, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
	attach(nd, XDRV_EXT_HOOK_RX, 0, ext("c", 'c', 1, fn_pass), 0);
	ldr_driver_unbind(D);
	CU_ASSERT_EQUAL(X.unloaded, 1);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
	ldr_net_ext_set_calls(NULL);
}

/* ---- the real loader ----------------------------------------------------------------------------
 */

static struct ldr_ctx *real_ctx(void)
{
	struct ldr_config cfg = {.trust_root = xtest_path("%s/pki/root.pem", xtest_build_dir()),
				 .jit_mode = LDR_JIT_EAGER,
				 .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0)
		fprintf(stderr, "ctx: %s\n", err ? err : "?");
	free(err);
	return ctx;
}

static struct ldr_ext *real_ext(struct ldr_ctx *ctx, const char *rel)
{
	struct ldr_ext *e = NULL;
	char *err = NULL;
	const char *path = xtest_path("%s/%s", xtest_build_dir(), rel);
	if (ldr_ext_load_file(ctx, path, NULL, 0, NULL, &e, &err) != 0)
		fprintf(stderr, "%s: %s (make test-build builds the extensions)\n", path,
			err ? err : "?");
	free(err);
	return e;
}

/* A generator frame (Ethernet/IPv4/UDP from port 9) to UDP port `dport`, with a sequence
 * number in the first two bytes and `tag` in the third (of the destination MAC, which the
 * extensions do not read). */
static int send_udp(struct ldr_netdev *nd, uint32_t seq, uint16_t dport, uint8_t tag)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x09};
	uint8_t f[FLEN];
	CU_ASSERT_EQUAL_FATAL(hvb_wire_gen_frame(f, sizeof f, seq, FLEN, dst, src), (int)FLEN);
	f[0] = (uint8_t)(seq >> 8);
	f[1] = (uint8_t)seq;
	f[2] = tag;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	return ldr_net_xmit(nd, f, sizeof f, 0, 0, 0);
}

static void test_real_hostile_loop_is_detached_while_frames_go_on(void)
{
	struct ldr_netdev *nd = setup(64);
	ldr_net_ext_set_calls(NULL); /* the real loader from here */
	struct ldr_ctx *ctx = real_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *loop = real_ext(ctx, "ext-test/loop.xdrv");
	struct ldr_ext *empty = real_ext(ctx, "ext/empty.xdrv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(empty);
	CU_ASSERT(attach(nd, XDRV_EXT_HOOK_RX, 0, loop, LDR_NET_EXT_PASS) > 0);
	CU_ASSERT(attach(nd, XDRV_EXT_HOOK_RX, 1, empty, LDR_NET_EXT_PASS) > 0);
	for (uint32_t s = 0; s < 50; s++)
		CU_ASSERT_EQUAL(send_udp(nd, s, 7000, 0), 0);
	rtf_run(D, 20);
	CU_ASSERT_EQUAL(R.frames, 50);
	CU_ASSERT(rtf_logged("net0: extension loop detached from the rx hook: "));
	CU_ASSERT(rtf_logged("budget"));
	struct ldr_net_ext_info info[4];
	CU_ASSERT_EQUAL(ldr_net_ext_list(nd, info, 4), 2);
	CU_ASSERT_STRING_EQUAL(info[0].name, "empty");
	CU_ASSERT(info[0].st.runs == 50 && info[0].st.pass == 50);
	CU_ASSERT_STRING_EQUAL(info[1].name, "loop");
	CU_ASSERT(!info[1].attached && info[1].st.failed == 1 && info[1].st.runs == 1);
	teardown();
	ldr_ctx_destroy(ctx);
}

static void test_real_prio_serves_the_high_port_first_with_a_full_ring(void)
{
	struct ldr_netdev *nd = setup(4);
	ldr_net_ext_set_calls(NULL);
	struct ldr_ctx *ctx = real_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *prio = real_ext(ctx, "ext/prio.xdrv"); /* port 5201: high */
	CU_ASSERT_PTR_NOT_NULL_FATAL(prio);
	CU_ASSERT(attach(nd, XDRV_EXT_HOOK_TX, 0, prio, LDR_NET_EXT_PASS) > 0);
	N.hold = 1;
	for (uint32_t s = 0; s < 4; s++) /* fill the ring */
		CU_ASSERT_EQUAL(send_udp(nd, s, 7000, 9), 0);
	rtf_run(D, 2);
	for (uint32_t s = 4; s < 104; s++) /* low and high interleaved, all waiting */
		CU_ASSERT_EQUAL(send_udp(nd, s, s & 1 ? 5201 : 7000, s & 1 ? 0 : 1), 0);
	struct ldr_net_ext_counts c;
	ldr_net_ext_counts(nd, &c);
	CU_ASSERT(c.class_waiting[0] == 50 && c.class_waiting[1] == 50);
	N.hold = 0;
	rtf_run(D, 400);
	CU_ASSERT_EQUAL(N.sent, 104);
	int order_ok = 1;
	for (uint32_t i = 4; i < N.sent; i++)
		order_ok &= N.sent_cls[i] == (i < 54 ? 0 : 1);
	CU_ASSERT(order_ok);
	CU_ASSERT_EQUAL(R.frames, 104);
	teardown();
	ldr_ctx_destroy(ctx);
}

/* ---- the batched chain (ldr_ext_run_batch through the double) ---------------------------- */

/* The same results through the batched chain: a poll's frames go through extension 1, then the
 * survivors through extension 2; a failure in the middle of a batch detaches the extension,
 * the frame it failed on gets the policy and the rest of the batch goes on without it. */
static void test_batched_chain_fails_like_the_per_frame_chain(void)
{
	dbl = &dbl_batch_calls;
	memset(&B, 0, sizeof B);
	test_failing_extension_is_detached_and_traffic_continues();
	CU_ASSERT(B.max_n > 5); /* frames 0..5 at least in one batch: the failure mid-batch */
	memset(&B, 0, sizeof B);
	test_drops_are_exact_and_counted_on_both_hooks();
	CU_ASSERT(B.max_n > 1);
	dbl = &dbl_calls;
}

static void test_batched_chain_copies_pool_frames_only_for_writers(void)
{
	dbl = &dbl_batch_calls;
	memset(&B, 0, sizeof B);
	/* the per-frame test's results, with every double a writer */
	test_pool_frames_are_copied_for_the_chain_and_counted_as_delivered();
	CU_ASSERT(B.max_n > 1);

	/* a reader before a writer: the reader sees the pool's buffers, the writer copies */
	struct ldr_netdev *nd = setup_pool(256, 512);
	struct ldr_ext *f = ext("filter", 'F', 1, fn_drop_odd);
	f->writes = 0;
	struct ldr_ext *b = ext("bounce", 'X', 1, fn_bounce);
	attach(nd, XDRV_EXT_HOOK_RX, 0, f, 0);
	attach(nd, XDRV_EXT_HOOK_RX, 1, b, 0);
	for (uint32_t s = 0; s < 200; s++)
		CU_ASSERT_EQUAL(send(nd, s, (s % 10) == 4 ? 'B' : 0), 0);
	rtf_run(D, 50);
	CU_ASSERT_PTR_NOT_NULL(X.pool_lo);
	CU_ASSERT_EQUAL(R.frames, 100);
	CU_ASSERT(f->st.runs >= 200 && f->in_pool == f->st.runs && f->copied == 0);
	CU_ASSERT(b->st.runs >= 100 && b->copied == b->st.runs && b->in_pool == 0);
	uint32_t written = 0;
	for (uint32_t i = 0; i < N.sent; i++)
		written += N.pool_b2[i] != N.pool_w2[i];
	CU_ASSERT_EQUAL(written, 0);
	teardown();

	/* readers only: no copy at all */
	nd = setup_pool(256, 512);
	f = ext("filter", 'F', 1, fn_drop_odd);
	f->writes = 0;
	struct ldr_ext *p = ext("pass", 'P', 1, fn_pass);
	p->writes = 0;
	attach(nd, XDRV_EXT_HOOK_RX, 0, f, 0);
	attach(nd, XDRV_EXT_HOOK_RX, 1, p, 0);
	for (uint32_t s = 0; s < 100; s++)
		CU_ASSERT_EQUAL(send(nd, s, 0), 0);
	rtf_run(D, 50);
	CU_ASSERT_EQUAL(R.frames, 50);
	CU_ASSERT(f->st.runs == 100 && f->in_pool == 100 && f->copied == 0);
	CU_ASSERT(p->st.runs == 50 && p->in_pool == 50 && p->copied == 0);
	teardown();
	dbl = &dbl_calls;
}

/* The real loader on a receive pool: a reader (the empty sample) runs over the pool's
 * buffers, a signed writer (ext-test/swapmac.xdrv, which imports xdrv_ext_st8) over a copy;
 * the host gets the rewritten copy and the pool's buffers stay as the device wrote them. */
static void test_real_writer_gets_a_copy_of_pool_frames(void)
{
	struct ldr_netdev *nd = setup_pool(256, 512);
	ldr_net_ext_set_calls(NULL);
	struct ldr_ctx *ctx = real_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *empty = real_ext(ctx, "ext/empty.xdrv");
	struct ldr_ext *swap = real_ext(ctx, "ext-test/swapmac.xdrv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(empty);
	CU_ASSERT_PTR_NOT_NULL_FATAL(swap);
	CU_ASSERT_EQUAL(ldr_ext_writes(empty), 0);
	CU_ASSERT_EQUAL(ldr_ext_writes(swap), 1);
	CU_ASSERT(attach(nd, XDRV_EXT_HOOK_RX, 0, empty, LDR_NET_EXT_PASS) > 0);
	CU_ASSERT(attach(nd, XDRV_EXT_HOOK_RX, 1, swap, LDR_NET_EXT_PASS) > 0);
	for (uint32_t s = 0; s < 50; s++)
		CU_ASSERT_EQUAL(send_udp(nd, s, 7000, 0x5a), 0);
	rtf_run(D, 20);
	/* every frame rewritten: its first bytes are the source MAC 02:00:00:... now */
	CU_ASSERT_EQUAL(R.frames, 50);
	CU_ASSERT_EQUAL(R.got[0x0200], 50);
	CU_ASSERT_EQUAL(R.last2, 0);
	uint32_t written = 0;
	for (uint32_t i = 0; i < N.sent; i++)
		written += N.pool_b2[i] != 0x5a || N.pool_w2[i] != 0x5a;
	CU_ASSERT_EQUAL(N.sent, 50);
	CU_ASSERT_EQUAL(written, 0);
	struct ldr_net_ext_info info[4];
	CU_ASSERT_EQUAL(ldr_net_ext_list(nd, info, 4), 2);
	CU_ASSERT(info[0].st.runs == 50 && info[1].st.runs == 50 && info[1].st.pass == 50);
	teardown();
	ldr_ctx_destroy(ctx);
}

/* The manifest check ldr_ext_load_* and `xdrv run`'s supervisor share: a driver package is
 * refused before it is compiled, an extension and bytes that are no package pass it. */
static void test_real_driver_package_is_refused_from_its_manifest(void)
{
	struct ldr_ctx *ctx = real_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	uint8_t *drv = NULL, *ext = NULL;
	size_t dlen = 0, elen = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(xdrv_read_file(xtest_path("%s/pkg/hello.xdrv", xtest_build_dir()),
					     1u << 26, &drv, &dlen, &err),
			      0);
	CU_ASSERT_EQUAL_FATAL(xdrv_read_file(xtest_path("%s/ext/empty.xdrv", xtest_build_dir()),
					     1u << 26, &ext, &elen, &err),
			      0);
	CU_ASSERT_EQUAL(ldr_ext_refuse_driver(ctx, drv, dlen, "hello.xdrv", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err ? err : "", "package hello.xdrv: is a driver, not an extension");
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_ext_refuse_driver(ctx, ext, elen, "empty.xdrv", &err), 0);
	CU_ASSERT_PTR_NULL(err);
	static const uint8_t junk[] = "not a package";
	CU_ASSERT_EQUAL(ldr_ext_refuse_driver(ctx, junk, sizeof junk, "junk", &err), 0);
	CU_ASSERT_PTR_NULL(err);
	/* the load refuses with the same words */
	struct ldr_ext *e = NULL;
	CU_ASSERT_EQUAL(ldr_ext_load_buf(ctx, drv, dlen, "hello.xdrv", NULL, 0, NULL, &e, &err),
			-EINVAL);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_STRING_EQUAL(err ? err : "", "package hello.xdrv: is a driver, not an extension");
	free(err);
	free(drv);
	free(ext);
	ldr_ctx_destroy(ctx);
}

XTEST_SUITE(loader_runtime_ext, NULL, NULL,
	    XTEST(test_chain_runs_in_order_and_attach_takes_a_position),
	    XTEST(test_drops_are_exact_and_counted_on_both_hooks),
	    XTEST(test_replace_is_atomic_for_the_frame_in_the_chain),
	    XTEST(test_failing_extension_is_detached_and_traffic_continues),
	    XTEST(test_tx_verdict_sends_the_rewritten_frame_back_out),
	    XTEST(test_pool_frames_are_copied_for_the_chain_and_counted_as_delivered),
	    XTEST(test_class_backlogs_are_served_by_strict_priority_with_a_full_ring),
	    XTEST(test_attach_checks_hooks_policy_and_chain_length),
	    XTEST(test_unregister_and_unbind_detach_everything),
	    XTEST(test_real_hostile_loop_is_detached_while_frames_go_on),
	    XTEST(test_real_prio_serves_the_high_port_first_with_a_full_ring),
	    XTEST(test_batched_chain_fails_like_the_per_frame_chain),
	    XTEST(test_batched_chain_copies_pool_frames_only_for_writers),
	    XTEST(test_real_writer_gets_a_copy_of_pool_frames),
	    XTEST(test_real_driver_package_is_refused_from_its_manifest))
