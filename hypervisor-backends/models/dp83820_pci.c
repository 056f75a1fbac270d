// SPDX-License-Identifier: MIT
/*
 * The DP83820 as a PCI function on the device-model layer: identity (100b:0022, class 020000),
 * the register window, the interrupt line, the board config string (MAC address in the EEPROM,
 * link, wire flow control), and the host-side calls of xdrv/dp83820.h. The chip itself is
 * dp83820.c (registers) and dp83820_dma.c (engines).
 */
#include "dp83820_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/device.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

static const uint8_t default_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static int dp_parse_config(struct dp83820 *s, const char *config, char **err)
{
	char key[32], val[64];
	size_t pos = 0;
	int rc;
	while ((rc = hvb_config_next(config, &pos, key, sizeof key, val, sizeof val, err)) == 1) {
		uint64_t n;
		if (strcmp(key, "mac") == 0) {
			if (hvb_config_mac(val, s->mac))
				return xdrv_err(err, -EINVAL,
						"config mac=%s: expected xx:xx:xx:xx:xx:xx", val);
			if (s->mac[0] & 1)
				return xdrv_err(err, -EINVAL,
						"config mac=%s: a multicast address cannot be a "
						"station address",
						val);
		} else if (strcmp(key, "link") == 0 || strcmp(key, "flow") == 0) {
			if (hvb_config_u64(val, 0, 1, &n))
				return xdrv_err(err, -EINVAL, "config %s=%s: expected 0 or 1", key,
						val);
			if (key[0] == 'l')
				s->link_up = n;
			else
				s->flow = n;
		} else if (strcmp(key, "rate") == 0) {
			if (hvb_config_u64(val, 0, 100000, &n))
				return xdrv_err(
					err, -EINVAL,
					"config rate=%s: expected Mbit/s, 0 (unpaced) to 100000",
					val);
			s->rate_mbit = (uint32_t)n;
		} else {
			return xdrv_err(err, -EINVAL,
					"config key '%s': unknown (known: mac, link, flow, rate)",
					key);
		}
	}
	return rc;
}

static int dp_create(struct hvb_device *dev, const char *config, void **opaque, char **err)
{
	struct dp83820 *s = calloc(1, sizeof *s);
	if (!s)
		return xdrv_err(err, -ENOMEM, "out of memory");
	s->dev = dev;
	memcpy(s->mac, default_mac, 6);
	s->link_up = true;
	s->flow = true;
	int rc = dp_parse_config(s, config, err);
	if (rc == 0) {
		s->txbuf = malloc(DP83820_TX_MAX_FRAME);
		s->rxbuf = malloc(DP83820_TX_MAX_FRAME);
		if (!s->txbuf || !s->rxbuf)
			rc = xdrv_err(err, -ENOMEM, "out of memory for frame buffers");
	}
	if (rc != 0) {
		free(s->txbuf);
		free(s->rxbuf);
		free(s);
		return rc;
	}
	*opaque = s;
	return 0;
}

static void dp_destroy(void *opaque)
{
	struct dp83820 *s = opaque;
	if (!s)
		return;
	free(s->txbuf);
	free(s->rxbuf);
	free(s);
}

static void dp_model_reset(void *opaque)
{
	dp_reset(opaque);
}

static int dp_nic_receive(void *opaque, const void *frame, size_t len)
{
	return dp_rx_frame(opaque, frame, len);
}

static const struct hvb_nic_ops dp_nic_ops = {
	.receive = dp_nic_receive,
};

const struct hvb_model_ops hvb_dp83820_model_ops = {
	.name = "dp83820",
	.description = "NatSemi DP83820 gigabit Ethernet NIC (descriptor DMA, checksum offload)",
	.bus = XDRV_BUS_PCI,
	.vendor = DP83820_VENDOR,
	.device = DP83820_DEVICE,
	.class_code = 0x020000, /* network controller, Ethernet */
	.subvendor = DP83820_VENDOR,
	.subdevice = DP83820_DEVICE,
	.revision = 0x03,
	.num_regions = 1,
	.regions = {{.kind = XDRV_REGION_MMIO, .access_sizes = 4, .size = DP83820_REGION_LEN}},
	.num_irqs = 1,
	.create = dp_create,
	.destroy = dp_destroy,
	.reset = dp_model_reset,
	.read = dp_read,
	.write = dp_write,
	.nic = &dp_nic_ops,
};

/* ---- host side (xdrv/dp83820.h) -------------------------------------------------------------- */

static struct dp83820 *state_of(const struct hvb_device *d)
{
	return hvb_device_model(d) == &hvb_dp83820_model_ops ? hvb_device_state(d) : NULL;
}

int dp83820_receive(struct hvb_device *d, const void *frame, size_t len)
{
	struct dp83820 *s = state_of(d);
	return s ? dp_rx_frame(s, frame, len) : 0;
}

void dp83820_set_link(struct hvb_device *d, bool up)
{
	struct dp83820 *s = state_of(d);
	if (!s || s->link_up == up)
		return;
	s->link_up = up;
	if (s->cfg & DP83820_CFG_PINT_CTL)
		s->isr |= DP83820_ISR_PHY;
	dp_update_irq(s);
}

void dp83820_get_counters(const struct hvb_device *d, struct dp83820_counters *out)
{
	const struct dp83820 *s = state_of(d);
	if (s)
		*out = s->cnt;
	else
		memset(out, 0, sizeof *out);
}
