// SPDX-License-Identifier: MIT
/*
 * Tests for the virtio-mmio transport, split virtqueues and the virtio-scsi request path
 * (hypervisor-backends/models/virtio_mmio.c, virtqueue.c, virtio_scsi.c), driven as a guest
 * driver would through checked register accesses and DMA mappings: identification and config
 * space, feature negotiation, queue setup, notify -> used ring, interrupt status/ack, indirect
 * descriptors, TMFs, and malformed chains, indices and addresses -> NEEDS_RESET without harm.
 */
#include "../xtest.h"
#include "vscsi_guest.h"

#include <errno.h>
#include <stdio.h>

static struct guest G;

static void up(const char *config)
{
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(guest_create(&G, config ? config : "disk=ram:1M", &err), 0);
	free(err);
}

static void down(void)
{
	guest_destroy(&G);
}

static const uint8_t TUR[6] = {0x00};

/* Clear the power-on UNIT ATTENTION of LUN 0. */
static void clear_ua(void)
{
	guest_scsi(&G, 0, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(resp_status(&G), 0x02);
	CU_ASSERT_EQUAL(resp_sense(&G)[2], 0x06);
}

static void test_identification_and_config_space(void)
{
	up("disk=ram:1M,disk=ram:2M,num_queues=2,queue_size=64");
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976u);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_VERSION), 2u);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_DEVICE_ID), 8u);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_VENDOR_ID), HVB_VSCSI_VENDOR_ID);
	g_wr(&G, VIRTIO_MMIO_QUEUE_SEL, 3); /* second request queue */
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_QUEUE_NUM_MAX), 64u);
	g_wr(&G, VIRTIO_MMIO_QUEUE_SEL, 4); /* no such queue */
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_QUEUE_NUM_MAX), 0u);
	uint32_t c = VIRTIO_MMIO_CONFIG;
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_NUM_QUEUES), 2u);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_SEG_MAX), 254u);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_MAX_SECTORS), 4096u);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_SENSE_SIZE), 96u);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_CDB_SIZE), 32u);
	CU_ASSERT_EQUAL(hvb_reg_read(G.dev, 0, c + VIRTIO_SCSI_CFG_MAX_TARGET, 2), 0u);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_MAX_LUN), 7u);
	CU_ASSERT_EQUAL(hvb_reg_read(G.dev, 0, c + VIRTIO_SCSI_CFG_EVENT_INFO_SIZE, 1), 16u);
	/* the driver may shrink sense_size / cdb_size; a read-only field ignores writes */
	g_wr(&G, c + VIRTIO_SCSI_CFG_SENSE_SIZE, 32);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_SENSE_SIZE), 32u);
	g_wr(&G, c + VIRTIO_SCSI_CFG_NUM_QUEUES, 9);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_NUM_QUEUES), 2u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "write to a read-only configuration field"));
	/* reset restores the default sense size */
	g_wr(&G, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(g_rd(&G, c + VIRTIO_SCSI_CFG_SENSE_SIZE), 96u);
	CU_ASSERT_EQUAL(hvb_vscsi_num_luns(G.dev), 2u);
	CU_ASSERT_EQUAL(hvb_vscsi_lun_blocks(G.dev, 1), 4096u);
	down();
}

static void test_control_registers_take_only_32_bit_accesses(void)
{
	up(NULL);
	CU_ASSERT_EQUAL(hvb_reg_read(G.dev, 0, VIRTIO_MMIO_MAGIC_VALUE, 2), 0xffffu);
	hvb_reg_write(G.dev, 0, VIRTIO_MMIO_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS), 0u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "virtio-scsi.0: guest error: control register "
					     "access not 32 bits wide"));
	down();
}

