// SPDX-License-Identifier: MIT
/*
 * spin_irq: a driver for the `testdev` model whose interrupt handler never returns. Probe
 * installs the handler on line 0 and raises the line (testdev's IRQ register); the host calls
 * the handler from its event loop, after probe, and the handler spins on a volatile counter (no
 * ABI call). Stopped by the back-edge budget of the driver's code (the IR instrumentation), or
 * by the supervisor's heartbeat deadline (the driver host burns CPU without completing a round
 * of its loop), which kills and restarts the host.
 */
#define HOSTILE_NAME   "spin_irq"
#define HOSTILE_COMPAT "xdrv,testdev"
#include "drv.h"

#define TD_IRQ 0x800u

static volatile uint64_t spins;

static uint32_t spin_handler(void *ctx)
{
	(void)ctx;
	xdrv_log(XDRV_LOG_WARN, "spin_irq: in the interrupt handler, spinning");
	for (;;)
		spins++;
	return XDRV_IRQ_HANDLED;
}

static int32_t hostile_probe(xdrv_device_t *dev)
{
	xdrv_region_t *regs = xdrv_dev_region(dev, 0);
	if (!regs)
		return XDRV_ENODEV;
	int32_t rc = xdrv_irq_request(dev, 0, spin_handler, 0);
	if (rc != XDRV_OK)
		return rc;
	xdrv_io_write32(regs, TD_IRQ, 1);
	xdrv_log(XDRV_LOG_INFO, "spin_irq: interrupt line 0 raised");
	return XDRV_OK;
}
