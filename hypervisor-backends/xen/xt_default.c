// SPDX-License-Identifier: MIT
/*
 * The transport that frontends use when their own options do not name one (xt.h): set by the
 * xen backend's options, else guessed from the host (Xen's event-channel device, else the loop
 * transport to xdrv-backd's socket).
 */
#include "../hvb_priv.h"
#include "xt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/util.h>

#define XT_DEFAULT_SOCKET "/run/xdrv-backd.sock"

static struct {
	bool set;
	char transport[8];
	char socket[256];
	uint32_t domid;
	bool toolstack;
	uint32_t timeout_ms;
	uint32_t spin_us;
} dflt;

/* The guessed defaults, once. */
static void dflt_init(void)
{
	if (!dflt.set) {
		const char *s = getenv("XDRV_BACKD_SOCKET");
		snprintf(dflt.transport, sizeof dflt.transport, "%s",
			 access("/dev/xen/evtchn", R_OK | W_OK) == 0 ? "xen" : "loop");
		snprintf(dflt.socket, sizeof dflt.socket, "%s", s && *s ? s : XT_DEFAULT_SOCKET);
		dflt.domid = 0;
		dflt.toolstack = true;
		dflt.timeout_ms = 30000;
		dflt.spin_us = 50;
		dflt.set = true;
	}
}

void xt_default_get(struct xt_cfg *cfg)
{
	dflt_init();
	cfg->transport = dflt.transport;
	cfg->socket = dflt.socket;
	cfg->backend_domid = dflt.domid;
	cfg->toolstack = dflt.toolstack;
	cfg->timeout_ms = dflt.timeout_ms;
	cfg->spin_us = dflt.spin_us;
}

int xt_default_set(const char *options, char **err)
{
	dflt_init(); /* start from the guessed defaults */
	char transport[sizeof dflt.transport], sock[sizeof dflt.socket];
	snprintf(transport, sizeof transport, "%s", dflt.transport);
	snprintf(sock, sizeof sock, "%s", dflt.socket);
	uint32_t domid = dflt.domid, timeout = dflt.timeout_ms, spin = dflt.spin_us;
	bool toolstack = dflt.toolstack;
	char key[32], val[256];
	size_t pos = 0;
	int rc;
	while ((rc = hvb_config_next(options, &pos, key, sizeof key, val, sizeof val, err)) > 0) {
		uint64_t v;
		if (strcmp(key, "transport") == 0) {
			if (strcmp(val, "xen") != 0 && strcmp(val, "loop") != 0)
				return xdrv_err(err, -EINVAL,
						"transport '%s': expected xen or loop", val);
			snprintf(transport, sizeof transport, "%s", val);
		} else if (strcmp(key, "socket") == 0) {
			if (!*val || strlen(val) >= 108)
				return xdrv_err(err, -EINVAL,
						"socket '%s': empty or longer than a UNIX "
						"socket path (107 bytes)",
						val);
			snprintf(sock, sizeof sock, "%s", val);
		} else if (strcmp(key, "domid") == 0) {
			if (hvb_config_u64(val, 0, 0x7fef, &v) < 0)
				return xdrv_err(err, -EINVAL, "domid '%s': expected 0..32751", val);
			domid = (uint32_t)v;
		} else if (strcmp(key, "toolstack") == 0) {
			if (hvb_config_u64(val, 0, 1, &v) < 0)
				return xdrv_err(err, -EINVAL, "toolstack '%s': expected 0 or 1",
						val);
			toolstack = v != 0;
		} else if (strcmp(key, "timeout") == 0) {
			if (hvb_config_u64(val, 1, 600000, &v) < 0)
				return xdrv_err(err, -EINVAL, "timeout '%s': expected 1..600000 ms",
						val);
			timeout = (uint32_t)v;
		} else if (strcmp(key, "spin") == 0) {
			if (hvb_config_u64(val, 0, 1000, &v) < 0)
				return xdrv_err(err, -EINVAL, "spin '%s': expected 0..1000 us",
						val);
			spin = (uint32_t)v;
		} else {
			return xdrv_err(err, -EINVAL,
					"option '%s': unknown (transport, socket, domid, "
					"toolstack, timeout, spin)",
					key);
		}
	}
	if (rc < 0)
		return rc;
	snprintf(dflt.transport, sizeof dflt.transport, "%s", transport);
	snprintf(dflt.socket, sizeof dflt.socket, "%s", sock);
	dflt.domid = domid;
	dflt.toolstack = toolstack;
	dflt.timeout_ms = timeout;
	dflt.spin_us = spin;
	return 0;
}