static void test_feature_negotiation(void)
{
	up(NULL);
	g_wr(&G, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_DEVICE_FEATURES), 1u << VIRTIO_F_RING_INDIRECT_DESC);
	g_wr(&G, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_DEVICE_FEATURES), 1u); /* VERSION_1 */
	g_wr(&G, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_DEVICE_FEATURES), 0u);
	/* without VERSION_1 (a legacy driver) FEATURES_OK does not stick */
	g_wr(&G, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	g_wr(&G, VIRTIO_MMIO_STATUS, 0xb);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS), 3u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "FEATURES_OK refused: VERSION_1 missing"));
	/* accepting a feature never offered (bit 1, VIRTIO_SCSI_F_HOTPLUG) does not stick either */
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES, 2);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	g_wr(&G, VIRTIO_MMIO_STATUS, 0xb);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS), 3u);
	/* the full sequence */
	CU_ASSERT_EQUAL(guest_init(&G, 0), 0xfu);
	/* features are frozen after FEATURES_OK */
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "DriverFeatures written after FEATURES_OK"));
	down();
}

static void test_notify_completes_into_used_ring_and_interrupts(void)
{
	up(NULL);
	CU_ASSERT_EQUAL(guest_init(&G, 0), 0xfu);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_INTERRUPT_STATUS), 0u);
	CU_ASSERT_FALSE(hvb_irq_pending(G.dev, 0));
	uint32_t len = guest_scsi(&G, 0, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 1);
	CU_ASSERT_EQUAL(len, RESP_SIZE);
	uint32_t id = 99, ulen = 0;
	guest_used(&G, 2, 0, &id, &ulen);
	CU_ASSERT_EQUAL(id, 0u);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	CU_ASSERT_TRUE(hvb_irq_pending(G.dev, 0));
	g_wr(&G, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_INTERRUPT_STATUS), 0u);
	CU_ASSERT_FALSE(hvb_irq_pending(G.dev, 0));
	/* the first command after power-on reports the unit attention, the second is GOOD */
	CU_ASSERT_EQUAL(resp_response(&G), VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(resp_status(&G), 0x02);
	CU_ASSERT_EQUAL(xdrv_get_le32(G.mem + RESP_OFF), 18u);
	static const uint8_t ua[18] = {0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0};
	CU_ASSERT_EQUAL(memcmp(resp_sense(&G), ua, 18), 0);
	guest_scsi(&G, 0, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(resp_status(&G), 0x00);
	CU_ASSERT_EQUAL(xdrv_get_le32(G.mem + RESP_OFF), 0u);
	/* the driver can suppress the interrupt */
	g_wr(&G, VIRTIO_MMIO_INTERRUPT_ACK, 3);
	xdrv_put_le16(G.mem + g_qbase(2) + 0x100, VIRTQ_AVAIL_F_NO_INTERRUPT);
	guest_scsi(&G, 0, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 3);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_INTERRUPT_STATUS), 0u);
	struct hvb_vscsi_stats st;
	CU_ASSERT_EQUAL(hvb_vscsi_get_stats(G.dev, &st), 0);
	CU_ASSERT_EQUAL(st.requests, 3u);
	CU_ASSERT_EQUAL(st.notifies, 3u);
	CU_ASSERT_EQUAL(st.interrupts, 2u);
	CU_ASSERT_EQUAL(st.check_conditions, 1u);
	down();
}

