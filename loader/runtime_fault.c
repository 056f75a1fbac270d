// SPDX-License-Identifier: MIT
/*
 * What the runtime does when a driver's code faults (xdrv/fault_guard.h catches the signal; the
 * LDR_DRIVER_CALL macro of every file that calls into a driver lands here): the driver is marked
 * faulted, its interrupt lines are masked, and the host carries on. A file of its own because
 * every class and the device layer call it, and it needs none of them.
 */
#include "runtime_priv.h"

void ldr_driver_fault(struct ldr_driver *drv, const struct xdrv_guard *g)
{
	drv->faulted = true;
	drv->fault_signo = g->signo;
	for (uint32_t i = 0; i < drv->nirqs; i++)
		hvb_irq_mask(drv->hdev, i);
	ldr_rt_log(drv, XDRV_LOG_ERROR,
		   "driver faulted: %s at address %#lx; the driver is stopped (interrupts masked, "
		   "no entry point will be called again), the host carries on",
		   xdrv_guard_signame(g->signo), (unsigned long)g->addr);
}

int ldr_driver_fault_signal(const struct ldr_driver *drv)
{
	return drv && drv->faulted ? drv->fault_signo : 0;
}
