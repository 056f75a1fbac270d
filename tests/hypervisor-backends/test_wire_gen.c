// SPDX-License-Identifier: MIT
/*
 * Tests for the wire layer (hypervisor-backends/wire/wire.c) and the "gen" wire
 * (wire/gen.c): generator frames are valid Ethernet/IPv4/UDP at every size and the same bytes
 * everywhere (a fixed digest), the checker rejects damaged frames, options and attach errors
 * carry a code and a message, and the generator moves frames through the DP83820 receiver
 * with flow control and into the sink through the transmitter.
 */
#include "nic_rig.h"

#include <errno.h>

static int setup(void)
{
	return rig_open(NULL);
}

static int teardown(void)
{
	rig_close();
	return 0;
}

static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

static void test_gen_frames_are_valid_at_all_sizes(void)
{
	static const uint32_t sizes[] = {60, 64, 512, 1514};
	uint8_t f[1514];
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		CU_ASSERT_EQUAL(
			hvb_wire_gen_frame(f, sizeof f, 1000 + i, sizes[i], rig_mac, src_mac),
			(int)sizes[i]);
		uint64_t seq = 0;
		CU_ASSERT_TRUE(hvb_wire_gen_check(f, sizes[i], &seq));
		CU_ASSERT_EQUAL(seq, 1000 + i);
		/* IPv4 header checksum against the independent reference */
		uint8_t ip[20];
		memcpy(ip, f + 14, 20);
		uint16_t c = xdrv_get_be16(ip + 10);
		xdrv_put_be16(ip + 10, 0);
		CU_ASSERT_EQUAL(c, ref_csum(ip, 20, NULL, 0));
	}
}

static void test_gen_frames_are_the_same_on_every_host(void)
{
	/* digest of frames 0..99 at 64/512/1514 bytes, as an independent Python rendering of the
	 * documented layout computes it; a change here changes every benchmark */
	uint8_t f[1514];
	uint64_t h = RIG_FNV_OFFSET;
	static const uint32_t sizes[] = {60, 512, 1514};
	for (size_t s = 0; s < 3; s++)
		for (uint64_t i = 0; i < 100; i++) {
			hvb_wire_gen_frame(f, sizeof f, i, sizes[s], rig_mac, src_mac);
			h = rig_digest(h, f, sizes[s]);
		}
	CU_ASSERT_EQUAL(h, 0x2ada3c288a025cd4ull);
}

static void test_gen_check_rejects_damaged_frames(void)
{
	uint8_t f[512];
	hvb_wire_gen_frame(f, sizeof f, 5, 512, rig_mac, src_mac);
	f[300] ^= 1; /* payload */
	CU_ASSERT_FALSE(hvb_wire_gen_check(f, 512, NULL));
	f[300] ^= 1;
	f[22] ^= 1; /* TTL: IP checksum */
	CU_ASSERT_FALSE(hvb_wire_gen_check(f, 512, NULL));
	f[22] ^= 1;
	CU_ASSERT_FALSE(hvb_wire_gen_check(f, 511, NULL)); /* truncated */
	CU_ASSERT_TRUE(hvb_wire_gen_check(f, 512, NULL));
	CU_ASSERT_EQUAL(hvb_wire_gen_frame(f, sizeof f, 0, 59, rig_mac, src_mac), -EINVAL);
	CU_ASSERT_EQUAL(hvb_wire_gen_frame(f, sizeof f, 0, 1515, rig_mac, src_mac), -EINVAL);
	CU_ASSERT_EQUAL(hvb_wire_gen_frame(f, 100, 0, 512, rig_mac, src_mac), -EINVAL);
}

static void expect_create_error(const char *kind, const char *opts, int code, const char *msg)
{
	struct hvb_wire *w = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_wire_create(kind, opts, &w, &err), code);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, msg) : NULL);
	if (err && !strstr(err, msg))
		fprintf(stderr, "got: %s\n", err);
	free(err);
}

