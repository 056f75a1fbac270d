// SPDX-License-Identifier: MIT
/*
 * The host TAP of `xdrv run --host-tap` (loader/host_tap.c): the spec forms it accepts, the
 * ones it refuses with a message naming the problem, and a namespace that does not exist.
 * Creating a TAP for real is covered by tests/e2e/nic_ping.sh (it needs namespaces).
 */
#include "../../loader/host_tap.h"
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_host_tap_short_form_names_interface_and_namespace(void)
{
	struct ldr_host_tap_cfg c;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_host_tap_parse("xdrvA@nsA", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "xdrvA");
	CU_ASSERT_STRING_EQUAL(c.netns, "nsA");
	CU_ASSERT_EQUAL(c.mtu, 0);
	CU_ASSERT_EQUAL_FATAL(ldr_host_tap_parse("tap7", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "tap7");
	CU_ASSERT_STRING_EQUAL(c.netns, "");
	CU_ASSERT_PTR_NULL(err);
}

static void test_host_tap_key_value_form_takes_mtu_and_offload(void)
{
	struct ldr_host_tap_cfg c;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_host_tap_parse("name=t0,netns=n1,mtu=1400", &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "t0");
	CU_ASSERT_STRING_EQUAL(c.netns, "n1");
	CU_ASSERT_EQUAL(c.mtu, 1400);
	CU_ASSERT_EQUAL(c.offload, 1); /* checksum offload through the virtio-net header */
	CU_ASSERT_EQUAL_FATAL(ldr_host_tap_parse("name=t0,offload=0", &c, &err), 0);
	CU_ASSERT_EQUAL(c.offload, 0);
}

static void refused(const char *spec, const char *needle)
{
	struct ldr_host_tap_cfg c;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_host_tap_parse(spec, &c, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, needle) : NULL);
	if (err && !strstr(err, needle))
		fprintf(stderr, "spec %s: message \"%s\" lacks \"%s\"\n", spec, err, needle);
	free(err);
}

static void test_host_tap_refuses_bad_specs_with_a_reason(void)
{
	refused("", "empty");
	refused("a-name-longer-than-15@ns", "bad interface name");
	refused("tap0@ns/../etc", "bad namespace name");
	refused("name=t0,color=blue", "unknown key \"color\"");
	refused("name=t0,mtu=9000", "mtu wants 68..1500");
	refused("netns=n1", "name= is required");
	refused("name=t0,oops", "want key=value");
	refused("name=t0,offload=yes", "offload wants 0 or 1");
}

static void test_host_tap_missing_namespace_is_an_error_naming_it(void)
{
	struct ldr_host_tap_cfg c;
	char *err = NULL;
	const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	CU_ASSERT_EQUAL_FATAL(ldr_host_tap_parse("t0@xdrv-no-such-ns-4711", &c, &err), 0);
	CU_ASSERT_EQUAL(ldr_host_tap_open(&c, mac, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "/run/netns/xdrv-no-such-ns-4711") : NULL);
	free(err);
}

XTEST_SUITE(host_tap, NULL, NULL, XTEST(test_host_tap_short_form_names_interface_and_namespace),
	    XTEST(test_host_tap_key_value_form_takes_mtu_and_offload),
	    XTEST(test_host_tap_refuses_bad_specs_with_a_reason),
	    XTEST(test_host_tap_missing_namespace_is_an_error_naming_it))
