// SPDX-License-Identifier: MIT
/*
 * The runtime's event loop for one driver: model timers and wire frames (hvb_device_poll), then
 * interrupts, then each device class the driver was bound with (drv->classes, the list in
 * runtime_classes.c); and the wait of a synchronous request, which runs that loop until the
 * request is done.
 *
 * The classes wait through this file (a block read waits for its completion), and this file
 * reaches the classes only through the table the driver carries, set at bind
 * (runtime_driver.c): the classes never depend on the list that names them.
 */
#include "runtime_priv.h"

#include <errno.h>
#include <time.h>
#include <xdrv/loader.h>
#include <xdrv/util.h>

int ldr_driver_dispatch(struct ldr_driver *drv)
{
	/* never from inside one of the driver's own entry points (a host callback running under
	 * xdrv_net_rx, say): that would run two entry points of one driver at once */
	if (!drv || drv->in_entry)
		return 0;
	ldr_beat();	 /* a driver host waiting for its device is alive */
	ldr_tier_poll(); /* a quiescent point: tier 2 of a tiered image is swapped in here */
	int n = hvb_device_poll(drv->hdev); /* model timers, wire frames: may raise the line */
	n += ldr_irq_dispatch(drv);
	for (const struct ldr_class_ops *const *c = drv->classes; c && *c; c++)
		n += (*c)->dispatch(drv);
	return n;
}

/* Spin this many idle rounds before sleeping: device models complete synchronously or within
 * microseconds, and a sleep costs ~50 us of latency. */
#define WAIT_SPIN_ROUNDS 1000u

int ldr_wait_done(struct ldr_driver *drv, const bool *done, uint64_t timeout_ns)
{
	uint64_t end = xdrv_time_ns() + timeout_ns;
	uint32_t idle = 0;
	while (!*done) {
		if (xdrv_time_ns() > end)
			return -ETIMEDOUT;
		if (ldr_driver_dispatch(drv) > 0) {
			idle = 0;
			continue;
		}
		if (++idle > WAIT_SPIN_ROUNDS) {
			struct timespec ts = {0, 20000};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
