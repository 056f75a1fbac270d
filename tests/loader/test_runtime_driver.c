// SPDX-License-Identifier: MIT
/*
 * Tests for loader/runtime_driver.c: what ldr_driver_bind checks in a descriptor (magic, size,
 * ABI version, reserved fields, names), device matching, parameter writes with range checks
 * for natively compiled drivers, probe failure cleanup, remove at unbind.
 */
#include "test_runtime_fixture.h"

#include <errno.h>

static int probe_calls, remove_calls;
static int32_t probe_ret;
static int probe_grabs; /* acquire resources in probe */

static uint32_t dummy_irq(void *ctx)
{
	(void)ctx;
	return XDRV_IRQ_HANDLED;
}

static int32_t drv_probe(xdrv_device_t *dev)
{
	probe_calls++;
	if (probe_grabs) {
		uint64_t bus;
		xdrv_mem_alloc(1000);
		xdrv_dma_alloc_coherent(dev, 8192, &bus);
		xdrv_irq_request(dev, 0, dummy_irq, NULL);
	}
	return probe_ret;
}

static void drv_remove(xdrv_device_t *dev)
{
	(void)dev;
	remove_calls++;
}

static uint32_t xdrv_param_ring;
static int32_t xdrv_param_offset;
static uint64_t xdrv_param_big;
static uint32_t xdrv_param_fast;
static int64_t xdrv_param_neg;

static struct xdrv_param params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, ring, 256, 16, 4096, "ring entries"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_I32, offset, -5, -100, 100, NULL),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U64, big, 1ull << 33, 0, 1ull << 40, NULL),
	XDRV_PARAM_ENTRY(XDRV_PARAM_BOOL, fast, 1, 0, 1, NULL),
	XDRV_PARAM_ENTRY(XDRV_PARAM_I64, neg, -7, -1000000000000ll, -1, NULL),
	XDRV_PARAM_END,
};

static const struct xdrv_match match_testdev[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static struct xdrv_driver base(void)
{
	struct xdrv_driver d = {
		.magic = XDRV_DRIVER_MAGIC,
		.abi_version = XDRV_ABI_VERSION,
		.struct_size = sizeof(struct xdrv_driver),
		.name = "bind_test",
		.version = "1.0.0",
		.match = match_testdev,
		.params = params,
		.probe = drv_probe,
		.remove = drv_remove,
	};
	probe_calls = remove_calls = 0;
	probe_ret = XDRV_OK;
	probe_grabs = 0;
	return d;
}

/* Bind `d` to a fresh device of `model`; returns the status and the message in *msg. */
static int try_bind(const struct xdrv_driver *d, const char *model, const struct ldr_bind_opts *o,
		    char **msg)
{
	struct rtf_dev f = rtf_dev_create(model);
	struct ldr_driver *drv = NULL;
	*msg = NULL;
	int rc = ldr_driver_bind(d, f.dev, o, &drv, msg);
	if (rc == 0) {
		CU_ASSERT_PTR_NOT_NULL(drv);
		ldr_driver_unbind(drv);
	} else {
		CU_ASSERT_PTR_NULL(drv);
		CU_ASSERT_PTR_NOT_NULL(*msg);
	}
	rtf_dev_destroy(&f);
	return rc;
}

#define EXPECT_REJECT(d, model, opts, code, text)                                                  \
	do {                                                                                       \
		char *m_ = NULL;                                                                   \
		CU_ASSERT_EQUAL(try_bind(d, model, opts, &m_), code);                              \
		CU_ASSERT_PTR_NOT_NULL(m_ ? strstr(m_, text) : NULL);                              \
		if (m_ && !strstr(m_, text))                                                       \
			fprintf(stderr, "\n  message: %s\n", m_);                                  \
		free(m_);                                                                          \
	} while (0)

static void test_bind_rejects_a_wrong_magic(void)
{
	struct xdrv_driver d = base();
	d.magic = 0x12345678;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL,
		      "driver: descriptor: bad magic 0x12345678 (expected 0x58445256)");
	CU_ASSERT_EQUAL(probe_calls, 0);
}

