// SPDX-License-Identifier: MIT
/*
 * The `null` device model: a platform device ("xdrv,null") with no registers and no interrupt
 * lines, for drivers that need a device to bind to but no hardware (sample-drivers/hello). Any
 * register access to it is a bad access, answered by the generic layer.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <xdrv/device.h>
#include <xdrv/util.h>

static int null_create(struct hvb_device *dev, const char *config, void **opaque, char **err)
{
	(void)dev;
	if (config && *config)
		return xdrv_err(err, -EINVAL, "config '%s': the null model takes none", config);
	*opaque = NULL;
	return 0;
}

const struct hvb_model_ops hvb_null_model_ops = {
	.name = "null",
	.description = "a device with no registers and no interrupts (for hello)",
	.bus = XDRV_BUS_PLATFORM,
	.compatible = "xdrv,null",
	.num_regions = 0,
	.num_irqs = 0,
	.create = null_create,
};
