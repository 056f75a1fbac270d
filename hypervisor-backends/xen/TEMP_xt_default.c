// SPDX-License-Identifier: MIT
/*
 * TEMPORARY (branch i11-net only): a stand-in for xt_default_get/xt_default_set, which the
 * lead implements in xen/xen.c. Delete this file when that lands (the link then has two
 * definitions). Behaviour as documented in xt.h.
 */
#include "xt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/util.h>

void xt_default_get(struct xt_cfg *cfg)
{
	const char *sock = getenv("XDRV_BACKD_SOCKET");
	cfg->transport = access("/dev/xen/evtchn", F_OK) == 0 ? "xen" : "loop";
	cfg->socket = sock && *sock ? sock : "/run/xdrv-backd.sock";
	cfg->backend_domid = 0;
	cfg->toolstack = true;
	cfg->timeout_ms = 0;
}

int xt_default_set(const char *options, char **err)
{
	if (options && *options)
		return xdrv_err(err, -ENOTSUP,
				"xt_default_set: not in this branch (TEMP stand-in)");
	return 0;
}