static void test_bind_rejects_a_newer_or_other_major_abi(void)
{
	struct xdrv_driver d = base();
	d.abi_version = XDRV_ABI_MKVER(1, 3, 0);
	EXPECT_REJECT(&d, "testdev", NULL, -ENOTSUP,
		      "descriptor: ABI version 1.3.0 is newer than this host's 1.2.0");
	d.abi_version = XDRV_ABI_MKVER(2, 0, 0);
	EXPECT_REJECT(&d, "testdev", NULL, -ENOTSUP,
		      "descriptor: ABI version 2.0.0 not supported (this host runs ABI 1.x up to "
		      "1.2.0)");
	d.abi_version = 0;
	EXPECT_REJECT(&d, "testdev", NULL, -ENOTSUP, "ABI version 0.0.0 not supported");
	CU_ASSERT_EQUAL(probe_calls, 0);
}

static void test_bind_rejects_bad_size_flags_reserved_and_names(void)
{
	struct xdrv_driver d = base();
	d.struct_size = 64;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "descriptor: struct_size 64 (expected 128)");
	d = base();
	d.flags = 1;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "descriptor: flags 0x1: reserved, must be 0");
	d = base();
	d.reserved[7] = &d;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "descriptor: reserved[7]: not NULL");
	d = base();
	d.name = "Bad Name";
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "descriptor: name: missing or not");
	d.name = NULL;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "descriptor: name: missing or not");
	d = base();
	d.probe = NULL;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "bind_test: descriptor: probe: missing");
	d = base();
	d.match = NULL;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "descriptor: match: missing");
	CU_ASSERT_EQUAL(probe_calls, 0);
}

static void test_bind_rejects_a_non_matching_device(void)
{
	struct xdrv_driver d = base();
	EXPECT_REJECT(&d, "null", NULL, -ENODEV,
		      "bind_test: does not match device null (platform, compatible \"xdrv,null\")");
	struct xdrv_match bad[] = {{.bus = XDRV_BUS_PLATFORM, .reserved = 1, .compatible = "x"},
				   {.bus = 0}};
	d.match = bad;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "descriptor: match[0].reserved: not zero");
	static struct xdrv_match endless[64];
	for (int i = 0; i < 64; i++)
		endless[i] = (struct xdrv_match){.bus = XDRV_BUS_PLATFORM, .compatible = "nope"};
	d.match = endless;
	EXPECT_REJECT(&d, "testdev", NULL, -EINVAL, "match: no end entry within 64 entries");
	CU_ASSERT_EQUAL(probe_calls, 0);
}

static void test_bind_matches_any_entry_of_the_table(void)
{
	struct xdrv_driver d = base();
	const struct xdrv_match table[] = {
		{.bus = XDRV_BUS_PCI, .vendor = XDRV_MATCH_ANY, .device = XDRV_MATCH_ANY},
		{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,null"},
		{.bus = XDRV_BUS_PLATFORM, .compatible = NULL},
		{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
		{.bus = 0},
	};
	d.match = table;
	char *m = NULL;
	CU_ASSERT_EQUAL(try_bind(&d, "testdev", NULL, &m), 0);
	CU_ASSERT_EQUAL(probe_calls, 1);
	CU_ASSERT_EQUAL(remove_calls, 1);
	CU_ASSERT_EQUAL(try_bind(&d, "null", NULL, &m), 0);
	free(m);
}

static void test_probe_failure_releases_everything_and_names_the_status(void)
{
	struct xdrv_driver d = base();
	probe_ret = XDRV_ENODEV;
	probe_grabs = 1;
	rtf_log_reset();
	struct rtf_dev f = rtf_dev_create("testdev");
	struct ldr_driver *drv = NULL;
	char *m = NULL;
	CU_ASSERT_EQUAL(ldr_driver_bind(&d, f.dev, NULL, &drv, &m), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(m ? strstr(m, "bind_test: probe failed: -19 (ENODEV)") : NULL);
	CU_ASSERT_PTR_NULL(drv);
	CU_ASSERT_EQUAL(remove_calls, 0);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(f.dev), 0);
	CU_ASSERT(rtf_logged("1000 bytes in 1 blocks, 1 coherent buffers"));
	CU_ASSERT(!hvb_irq_pending(f.dev, 0));
	free(m);
	m = NULL;
	probe_ret = 5;
	CU_ASSERT_EQUAL(ldr_driver_bind(&d, f.dev, NULL, &drv, &m), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(m ? strstr(m, "probe failed: returned 5, not a status") : NULL);
	free(m);
	rtf_dev_destroy(&f);
	ldr_runtime_set_log(NULL, NULL);
}

static void test_unbind_calls_remove_once_and_is_null_safe(void)
{
	struct xdrv_driver d = base();
	struct rtf_dev f = rtf_dev_create("testdev");
	struct ldr_driver *drv = rtf_bind(&d, &f);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 0);
	ldr_driver_unbind(drv);
	CU_ASSERT_EQUAL(remove_calls, 1);
	ldr_driver_unbind(NULL);
	ldr_driver_unbind_report(NULL, NULL);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(NULL), 0);
	CU_ASSERT_EQUAL(ldr_driver_mem_in_use(NULL), 0);
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(NULL), 0);
	CU_ASSERT_PTR_NULL(ldr_driver_netdev(NULL, 0));
	char *m = NULL;
	CU_ASSERT_EQUAL(ldr_driver_bind(NULL, f.dev, NULL, &drv, &m), -EINVAL);
	free(m);
	rtf_dev_destroy(&f);
}

