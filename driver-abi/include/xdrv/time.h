/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — time.
 */
#ifndef XDRV_TIME_H
#define XDRV_TIME_H

#include <stdint.h>

/* Nanoseconds on a monotonic clock with an arbitrary origin. Never goes backwards. */
uint64_t xdrv_time_ns(void);
/* Wait at least `us` microseconds. Capped by the host at 1 s per call; interrupts are not
 * delivered during the wait. */
void xdrv_delay_us(uint32_t us);

#endif
