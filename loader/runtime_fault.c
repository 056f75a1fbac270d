// SPDX-License-Identifier: MIT
/*
 * What the runtime does when a driver's code faults (xdrv/fault_guard.h catches the signal; the
 * LDR_DRIVER_CALL macro of every file that calls into a driver lands here): the driver is marked
 * faulted, its interrupt lines are masked, and the host carries on. A file of its own because
 * every class and the device layer call it, and it needs none of them.
 */
#include "runtime_priv.h"

#include <stdio.h>

void ldr_driver_fault(struct ldr_driver *drv, const struct xdrv_guard *g)
{
	drv->faulted = true;
	for (uint32_t i = 0; i < drv->nirqs; i++)
		hvb_irq_mask(drv->hdev, i);
	if (g->signo == XDRV_GUARD_STOP) {
		/* a budget of its code used up (runtime_budget.c): no signal, not a fault */
		drv->fault_signo = 0;
		drv->stop_reason = ldr_budget_last_stop(drv->stop_msg, sizeof drv->stop_msg);
		ldr_rt_log(drv, XDRV_LOG_ERROR,
			   "driver stopped: %s; the driver is stopped (interrupts masked, no entry "
			   "point will be called again), the host carries on",
			   drv->stop_msg);
		return;
	}
	drv->fault_signo = g->signo;
	drv->stop_reason = LDR_STOP_FAULT;
	snprintf(drv->stop_msg, sizeof drv->stop_msg, "%s at address %#lx",
		 xdrv_guard_signame(g->signo), (unsigned long)g->addr);
	ldr_rt_log(drv, XDRV_LOG_ERROR,
		   "driver faulted: %s; the driver is stopped (interrupts masked, no entry point "
		   "will be called again), the host carries on",
		   drv->stop_msg);
}

int ldr_driver_fault_signal(const struct ldr_driver *drv)
{
	return drv && drv->faulted ? drv->fault_signo : 0;
}

enum ldr_stop_reason ldr_driver_stop_reason(const struct ldr_driver *drv, const char **msg)
{
	enum ldr_stop_reason r =
		drv && drv->faulted ? (enum ldr_stop_reason)drv->stop_reason : LDR_STOP_NONE;
	if (msg)
		*msg = r != LDR_STOP_NONE ? drv->stop_msg : "";
	return r;
}
