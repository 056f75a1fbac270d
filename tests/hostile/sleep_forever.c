// SPDX-License-Identifier: MIT
/*
 * sleep_forever: a probe that never returns, waiting in the host: a loop around xdrv_delay_us
 * of 100 ms. The loop budget counts one back edge per 100 ms, so it would take days to run out;
 * what ends it is a watchdog outside the driver (xdrv boot: policy.probe_timeout_ms; xdrv run:
 * the driver host's setup deadline counts CPU time, which waiting does not use, so there the
 * run's --for or a signal ends it). `hang.c` is the other kind: a spin the budget stops.
 */
#define HOSTILE_NAME "sleep_forever"
#include "drv.h"

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	xdrv_log(XDRV_LOG_WARN, "sleep_forever: waiting forever");
	for (;;)
		xdrv_delay_us(100000);
}
