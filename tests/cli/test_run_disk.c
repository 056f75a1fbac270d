// SPDX-License-Identifier: MIT
/*
 * Tests for loader/run_disk.c, the disk options of `xdrv run`: each malformed --blk-write,
 * --blk-read, --blk-flush and --scsi argument is refused with -EINVAL and a message that names
 * the option and what it wants; good ones are accepted in order. (Running them against a real
 * driver is tests/sample-drivers/test_virtio_scsi_driver.c and tests/e2e/disk_rw.sh.)
 */
#include "../xtest.h"

#include "../../cli/run/disk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void refused(int code, const char *arg, const char *msg)
{
	struct run_disk rd = {0};
	char *err = NULL;
	CU_ASSERT_EQUAL(run_disk_parse(&rd, code, arg, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, msg) : NULL);
	if (!err || !strstr(err, msg))
		fprintf(stderr, "%s: got '%s', wanted '%s'\n", arg, err ? err : "(none)", msg);
	CU_ASSERT_EQUAL(rd.count, 0);
	free(err);
	run_disk_free(&rd);
}

static void test_malformed_block_options_are_refused(void)
{
	refused(RUN_DISK_OPT_WRITE, "sda:0", "--blk-write wants DISK:LBA:FILE, not sda:0");
	refused(RUN_DISK_OPT_WRITE, "sda:x:f", "--blk-write wants DISK:LBA:FILE");
	refused(RUN_DISK_OPT_WRITE, "sda:-1:f", "--blk-write wants DISK:LBA:FILE");
	refused(RUN_DISK_OPT_WRITE, ":0:f", "--blk-write wants DISK:LBA:FILE");
	refused(RUN_DISK_OPT_WRITE, "a_disk_name_longer_than_thirty_one:0:f",
		"--blk-write wants DISK:LBA:FILE");
	refused(RUN_DISK_OPT_READ, "sda:0:0:out", "--blk-read wants DISK:LBA:COUNT:FILE");
	refused(RUN_DISK_OPT_READ, "sda:0:4294967296:out", "--blk-read wants DISK:LBA:COUNT:FILE");
	refused(RUN_DISK_OPT_READ, "sda:0:1:", "--blk-read wants DISK:LBA:COUNT:FILE");
	refused(RUN_DISK_OPT_READ, "sda:99999999999999999999:1:f",
		"--blk-read wants DISK:LBA:COUNT:FILE");
	refused(RUN_DISK_OPT_FLUSH, "", "--blk-flush wants a disk name");
}

static void test_malformed_scsi_options_are_refused(void)
{
	refused(RUN_DISK_OPT_SCSI, "", "CDB wants whole bytes in hex");
	refused(RUN_DISK_OPT_SCSI, "28 0", "CDB wants whole bytes in hex");
	refused(RUN_DISK_OPT_SCSI, "2g", "'g' in the CDB is not a hex digit");
	refused(RUN_DISK_OPT_SCSI,
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		"CDB longer than 32 bytes");
	refused(RUN_DISK_OPT_SCSI, "00,in=0", "bad item 'in=0'");
	refused(RUN_DISK_OPT_SCSI, "00,in=16777217", "bad item 'in=16777217'");
	refused(RUN_DISK_OPT_SCSI, "00,lun=256", "bad item 'lun=256'");
	refused(RUN_DISK_OPT_SCSI, "00,colour=blue", "bad item 'colour=blue'");
	refused(RUN_DISK_OPT_SCSI, "00,in=8,out=f", "in= and out= exclude each other");
}

static void test_good_options_are_kept_in_order(void)
{
	struct run_disk rd = {0};
	char *err = NULL;
	CU_ASSERT_EQUAL(run_disk_parse(&rd, RUN_DISK_OPT_WRITE, "sda:0x10:/tmp/a:b", &err), 0);
	CU_ASSERT_EQUAL(run_disk_parse(&rd, RUN_DISK_OPT_FLUSH, "sda", &err), 0);
	CU_ASSERT_EQUAL(run_disk_parse(&rd, RUN_DISK_OPT_READ, "sdb:7:3:out", &err), 0);
	CU_ASSERT_EQUAL(
		run_disk_parse(&rd, RUN_DISK_OPT_SCSI, "12 00 00 00 24 00,in=36,lun=3", &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(rd.count, 4);
	CU_ASSERT(run_disk_is_option(RUN_DISK_OPT_SCSI));
	CU_ASSERT(!run_disk_is_option('t'));
	run_disk_free(&rd);
	CU_ASSERT_EQUAL(rd.count, 0);
	run_disk_free(NULL);
}

XTEST_SUITE(loader_run_disk, NULL, NULL, XTEST(test_malformed_block_options_are_refused),
	    XTEST(test_malformed_scsi_options_are_refused),
	    XTEST(test_good_options_are_kept_in_order))
