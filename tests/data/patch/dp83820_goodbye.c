// SPDX-License-Identifier: MIT
/*
 * A live patch of sample-drivers/dp83820 (xdrv build --patch, xdrv pack --patch-for
 * dp83820.xdrv): dp_remove says it was patched, so a patch applied to a running NIC shows at its
 * unbind (tests/e2e/live_patch.sh). It replaces one function with the same type and calls the
 * base's static helpers, declared here: the loader resolves them to the running driver's.
 */
#include <xdrv/abi.h>

#include "../../../sample-drivers/dp83820/dp83820.h"

/* The base's (static in dp83820.c): the same names and types. */
int32_t dp_cr_wait(struct dp *d, uint32_t write, uint32_t wait_clear, uint32_t rounds);
void dp_engines_off(struct dp *d);
void dp_teardown(struct dp *d);
/* The replacement. */
void dp_remove(xdrv_device_t *dev);

void dp_remove(xdrv_device_t *dev)
{
	struct dp *d = xdrv_dev_priv(dev);
	if (!d)
		return;
	dp_engines_off(d);
	xdrv_irq_free(dev, 0);
	d->open = 0;
	dp_tx_reap(d);
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "dp83820: removed by the live-patched remove; rx ");
	xdrv_msg_u64(&m, d->st.rx_packets);
	xdrv_msg_str(&m, " packets, tx ");
	xdrv_msg_u64(&m, d->st.tx_packets);
	xdrv_msg_str(&m, " packets");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
	if (dp_cr_wait(d, CR_RST, CR_RST, 1000u) != XDRV_OK)
		xdrv_log(XDRV_LOG_WARN, "dp83820: remove: CR.RST did not clear within 10 ms");
	dp_teardown(d);
	xdrv_dev_set_priv(dev, NULL);
	xdrv_mem_free(d);
}
