// SPDX-License-Identifier: MIT
/*
 * The `xen` backend's place in the registry. This version has no Xen transport (split-driver
 * rings, grant references, event channels, or their loopback stand-in): creating it fails with
 * a message that says so and where the work is tracked, instead of the name being unknown.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <xdrv/util.h>

static int xen_create(struct hvb_backend *b, const char *options, char **err)
{
	(void)b;
	(void)options;
	return xdrv_err(err, -ENOTSUP,
			"xen backend: not built in this version; see issue 'Xen backend'");
}

const struct hvb_backend_ops hvb_xen_backend_ops = {
	.name = "xen",
	.description = "Xen split-driver transport (not built in this version)",
	.create = xen_create,
};
