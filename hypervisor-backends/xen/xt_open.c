// SPDX-License-Identifier: MIT
/*
 * xt_open (xt.h): picks the transport named in the configuration. Apart from xt.c, which the
 * implementations use, so that no file both calls them and is called by them.
 */
#include "xt_priv.h"

#include <errno.h>
#include <string.h>
#include <xdrv/util.h>

int xt_open(const struct xt_cfg *cfg, struct xt **out, char **err)
{
	const char *name = cfg && cfg->name ? cfg->name : "xt";
	*out = NULL;
	if (!cfg || !cfg->type || !*cfg->type)
		return xdrv_err(err, -EINVAL, "%s: transport: no device type", name);
	if (!xt_key_valid(cfg->type, strlen(cfg->type)) || strchr(cfg->type, '/') ||
	    strlen(cfg->type) > 15)
		return xdrv_err(err, -EINVAL, "%s: transport: device type '%s' is not a plain name",
				name, cfg->type);
	if (!cfg->transport || !strcmp(cfg->transport, "loop"))
		return xt_loop_open(cfg, out, err);
	if (!strcmp(cfg->transport, "xen"))
		return xt_xen_open(cfg, out, err);
	return xdrv_err(err, -EINVAL, "%s: transport '%s': unknown (xen, loop)", name,
			cfg->transport);
}
