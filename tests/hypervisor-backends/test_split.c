// SPDX-License-Identifier: MIT
/*
 * Tests for backd/backd_spawn.c (xdrv/hvb_split.h), a supervisor's backends: which wire and
 * disk=SPEC of a device the supervisor serves (--backends), rewritten for the driver host as a
 * netfront and blkfront:xvdX; and the backend server itself, started in a directory of its own
 * and gone with it after stop (a disk served over the loop transport to a real driver:
 * tests/e2e/domains_backends.sh).
 */
#include "../xtest.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdrv/hvb_split.h>

static void plan(enum hvb_split_where w, const char *device, const char *wire,
		 const char *want_device, const char *want_wire, const char *want_served)
{
	struct hvb_split_plan p;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_split_plan(w, device, wire, &p, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	if (want_device) {
		CU_ASSERT_STRING_EQUAL(p.device ? p.device : "(unchanged)", want_device);
	} else {
		CU_ASSERT_PTR_NULL(p.device);
	}
	CU_ASSERT_STRING_EQUAL(p.wire, want_wire);
	CU_ASSERT_STRING_EQUAL(p.served, want_served);
	if (strcmp(p.served, want_served) != 0)
		fprintf(stderr, "%s / %s: served '%s'\n", device, wire ? wire : "-", p.served);
	free(err);
	hvb_split_plan_free(&p);
	CU_ASSERT_PTR_NULL(p.device);
	CU_ASSERT_EQUAL(p.ndevs, 0);
}

static void test_auto_serves_what_touches_the_outside_world(void)
{
	plan(HVB_SPLIT_AUTO, "virtio-scsi:disk=file:/a.img,queues=2,disk=ram:1M,disk=iscsi:x", NULL,
	     "virtio-scsi:disk=blkfront:xvda,queues=2,disk=ram:1M,disk=blkfront:xvdb", "",
	     "disk file:/a.img, disk iscsi:x");
	plan(HVB_SPLIT_AUTO, "virtio-scsi:queues=2,disk=file:/a.img", NULL,
	     "virtio-scsi:queues=2,disk=blkfront:xvda", "", "disk file:/a.img");
	plan(HVB_SPLIT_AUTO, "dp83820", "tap:xb@nsB", NULL, "netfront", "wire tap:xb@nsB");
	plan(HVB_SPLIT_AUTO, "dp83820", "gen:count=10", NULL, "", "");
	/* frontends are already one half of a split driver */
	plan(HVB_SPLIT_AUTO, "virtio-scsi:disk=blkfront:xvda", "netfront", NULL, "", "");
	plan(HVB_SPLIT_AUTO, "uart16550", NULL, NULL, "", "");
	plan(HVB_SPLIT_AUTO, NULL, NULL, NULL, "", "");
}

static void test_supervisor_serves_everything_host_nothing(void)
{
	plan(HVB_SPLIT_SUPERVISOR, "virtio-scsi:disk=ram:1M", "gen:count=10",
	     "virtio-scsi:disk=blkfront:xvda", "netfront", "wire gen:count=10, disk ram:1M");
	plan(HVB_SPLIT_HOST, "virtio-scsi:disk=file:/a.img", "tap:xb@nsB", NULL, "", "");
}

static void test_more_disks_than_blkfront_names_stay_in_the_host(void)
{
	char dev[400] = "virtio-scsi:";
	for (int i = 0; i < 9; i++)
		snprintf(dev + strlen(dev), sizeof dev - strlen(dev), "%sdisk=file:/d%d",
			 i ? "," : "", i);
	struct hvb_split_plan p;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_split_plan(HVB_SPLIT_AUTO, dev, NULL, &p, &err), 0);
	CU_ASSERT_EQUAL(p.ndevs, 8);
	CU_ASSERT_PTR_NOT_NULL(p.device ? strstr(p.device, "disk=blkfront:xvdh,disk=file:/d8")
					: NULL);
	hvb_split_plan_free(&p);
}

static void test_where_names(void)
{
	enum hvb_split_where w = HVB_SPLIT_HOST;
	CU_ASSERT_EQUAL(hvb_split_where_parse("auto", &w), 0);
	CU_ASSERT_EQUAL(w, HVB_SPLIT_AUTO);
	CU_ASSERT_EQUAL(hvb_split_where_parse("supervisor", &w), 0);
	CU_ASSERT_EQUAL(w, HVB_SPLIT_SUPERVISOR);
	CU_ASSERT_EQUAL(hvb_split_where_parse("host", &w), 0);
	CU_ASSERT_EQUAL(w, HVB_SPLIT_HOST);
	CU_ASSERT_EQUAL(hvb_split_where_parse("Host", &w), -EINVAL);
	CU_ASSERT_EQUAL(hvb_split_where_parse("", &w), -EINVAL);
}

/* The server listens in a directory only it and the supervisor use, and is gone with it after
 * stop; a disk file that cannot be opened is refused before anything runs. */
static void test_server_starts_and_stops_cleanly(void)
{
	char img[300], dir[200], device[400], *err = NULL;
	struct hvb_split_plan p;
	struct hvb_split *s = NULL;
	struct stat st;
	snprintf(img, sizeof img, "%s/split.img", xtest_tmpdir());
	FILE *f = fopen(img, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(ftruncate(fileno(f), 1 << 20), 0);
	fclose(f);
	snprintf(device, sizeof device, "virtio-scsi:disk=file:%s", img);

	CU_ASSERT_EQUAL_FATAL(hvb_split_plan(HVB_SPLIT_AUTO, device, NULL, &p, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_split_start(&p, "test", false, &s, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	const char *sock = hvb_split_socket(s);
	CU_ASSERT_EQUAL(stat(sock, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 077, 0); /* the supervisor's alone */
	snprintf(dir, sizeof dir, "%s", sock);
	*strrchr(dir, '/') = 0;
	CU_ASSERT_EQUAL(stat(dir, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 077, 0);
	int pid = hvb_split_pid(s);
	CU_ASSERT(pid > 0 && kill(pid, 0) == 0);
	hvb_split_stop(s);
	CU_ASSERT(kill(pid, 0) != 0);	/* reaped */
	CU_ASSERT(stat(dir, &st) != 0); /* removed */
	hvb_split_plan_free(&p);

	snprintf(device, sizeof device, "virtio-scsi:disk=file:%s/missing.img", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(hvb_split_plan(HVB_SPLIT_AUTO, device, NULL, &p, &err), 0);
	s = NULL;
	CU_ASSERT(hvb_split_start(&p, "test", false, &s, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "missing.img") : NULL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "vbd 51712") : NULL);
	CU_ASSERT_PTR_NULL(s);
	free(err);
	hvb_split_plan_free(&p);
}

XTEST_SUITE(hvb_split, NULL, NULL, XTEST(test_auto_serves_what_touches_the_outside_world),
	    XTEST(test_supervisor_serves_everything_host_nothing),
	    XTEST(test_more_disks_than_blkfront_names_stay_in_the_host), XTEST(test_where_names),
	    XTEST(test_server_starts_and_stops_cleanly))