static void test_write_then_read_through_the_request_queue(void)
{
	up("disk=ram:1M");
	guest_init(&G, 0);
	clear_ua();
	uint8_t *data = G.mem + DATA_OFF;
	for (uint32_t i = 0; i < 8192; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	const uint8_t w10[10] = {0x2a, 0, 0, 0, 0, 100, 0, 0, 16, 0};
	uint32_t len = guest_scsi(&G, 0, 0, w10, 10, 8192, 1);
	CU_ASSERT_EQUAL(resp_status(&G), 0);
	CU_ASSERT_EQUAL(len, RESP_SIZE);
	memset(data, 0, 8192);
	const uint8_t r16[16] = {0x88, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 16, 0, 0};
	len = guest_scsi(&G, 0, 0, r16, 16, 8192 + 512, 2); /* a larger buffer: resid 512 */
	CU_ASSERT_EQUAL(resp_status(&G), 0);
	CU_ASSERT_EQUAL(len, RESP_SIZE + 8192);
	CU_ASSERT_EQUAL(xdrv_get_le32(G.mem + RESP_OFF + 4), 512u);
	int same = 1;
	for (uint32_t i = 0; i < 8192; i++)
		same &= data[i] == (uint8_t)(i * 7 + 3);
	CU_ASSERT_TRUE(same);
	/* a buffer smaller than the transfer: OVERRUN, nothing transferred */
	len = guest_scsi(&G, 0, 0, r16, 16, 4096, 2);
	CU_ASSERT_EQUAL(resp_response(&G), VIRTIO_SCSI_S_OVERRUN);
	CU_ASSERT_EQUAL(len, RESP_SIZE);
	/* another target, or a malformed LUN field: BAD_TARGET */
	guest_scsi(&G, 1, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(resp_response(&G), VIRTIO_SCSI_S_BAD_TARGET);
	/* an absent LUN on target 0: ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED */
	guest_scsi(&G, 0, 5, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(resp_response(&G), VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(resp_status(&G), 0x02);
	CU_ASSERT_EQUAL(resp_sense(&G)[2], 0x05);
	CU_ASSERT_EQUAL(resp_sense(&G)[12], 0x25);
	struct hvb_vscsi_stats st;
	hvb_vscsi_get_stats(G.dev, &st);
	CU_ASSERT_EQUAL(st.writes, 1u);
	CU_ASSERT_EQUAL(st.reads, 1u);
	CU_ASSERT_EQUAL(st.bytes_written, 8192u);
	CU_ASSERT_EQUAL(st.bytes_read, 8192u);
	CU_ASSERT_EQUAL(st.bad_target, 1u);
	down();
}

static void test_request_split_across_descriptors_any_layout(void)
{
	up(NULL);
	guest_init(&G, 0);
	clear_ua();
	/* INQUIRY with the request header split 7 + rest, response header split 5 + rest, data in
	 * two pieces: the device treats each direction as one byte stream */
	uint8_t *req = G.mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	const uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0};
	memcpy(req + 19, inq, 6);
	const struct gseg s[] = {
		{REQ_OFF, 7, false},  {REQ_OFF + 7, REQ_SIZE - 7, false},
		{RESP_OFF, 5, true},  {RESP_OFF + 5, RESP_SIZE - 5, true},
		{DATA_OFF, 10, true}, {DATA_OFF + 10, 26, true},
	};
	guest_submit(&G, 2, s, 6);
	CU_ASSERT_EQUAL(resp_status(&G), 0);
	CU_ASSERT_EQUAL(memcmp(G.mem + DATA_OFF + 8, "XDRV    VIRTIO-SCSI DISK1.0 ", 28), 0);
	uint32_t id, len;
	guest_used(&G, 2, guest_used_idx(&G, 2) - 1, &id, &len);
	CU_ASSERT_EQUAL(len, RESP_SIZE + 36);
	down();
}

static void test_indirect_descriptors(void)
{
	up(NULL);
	guest_init(&G, 1ull << VIRTIO_F_RING_INDIRECT_DESC);
	clear_ua();
	/* an indirect table at 0x30000: request, response */
	uint8_t *req = G.mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	uint8_t *t = G.mem + 0x30000;
	xdrv_put_le64(t, G.bus + REQ_OFF);
	xdrv_put_le32(t + 8, REQ_SIZE);
	xdrv_put_le16(t + 12, VIRTQ_DESC_F_NEXT);
	xdrv_put_le16(t + 14, 1);
	xdrv_put_le64(t + 16, G.bus + RESP_OFF);
	xdrv_put_le32(t + 24, RESP_SIZE);
	xdrv_put_le16(t + 28, VIRTQ_DESC_F_WRITE);
	guest_desc(&G, 2, 0, G.bus + 0x30000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 2);
	CU_ASSERT_EQUAL(resp_status(&G), 0);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	down();
	/* not negotiated: NEEDS_RESET */
	up(NULL);
	guest_init(&G, 0);
	guest_desc(&G, 2, 0, G.bus + 0x30000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 0);
	CU_ASSERT_NOT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "indirect descriptor without "
					     "VIRTIO_F_RING_INDIRECT_DESC"));
	down();
}

/* After a malformed submission: NEEDS_RESET, a config interrupt, the message, nothing used,
 * the queue dead until reset, and a reset brings the device back. */
static void expect_needs_reset(const char *msg)
{
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 0);
	uint32_t st = g_rd(&G, VIRTIO_MMIO_STATUS);
	CU_ASSERT_EQUAL(st, 0xfu | VIRTIO_STATUS_NEEDS_RESET);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
			VIRTIO_MMIO_INT_CONFIG);
	CU_ASSERT_TRUE(hvb_irq_pending(G.dev, 0));
	char want[160];
	snprintf(want, sizeof want, "virtio-scsi.0: guest error: %s", msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, want));
	if (!strstr(G.log, want))
		fprintf(stderr, "log was: %s\n", G.log);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2); /* still dead */
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 0);
	struct hvb_vscsi_stats s;
	hvb_vscsi_get_stats(G.dev, &s);
	CU_ASSERT_EQUAL(s.needs_reset, 1u);
	/* a reset and a fresh init work again */
	memset(G.mem + g_qbase(2), 0, G_QAREA);
	CU_ASSERT_EQUAL(guest_init(&G, 0), 0xfu);
	guest_scsi(&G, 0, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 1);
	CU_ASSERT_EQUAL(resp_response(&G), VIRTIO_SCSI_S_OK);
}

