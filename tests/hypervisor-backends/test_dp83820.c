// SPDX-License-Identifier: MIT
/*
 * Tests for the DP83820 model (hypervisor-backends/models/dp83820*.c), driven the way a driver
 * drives the chip: 32-bit register accesses and descriptors in DMA memory. Registers (reset
 * values, ISR clear-on-read, the interrupt line, CR strobes, filter RAM, link status), the TX
 * engine (single and gathered frames, checksum insertion checked against an independent
 * reference), the RX engine (OWN handoff, extsts, filter, RXORN), holdoff, the 64-bit
 * descriptor format, and malformed descriptors (each sets the chip's error bits, logs once and
 * leaves the host standing).
 */
#include "nic_rig.h"

#include <errno.h>
#include <time.h>
#include <xdrv/util.h>

static int setup(void)
{
	return rig_open(NULL);
}

static int teardown(void)
{
	rig_close();
	return 0;
}

static void fresh(const char *config)
{
	rig_close();
	CU_ASSERT_EQUAL_FATAL(rig_open(config), 0);
}

/* A gen wire attached as the sink (and source) of the device. */
static struct hvb_wire *attach_gen(const char *opts)
{
	struct hvb_wire *w = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_wire_create("gen", opts, &w, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_wire_attach(w, R.d, &err), 0);
	return w;
}

/* Filter on for our address and broadcast, extsts on, checksum offload on. */
static void rx_setup(uint32_t ndesc, uint32_t bufsz)
{
	for (uint32_t i = 0; i < ndesc; i++) {
		uint32_t at = RIG_RXRING + 16 * i;
		uint64_t link = i + 1 < ndesc ? busof(at + 16) : 0;
		desc32(at, link, busof(RIG_RXBUF + RIG_RXBUF_SZ * i), DP83820_CMDSTS_INTR | bufsz,
		       0);
	}
	wr(DP83820_CFG, DP83820_CFG_EXTSTS_EN);
	wr(DP83820_VRCR, DP83820_VRCR_IPEN);
	wr(DP83820_RFCR, DP83820_RFCR_RFEN | DP83820_RFCR_AAB | DP83820_RFCR_APM);
	wr(DP83820_RXDP, (uint32_t)busof(RIG_RXRING));
	wr(DP83820_CR, DP83820_CR_RXE);
}

/* ---- registers ------------------------------------------------------------------------------- */

static void test_reset_values_and_identity(void)
{
	fresh(NULL);
	const struct hvb_model_ops *m = hvb_device_model(R.d);
	CU_ASSERT_EQUAL(m->vendor, 0x100b);
	CU_ASSERT_EQUAL(m->device, 0x0022);
	CU_ASSERT_EQUAL(m->regions[0].size, 4096);
	/* link up at 1000 Mb/s full duplex: active-low speed/duplex pins */
	CU_ASSERT_EQUAL(rd(DP83820_CFG), DP83820_CFG_LNKSTS | DP83820_CFG_SPDSTS0);
	CU_ASSERT_EQUAL(rd(DP83820_CR), 0);
	CU_ASSERT_EQUAL(rd(DP83820_ISR), 0);
	CU_ASSERT_EQUAL(rd(DP83820_IMR), 0);
	CU_ASSERT_EQUAL(rd(DP83820_IER), 0);
	CU_ASSERT_EQUAL(rd(DP83820_TXDP), 0);
	CU_ASSERT_EQUAL(rd(DP83820_SRR), 0x0103);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
	/* unimplemented offsets read 0 */
	CU_ASSERT_EQUAL(rd(0x22c), 0);
	CU_ASSERT_EQUAL(rd(0xffc), 0);
}

static void test_only_32bit_accesses_reach_registers(void)
{
	fresh(NULL);
	CU_ASSERT_EQUAL(hvb_reg_read(R.d, 0, DP83820_SRR, 2), 0xffff);
	hvb_reg_write(R.d, 0, DP83820_IMR, 1, 0xff);
	CU_ASSERT_EQUAL(rd(DP83820_IMR), 0);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(R.d), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(R.log, "width not allowed"));
}

static void test_cfg_link_bits_are_read_only(void)
{
	fresh(NULL);
	wr(DP83820_CFG, 0 | DP83820_CFG_M64ADDR);
	CU_ASSERT_EQUAL(rd(DP83820_CFG),
			DP83820_CFG_LNKSTS | DP83820_CFG_SPDSTS0 | DP83820_CFG_M64ADDR);
	wr(DP83820_CFG, 0xffffffffu);
	CU_ASSERT_EQUAL(rd(DP83820_CFG) & DP83820_CFG_RO_MASK,
			DP83820_CFG_LNKSTS | DP83820_CFG_SPDSTS0);
}

static void test_link_change_sets_phy_interrupt(void)
{
	fresh(NULL);
	wr(DP83820_CFG, DP83820_CFG_PINT_CTL);
	wr(DP83820_IMR, DP83820_ISR_PHY);
	wr(DP83820_IER, 1);
	dp83820_set_link(R.d, false);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	CU_ASSERT_EQUAL(rd(DP83820_CFG) & DP83820_CFG_LNKSTS, 0);
	CU_ASSERT_EQUAL(rd(DP83820_ISR), DP83820_ISR_PHY);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
	dp83820_set_link(R.d, true);
	CU_ASSERT_NOT_EQUAL(rd(DP83820_CFG) & DP83820_CFG_LNKSTS, 0);
}

