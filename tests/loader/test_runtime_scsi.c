// SPDX-License-Identifier: MIT
/*
 * Tests for loader/runtime_scsi.c with a natively compiled fake HBA (`fake_hba`) on the testdev
 * model: a target 0 that answers TEST UNIT READY at once, INQUIRY from the class poll, WRITE/READ
 * BUFFER through a 512-byte buffer, and CHECK CONDITION with fixed-format sense data from an
 * interrupt; target 1 does not exist. Covers sense returned intact and capped, host errors,
 * queue-busy retries, argument checks and timeouts.
 */
#include "test_runtime_fixture.h"

#include <errno.h>

#define TD_IRQ 0x800u

static const uint8_t sense_invalid_opcode[18] = {0x70, 0, 0x05, 0,    0,    0, 0, 0x0a, 0,
						 0,    0, 0,	0x20, 0x00, 0, 0, 0,	0};

static struct {
	xdrv_device_t *dev;
	xdrv_region_t *mmio;
	xdrv_scsi_host_t *host;
	const struct xdrv_scsi_cmd *polled, *irq_cmd;
	uint8_t buffer[512];
	int busy_once, queued;
} S;

static void complete(const struct xdrv_scsi_cmd *c, uint32_t hs, uint32_t st, const uint8_t *sense,
		     uint32_t sl, uint64_t resid)
{
	xdrv_scsi_complete(S.host, c, hs, st, sense, sl, resid);
}

static int32_t hba_queue(xdrv_scsi_host_t *host, const struct xdrv_scsi_cmd *c)
{
	(void)host;
	S.queued++;
	if (S.busy_once) {
		S.busy_once = 0;
		return XDRV_EBUSY;
	}
	if (c->target != 0) {
		complete(c, XDRV_SCSI_HOST_NO_TARGET, 0, NULL, 0, c->data_len);
		return XDRV_OK;
	}
	switch (c->cdb[0]) {
	case 0x00: /* TEST UNIT READY */
		complete(c, XDRV_SCSI_HOST_OK, XDRV_SCSI_STATUS_GOOD, NULL, 0, 0);
		break;
	case 0x12: /* INQUIRY: completed by poll */
		S.polled = c;
		break;
	case 0x3b: /* WRITE BUFFER */
		memcpy(S.buffer, c->data, c->data_len < 512 ? c->data_len : 512);
		complete(c, XDRV_SCSI_HOST_OK, XDRV_SCSI_STATUS_GOOD, NULL, 0, 0);
		break;
	case 0x3c: /* READ BUFFER */
		memcpy(c->data, S.buffer, c->data_len < 512 ? c->data_len : 512);
		complete(c, XDRV_SCSI_HOST_OK, XDRV_SCSI_STATUS_GOOD, NULL, 0, 0);
		break;
	case 0x99: /* never completes */
		break;
	case 0xff: { /* oversized sense */
		uint8_t big[200];
		memset(big, 0x5a, sizeof big);
		complete(c, XDRV_SCSI_HOST_OK, XDRV_SCSI_STATUS_CHECK_CONDITION, big, sizeof big,
			 0);
		break;
	}
	default: /* unsupported: CHECK CONDITION, ILLEGAL REQUEST / INVALID OPCODE, by interrupt */
		S.irq_cmd = c;
		xdrv_io_write32(S.mmio, TD_IRQ, 1);
		break;
	}
	return XDRV_OK;
}

static int32_t hba_poll(xdrv_scsi_host_t *host)
{
	(void)host;
	if (S.polled) {
		static const char inq[36] = "\0\0\x05\x02\x1f\0\0\0XDRV    FAKEDISK        1.0 ";
		const struct xdrv_scsi_cmd *c = S.polled;
		uint64_t n = c->data_len < sizeof inq ? c->data_len : sizeof inq;
		memcpy(c->data, inq, n);
		S.polled = NULL;
		complete(c, XDRV_SCSI_HOST_OK, XDRV_SCSI_STATUS_GOOD, NULL, 0, c->data_len - n);
	}
	return XDRV_OK;
}

static uint32_t hba_irq(void *ctx)
{
	(void)ctx;
	xdrv_io_write32(S.mmio, TD_IRQ, 0);
	if (S.irq_cmd) {
		const struct xdrv_scsi_cmd *c = S.irq_cmd;
		S.irq_cmd = NULL;
		complete(c, XDRV_SCSI_HOST_OK, XDRV_SCSI_STATUS_CHECK_CONDITION,
			 sense_invalid_opcode, sizeof sense_invalid_opcode, c->data_len);
	}
	return XDRV_IRQ_HANDLED;
}

static const struct xdrv_scsi_ops hba_ops = {
	.struct_size = sizeof(struct xdrv_scsi_ops),
	.queuecommand = hba_queue,
	.poll = hba_poll,
};