static void test_head_index_out_of_range_needs_reset(void)
{
	up(NULL);
	guest_init(&G, 0);
	guest_avail(&G, 2, G_QSIZE + 3);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_needs_reset("descriptor head index out of range");
	down();
}

static void test_descriptor_loop_needs_reset(void)
{
	up(NULL);
	guest_init(&G, 0);
	guest_desc(&G, 2, 0, G.bus + REQ_OFF, 16, VIRTQ_DESC_F_NEXT, 1);
	guest_desc(&G, 2, 1, G.bus + REQ_OFF, 16, VIRTQ_DESC_F_NEXT, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_needs_reset("descriptor chain longer than its table (a loop?)");
	down();
}

static void test_next_index_out_of_range_needs_reset(void)
{
	up(NULL);
	guest_init(&G, 0);
	guest_desc(&G, 2, 0, G.bus + REQ_OFF, 16, VIRTQ_DESC_F_NEXT, 400);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_needs_reset("next descriptor index out of range");
	down();
}

static void test_avail_index_jump_needs_reset(void)
{
	up(NULL);
	guest_init(&G, 0);
	xdrv_put_le16(G.mem + g_qbase(2) + 0x100 + 2, G_QSIZE + 1);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_needs_reset("avail idx moved more than the queue size ahead");
	down();
}

static void test_wild_buffer_address_needs_reset(void)
{
	up(NULL);
	guest_init(&G, 0);
	guest_desc(&G, 2, 0, 0xdead0000ull, REQ_SIZE, VIRTQ_DESC_F_NEXT, 1);
	guest_desc(&G, 2, 1, G.bus + RESP_OFF, RESP_SIZE, VIRTQ_DESC_F_WRITE, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_needs_reset("command request not readable (unmapped bus address)");
	down();
}

static void test_short_request_and_readable_after_writable_need_reset(void)
{
	up(NULL);
	guest_init(&G, 0);
	const struct gseg s[] = {{REQ_OFF, 10, false}, {RESP_OFF, RESP_SIZE, true}};
	guest_submit(&G, 2, s, 2);
	expect_needs_reset("command request shorter than its headers");
	down();
	up(NULL);
	guest_init(&G, 0);
	guest_desc(&G, 2, 0, G.bus + RESP_OFF, RESP_SIZE, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		   1);
	guest_desc(&G, 2, 1, G.bus + REQ_OFF, REQ_SIZE, 0, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_needs_reset("device-readable descriptor after a device-writable one");
	down();
}

static void test_misaligned_or_oversized_queue_needs_reset(void)
{
	up(NULL);
	g_wr(&G, VIRTIO_MMIO_STATUS, 0xb);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	g_wr(&G, VIRTIO_MMIO_QUEUE_SEL, 2);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NUM, 12); /* not a power of two */
	g_wr(&G, VIRTIO_MMIO_QUEUE_READY, 1);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_QUEUE_READY), 0u);
	CU_ASSERT_NOT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "queue size is not a power of two within "
					     "QueueNumMax"));
	g_wr(&G, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS), 0u);
	g_wr(&G, VIRTIO_MMIO_QUEUE_SEL, 2);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NUM, 8);
	g_wr(&G, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)G.bus + 8);
	g_wr(&G, VIRTIO_MMIO_QUEUE_READY, 1);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_QUEUE_READY), 0u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "misaligned ring address"));
	down();
}