static void test_isr_clears_on_read(void)
{
	fresh(NULL);
	wr(DP83820_CR, DP83820_CR_SWI);
	CU_ASSERT_EQUAL(rd(DP83820_ISR), DP83820_ISR_SWI);
	CU_ASSERT_EQUAL(rd(DP83820_ISR), 0);
	wr(DP83820_ISR, 0xffffffffu); /* read-only */
	CU_ASSERT_EQUAL(rd(DP83820_ISR), 0);
}

static void test_line_follows_isr_imr_ier_on_every_write(void)
{
	fresh(NULL);
	wr(DP83820_CR, DP83820_CR_SWI);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0)); /* IMR 0 */
	wr(DP83820_IMR, DP83820_ISR_SWI);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0)); /* IER 0 */
	wr(DP83820_IER, 1);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	wr(DP83820_IMR, DP83820_ISR_TXOK); /* masking the bit drops the line */
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
	wr(DP83820_IMR, DP83820_ISR_SWI);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	wr(DP83820_IER, 0);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
	wr(DP83820_IER, 1);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	(void)rd(DP83820_ISR);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
}

static void test_cr_reset_self_clears_and_restores_defaults(void)
{
	fresh("mac=02:11:22:33:44:55");
	wr(DP83820_IMR, 0x1234);
	wr(DP83820_IER, 1);
	wr(DP83820_TXDP, 0x10000000);
	wr(DP83820_RFCR, 0);
	wr(DP83820_RFDR, 0xbeef); /* clobber the station address */
	wr(DP83820_CR, DP83820_CR_RST);
	CU_ASSERT_EQUAL(rd(DP83820_CR), 0);
	CU_ASSERT_EQUAL(rd(DP83820_IMR), 0);
	CU_ASSERT_EQUAL(rd(DP83820_IER), 0);
	CU_ASSERT_EQUAL(rd(DP83820_TXDP), 0);
	wr(DP83820_RFCR, 0);
	CU_ASSERT_EQUAL(rd(DP83820_RFDR), 0x1102); /* reloaded from the EEPROM */
	/* TX/RX resets report completion */
	wr(DP83820_CR, DP83820_CR_TXR | DP83820_CR_RXR);
	CU_ASSERT_EQUAL(rd(DP83820_CR), 0);
	CU_ASSERT_EQUAL(rd(DP83820_ISR), DP83820_ISR_TXRCMP | DP83820_ISR_RXRCMP);
}

static void test_filter_ram_holds_mac_from_config(void)
{
	fresh("mac=02:aa:bb:cc:dd:ee");
	uint8_t mac[6];
	for (uint32_t i = 0; i < 3; i++) {
		wr(DP83820_RFCR, i * 2); /* as ns83820_getmac does */
		uint32_t v = rd(DP83820_RFDR);
		mac[2 * i] = (uint8_t)v;
		mac[2 * i + 1] = (uint8_t)(v >> 8);
	}
	static const uint8_t want[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
	CU_ASSERT_EQUAL(memcmp(mac, want, 6), 0);
	/* PTSCR EELOAD reloads it after the driver overwrote it */
	wr(DP83820_RFCR, 0);
	wr(DP83820_RFDR, 0x0000);
	wr(DP83820_PTSCR, DP83820_PTSCR_EELOAD_EN);
	CU_ASSERT_EQUAL(rd(DP83820_RFDR), 0xaa02);
	/* the RAM BIST passes at once */
	wr(DP83820_PTSCR, DP83820_PTSCR_RBIST_EN);
	CU_ASSERT_EQUAL(rd(DP83820_PTSCR), DP83820_PTSCR_RBIST_DONE);
}

static void test_config_rejects_bad_values(void)
{
	struct hvb_device *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(R.be, "dp83820", "mac=02:00:00:00:00", &d, &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "mac=02:00:00:00:00: expected") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(R.be, "dp83820", "mac=01:00:5e:00:00:01", &d, &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "multicast address") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(R.be, "dp83820", "speed=10", &d, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "config key 'speed': unknown") : NULL);
	free(err);
	CU_ASSERT_PTR_NULL(d);
}

/* ---- transmit -------------------------------------------------------------------------------- */

static void test_tx_single_frame_hands_own_back(void)
{
	fresh(NULL);
	struct hvb_wire *w = attach_gen(NULL);
	uint8_t *f = R.mem + RIG_TXBUF;
	CU_ASSERT_EQUAL(hvb_wire_gen_frame(f, 2048, 7, 512, rig_mac, rig_mac), 512);
	desc32(RIG_TXRING, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | DP83820_CMDSTS_INTR | 512, 0);
	wr(DP83820_IMR, DP83820_ISR_TXOK);
	wr(DP83820_IER, 1);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	uint32_t st = cmdsts32(RIG_TXRING);
	CU_ASSERT_EQUAL(st & DP83820_CMDSTS_OWN, 0);
	CU_ASSERT_NOT_EQUAL(st & DP83820_CMDSTS_OK, 0);
	CU_ASSERT_EQUAL(st & DP83820_CMDSTS_LEN, 512);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	CU_ASSERT_EQUAL(rd(DP83820_ISR),
			DP83820_ISR_TXOK | DP83820_ISR_TXDESC | DP83820_ISR_TXIDLE);
	CU_ASSERT_EQUAL(rd(DP83820_CR) & DP83820_CR_TXE, 0); /* idle */
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 1);
	CU_ASSERT_EQUAL(ws.tx_bytes, 512);
	CU_ASSERT_EQUAL(ws.tx_bad, 0);
	CU_ASSERT_EQUAL(ws.digest, rig_digest(RIG_FNV_OFFSET, f, 512));
	hvb_wire_destroy(w);
}

