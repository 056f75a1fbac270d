// SPDX-License-Identifier: MIT
/*
 * hang: a probe that never returns. It first logs an escape sequence and a newline (a terminal
 * must see them escaped), then spins on a volatile counter: no ABI call, nothing a cooperative
 * check could catch. Only a watchdog outside the driver's process ends it (xdrv boot:
 * policy.probe_timeout_ms).
 */
#define HOSTILE_NAME "hang"
#include "drv.h"

static volatile uint64_t spins;

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	xdrv_log(XDRV_LOG_WARN, "hang: \x1b[2J\nfake line: boot complete");
	for (;;)
		spins++;
}