static void test_wire_create_rejects_bad_kind_and_options(void)
{
	expect_create_error("fiber", NULL, -ENOENT,
			    "wire 'fiber': unknown (known: gen, tap, netfront)");
	expect_create_error("gen", "size=59", -EINVAL, "option size=59: expected 60..1514");
	expect_create_error("gen", "count=x", -EINVAL, "option count=x: not a number");
	expect_create_error("gen", "dst=zz", -EINVAL, "option dst=zz: expected");
	expect_create_error("gen", "rate=1", -EINVAL, "option 'rate': unknown");
	expect_create_error("gen", "check=2", -EINVAL, "option check=2: expected 0 or 1");
	/* the TAP spec parser is shared with --host-tap (xdrv/tap.h, test_tap_if.c) */
	expect_create_error("tap", NULL, -EINVAL, "tap: no interface given");
	expect_create_error("tap", "name=0123456789abcdef", -EINVAL,
			    "bad interface name \"0123456789abcdef\"");
	expect_create_error("tap", "name=t0,netns=../x", -EINVAL, "bad namespace name \"../x\"");
	expect_create_error("tap", "name=xdrvt0,netns=xdrv-no-such-ns", -ENOENT,
			    "network namespace /run/netns/xdrv-no-such-ns");
}

static void test_attach_errors(void)
{
	struct hvb_wire *w = NULL, *w2 = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_wire_create("gen", NULL, &w, &err), 0);
	CU_ASSERT_EQUAL(hvb_wire_pump(w, 1), -ENOTCONN);
	CU_ASSERT_EQUAL(hvb_wire_tx(R.d, "x", 1), -ENOTCONN);
	struct hvb_device *td = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_device_create(R.be, "testdev", NULL, &td, &err), 0);
	CU_ASSERT_EQUAL(hvb_wire_attach(w, td, &err), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "(model testdev) is not a NIC") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_wire_attach(w, R.d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_wire_create("gen", NULL, &w2, &err), 0);
	CU_ASSERT_EQUAL(hvb_wire_attach(w2, R.d, &err), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "device is already connected") : NULL);
	free(err);
	/* destroying the device detaches the wire; the wire outlives it safely */
	hvb_device_destroy(R.d);
	R.d = NULL;
	CU_ASSERT_EQUAL(hvb_wire_pump(w, 1), -ENOTCONN);
	hvb_wire_destroy(w);
	hvb_wire_destroy(w2);
	rig_close();
	CU_ASSERT_EQUAL_FATAL(rig_open(NULL), 0);
}

/* 100 generated frames through an 8-descriptor ring: the test plays the driver, recycling
 * descriptors; with flow control nothing is lost and every frame arrives intact and in order. */
static void test_gen_through_rx_with_flow_control(void)
{
	rig_close();
	CU_ASSERT_EQUAL_FATAL(rig_open(NULL), 0);
	const uint32_t n = 8;
	for (uint32_t i = 0; i < n; i++)
		desc32(RIG_RXRING + 16 * i, busof(RIG_RXRING + 16 * ((i + 1) % n)),
		       busof(RIG_RXBUF + RIG_RXBUF_SZ * i), RIG_RXBUF_SZ, 0);
	wr(DP83820_RFCR, DP83820_RFCR_RFEN | DP83820_RFCR_APM);
	wr(DP83820_RXDP, (uint32_t)busof(RIG_RXRING));
	wr(DP83820_CR, DP83820_CR_RXE);
	struct hvb_wire *w = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_wire_create("gen", "count=100,size=512", &w, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_wire_attach(w, R.d, &err), 0);
	uint32_t next = 0, got = 0, rounds = 0;
	bool ordered = true;
	while (got < 100 && rounds++ < 1000) {
		hvb_device_poll(R.d);
		for (;;) { /* reap like a driver */
			uint32_t at = RIG_RXRING + 16 * next;
			uint32_t st = cmdsts32(at);
			if (!(st & DP83820_CMDSTS_OWN))
				break;
			uint64_t seq = 0;
			if (!(st & DP83820_CMDSTS_OK) ||
			    !hvb_wire_gen_check(R.mem + RIG_RXBUF + RIG_RXBUF_SZ * next,
						st & DP83820_CMDSTS_LEN, &seq) ||
			    seq != got)
				ordered = false;
			got++;
			xdrv_put_le32(R.mem + at + 8, RIG_RXBUF_SZ); /* give it back */
			next = (next + 1) % n;
		}
		if (!(rd(DP83820_CR) & DP83820_CR_RXE))
			wr(DP83820_CR, DP83820_CR_RXE);
	}
	CU_ASSERT_EQUAL(got, 100);
	CU_ASSERT_TRUE(ordered);
	CU_ASSERT_EQUAL(hvb_wire_gen_pending(w), 0);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.rx_frames, 100);
	CU_ASSERT_EQUAL(ws.rx_bytes, 100 * 512);
	CU_ASSERT_TRUE(ws.rx_deferred > 0); /* the ring filled up at least once */
	struct dp83820_counters c;
	dp83820_get_counters(R.d, &c);
	CU_ASSERT_EQUAL(c.rx_overruns, 0);
	hvb_wire_destroy(w);
}