static int32_t hba_probe(xdrv_device_t *dev)
{
	S.dev = dev;
	S.mmio = xdrv_dev_region(dev, 0);
	S.host = xdrv_scsi_register(dev, &hba_ops, 1, 0, 4, &S);
	if (!S.host || xdrv_scsi_priv(S.host) != &S)
		return XDRV_ENOMEM;
	return xdrv_irq_request(dev, 0, hba_irq, NULL);
}

static void hba_remove(xdrv_device_t *dev)
{
	xdrv_irq_free(dev, 0);
	xdrv_scsi_unregister(S.host);
}

static const struct xdrv_match hba_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static const struct xdrv_driver fake_hba_driver = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "fake_hba",
	.version = "1.0.0",
	.match = hba_match,
	.probe = hba_probe,
	.remove = hba_remove,
};

static struct rtf_dev F;

static struct ldr_scsi_host *setup(struct ldr_driver **drv)
{
	memset(&S, 0, sizeof S);
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_bind_opts o = {.io_timeout_ms = 100};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_driver_bind(&fake_hba_driver, F.dev, &o, drv, &err), 0);
	struct ldr_scsi_host *h = ldr_driver_scsi_host(*drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

static void teardown(struct ldr_driver *drv)
{
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

struct res {
	int rc;
	uint32_t status, sense_len;
	uint8_t sense[XDRV_SCSI_SENSE_MAX];
	char *err;
};

static struct res exec(struct ldr_scsi_host *h, uint32_t target, uint8_t op, uint32_t dir,
		       void *buf, uint64_t len)
{
	struct res r;
	memset(&r, 0, sizeof r);
	r.status = 0xdead;
	uint8_t cdb[6] = {op, 0, 0, 0, (uint8_t)len, 0};
	r.rc = ldr_scsi_exec(h, target, 0, cdb, sizeof cdb, dir, buf, len, &r.status, r.sense,
			     &r.sense_len, &r.err);
	return r;
}

static void test_commands_complete_with_good_status_and_data(void)
{
	struct ldr_driver *drv;
	struct ldr_scsi_host *h = setup(&drv);
	struct res r = exec(h, 0, 0x00, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT(r.rc == 0 && r.status == XDRV_SCSI_STATUS_GOOD && r.sense_len == 0);
	uint8_t inq[96];
	memset(inq, 0xee, sizeof inq);
	r = exec(h, 0, 0x12, XDRV_SCSI_DIR_FROM_DEVICE, inq, sizeof inq);
	CU_ASSERT(r.rc == 0 && r.status == XDRV_SCSI_STATUS_GOOD);
	CU_ASSERT(memcmp(inq + 8, "XDRV    FAKEDISK", 16) == 0);
	CU_ASSERT_EQUAL(inq[40], 0); /* past the 36 bytes: the zeroed bounce buffer, not 0xee */
	uint8_t out[512], in[512];
	for (int i = 0; i < 512; i++)
		out[i] = (uint8_t)(i ^ 0x3c);
	r = exec(h, 0, 0x3b, XDRV_SCSI_DIR_TO_DEVICE, out, sizeof out);
	CU_ASSERT_EQUAL(r.rc, 0);
	r = exec(h, 0, 0x3c, XDRV_SCSI_DIR_FROM_DEVICE, in, sizeof in);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT(memcmp(in, out, sizeof in) == 0);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown(drv);
}

static void test_check_condition_returns_the_sense_data_intact(void)
{
	struct ldr_driver *drv;
	struct ldr_scsi_host *h = setup(&drv);
	struct res r = exec(h, 0, 0x5e, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, XDRV_SCSI_STATUS_CHECK_CONDITION);
	CU_ASSERT_EQUAL(r.sense_len, sizeof sense_invalid_opcode);
	CU_ASSERT(memcmp(r.sense, sense_invalid_opcode, sizeof sense_invalid_opcode) == 0);
	CU_ASSERT_EQUAL(r.sense[2] & 0xf, 0x05); /* ILLEGAL REQUEST */
	CU_ASSERT_EQUAL(r.sense[12], 0x20);	 /* INVALID COMMAND OPERATION CODE */
	r = exec(h, 0, 0xff, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT_EQUAL(r.sense_len, XDRV_SCSI_SENSE_MAX);
	CU_ASSERT(r.sense[0] == 0x5a && r.sense[XDRV_SCSI_SENSE_MAX - 1] == 0x5a);
	teardown(drv);
}

static void test_missing_target_is_a_host_error(void)
{
	struct ldr_driver *drv;
	struct ldr_scsi_host *h = setup(&drv);
	struct res r = exec(h, 1, 0x00, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT_EQUAL(r.rc, -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(r.err ? strstr(r.err, "scsi host 0: command 0x00 to 1:0: no target")
				     : NULL);
	free(r.err);
	r = exec(h, 5, 0x00, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT_EQUAL(r.rc, -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(r.err ? strstr(r.err, "no target 5 lun 0 (max 1:0)") : NULL);
	free(r.err);
	teardown(drv);
}

static void test_busy_queue_is_retried(void)
{
	struct ldr_driver *drv;
	struct ldr_scsi_host *h = setup(&drv);
	S.busy_once = 1;
	struct res r = exec(h, 0, 0x00, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(S.queued, 2);
	teardown(drv);
}

static void test_malformed_commands_are_refused_before_the_driver(void)
{
	struct ldr_driver *drv;
	struct ldr_scsi_host *h = setup(&drv);
	uint8_t cdb[40] = {0}, buf[8];
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_scsi_exec(h, 0, 0, cdb, 0, 0, NULL, 0, NULL, NULL, NULL, &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "CDB length 0 outside 1..32") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_scsi_exec(h, 0, 0, cdb, 33, 0, NULL, 0, NULL, NULL, NULL, &err),
			-EINVAL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(
		ldr_scsi_exec(h, 0, 0, cdb, 6, XDRV_SCSI_DIR_NONE, buf, 8, NULL, NULL, NULL, &err),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "direction 0 with 8 data bytes") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_scsi_exec(h, 0, 0, cdb, 6, XDRV_SCSI_DIR_FROM_DEVICE, NULL, 8, NULL,
				      NULL, NULL, &err),
			-EINVAL);
	free(err);
	CU_ASSERT_EQUAL(S.queued, 0);
	teardown(drv);
}

static void test_command_without_completion_times_out(void)
{
	struct ldr_driver *drv;
	struct ldr_scsi_host *h = setup(&drv);
	struct res r = exec(h, 0, 0x99, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT_EQUAL(r.rc, -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(r.err ? strstr(r.err, "command 0x99: no completion within 100 ms")
				     : NULL);
	free(r.err);
	/* the host still works, and the abandoned command is freed at unbind */
	r = exec(h, 0, 0x00, XDRV_SCSI_DIR_NONE, NULL, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	teardown(drv);
}

static void test_sense_describe_names_fixed_and_descriptor_formats(void)
{
	uint32_t k = 9, a = 9, q = 9;
	char t[200];
	ldr_scsi_sense_describe(sense_invalid_opcode, sizeof sense_invalid_opcode, &k, &a, &q, t,
				sizeof t);
	CU_ASSERT_EQUAL(k, 5);
	CU_ASSERT_EQUAL(a, 0x20);
	CU_ASSERT_EQUAL(q, 0);
	CU_ASSERT_STRING_EQUAL(t, "sense key 0x5 ILLEGAL REQUEST, ASC/ASCQ 0x20/0x00 INVALID "
				  "COMMAND OPERATION CODE");
	const uint8_t desc[8] = {0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0};
	ldr_scsi_sense_describe(desc, sizeof desc, &k, &a, &q, t, sizeof t);
	CU_ASSERT_EQUAL(k, 6);
	CU_ASSERT_STRING_EQUAL(t, "sense key 0x6 UNIT ATTENTION, ASC/ASCQ 0x29/0x00 POWER ON, "
				  "RESET, OR BUS DEVICE RESET OCCURRED");
	const uint8_t odd[18] = {0x70, 0, 0x03, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x99, 0x42};
	ldr_scsi_sense_describe(odd, sizeof odd, NULL, NULL, NULL, t, sizeof t);
	CU_ASSERT_STRING_EQUAL(t, "sense key 0x3 MEDIUM ERROR, ASC/ASCQ 0x99/0x42 (not in the "
				  "table)");
}

static void test_sense_describe_rejects_short_and_unknown_data(void)
{
	uint32_t k = 9;
	char t[200];
	ldr_scsi_sense_describe(sense_invalid_opcode, 13, &k, NULL, NULL, t, sizeof t);
	CU_ASSERT_EQUAL(k, 0);
	CU_ASSERT_STRING_EQUAL(t, "sense data truncated (13 bytes, response code 0x70)");
	const uint8_t junk[4] = {0x05, 1, 2, 3};
	ldr_scsi_sense_describe(junk, sizeof junk, &k, NULL, NULL, t, sizeof t);
	CU_ASSERT_STRING_EQUAL(t, "sense data of unknown format (4 bytes, response code 0x05)");
	ldr_scsi_sense_describe(NULL, 0, &k, NULL, NULL, t, sizeof t);
	CU_ASSERT_STRING_EQUAL(t, "no sense data (0 bytes, response code 0x00)");
	ldr_scsi_sense_describe(sense_invalid_opcode, 18, NULL, NULL, NULL, t, 8);
	CU_ASSERT_EQUAL(strlen(t), 7); /* truncated, terminated */
}

XTEST_SUITE(loader_runtime_scsi, NULL, NULL,
	    XTEST(test_commands_complete_with_good_status_and_data),
	    XTEST(test_check_condition_returns_the_sense_data_intact),
	    XTEST(test_missing_target_is_a_host_error), XTEST(test_busy_queue_is_retried),
	    XTEST(test_malformed_commands_are_refused_before_the_driver),
	    XTEST(test_command_without_completion_times_out),
	    XTEST(test_sense_describe_names_fixed_and_descriptor_formats),
	    XTEST(test_sense_describe_rejects_short_and_unknown_data))