static void test_a_device_is_bound_to_one_driver_at_a_time(void)
{
	struct xdrv_driver d = base();
	struct rtf_dev f = rtf_dev_create("testdev");
	struct ldr_driver *a = rtf_bind(&d, &f), *b = NULL;
	char *m = NULL;
	CU_ASSERT_EQUAL(ldr_driver_bind(&d, f.dev, NULL, &b, &m), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(m ? strstr(m, "bind_test: device testdev.0 is already bound to "
					     "bind_test")
				 : NULL);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(probe_calls, 1);
	free(m);
	ldr_driver_unbind(a);
	b = rtf_bind(&d, &f);
	ldr_driver_unbind(b);
	rtf_dev_destroy(&f);
}

/* ---- parameters ---------------------------------------------------------------------------- */

static void poison_params(void)
{
	xdrv_param_ring = 0xdead;
	xdrv_param_offset = 0xdead;
	xdrv_param_big = 0xdead;
	xdrv_param_fast = 0xdead;
	xdrv_param_neg = 0xdead;
}

static int bind_params(const char *const *kv, size_t n, int write, char **msg)
{
	struct xdrv_driver d = base();
	struct ldr_bind_opts o = {.write_params = write, .param_kv = kv, .nparams = n};
	poison_params();
	return try_bind(&d, "testdev", &o, msg);
}

static void test_params_default_when_not_overridden(void)
{
	char *m = NULL;
	CU_ASSERT_EQUAL(bind_params(NULL, 0, 1, &m), 0);
	CU_ASSERT_EQUAL(xdrv_param_ring, 256);
	CU_ASSERT_EQUAL(xdrv_param_offset, -5);
	CU_ASSERT_EQUAL(xdrv_param_big, 1ull << 33);
	CU_ASSERT_EQUAL(xdrv_param_fast, 1);
	CU_ASSERT_EQUAL(xdrv_param_neg, -7);
	free(m);
}

static void test_params_take_overrides_of_every_type(void)
{
	const char *kv[] = {"ring=0x400", "offset=-100", "big=1099511627776", "fast=false",
			    "neg=-1000000000000"};
	char *m = NULL;
	CU_ASSERT_EQUAL(bind_params(kv, 5, 1, &m), 0);
	CU_ASSERT_EQUAL(xdrv_param_ring, 1024);
	CU_ASSERT_EQUAL(xdrv_param_offset, -100);
	CU_ASSERT_EQUAL(xdrv_param_big, 1ull << 40);
	CU_ASSERT_EQUAL(xdrv_param_fast, 0);
	CU_ASSERT_EQUAL(xdrv_param_neg, -1000000000000ll);
	free(m);
}

#define EXPECT_PARAM_REJECT(kvstr, code, text)                                                     \
	do {                                                                                       \
		const char *kv_[] = {"ring=32", kvstr};                                            \
		char *m_ = NULL;                                                                   \
		CU_ASSERT_EQUAL(bind_params(kv_, 2, 1, &m_), code);                                \
		CU_ASSERT_PTR_NOT_NULL(m_ ? strstr(m_, text) : NULL);                              \
		if (m_ && !strstr(m_, text))                                                       \
			fprintf(stderr, "\n  message: %s\n", m_);                                  \
		free(m_);                                                                          \
		CU_ASSERT_EQUAL(xdrv_param_ring, 0xdead); /* nothing written */                    \
	} while (0)

static void test_params_out_of_range_or_malformed_are_rejected(void)
{
	EXPECT_PARAM_REJECT("ring=5000", -ERANGE,
			    "bind_test: parameter ring: 5000 out of range 16..4096");
	EXPECT_PARAM_REJECT("offset=-101", -ERANGE,
			    "parameter offset: -101 out of range -100..100");
	EXPECT_PARAM_REJECT("neg=0", -ERANGE, "parameter neg: 0 out of range -1000000000000..-1");
	EXPECT_PARAM_REJECT("fast=2", -ERANGE, "parameter fast: 2 out of range 0..1");
	EXPECT_PARAM_REJECT("offset=3000000000", -ERANGE,
			    "parameter offset: \"3000000000\" is not a valid value for its type");
	EXPECT_PARAM_REJECT("ring=-1", -EINVAL, "parameter ring: \"-1\" is not a valid number");
	EXPECT_PARAM_REJECT("ring=12abc", -EINVAL, "\"12abc\" is not a valid number");
	EXPECT_PARAM_REJECT("ring=", -EINVAL, "\"\" is not a valid number");
	EXPECT_PARAM_REJECT("nope=1", -ENOENT, "parameter nope: not declared by the driver");
	EXPECT_PARAM_REJECT("ring", -EINVAL, "parameter \"ring\": expected NAME=VALUE");
	EXPECT_PARAM_REJECT("=5", -EINVAL, "expected NAME=VALUE");
	CU_ASSERT_EQUAL(probe_calls, 0);
}

static void test_params_with_a_bad_declaration_are_rejected(void)
{
	struct xdrv_param saved = params[0];
	params[0].def = 5;
	char *m = NULL;
	CU_ASSERT_EQUAL(bind_params(NULL, 0, 1, &m), -ERANGE);
	CU_ASSERT_PTR_NOT_NULL(
		m ? strstr(m, "descriptor: params[0] (ring): default 5 outside 16..4096") : NULL);
	free(m);
	params[0] = saved;
	params[1].type = 9;
	CU_ASSERT_EQUAL(bind_params(NULL, 0, 1, &m), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(m ? strstr(m, "params[1] (offset): bad type, flags or var") : NULL);
	free(m);
	params[1].type = XDRV_PARAM_I32;
	params[2].name = "Big";
	CU_ASSERT_EQUAL(bind_params(NULL, 0, 1, &m), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(m ? strstr(m, "params[2].name: not [a-z0-9_]{1,31}") : NULL);
	free(m);
	params[2].name = "big";
}

static void test_params_are_not_written_for_jit_images(void)
{
	char *m = NULL;
	CU_ASSERT_EQUAL(bind_params(NULL, 0, 0, &m), 0);
	CU_ASSERT_EQUAL(xdrv_param_ring, 0xdead);
	const char *kv[] = {"ring=32"};
	CU_ASSERT_EQUAL(bind_params(kv, 1, 0, &m), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(m ? strstr(m, "parameters of a JIT image are set when it is loaded")
				 : NULL);
	free(m);
}

XTEST_SUITE(loader_runtime_driver, NULL, NULL, XTEST(test_bind_rejects_a_wrong_magic),
	    XTEST(test_bind_rejects_a_newer_or_other_major_abi),
	    XTEST(test_bind_rejects_bad_size_flags_reserved_and_names),
	    XTEST(test_bind_rejects_a_non_matching_device),
	    XTEST(test_bind_matches_any_entry_of_the_table),
	    XTEST(test_probe_failure_releases_everything_and_names_the_status),
	    XTEST(test_unbind_calls_remove_once_and_is_null_safe),
	    XTEST(test_a_device_is_bound_to_one_driver_at_a_time),
	    XTEST(test_params_default_when_not_overridden),
	    XTEST(test_params_take_overrides_of_every_type),
	    XTEST(test_params_out_of_range_or_malformed_are_rejected),
	    XTEST(test_params_with_a_bad_declaration_are_rejected),
	    XTEST(test_params_are_not_written_for_jit_images))
