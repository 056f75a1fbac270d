// SPDX-License-Identifier: MIT
/*
 * The TAP interface (hypervisor-backends/wire/tap_if.c), one parser for `xdrv run --host-tap`,
 * the "tap" wire and the bench's relay: the spec forms it accepts, the ones it refuses with a
 * message naming the problem, the same limits in both uses, and a namespace that does not
 * exist. Creating a TAP for real is covered by tests/e2e/nic_ping.sh (it needs namespaces).
 */
#include <xdrv/tap.h>
#include <xdrv/wire.h>
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_tap_short_form_names_interface_and_namespace(void)
{
	struct hvb_tap_cfg c;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("xdrvA@nsA", "--host-tap", true, true, &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "xdrvA");
	CU_ASSERT_STRING_EQUAL(c.netns, "nsA");
	CU_ASSERT_EQUAL(c.mtu, 0);
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("tap7", "--host-tap", true, true, &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "tap7");
	CU_ASSERT_STRING_EQUAL(c.netns, "");
	CU_ASSERT_PTR_NULL(err);
}

static void test_tap_key_value_form_takes_mtu_addr_and_offload(void)
{
	struct hvb_tap_cfg c;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("name=t0,netns=n1,mtu=1400,addr=10.1.2.3/24", "x", true,
					    true, &c, &err),
			      0);
	CU_ASSERT_STRING_EQUAL(c.name, "t0");
	CU_ASSERT_STRING_EQUAL(c.netns, "n1");
	CU_ASSERT_STRING_EQUAL(c.addr, "10.1.2.3/24");
	CU_ASSERT_EQUAL(c.mtu, 1400);
	CU_ASSERT_TRUE(c.offload); /* checksum offload through the virtio-net header */
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("name=t0,offload=0", "x", true, true, &c, &err), 0);
	CU_ASSERT_FALSE(c.offload);
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("name=t0,mtu=9000", "x", true, true, &c, &err), 0);
	CU_ASSERT_EQUAL(c.mtu, 9000);
	/* a wire's default: no virtio-net header */
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("t0", "tap", false, false, &c, &err), 0);
	CU_ASSERT_FALSE(c.offload);
	CU_ASSERT_EQUAL(c.io, HVB_TAP_IO_AUTO); /* a ring where it can be made */
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("name=t0,io=ring", "tap", false, false, &c, &err), 0);
	CU_ASSERT_EQUAL(c.io, HVB_TAP_IO_RING);
	CU_ASSERT_EQUAL_FATAL(hvb_tap_parse("name=t0,io=tap", "tap", false, false, &c, &err), 0);
	CU_ASSERT_EQUAL(c.io, HVB_TAP_IO_TAP);
}

static void refused(const char *spec, bool allow_offload, const char *needle)
{
	struct hvb_tap_cfg c;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_tap_parse(spec, "--host-tap", true, allow_offload, &c, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, needle) : NULL);
	if (err && !strstr(err, needle))
		fprintf(stderr, "spec %s: message \"%s\" lacks \"%s\"\n", spec, err, needle);
	free(err);
}

static void test_tap_refuses_bad_specs_with_a_reason(void)
{
	refused("", true, "no interface given");
	refused("a-name-longer-than-15@ns", true, "bad interface name");
	refused("tap0@ns/../etc", true, "bad namespace name");
	refused("tap0@..", true, "bad namespace name");
	refused("name=t0,color=blue", true, "unknown key \"color\"");
	refused("name=t0,mtu=9001", true, "mtu wants 68..9000");
	refused("name=t0,mtu=67", true, "mtu wants 68..9000");
	refused("name=t0,mtu=-1", true, "mtu wants 68..9000");
	refused("netns=n1", true, "name= is required");
	refused("name=t0,oops", true, "want key=value");
	refused("name=t0,offload=yes", true, "offload wants 0 or 1");
	refused("name=t0,offload=1", false, "offload=1 is not available here");
	refused("name=t0,addr=10.0.0.1", true, "addr wants A.B.C.D/N");
	refused("name=t0,addr=10.0.0.300/24", true, "addr wants A.B.C.D/N");
	refused("name=t0,addr=10.0.0.1/33", true, "addr wants A.B.C.D/N");
	refused("name=t0,io=xdp", true, "io wants auto, ring or tap");
	refused("name=t0,offload=1,io=ring", true, "io=ring carries plain frames");
}

/* The wire kind takes the same specs through the same parser: the same limits, so a spec that
 * works for --host-tap works for --wire tap:... and the other way round. */
static void test_tap_wire_uses_the_same_parser(void)
{
	struct hvb_wire *w = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_wire_create("tap", "name=t0,mtu=9001", &w, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "mtu wants 68..9000") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_wire_create("tap", "t0@xdrv-no-such-ns-4711", &w, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "/run/netns/xdrv-no-such-ns-4711") : NULL);
	free(err);
	CU_ASSERT_PTR_NULL(w);
}

static void test_tap_missing_namespace_is_an_error_naming_it(void)
{
	struct hvb_tap_cfg c;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(
		hvb_tap_parse("t0@xdrv-no-such-ns-4711", "--host-tap", true, true, &c, &err), 0);
	CU_ASSERT_EQUAL(hvb_tap_open(&c, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "/run/netns/xdrv-no-such-ns-4711") : NULL);
	free(err);
}

XTEST_SUITE(tap_if, NULL, NULL, XTEST(test_tap_short_form_names_interface_and_namespace),
	    XTEST(test_tap_key_value_form_takes_mtu_addr_and_offload),
	    XTEST(test_tap_refuses_bad_specs_with_a_reason),
	    XTEST(test_tap_wire_uses_the_same_parser),
	    XTEST(test_tap_missing_namespace_is_an_error_naming_it))
