// SPDX-License-Identifier: MIT
/*
 * PLACEHOLDER for xdrv-backd's vbd handler (blkif rings <-> a disk), so that bin/xdrv-backd links
 * until the real handler lands: the helper writing backd_vbd.c replaces this whole file.
 */
#include "backd.h"

#include <errno.h>
#include <xdrv/util.h>

static int vbd_start(struct xt *t, const char *spec, void **priv, char **err)
{
	(void)spec;
	*priv = NULL;
	return xdrv_err(err, -ENOTSUP, "%s: the vbd handler is not built in this version",
			xt_name(t));
}

static int vbd_run(void *priv, char **err)
{
	(void)priv;
	(void)err;
	return 0;
}

static void vbd_stop(void *priv)
{
	(void)priv;
}

const struct backd_dev_ops backd_vbd_ops = {
	.type = "vbd",
	.start = vbd_start,
	.run = vbd_run,
	.stop = vbd_stop,
};
