// SPDX-License-Identifier: MIT
/*
 * A patch of sample-drivers/hello that `xdrv pack --patch-for` must refuse: its hello_remove
 * returns int32_t, the base's returns void (the message names both types). It builds (xdrv
 * build --patch cannot know the base), so the refusal is pack's and the loader's.
 */
#include <xdrv/abi.h>

int32_t hello_remove(xdrv_device_t *dev);

int32_t hello_remove(xdrv_device_t *dev)
{
	xdrv_dev_set_priv(dev, NULL);
	return XDRV_OK;
}
