// SPDX-License-Identifier: MIT
/*
 * dma_rodata: a NIC driver for the DP83820 model that aims the chip's receive DMA at memory the
 * host cannot write: its own read-only data (a const array, read-only in the JIT image). When
 * the interface opens it asks xdrv_dma_map for that array FROM_DEVICE, and also maps an address
 * in page 0 (never mapped) TO_DEVICE; it logs what each call returned. Whatever bus address it
 * got goes into a one-descriptor receive ring, and the receiver is started.
 *
 * The frames come from the wire (`xdrv run --wire gen:...`), so the model's DMA into the buffer
 * runs in the event loop, outside any driver's fault guard: before xdrv_dma_map checked the
 * host memory, the map was granted and the first frame ended the host process with SIGSEGV.
 * Now the map is refused (XDRV_EFAULT, a log line naming the buffer), the driver falls back to
 * mapping the array TO_DEVICE (which is allowed: the chip may read it), and the chip's write
 * through that mapping fails at the IOMMU (the direction): a master abort of the device, which
 * the model reports as a guest error. The host carries on. tests/e2e/dma_hostile.sh runs it.
 */
#include <xdrv/abi.h>

/* DP83820 registers and bits (hypervisor-backends/include/xdrv/dp83820.h, the contract) */
#define REG_CR	    0x00u
#define REG_RXDP    0x30u
#define REG_RFCR    0x48u
#define CR_RXE	    0x00000004u
#define RFCR_RFEN   0x80000000u
#define RFCR_AAB    0x40000000u
#define RFCR_AAU    0x10000000u
#define RX_BUF	    2048u
#define DESC_LINK   0u /* the 16-byte format: link, bufptr, cmdsts, extsts */
#define DESC_BUFPTR 4u
#define DESC_CMDSTS 8u
#define DESC_EXTSTS 12u
#define DESC_SIZE   16u

/* read-only data of the JIT image: the chip must never write here */
static const uint8_t rodata_buf[RX_BUF] = {0x5a};

static xdrv_device_t *the_dev;
static xdrv_region_t *the_regs;
static uint8_t *ring;
static uint64_t ring_bus;

static void log_rc(const char *what, int32_t rc)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "dma_rodata: ");
	xdrv_msg_str(&m, what);
	xdrv_msg_str(&m, " returned ");
	xdrv_msg_i64(&m, rc);
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (uint32_t i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int32_t h_open(xdrv_netdev_t *nd)
{
	(void)nd;
	uint64_t buf_bus = 0, wild_bus = 0;
	void *ro = (void *)(uintptr_t)rodata_buf;
	int32_t rc = xdrv_dma_map(the_dev, ro, RX_BUF, XDRV_DMA_FROM_DEVICE, &buf_bus);
	log_rc("map of its read-only data FROM_DEVICE", rc);
	if (rc != XDRV_OK) {
		rc = xdrv_dma_map(the_dev, ro, RX_BUF, XDRV_DMA_TO_DEVICE, &buf_bus);
		log_rc("map of its read-only data TO_DEVICE", rc);
	}
	log_rc("map of page 0 TO_DEVICE",
	       xdrv_dma_map(the_dev, (void *)(uintptr_t)0x40, 64, XDRV_DMA_TO_DEVICE, &wild_bus));
	/* one descriptor linked to itself, OWN clear: the chip's to fill */
	put32(ring + DESC_LINK, (uint32_t)ring_bus);
	put32(ring + DESC_BUFPTR, (uint32_t)buf_bus);
	put32(ring + DESC_CMDSTS, RX_BUF);
	put32(ring + DESC_EXTSTS, 0);
	xdrv_io_write32(the_regs, REG_RXDP, (uint32_t)ring_bus);
	xdrv_io_write32(the_regs, REG_RFCR, 0);
	xdrv_io_write32(the_regs, REG_RFCR, RFCR_RFEN | RFCR_AAB | RFCR_AAU);
	xdrv_io_write32(the_regs, REG_CR, CR_RXE);
	return XDRV_OK;
}

static int32_t h_stop(xdrv_netdev_t *nd)
{
	(void)nd;
	return XDRV_OK;
}

static int32_t h_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *pkt)
{
	xdrv_net_tx_complete(nd, pkt, XDRV_OK);
	return XDRV_OK;
}

static const struct xdrv_net_ops h_ops = {
	.struct_size = sizeof(struct xdrv_net_ops),
	.open = h_open,
	.stop = h_stop,
	.xmit = h_xmit,
};

static int32_t h_probe(xdrv_device_t *dev)
{
	static const uint8_t mac[XDRV_ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x01};
	the_dev = dev;
	the_regs = xdrv_dev_region(dev, 0);
	ring = xdrv_dma_alloc_coherent(dev, DESC_SIZE, &ring_bus);
	if (!the_regs || !ring)
		return XDRV_ENOMEM;
	return xdrv_net_register(dev, &h_ops, mac, NULL) ? XDRV_OK : XDRV_ENOMEM;
}

static void h_remove(xdrv_device_t *dev)
{
	(void)dev;
}

static const struct xdrv_match h_match[] = {
	{.bus = XDRV_BUS_PCI, .vendor = 0x100b, .device = 0x0022},
	{.bus = 0},
};

XDRV_DRIVER(.name = "dma_rodata", .version = "1.0.0", .match = h_match, .probe = h_probe,
	    .remove = h_remove);
