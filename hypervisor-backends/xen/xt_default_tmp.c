// SPDX-License-Identifier: MIT
/*
 * TEMPORARY (branch i11-blk): xt_default_get / xt_default_set of xt.h, so that blkfront and its
 * tests build and run before the lead's version in xen/xen.c lands. Delete this file when
 * merging that one (the symbols would be defined twice).
 */
#include "xt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/util.h>

static struct {
	bool set;
	char transport[8];
	char socket[256];
	uint32_t domid, timeout_ms;
	bool toolstack;
} dflt;

static void dflt_init(void)
{
	if (dflt.set)
		return;
	dflt.set = true;
	snprintf(dflt.transport, sizeof dflt.transport, "%s",
		 access("/dev/xen/evtchn", F_OK) == 0 ? "xen" : "loop");
	const char *s = getenv("XDRV_BACKD_SOCKET");
	snprintf(dflt.socket, sizeof dflt.socket, "%s", s && *s ? s : "/run/xdrv-backd.sock");
	dflt.domid = 0;
	dflt.toolstack = true;
	dflt.timeout_ms = 0;
}

void xt_default_get(struct xt_cfg *cfg)
{
	dflt_init();
	cfg->transport = dflt.transport;
	cfg->socket = dflt.socket;
	cfg->backend_domid = dflt.domid;
	cfg->toolstack = dflt.toolstack;
	cfg->timeout_ms = dflt.timeout_ms;
}

int xt_default_set(const char *options, char **err)
{
	dflt_init();
	if (!options || !*options)
		return 0;
	char *copy = strdup(options), *save = NULL;
	if (!copy)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = 0;
	for (char *kv = strtok_r(copy, ",", &save); kv && rc == 0;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		char *end = NULL;
		if (!eq) {
			rc = xdrv_err(err, -EINVAL, "xen options: '%s': expected key=value", kv);
			break;
		}
		*eq++ = '\0';
		if (strcmp(kv, "transport") == 0 && (!strcmp(eq, "xen") || !strcmp(eq, "loop")))
			snprintf(dflt.transport, sizeof dflt.transport, "%s", eq);
		else if (strcmp(kv, "socket") == 0 && *eq && strlen(eq) < sizeof dflt.socket)
			snprintf(dflt.socket, sizeof dflt.socket, "%s", eq);
		else if (strcmp(kv, "domid") == 0)
			dflt.domid = (uint32_t)strtoul(eq, &end, 10);
		else if (strcmp(kv, "toolstack") == 0 && (!strcmp(eq, "0") || !strcmp(eq, "1")))
			dflt.toolstack = eq[0] == '1';
		else if (strcmp(kv, "timeout") == 0)
			dflt.timeout_ms = (uint32_t)strtoul(eq, &end, 10);
		else
			rc = xdrv_err(err, -EINVAL, "xen options: %s=%s: unknown or malformed", kv,
				      eq);
		if (end && *end)
			rc = xdrv_err(err, -EINVAL, "xen options: %s=%s: not a number", kv, eq);
	}
	free(copy);
	return rc;
}
