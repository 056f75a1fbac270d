// SPDX-License-Identifier: MIT
/*
 * PLACEHOLDER for xdrv-backd's vif handler (netif rings <-> a TAP), so that bin/xdrv-backd links
 * until the real handler lands: the helper writing backd_vif.c replaces this whole file.
 */
#include "backd.h"

#include <errno.h>
#include <xdrv/util.h>

static int vif_start(struct xt *t, const char *spec, void **priv, char **err)
{
	(void)spec;
	*priv = NULL;
	return xdrv_err(err, -ENOTSUP, "%s: the vif handler is not built in this version",
			xt_name(t));
}

static int vif_run(void *priv, char **err)
{
	(void)priv;
	(void)err;
	return 0;
}

static void vif_stop(void *priv)
{
	(void)priv;
}

const struct backd_dev_ops backd_vif_ops = {
	.type = "vif",
	.start = vif_start,
	.run = vif_run,
	.stop = vif_stop,
};
