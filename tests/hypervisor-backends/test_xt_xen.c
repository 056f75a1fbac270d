// SPDX-License-Identifier: MIT
/*
 * The xen transport (hypervisor-backends/xen/xt_xen.c) on a host without Xen, which is all a
 * CUnit run can see: configuration errors named before anything is touched, and a missing
 * xenstore reported as such, with the reaper child it forked gone again. The transport itself
 * runs in the real-Xen stage.
 */
#include "../../hypervisor-backends/xen/xt.h"
#include "../xtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool have_xen(void)
{
	return access("/dev/xen/xenbus", F_OK) == 0 ||
	       access("/var/run/xenstored/socket", F_OK) == 0;
}

/* This process's children (the reaper would be one): /proc/self/task/TID/children */
static int children(void)
{
	char p[64], buf[64];
	int n = 0;
	FILE *f;
	snprintf(p, sizeof p, "/proc/self/task/%d/children", (int)getpid());
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s", buf) == 1)
		n++;
	fclose(f);
	return n;
}

/* code 0: any error */
static void expect_fail(const struct xt_cfg *cfg, int code, const char *needle)
{
	struct xt *t = (struct xt *)1;
	char *err = NULL;
	int r = xt_open(cfg, &t, &err);
	if (code)
		CU_ASSERT_EQUAL(r, code);
	CU_ASSERT_TRUE(r < 0);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_TRUE(err && strstr(err, needle));
	if (!err || !strstr(err, needle))
		fprintf(stderr, "got %d '%s', expected '%s'\n", r, err ? err : "(null)", needle);
	free(err);
}

static void test_xt_xen_refuses_bad_paths_and_keys_first(void)
{
	struct xt_cfg c = {.transport = "xen",
			   .type = "vif",
			   .handle = 0,
			   .name = "netfront.0",
			   .toolstack = true};
#ifdef XDRV_HAVE_LIBXEN
	c.fe_path = "relative/path";
	expect_fail(&c, -EINVAL, "netfront.0: frontend path 'relative/path': not a xenstore path");
	c.fe_path = "/local/domain/0/../x";
	expect_fail(&c, -EINVAL, "not a xenstore path");
	c.fe_path = NULL;
	c.tool_keys[0] = (struct xt_kv){"mac", "00:16:3e:00:00:01"};
	c.tool_keys[1] = (struct xt_kv){"bad key", "1"};
	expect_fail(&c, -EINVAL, "tool_keys[1] 'bad key': bad key or value");
	c.tool_keys[1] = (struct xt_kv){"script", "a\nb"};
	expect_fail(&c, -EINVAL, "tool_keys[1] 'script'");
#else
	expect_fail(&c, -ENOTSUP, "built without libxen");
#endif
}

static void test_xt_xen_without_xenstore_fails_and_leaves_no_child(void)
{
	struct xt_cfg c = {.transport = "xen",
			   .type = "vbd",
			   .handle = 51712,
			   .name = "blkfront.0",
			   .toolstack = true,
			   .timeout_ms = 1000};
	int before = children();
	if (have_xen()) {
		fprintf(stderr, "(this host runs Xen: skipped)\n");
		return;
	}
#ifdef XDRV_HAVE_LIBXEN
	expect_fail(&c, 0, "blkfront.0: xenstore:");
#else
	expect_fail(&c, -ENOTSUP, "built without libxen");
#endif
	CU_ASSERT_EQUAL(children(), before); /* the reaper was told and reaped */
}

XTEST_SUITE(xt_xen, NULL, NULL, XTEST(test_xt_xen_refuses_bad_paths_and_keys_first),
	    XTEST(test_xt_xen_without_xenstore_fails_and_leaves_no_child))
