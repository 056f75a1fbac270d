// SPDX-License-Identifier: MIT
/*
 * Tests for fault containment of drivers (LDR_DRIVER_CALL over common/fault_guard.c, whose own
 * tests are tests/common/test_fault_guard.c): a driver whose code dereferences NULL, divides by
 * zero or overflows its stack is stopped with a message naming the fault; the host process
 * carries on, releases what the driver held and can bind other drivers. The test drivers are
 * compiled natively into this binary, with the sanitizers off for the faulting functions (the fault
 * itself is what is under test).
 */
#include "../xtest.h"
#include "test_runtime_fixture.h"

#include <signal.h>

#define NO_SAN __attribute__((no_sanitize("address", "undefined"), noinline))

static const struct xdrv_match guard_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static volatile int remove_calls, handler_calls;

/* ---- a probe that dereferences NULL -----------------------------------------------------------
 */
NO_SAN static int32_t null_probe(xdrv_device_t *dev)
{
	(void)xdrv_mem_alloc(4096); /* held at the fault: unbind must release it */
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)xdrv_dev_priv(dev); /* NULL */
	return (int32_t)*p;
}

static void guard_remove(xdrv_device_t *dev)
{
	(void)dev;
	remove_calls++;
}

static const struct xdrv_driver null_drv = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "null_deref",
	.version = "1.0.0",
	.match = guard_match,
	.probe = null_probe,
	.remove = guard_remove,
};

/* ---- a handler that divides by zero ------------------------------------------------------------
 */
static volatile uint32_t divisor; /* 0 */

NO_SAN static uint32_t div_handler(void *ctx)
{
	(void)ctx;
	handler_calls++;
	/* stored to a volatile, so the compiler must really divide (a bare `100 / d ? ..` it may
	 * rewrite into a comparison) */
	volatile uint32_t q = 100u / divisor;
	return q ? XDRV_IRQ_HANDLED : XDRV_IRQ_NONE;
}

static int32_t div_probe(xdrv_device_t *dev)
{
	(void)xdrv_mem_alloc(100);
	return xdrv_irq_request(dev, 0, div_handler, NULL);
}

static const struct xdrv_driver div_drv = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "div_zero",
	.version = "1.0.0",
	.match = guard_match,
	.probe = div_probe,
	.remove = guard_remove,
};

/* ---- a probe that recurses without end ----------------------------------------------------------
 */
static volatile uint64_t depth_limit = UINT64_MAX; /* never reached: the stack runs out first */

NO_SAN static uint64_t recurse(volatile uint64_t n)
{
	volatile char pad[256];
	pad[0] = (char)n;
	if (n == depth_limit)
		return 0;
	return recurse(n + 1) + (uint64_t)pad[0];
}

NO_SAN static int32_t deep_probe(xdrv_device_t *dev)
{
	(void)dev;
	return (int32_t)recurse(0);
}

static const struct xdrv_driver deep_drv = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "stack_overflow",
	.version = "1.0.0",
	.match = guard_match,
	.probe = deep_probe,
	.remove = guard_remove,
};

/* ---- a healthy driver, bound after the faults --------------------------------------------------
 */
static int32_t ok_probe(xdrv_device_t *dev)
{
	(void)dev;
	return XDRV_OK;
}

static const struct xdrv_driver ok_drv = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "healthy",
	.version = "1.0.0",
	.match = guard_match,
	.probe = ok_probe,
	.remove = guard_remove,
};

static int bind_status(const struct xdrv_driver *d, struct rtf_dev *f, char **err)
{
	struct ldr_driver *drv = NULL;
	int rc = ldr_driver_bind(d, f->dev, NULL, &drv, err);
	if (rc == 0)
		ldr_driver_unbind(drv);
	return rc;
}

static void test_null_deref_in_probe_fails_bind_and_host_carries_on(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	remove_calls = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL(bind_status(&null_drv, &f, &err), XDRV_EFAULT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "probe failed: -14 (EFAULT)") : NULL);
	CU_ASSERT(rtf_logged("driver faulted: SIGSEGV (invalid memory access) at address 0"));
	CU_ASSERT(rtf_logged("the host carries on"));
	CU_ASSERT_EQUAL(remove_calls, 0); /* a failed probe never gets remove */
	free(err);
	err = NULL;
	/* the same device takes another driver afterwards: nothing was left bound or locked */
	CU_ASSERT_EQUAL(bind_status(&ok_drv, &f, &err), 0);
	CU_ASSERT_EQUAL(remove_calls, 1);
	free(err);
	rtf_dev_destroy(&f);
}

static void test_division_by_zero_in_handler_stops_only_that_driver(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	remove_calls = handler_calls = 0;
	struct ldr_driver *drv = rtf_bind(&div_drv, &f);
	CU_ASSERT_EQUAL(ldr_driver_fault_signal(drv), 0);
	hvb_reg_write(f.dev, 0, 0x800, 4, 1); /* testdev: raise interrupt line 0 */
	rtf_run(drv, 5);
	CU_ASSERT_EQUAL(handler_calls, 1);
	CU_ASSERT_EQUAL(ldr_driver_fault_signal(drv), SIGFPE);
	CU_ASSERT(rtf_logged("driver faulted: SIGFPE (arithmetic fault, e.g. division by zero)"));
	/* the line is still asserted, but a faulted driver is never entered again */
	rtf_run(drv, 5);
	CU_ASSERT_EQUAL(handler_calls, 1);
	CU_ASSERT(ldr_driver_mem_in_use(drv) > 0);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(remove_calls, 0); /* remove is an entry point too */
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(f.dev), 0);
	rtf_dev_destroy(&f);
}

static void test_stack_overflow_in_probe_is_caught(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	char *err = NULL;
	CU_ASSERT_EQUAL(bind_status(&deep_drv, &f, &err), XDRV_EFAULT);
	CU_ASSERT(rtf_logged("driver faulted: SIGSEGV"));
	free(err);
	rtf_dev_destroy(&f);
}

XTEST_SUITE(loader_runtime_guard, NULL, NULL,
	    XTEST(test_null_deref_in_probe_fails_bind_and_host_carries_on),
	    XTEST(test_division_by_zero_in_handler_stops_only_that_driver),
	    XTEST(test_stack_overflow_in_probe_is_caught))