static void test_tx_appends_after_null_link(void)
{
	fresh(NULL);
	struct hvb_wire *w = attach_gen(NULL);
	hvb_wire_gen_frame(R.mem + RIG_TXBUF, 2048, 1, 60, rig_mac, rig_mac);
	desc32(RIG_TXRING, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 60, 0);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	CU_ASSERT_EQUAL(rd(DP83820_TXDP), (uint32_t)busof(RIG_TXRING)); /* stays on the last */
	/* the driver appends a descriptor and links it, then kicks again */
	desc32(RIG_TXRING + 16, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 60, 0);
	xdrv_put_le32(R.mem + RIG_TXRING, (uint32_t)busof(RIG_TXRING + 16));
	wr(DP83820_CR, DP83820_CR_TXE);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 2);
	CU_ASSERT_EQUAL(cmdsts32(RIG_TXRING + 16) & DP83820_CMDSTS_OWN, 0);
	hvb_wire_destroy(w);
}

/* A UDP frame split over three fragments, checksums zeroed; the chip fills them in. */
static void test_tx_gathers_fragments_and_inserts_udp_checksum(void)
{
	fresh(NULL);
	struct hvb_wire *w = attach_gen(NULL);
	uint8_t ref[1514];
	hvb_wire_gen_frame(ref, sizeof ref, 42, 1514, rig_mac, rig_mac);
	uint8_t *f = R.mem + RIG_TXBUF;
	memcpy(f, ref, 1514);
	xdrv_put_be16(f + 24, 0); /* IP checksum */
	xdrv_put_be16(f + 40, 0); /* UDP checksum */
	/* fragments: 14 + 500 + 1000, in three descriptors, the first asking for offload */
	uint32_t ext = DP83820_EXTSTS_IPPKT | DP83820_EXTSTS_UDPPKT;
	desc32(RIG_TXRING, busof(RIG_TXRING + 16), busof(RIG_TXBUF),
	       DP83820_CMDSTS_OWN | DP83820_CMDSTS_MORE | 14, ext);
	desc32(RIG_TXRING + 16, busof(RIG_TXRING + 32), busof(RIG_TXBUF + 14),
	       DP83820_CMDSTS_OWN | DP83820_CMDSTS_MORE | 500, 0);
	desc32(RIG_TXRING + 32, 0, busof(RIG_TXBUF + 514), DP83820_CMDSTS_OWN | 1000, 0);
	wr(DP83820_VTCR, DP83820_VTCR_PPCHK);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 1);
	CU_ASSERT_EQUAL(ws.tx_bytes, 1514);
	CU_ASSERT_EQUAL(ws.tx_bad, 0);
	/* byte-identical to the generator's frame, whose checksums the reference recomputes */
	uint8_t ph[12] = {10, 0, 0, 2, 10, 0, 0, 1, 0, 17, (1514 - 34) >> 8, (1514 - 34) & 0xff};
	uint8_t udp[1514 - 34];
	memcpy(udp, ref + 34, sizeof udp);
	xdrv_put_be16(udp + 6, 0);
	CU_ASSERT_EQUAL(xdrv_get_be16(ref + 40), ref_csum(ph, 12, udp, sizeof udp));
	CU_ASSERT_EQUAL(ws.digest, rig_digest(RIG_FNV_OFFSET, ref, 1514));
	/* status only in the last descriptor; all handed back */
	CU_ASSERT_EQUAL(cmdsts32(RIG_TXRING), DP83820_CMDSTS_MORE | 14);
	CU_ASSERT_EQUAL(cmdsts32(RIG_TXRING + 16), DP83820_CMDSTS_MORE | 500);
	CU_ASSERT_EQUAL(cmdsts32(RIG_TXRING + 32), DP83820_CMDSTS_OK | 1000);
	hvb_wire_destroy(w);
}

/* A TCP segment: checksum field computed by the chip matches an independent reference. */
static void test_tx_inserts_tcp_checksum(void)
{
	fresh(NULL);
	struct hvb_wire *w = attach_gen(NULL);
	uint8_t *f = R.mem + RIG_TXBUF;
	size_t len = 14 + 20 + 20 + 37;
	memset(f, 0, len);
	memcpy(f, rig_mac, 6);
	memcpy(f + 6, rig_mac, 6);
	xdrv_put_be16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *tcp = f + 34;
	ip[0] = 0x45;
	xdrv_put_be16(ip + 2, (uint16_t)(len - 14));
	ip[8] = 64;
	ip[9] = 6;
	static const uint8_t a[4] = {192, 168, 7, 1}, b[4] = {192, 168, 7, 2};
	memcpy(ip + 12, a, 4);
	memcpy(ip + 16, b, 4);
	xdrv_put_be16(tcp, 40000);
	xdrv_put_be16(tcp + 2, 5201);
	xdrv_put_be32(tcp + 4, 123456789);
	tcp[12] = 0x50;
	tcp[13] = 0x18;
	xdrv_put_be16(tcp + 14, 512);
	for (size_t i = 0; i < 37; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 1); /* odd-length payload */
	uint8_t want[128];
	memcpy(want, f, len);
	xdrv_put_be16(want + 24, ref_csum(want + 14, 20, NULL, 0));
	uint8_t ph[12] = {192, 168, 7, 1, 192, 168, 7, 2, 0, 6, 0, 57};
	xdrv_put_be16(want + 34 + 16, ref_csum(ph, 12, want + 34, 57));
	desc32(RIG_TXRING, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | (uint32_t)len,
	       DP83820_EXTSTS_IPPKT | DP83820_EXTSTS_TCPPKT);
	wr(DP83820_VTCR, DP83820_VTCR_PPCHK);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 1);
	CU_ASSERT_EQUAL(ws.digest, rig_digest(RIG_FNV_OFFSET, want, len));
	hvb_wire_destroy(w);
}