static void test_gen_start_queues_more_frames(void)
{
	struct hvb_wire *w = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_wire_create("gen", "count=2", &w, &err), 0);
	CU_ASSERT_EQUAL(hvb_wire_gen_start(w, 3, 1514), 0);
	CU_ASSERT_EQUAL(hvb_wire_gen_pending(w), 5);
	CU_ASSERT_EQUAL(hvb_wire_gen_start(w, 1, 2000), -EINVAL);
	CU_ASSERT_EQUAL(hvb_wire_gen_start(NULL, 1, 60), -EINVAL);
	hvb_wire_destroy(w);
}

static void test_sink_digest_and_check_can_be_turned_off(void)
{
	struct hvb_wire *w = NULL;
	char *err = NULL;
	uint8_t f[128];
	hvb_wire_gen_frame(f, sizeof f, 3, 100, rig_mac, src_mac);
	CU_ASSERT_EQUAL(hvb_wire_digest(HVB_WIRE_DIGEST_INIT, f, 100),
			rig_digest(RIG_FNV_OFFSET, f, 100));
	f[60] ^= 1; /* damaged */
	CU_ASSERT_EQUAL_FATAL(hvb_wire_create("gen", "check=0,digest=0", &w, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_wire_attach(w, R.d, &err), 0);
	CU_ASSERT_EQUAL(hvb_wire_tx(R.d, f, 100), 0);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 1);
	CU_ASSERT_EQUAL(ws.tx_bad, 0);
	CU_ASSERT_EQUAL(ws.digest, 0);
	hvb_wire_destroy(w);
}

static void test_csum_matches_reference_at_every_length_and_split(void)
{
	uint8_t b[301];
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)(i * 37 + 11);
	bool ok = true;
	for (size_t len = 0; len <= sizeof b; len++) {
		if (hvb_csum_fold(hvb_csum_add(0, b, len)) != ref_csum(b, len, NULL, 0))
			ok = false;
		/* an even first part, then the rest: as pseudo header + segment */
		size_t cut = (len / 2) & ~(size_t)1;
		if (hvb_csum_fold(hvb_csum_add(hvb_csum_add(0, b, cut), b + cut, len - cut)) !=
		    ref_csum(b, len, NULL, 0))
			ok = false;
	}
	CU_ASSERT_TRUE(ok);
	memset(b, 0xff, sizeof b); /* carries everywhere */
	CU_ASSERT_EQUAL(hvb_csum_fold(hvb_csum_add(0, b, 300)), ref_csum(b, 300, NULL, 0));
}

XTEST_SUITE(hvb_wire_gen, setup, teardown, XTEST(test_gen_frames_are_valid_at_all_sizes),
	    XTEST(test_gen_frames_are_the_same_on_every_host),
	    XTEST(test_gen_check_rejects_damaged_frames),
	    XTEST(test_wire_create_rejects_bad_kind_and_options), XTEST(test_attach_errors),
	    XTEST(test_gen_through_rx_with_flow_control), XTEST(test_gen_start_queues_more_frames),
	    XTEST(test_sink_digest_and_check_can_be_turned_off),
	    XTEST(test_csum_matches_reference_at_every_length_and_split))
