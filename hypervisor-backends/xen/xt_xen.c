// SPDX-License-Identifier: MIT
/*
 * The xen transport (xt.h), frontend side: placeholder until the libxen implementation lands.
 */
#include "xt_priv.h"

#include <errno.h>
#include <xdrv/util.h>

int xt_xen_open(const struct xt_cfg *cfg, struct xt **out, char **err)
{
	*out = NULL;
	return xdrv_err(err, -ENOTSUP,
			"%s: transport xen: this xdrv was built without libxen (libxen-dev)",
			cfg->name ? cfg->name : cfg->type);
}