static void test_tx_without_offload_enable_leaves_checksums(void)
{
	fresh(NULL);
	struct hvb_wire *w = attach_gen(NULL);
	uint8_t *f = R.mem + RIG_TXBUF;
	hvb_wire_gen_frame(f, 2048, 3, 60, rig_mac, rig_mac);
	xdrv_put_be16(f + 40, 0x1234); /* wrong UDP checksum, no VTCR.PPCHK */
	desc32(RIG_TXRING, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 60, DP83820_EXTSTS_UDPPKT);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 1);
	CU_ASSERT_EQUAL(ws.tx_bad, 1); /* the sink saw the wrong checksum go out */
	hvb_wire_destroy(w);
}

static void test_tx_ring_is_bounded_per_kick_and_resumes_at_poll(void)
{
	fresh(NULL);
	struct hvb_wire *w = attach_gen(NULL);
	hvb_wire_gen_frame(R.mem + RIG_TXBUF, 2048, 0, 60, rig_mac, rig_mac);
	const uint32_t n = 2000;
	for (uint32_t i = 0; i < n; i++)
		desc32(RIG_TXRING + 16 * i, busof(RIG_TXRING + 16 * ((i + 1) % n)),
		       busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 60, 0);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, DP83820_MAX_DESC_PER_KICK);
	CU_ASSERT_NOT_EQUAL(rd(DP83820_CR) & DP83820_CR_TXE, 0); /* still active */
	CU_ASSERT_TRUE(hvb_device_poll(R.d) > 0);
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, n); /* the ring came round to a free descriptor */
	CU_ASSERT_EQUAL(rd(DP83820_CR) & DP83820_CR_TXE, 0);
	hvb_wire_destroy(w);
}

/* rate=: the transmitter never goes faster than the line allows (1 ms burst), and resumes by
 * itself from the poll. Only lower bounds on time are asserted: a busy machine may be slower. */
static void test_tx_rate_paces_the_line(void)
{
	fresh("rate=10");
	struct hvb_wire *w = attach_gen(NULL);
	hvb_wire_gen_frame(R.mem + RIG_TXBUF, 2048, 0, 1514, rig_mac, rig_mac);
	const uint32_t n = 8;
	const uint64_t frame_ns = (1514u + 24u) * 8000u / 10u; /* 1.23 ms at 10 Mbit/s */
	for (uint32_t i = 0; i < n; i++)
		desc32(RIG_TXRING + 16 * i, i + 1 < n ? busof(RIG_TXRING + 16 * (i + 1)) : 0,
		       busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 1514, 0);
	uint64_t t0 = xdrv_now_ns();
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	uint64_t t1 = xdrv_now_ns();
	CU_ASSERT(ws.tx_frames >= 1);
	CU_ASSERT(ws.tx_frames <= 2 + (t1 - t0) / frame_ns);	 /* the burst, then the line */
	CU_ASSERT_NOT_EQUAL(rd(DP83820_CR) & DP83820_CR_TXE, 0); /* still active, paced */
	for (int i = 0; i < 2000 && ws.tx_frames < n; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		hvb_device_poll(R.d);
		hvb_wire_get_stats(w, &ws);
	}
	uint64_t t2 = xdrv_now_ns();
	CU_ASSERT_EQUAL(ws.tx_frames, n);
	CU_ASSERT(t2 - t0 >= (n - 1) * frame_ns - 1000000u);
	CU_ASSERT_EQUAL(rd(DP83820_CR) & DP83820_CR_TXE, 0);
	hvb_wire_destroy(w);
	struct hvb_device *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(R.be, "dp83820", "rate=100001", &d, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "config rate=100001: expected Mbit/s") : NULL);
	free(err);
}

/* ---- malformed TX descriptors ---------------------------------------------------------------- */

static void kick_tx_expect_abort(uint32_t last_desc, const char *msg)
{
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	uint32_t st = cmdsts32(last_desc);
	CU_ASSERT_EQUAL(st & DP83820_CMDSTS_OWN, 0);
	CU_ASSERT_NOT_EQUAL(st & DP83820_CMDSTS_TXA, 0);
	CU_ASSERT_EQUAL(st & DP83820_CMDSTS_OK, 0);
	uint32_t isr = rd(DP83820_ISR);
	CU_ASSERT_NOT_EQUAL(isr & DP83820_ISR_TXERR, 0);
	CU_ASSERT_EQUAL(isr & DP83820_ISR_TXOK, 0);
	CU_ASSERT_EQUAL(rd(DP83820_CR) & DP83820_CR_TXE, 0); /* halted */
	CU_ASSERT_PTR_NOT_NULL(strstr(R.log, msg));
	struct dp83820_counters c;
	dp83820_get_counters(R.d, &c);
	CU_ASSERT_EQUAL(c.tx_errors, 1);
	CU_ASSERT_EQUAL(c.tx_frames, 0);
}