static void test_unmapped_ring_needs_reset(void)
{
	up(NULL);
	guest_init(&G, 0);
	g_wr(&G, VIRTIO_MMIO_STATUS, 0);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	g_wr(&G, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	g_wr(&G, VIRTIO_MMIO_STATUS, 0xb);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS), 0xbu);
	g_wr(&G, VIRTIO_MMIO_QUEUE_SEL, 2);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NUM, 8);
	g_wr(&G, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	g_wr(&G, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x2000);
	g_wr(&G, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x3000);
	g_wr(&G, VIRTIO_MMIO_QUEUE_READY, 1);
	g_wr(&G, VIRTIO_MMIO_STATUS, 0xf);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_NOT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "available ring not readable (unmapped bus address)"));
	down();
}

static void test_tmf_lun_reset_raises_unit_attention(void)
{
	up("disk=ram:64K,disk=ram:64K");
	guest_init(&G, 0);
	clear_ua();
	guest_scsi(&G, 0, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(resp_status(&G), 0);
	/* LOGICAL UNIT RESET on LUN 0 through the control queue */
	uint8_t *tmf = G.mem + 0x40000;
	memset(tmf, 0, 32);
	xdrv_put_le32(tmf, VIRTIO_SCSI_T_TMF);
	xdrv_put_le32(tmf + 4, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET);
	tmf[8] = 1;
	tmf[10] = 0x40;
	G.mem[0x40100] = 0xee;
	const struct gseg s[] = {{0x40000, VIRTIO_SCSI_TMF_REQ_SIZE, false},
				 {0x40100, VIRTIO_SCSI_TMF_RESP_SIZE, true}};
	guest_submit(&G, 0, s, 2);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 0), 1);
	CU_ASSERT_EQUAL(G.mem[0x40100], VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	guest_scsi(&G, 0, 0, TUR, 6, 0, 0);
	CU_ASSERT_EQUAL(resp_status(&G), 0x02);
	CU_ASSERT_EQUAL(resp_sense(&G)[2], 0x06);
	CU_ASSERT_EQUAL(resp_sense(&G)[12], 0x29);
	/* an AN query answers event_actual 0, OK */
	xdrv_put_le32(tmf, VIRTIO_SCSI_T_AN_QUERY);
	memset(G.mem + 0x40100, 0xee, 8);
	const struct gseg a[] = {{0x40000, VIRTIO_SCSI_AN_REQ_SIZE, false},
				 {0x40100, VIRTIO_SCSI_AN_RESP_SIZE, true}};
	guest_submit(&G, 0, a, 2);
	static const uint8_t an_ok[5] = {0, 0, 0, 0, 0};
	CU_ASSERT_EQUAL(memcmp(G.mem + 0x40100, an_ok, 5), 0);
	struct hvb_vscsi_stats st;
	hvb_vscsi_get_stats(G.dev, &st);
	CU_ASSERT_EQUAL(st.tmfs, 2u);
	down();
}

