// SPDX-License-Identifier: MIT
/*
 * Tests for hypervisor-backends/registry.c and the entries it lists: lookups by name, the
 * NULL-terminated lists, the honest `xen` entry that fails with a message, unknown backends.
 */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/device.h>
#include <xdrv/hvb.h>

#include "../../hypervisor-backends/xen/xt.h"

static void test_find_known_backends_and_models(void)
{
	const struct hvb_backend_ops *n = hvb_backend_find("native");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_STRING_EQUAL(n->name, "native");
	CU_ASSERT_PTR_NOT_NULL(n->reg_read);
	CU_ASSERT_PTR_NOT_NULL(hvb_backend_find("xen"));
	const struct hvb_model_ops *u = hvb_model_find("uart16550");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_STRING_EQUAL(u->compatible, "ns16550a");
	CU_ASSERT_EQUAL(u->bus, XDRV_BUS_PLATFORM);
	CU_ASSERT_EQUAL(u->num_regions, 1);
	CU_ASSERT_EQUAL(u->regions[0].kind, XDRV_REGION_PIO);
	CU_ASSERT_EQUAL(u->regions[0].size, 8);
	CU_ASSERT_EQUAL(u->regions[0].access_sizes, 1);
	CU_ASSERT_EQUAL(u->num_irqs, 1);
	CU_ASSERT_PTR_NOT_NULL(hvb_model_find("null"));
	CU_ASSERT_PTR_NOT_NULL(hvb_model_find("testdev"));
}

static void test_find_unknown_or_null_name_is_null(void)
{
	CU_ASSERT_PTR_NULL(hvb_backend_find("kvm"));
	CU_ASSERT_PTR_NULL(hvb_backend_find(NULL));
	CU_ASSERT_PTR_NULL(hvb_backend_find(""));
	CU_ASSERT_PTR_NULL(hvb_model_find("NATIVE"));
	CU_ASSERT_PTR_NULL(hvb_model_find(NULL));
}

static void test_lists_are_null_terminated_and_complete(void)
{
	size_t nb = 0, nm = 0;
	for (const struct hvb_backend_ops *const *b = hvb_backend_list(); *b; b++) {
		CU_ASSERT_PTR_EQUAL(hvb_backend_find((*b)->name), *b);
		CU_ASSERT_PTR_NOT_NULL((*b)->description);
		nb++;
	}
	for (const struct hvb_model_ops *const *m = hvb_model_list(); *m; m++) {
		CU_ASSERT_PTR_EQUAL(hvb_model_find((*m)->name), *m);
		CU_ASSERT((*m)->num_regions <= HVB_MAX_REGIONS);
		CU_ASSERT((*m)->num_irqs <= HVB_MAX_IRQS);
		nm++;
	}
	CU_ASSERT_EQUAL(nb, 2);
	CU_ASSERT_EQUAL(nm, 5); /* uart16550 null testdev virtio-scsi dp83820 */
}

static void test_xen_backend_options(void)
{
	struct hvb_backend *b = (void *)1;
	char *err = NULL;
	/* a bad option is refused and names itself */
	CU_ASSERT_EQUAL(hvb_backend_create_spec("xen:transport=kvm", &b, &err), -EINVAL);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_STRING_EQUAL(err, "backend xen: transport 'kvm': expected xen or loop");
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_backend_create_spec("xen:speed=11", &b, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "option 'speed': unknown") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_backend_create_spec("xen:spin=1001", &b, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "spin '1001': expected 0..1000 us") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_backend_create_spec(":x", &b, &err), -EINVAL);
	free(err);
	err = NULL;
	/* good options become the frontends' defaults */
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create_spec("xen:transport=loop,socket=/tmp/x.sock,"
						      "timeout=1234,spin=7",
						      &b, &err),
			      0);
	CU_ASSERT_STRING_EQUAL(hvb_backend_name(b), "xen");
	struct xt_cfg cfg = {0};
	xt_default_get(&cfg);
	CU_ASSERT_STRING_EQUAL(cfg.transport, "loop");
	CU_ASSERT_STRING_EQUAL(cfg.socket, "/tmp/x.sock");
	CU_ASSERT_EQUAL(cfg.timeout_ms, 1234);
	CU_ASSERT_EQUAL(cfg.spin_us, 7);
	hvb_backend_destroy(b);
}

static void test_unknown_backend_names_the_known_ones(void)
{
	struct hvb_backend *b = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_backend_create("kvm", NULL, &b, &err), -ENOENT);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "backend 'kvm': unknown (known: native, xen)")
				   : NULL);
	free(err);
}

static void test_null_model_has_no_registers(void)
{
	struct hvb_backend *b = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &b, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_device_create(b, "null", NULL, &d, &err), 0);
	CU_ASSERT_STRING_EQUAL(hvb_device_model(d)->compatible, "xdrv,null");
	hvb_set_log(NULL, NULL);
	CU_ASSERT_EQUAL(hvb_reg_read(d, 0, 0, 1), 0xff);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(d), 1);
	CU_ASSERT_EQUAL(hvb_device_create(b, "null", "x=1", &d, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "device null: config 'x=1'") : NULL);
	free(err);
	hvb_backend_destroy(b);
}

XTEST_SUITE(hvb_registry, NULL, NULL, XTEST(test_find_known_backends_and_models),
	    XTEST(test_find_unknown_or_null_name_is_null),
	    XTEST(test_lists_are_null_terminated_and_complete), XTEST(test_xen_backend_options),
	    XTEST(test_unknown_backend_names_the_known_ones),
	    XTEST(test_null_model_has_no_registers))