static void test_tx_wild_buffer_pointer_is_master_abort(void)
{
	fresh(NULL);
	desc32(RIG_TXRING, 0, 0xdead0000u, DP83820_CMDSTS_OWN | 100, 0);
	kick_tx_expect_abort(RIG_TXRING, "guest error: TX buffer at an unmapped bus address");
	wr(DP83820_CR, DP83820_CR_TXE); /* the chip stays sane afterwards */
	CU_ASSERT_EQUAL(rd(DP83820_ISR) & DP83820_ISR_TXERR, 0);
}

static void test_tx_buffer_running_off_its_mapping_faults(void)
{
	fresh(NULL);
	/* starts inside the mapping, ends in the guard page after it */
	desc32(RIG_TXRING, 0, busof(RIG_MEM - 100), DP83820_CMDSTS_OWN | 200, 0);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	CU_ASSERT_NOT_EQUAL(rd(DP83820_ISR) & DP83820_ISR_RMABT, 0);
	CU_ASSERT_NOT_EQUAL(cmdsts32(RIG_TXRING) & DP83820_CMDSTS_TXA, 0);
}

static void test_tx_zero_length_fragment_aborts(void)
{
	fresh(NULL);
	desc32(RIG_TXRING, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 0, 0);
	kick_tx_expect_abort(RIG_TXRING, "guest error: TX descriptor with a zero length");
}

static void test_tx_frame_over_64k_aborts(void)
{
	fresh(NULL);
	/* two 40000-byte fragments of the same buffer: 80000 bytes in one frame */
	desc32(RIG_TXRING, busof(RIG_TXRING + 16), busof(RIG_TXBUF),
	       DP83820_CMDSTS_OWN | DP83820_CMDSTS_MORE | 40000, 0);
	desc32(RIG_TXRING + 16, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 40000, 0);
	kick_tx_expect_abort(RIG_TXRING + 16, "guest error: TX frame longer than 65535 bytes");
	CU_ASSERT_EQUAL(cmdsts32(RIG_TXRING) & DP83820_CMDSTS_OWN, 0);
}

static void test_tx_looping_fragment_chain_aborts(void)
{
	fresh(NULL);
	/* each fragment says MORE and the chain links back to the first */
	desc32(RIG_TXRING, busof(RIG_TXRING + 16), busof(RIG_TXBUF),
	       DP83820_CMDSTS_OWN | DP83820_CMDSTS_MORE | 10, 0);
	desc32(RIG_TXRING + 16, busof(RIG_TXRING), busof(RIG_TXBUF),
	       DP83820_CMDSTS_OWN | DP83820_CMDSTS_MORE | 10, 0);
	kick_tx_expect_abort(RIG_TXRING + 16, "guest error: TX fragment chain loops");
}

static void test_tx_wild_descriptor_pointer_is_master_abort(void)
{
	fresh(NULL);
	wr(DP83820_TXDP, 0xfffff000u);
	wr(DP83820_CR, DP83820_CR_TXE);
	uint32_t isr = rd(DP83820_ISR);
	CU_ASSERT_EQUAL(isr & (DP83820_ISR_RMABT | DP83820_ISR_TXERR),
			DP83820_ISR_RMABT | DP83820_ISR_TXERR);
	CU_ASSERT_EQUAL(rd(DP83820_CR) & DP83820_CR_TXE, 0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(R.log, "guest error: TX descriptor at an unmapped bus address"));
}

/* ---- receive --------------------------------------------------------------------------------- */

static void test_rx_fills_buffer_sets_own_and_extsts(void)
{
	fresh(NULL);
	rx_setup(4, 1536);
	wr(DP83820_IMR, DP83820_ISR_RXOK);
	wr(DP83820_IER, 1);
	struct hvb_wire *w = attach_gen("count=1,size=512");
	CU_ASSERT_EQUAL(hvb_device_poll(R.d), 1);
	uint32_t st = cmdsts32(RIG_RXRING);
	CU_ASSERT_NOT_EQUAL(st & DP83820_CMDSTS_OWN, 0);
	CU_ASSERT_NOT_EQUAL(st & DP83820_CMDSTS_OK, 0);
	CU_ASSERT_EQUAL(st & DP83820_CMDSTS_DEST, DP83820_CMDSTS_DEST_SELF);
	CU_ASSERT_EQUAL(st & DP83820_CMDSTS_LEN, 512);
	CU_ASSERT_EQUAL(extsts32(RIG_RXRING), DP83820_EXTSTS_IPPKT | DP83820_EXTSTS_UDPPKT);
	uint64_t seq = 99;
	CU_ASSERT_TRUE(hvb_wire_gen_check(R.mem + RIG_RXBUF, 512, &seq));
	CU_ASSERT_EQUAL(seq, 0);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	CU_ASSERT_EQUAL(rd(DP83820_ISR), DP83820_ISR_RXOK | DP83820_ISR_RXDESC);
	CU_ASSERT_EQUAL(rd(DP83820_RXDP), (uint32_t)busof(RIG_RXRING + 16));
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING + 16) & DP83820_CMDSTS_OWN, 0); /* untouched */
	hvb_wire_destroy(w);
}

