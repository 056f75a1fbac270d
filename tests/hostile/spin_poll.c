// SPDX-License-Identifier: MIT
/*
 * spin_poll: a NIC-like driver for the `testdev` model whose NAPI poll never returns. Probe
 * registers a network interface and an interrupt handler on line 0, then raises the line; the
 * handler lowers it and schedules NAPI as a NIC driver does, and the host's poll of the
 * interface spins on a volatile counter (no ABI call). Stopped by the back-edge budget of the
 * driver's code, or by the supervisor's heartbeat deadline, which kills and restarts the host.
 */
#define HOSTILE_NAME   "spin_poll"
#define HOSTILE_COMPAT "xdrv,testdev"
#include "drv.h"

#define TD_IRQ 0x800u

static volatile uint64_t spins;
static xdrv_region_t *regs;
static xdrv_netdev_t *nd;

static int32_t spin_xmit(xdrv_netdev_t *n, xdrv_pkt_t *pkt)
{
	xdrv_net_tx_complete(n, pkt, XDRV_OK);
	return XDRV_OK;
}

static int32_t spin_poll(xdrv_netdev_t *n, uint32_t budget)
{
	(void)n;
	(void)budget;
	xdrv_log(XDRV_LOG_WARN, "spin_poll: in NAPI poll, spinning");
	for (;;)
		spins++;
	return 0;
}

static const struct xdrv_net_ops spin_ops = {
	.struct_size = sizeof(struct xdrv_net_ops),
	.xmit = spin_xmit,
	.poll = spin_poll,
};

static uint32_t spin_handler(void *ctx)
{
	(void)ctx;
	xdrv_io_write32(regs, TD_IRQ, 0);
	xdrv_net_napi_schedule(nd);
	return XDRV_IRQ_HANDLED;
}

static int32_t hostile_probe(xdrv_device_t *dev)
{
	static const uint8_t mac[XDRV_ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x12};
	regs = xdrv_dev_region(dev, 0);
	if (!regs)
		return XDRV_ENODEV;
	nd = xdrv_net_register(dev, &spin_ops, mac, 0);
	if (!nd)
		return XDRV_ENOMEM;
	int32_t rc = xdrv_irq_request(dev, 0, spin_handler, 0);
	if (rc != XDRV_OK)
		return rc;
	xdrv_io_write32(regs, TD_IRQ, 1);
	xdrv_log(XDRV_LOG_INFO, "spin_poll: interface registered, interrupt line 0 raised");
	return XDRV_OK;
}
