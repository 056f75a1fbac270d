/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — interrupts.
 *
 * Lines are level-triggered and numbered per device. The host calls a handler when the line is
 * asserted and not masked; it never runs two entry points of one driver at the same time, so a
 * driver needs no locks against its own handler. A handler returns XDRV_IRQ_HANDLED if its
 * device raised the interrupt, XDRV_IRQ_NONE otherwise; after it returns, the host acknowledges
 * the line at the interrupt controller unless the driver did (xdrv_irq_ack).
 */
#ifndef XDRV_IRQ_H
#define XDRV_IRQ_H

#include <xdrv/types.h>

#define XDRV_IRQ_NONE	 0u
#define XDRV_IRQ_HANDLED 1u

typedef uint32_t (*xdrv_irq_handler_t)(void *ctx);

/* Install `handler` for line `index` and unmask it. XDRV_EBUSY if one is installed,
 * XDRV_EINVAL for a bad index or handle. */
int32_t xdrv_irq_request(xdrv_device_t *dev, uint32_t index, xdrv_irq_handler_t handler, void *ctx);
/* Remove the handler and mask the line. */
void xdrv_irq_free(xdrv_device_t *dev, uint32_t index);
void xdrv_irq_mask(xdrv_device_t *dev, uint32_t index);
void xdrv_irq_unmask(xdrv_device_t *dev, uint32_t index);
/* End of interrupt at the controller. */
void xdrv_irq_ack(xdrv_device_t *dev, uint32_t index);

#endif