static void test_rx_reports_bad_checksums_in_extsts(void)
{
	fresh(NULL);
	rx_setup(2, 1536);
	uint8_t f[256];
	hvb_wire_gen_frame(f, sizeof f, 5, 200, rig_mac, rig_mac);
	f[100] ^= 0xff; /* payload: UDP checksum now wrong */
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 200), 0);
	CU_ASSERT_EQUAL(extsts32(RIG_RXRING),
			DP83820_EXTSTS_IPPKT | DP83820_EXTSTS_UDPPKT | DP83820_EXTSTS_UDPERR);
	f[100] ^= 0xff;
	f[22] ^= 1; /* TTL: IP header checksum now wrong */
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 200), 0);
	CU_ASSERT_NOT_EQUAL(extsts32(RIG_RXRING + 16) & DP83820_EXTSTS_IPERR, 0);
}

static void test_rx_broadcast_and_filter(void)
{
	fresh(NULL);
	rx_setup(4, 1536);
	uint8_t f[64];
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x99},
			     bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	hvb_wire_gen_frame(f, sizeof f, 1, 60, other, rig_mac);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0); /* another station's: filtered */
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING) & DP83820_CMDSTS_OWN, 0);
	hvb_wire_gen_frame(f, sizeof f, 1, 60, bc, rig_mac);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING) & DP83820_CMDSTS_DEST, DP83820_CMDSTS_DEST);
	f[0] = 0x01; /* multicast, AAM off: filtered */
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING + 16) & DP83820_CMDSTS_OWN, 0);
	wr(DP83820_RFCR, DP83820_RFCR_RFEN | DP83820_RFCR_AAU | DP83820_RFCR_AAM);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING + 16) & DP83820_CMDSTS_DEST, DP83820_CMDSTS_DEST_MULTI);
	hvb_wire_gen_frame(f, sizeof f, 1, 60, other, rig_mac); /* promiscuous */
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_NOT_EQUAL(cmdsts32(RIG_RXRING + 32) & DP83820_CMDSTS_OK, 0);
	struct dp83820_counters c;
	dp83820_get_counters(R.d, &c);
	CU_ASSERT_EQUAL(c.rx_frames, 3);
	CU_ASSERT_EQUAL(c.rx_filtered, 2);
	/* RFEN off: nothing */
	wr(DP83820_RFCR, DP83820_RFCR_AAU);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING + 48) & DP83820_CMDSTS_OWN, 0);
	/* a rewritten station address in filter RAM is matched */
	wr(DP83820_RFCR, 4);
	wr(DP83820_RFDR, 0x9900);
	wr(DP83820_RFCR, DP83820_RFCR_RFEN | DP83820_RFCR_APM);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING + 48) & DP83820_CMDSTS_DEST, DP83820_CMDSTS_DEST_SELF);
}

static void test_rx_without_descriptor_is_overrun(void)
{
	fresh("flow=0");
	/* the only descriptor is still the driver's (OWN set, as ns83820 clears them) */
	desc32(RIG_RXRING, 0, busof(RIG_RXBUF), DP83820_CMDSTS_OWN, 0);
	wr(DP83820_RFCR, DP83820_RFCR_RFEN | DP83820_RFCR_AAB | DP83820_RFCR_APM);
	wr(DP83820_RXDP, (uint32_t)busof(RIG_RXRING));
	wr(DP83820_CR, DP83820_CR_RXE);
	uint8_t f[64];
	hvb_wire_gen_frame(f, sizeof f, 1, 60, rig_mac, rig_mac);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	uint32_t isr = rd(DP83820_ISR);
	CU_ASSERT_NOT_EQUAL(isr & DP83820_ISR_RXORN, 0);
	CU_ASSERT_NOT_EQUAL(isr & DP83820_ISR_RXIDLE, 0);
	CU_ASSERT_EQUAL(rd(0x68), 2); /* MIB RXMissedPkts */
	struct dp83820_counters c;
	dp83820_get_counters(R.d, &c);
	CU_ASSERT_EQUAL(c.rx_overruns, 2);
	CU_ASSERT_EQUAL(c.rx_frames, 0);
}

static void test_rx_with_flow_control_defers_instead_of_dropping(void)
{
	fresh(NULL);
	rx_setup(2, 1536);
	uint8_t f[64];
	hvb_wire_gen_frame(f, sizeof f, 1, 60, rig_mac, rig_mac);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), -EAGAIN); /* list ended: RX idle */
	CU_ASSERT_NOT_EQUAL(rd(DP83820_ISR) & DP83820_ISR_RXIDLE, 0);
	/* the driver recycles descriptor 0, links it after 1 and kicks RX */
	desc32(RIG_RXRING, 0, busof(RIG_RXBUF), 1536, 0);
	xdrv_put_le32(R.mem + RIG_RXRING + 16, (uint32_t)busof(RIG_RXRING));
	wr(DP83820_CR, DP83820_CR_RXE);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_NOT_EQUAL(cmdsts32(RIG_RXRING) & DP83820_CMDSTS_OK, 0);
	struct dp83820_counters c;
	dp83820_get_counters(R.d, &c);
	CU_ASSERT_EQUAL(c.rx_frames, 3);
	CU_ASSERT_EQUAL(c.rx_overruns, 0);
}