static void test_device_reset_raises_unit_attention(void)
{
	up(NULL);
	guest_init(&G, 0);
	clear_ua();
	guest_init(&G, 0); /* writes Status 0 first */
	clear_ua();
	hvb_device_reset(G.dev);
	CU_ASSERT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS), 0u);
	guest_init(&G, 0);
	clear_ua();
	down();
}

static void test_bad_configs_fail_with_messages(void)
{
	struct hvb_backend *be = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &be, &err), 0);
	static const struct {
		const char *config;
		int rc;
		const char *msg;
	} cases[] = {
		{"", -EINVAL, "config: no disk (e.g. \"disk=ram:64M\")"},
		{"disk=ram:1M,speed=9", -EINVAL, "config key 'speed': unknown"},
		{"disk=tape:1", -ENOENT, "disk 'tape:1': unknown backend 'tape'"},
		{"disk=ram:1000", -EINVAL, "ram size '1000': expected a multiple of 512"},
		{"disk=file:/nonexistent/x.img", -ENOENT,
		 "config disk #0: disk "
		 "'file:/nonexistent/x.img': file "
		 "'/nonexistent/x.img': No such file"},
		{"disk=ram:1M,queue_size=100", -EINVAL, "queue_size=100: not a power of two"},
		{"disk=ram:1M,num_queues=9", -EINVAL, "num_queues=9: expected a number in 1..8"},
		{"disk=ram:1M,serial=a b", -EINVAL, "serial=a b: expected 1..16 of"},
		{"disk=ram:1M,disk=ram:1M,disk=ram:1M,disk=ram:1M,disk=ram:1M,disk=ram:1M,"
		 "disk=ram:1M,disk=ram:1M,disk=ram:1M",
		 -EINVAL, "config: more than 8 disks"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err = NULL;
		CU_ASSERT_EQUAL(hvb_device_create(be, "virtio-scsi", cases[i].config, &d, &err),
				cases[i].rc);
		CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, cases[i].msg) : NULL);
		if (!err || !strstr(err, cases[i].msg))
			fprintf(stderr, "config '%s': got '%s'\n", cases[i].config,
				err ? err : "(null)");
		free(err);
	}
	hvb_backend_destroy(be);
	struct hvb_vscsi_stats st;
	CU_ASSERT_EQUAL(hvb_vscsi_get_stats(NULL, &st), -EINVAL);
}

XTEST_SUITE(virtio_mmio, NULL, NULL, XTEST(test_identification_and_config_space),
	    XTEST(test_control_registers_take_only_32_bit_accesses),
	    XTEST(test_feature_negotiation),
	    XTEST(test_notify_completes_into_used_ring_and_interrupts),
	    XTEST(test_write_then_read_through_the_request_queue),
	    XTEST(test_request_split_across_descriptors_any_layout),
	    XTEST(test_indirect_descriptors), XTEST(test_head_index_out_of_range_needs_reset),
	    XTEST(test_descriptor_loop_needs_reset),
	    XTEST(test_next_index_out_of_range_needs_reset),
	    XTEST(test_avail_index_jump_needs_reset), XTEST(test_wild_buffer_address_needs_reset),
	    XTEST(test_short_request_and_readable_after_writable_need_reset),
	    XTEST(test_misaligned_or_oversized_queue_needs_reset),
	    XTEST(test_unmapped_ring_needs_reset), XTEST(test_tmf_lun_reset_raises_unit_attention),
	    XTEST(test_device_reset_raises_unit_attention),
	    XTEST(test_bad_configs_fail_with_messages))