static void test_rx_frame_longer_than_buffer_sets_long(void)
{
	fresh(NULL);
	rx_setup(2, 100);
	uint8_t f[512];
	hvb_wire_gen_frame(f, sizeof f, 1, 512, rig_mac, rig_mac);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 512), 0);
	uint32_t st = cmdsts32(RIG_RXRING);
	CU_ASSERT_EQUAL(st & (DP83820_CMDSTS_OWN | DP83820_CMDSTS_LONG | DP83820_CMDSTS_OK),
			DP83820_CMDSTS_OWN | DP83820_CMDSTS_LONG);
	CU_ASSERT_NOT_EQUAL(rd(DP83820_ISR) & DP83820_ISR_RXERR, 0);
	CU_ASSERT_EQUAL(R.mem[RIG_RXBUF + 100], 0); /* nothing past the buffer */
}

/* Jumbo frames: refused (LONG) while RXCFG.ALP is clear, taken whole once it is set. */
static void test_rx_jumbo_frame_needs_alp(void)
{
	fresh(NULL);
	rx_setup(4, 9024);
	static uint8_t f[9014];
	for (size_t i = 0; i < sizeof f; i++)
		f[i] = (uint8_t)(i * 7);
	memcpy(f, rig_mac, 6);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, sizeof f), 0);
	CU_ASSERT_EQUAL(cmdsts32(RIG_RXRING) & (DP83820_CMDSTS_LONG | DP83820_CMDSTS_OK),
			DP83820_CMDSTS_LONG);
	wr(DP83820_RXCFG, DP83820_RXCFG_ALP);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, sizeof f), 0);
	uint32_t st = cmdsts32(RIG_RXRING + 16);
	CU_ASSERT_EQUAL(st & (DP83820_CMDSTS_LONG | DP83820_CMDSTS_OK), DP83820_CMDSTS_OK);
	CU_ASSERT_EQUAL(st & DP83820_CMDSTS_LEN, sizeof f);
	struct dp83820_counters c;
	dp83820_get_counters(R.d, &c);
	CU_ASSERT_EQUAL(c.rx_frames, 1);
}

static void test_rx_wild_buffer_pointer_is_master_abort(void)
{
	fresh(NULL);
	rx_setup(2, 1536);
	xdrv_put_le32(R.mem + RIG_RXRING + 4, 0x0badf000u);
	uint8_t f[64];
	hvb_wire_gen_frame(f, sizeof f, 1, 60, rig_mac, rig_mac);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 60), 0);
	CU_ASSERT_NOT_EQUAL(cmdsts32(RIG_RXRING) & DP83820_CMDSTS_RXA, 0);
	uint32_t isr = rd(DP83820_ISR);
	CU_ASSERT_EQUAL(isr & (DP83820_ISR_RMABT | DP83820_ISR_RXERR),
			DP83820_ISR_RMABT | DP83820_ISR_RXERR);
	CU_ASSERT_PTR_NOT_NULL(strstr(R.log, "guest error: RX buffer at an unmapped bus address"));
	CU_ASSERT_EQUAL(dp83820_receive(R.d, f, 13), -EINVAL); /* runt from a broken wire */
}

/* ---- holdoff --------------------------------------------------------------------------------- */

static void test_holdoff_delays_interrupt_until_timer_fires(void)
{
	fresh(NULL);
	wr(DP83820_IHR, 1); /* 100 us */
	wr(DP83820_IMR, DP83820_ISR_SWI);
	wr(DP83820_IER, 1);
	wr(DP83820_CR, DP83820_CR_SWI);
	/* timers run only from hvb_device_poll, so this holds however slow the host is */
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
	CU_ASSERT_TRUE(hvb_timer_armed(R.d, 0));
	struct timespec ts = {0, 2000000}; /* 2 ms >> 100 us */
	nanosleep(&ts, NULL);
	CU_ASSERT_EQUAL(hvb_device_poll(R.d), 1);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	CU_ASSERT_EQUAL(rd(DP83820_ISR), DP83820_ISR_SWI);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
	/* the next event is held off again; IHR 0 releases it at once */
	wr(DP83820_CR, DP83820_CR_SWI);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
	wr(DP83820_IHR, 0);
	CU_ASSERT_TRUE(hvb_irq_pending(R.d, 0));
	CU_ASSERT_FALSE(hvb_timer_armed(R.d, 0));
	/* an event the driver reads away inside the window never raises the line */
	(void)rd(DP83820_ISR);
	wr(DP83820_IHR, 1);
	wr(DP83820_CR, DP83820_CR_SWI);
	CU_ASSERT_TRUE(hvb_timer_armed(R.d, 0));
	CU_ASSERT_EQUAL(rd(DP83820_ISR), DP83820_ISR_SWI);
	CU_ASSERT_FALSE(hvb_timer_armed(R.d, 0));
	nanosleep(&ts, NULL);
	CU_ASSERT_EQUAL(hvb_device_poll(R.d), 0);
	CU_ASSERT_FALSE(hvb_irq_pending(R.d, 0));
}

/* ---- 64-bit descriptors ---------------------------------------------------------------------- */

static void test_desc64_tx_and_rx(void)
{
	fresh(NULL);
	struct hvb_wire *w = attach_gen(NULL);
	wr(DP83820_CFG, DP83820_CFG_M64ADDR | DP83820_CFG_EXTSTS_EN);
	wr(DP83820_VRCR, DP83820_VRCR_IPEN);
	hvb_wire_gen_frame(R.mem + RIG_TXBUF, 2048, 9, 128, rig_mac, rig_mac);
	desc64(RIG_TXRING, busof(RIG_TXRING + 24), busof(RIG_TXBUF),
	       DP83820_CMDSTS_OWN | DP83820_CMDSTS_MORE | 100, 0);
	desc64(RIG_TXRING + 24, 0, busof(RIG_TXBUF + 100), DP83820_CMDSTS_OWN | 28, 0);
	wr(DP83820_TXDP_HI, 0);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	CU_ASSERT_EQUAL(xdrv_get_le32(R.mem + RIG_TXRING + 24 + 16), DP83820_CMDSTS_OK | 28);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 1);
	CU_ASSERT_EQUAL(ws.digest, rig_digest(RIG_FNV_OFFSET, R.mem + RIG_TXBUF, 128));

	desc64(RIG_RXRING, 0, busof(RIG_RXBUF), 1536, 0);
	wr(DP83820_RFCR, DP83820_RFCR_RFEN | DP83820_RFCR_APM);
	wr(DP83820_RXDP_HI, 0);
	wr(DP83820_RXDP, (uint32_t)busof(RIG_RXRING));
	wr(DP83820_CR, DP83820_CR_RXE);
	CU_ASSERT_EQUAL(dp83820_receive(R.d, R.mem + RIG_TXBUF, 128), 0);
	CU_ASSERT_EQUAL(xdrv_get_le32(R.mem + RIG_RXRING + 16),
			DP83820_CMDSTS_OWN | DP83820_CMDSTS_OK | DP83820_CMDSTS_DEST_SELF | 128);
	CU_ASSERT_EQUAL(xdrv_get_le32(R.mem + RIG_RXRING + 20),
			DP83820_EXTSTS_IPPKT | DP83820_EXTSTS_UDPPKT);
	CU_ASSERT_EQUAL(memcmp(R.mem + RIG_RXBUF, R.mem + RIG_TXBUF, 128), 0);

	/* the high half of a 64-bit pointer is used: above 4 GiB nothing is mapped */
	desc64(RIG_TXRING, 0, busof(RIG_TXBUF) | (1ull << 32), DP83820_CMDSTS_OWN | 60, 0);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	(void)rd(DP83820_ISR);
	wr(DP83820_CR, DP83820_CR_TXE);
	CU_ASSERT_NOT_EQUAL(rd(DP83820_ISR) & DP83820_ISR_RMABT, 0);
	wr(DP83820_TXDP_HI, 1);
	CU_ASSERT_EQUAL(rd(DP83820_TXDP_HI), 1);
	wr(DP83820_CR, DP83820_CR_TXE);
	CU_ASSERT_NOT_EQUAL(rd(DP83820_ISR) & DP83820_ISR_TXERR, 0);
	hvb_wire_destroy(w);
}

XTEST_SUITE(hvb_dp83820, setup, teardown, XTEST(test_reset_values_and_identity),
	    XTEST(test_only_32bit_accesses_reach_registers),
	    XTEST(test_cfg_link_bits_are_read_only), XTEST(test_link_change_sets_phy_interrupt),
	    XTEST(test_isr_clears_on_read), XTEST(test_line_follows_isr_imr_ier_on_every_write),
	    XTEST(test_cr_reset_self_clears_and_restores_defaults),
	    XTEST(test_filter_ram_holds_mac_from_config), XTEST(test_config_rejects_bad_values),
	    XTEST(test_tx_single_frame_hands_own_back), XTEST(test_tx_appends_after_null_link),
	    XTEST(test_tx_gathers_fragments_and_inserts_udp_checksum),
	    XTEST(test_tx_inserts_tcp_checksum),
	    XTEST(test_tx_without_offload_enable_leaves_checksums),
	    XTEST(test_tx_ring_is_bounded_per_kick_and_resumes_at_poll),
	    XTEST(test_tx_rate_paces_the_line), XTEST(test_tx_wild_buffer_pointer_is_master_abort),
	    XTEST(test_tx_buffer_running_off_its_mapping_faults),
	    XTEST(test_tx_zero_length_fragment_aborts), XTEST(test_tx_frame_over_64k_aborts),
	    XTEST(test_tx_looping_fragment_chain_aborts),
	    XTEST(test_tx_wild_descriptor_pointer_is_master_abort),
	    XTEST(test_rx_fills_buffer_sets_own_and_extsts),
	    XTEST(test_rx_reports_bad_checksums_in_extsts), XTEST(test_rx_broadcast_and_filter),
	    XTEST(test_rx_without_descriptor_is_overrun),
	    XTEST(test_rx_with_flow_control_defers_instead_of_dropping),
	    XTEST(test_rx_frame_longer_than_buffer_sets_long), XTEST(test_rx_jumbo_frame_needs_alp),
	    XTEST(test_rx_wild_buffer_pointer_is_master_abort),
	    XTEST(test_holdoff_delays_interrupt_until_timer_fires), XTEST(test_desc64_tx_and_rx))
