// SPDX-License-Identifier: MIT
/*
 * Packet extensions of a boot (docs/BOOT.md, "Packet extensions"): what boot_seq.c needs beyond
 * the driver's path. The boot process checks and measures each extension's package as it does a
 * driver's (boot_seq.c), has it compiled here by the compiler process, and the driver host links
 * the objects, fills the tables and attaches them to the interface its driver registered, then
 * runs the configured wire's traffic through the chains and prints their figures.
 */
#include "boot_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ldr_jit.h"
#include "xdrv/ext.h"
#include "xdrv/ext_host.h"
#include "xdrv/hvb.h"
#include "xdrv/net_ext.h"
#include "xdrv/runtime.h"
#include "xdrv/util.h"
#include "xdrv/wire.h"

int boot_ext_compile(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		     const struct boot_ext *x, struct ldr_compiled **out, char **err)
{
	/* an extension is compiled whole, in the compiler process, whatever the boot's mode for
	 * drivers (as ldr_ext_load_buf does) */
	uint32_t mode = ctx->cfg.jit_mode;
	ctx->cfg.jit_mode = LDR_JIT_EAGER;
	int rc = ldr_package_compile_mem(ctx, buf, len, label, x->params, x->nparams, out, err);
	ctx->cfg.jit_mode = mode;
	return rc;
}

int boot_ext_link(struct ldr_ctx *ctx, struct boot_ext_load *l, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = ldr_ext_load_compiled(ctx, l[i].comp, NULL, &l[i].ext, err);
		for (size_t t = 0; !rc && t < l[i].x->ntables; t++) {
			const struct boot_ext_table *bt = &l[i].x->tables[t];
			int idx = ldr_ext_table_find(l[i].ext, bt->name);
			if (idx < 0) {
				rc = xdrv_err(err, -ENOENT, "extension %s has no table \"%s\"",
					      ldr_ext_name(l[i].ext), bt->name);
				break;
			}
			for (size_t k = 0; !rc && k < l[i].tab[t].n; k++) {
				rc = ldr_ext_table_set(l[i].ext, (uint32_t)idx, l[i].tab[t].keys[k],
						       l[i].tab[t].vals[k]);
				if (rc)
					rc = xdrv_err(err, rc,
						      "table %s (%s): key %" PRIu64 " refused (%s)",
						      bt->name, bt->file, l[i].tab[t].keys[k],
						      rc == -ENOSPC ? "table full"
								    : "out of range");
			}
		}
		if (rc) {
			xdrv_err_prefix(err, "%s", l[i].label);
			return rc;
		}
	}
	return 0;
}

void boot_ext_unlink(struct boot_ext_load *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ldr_ext_unload(l[i].ext);
		l[i].ext = NULL;
	}
}

int boot_ext_attach(struct ldr_driver *drv, struct boot_ext_load *l, size_t n, char **err)
{
	if (!n)
		return 0;
	struct ldr_netdev *nd = ldr_driver_netdev(drv, 0);
	if (!nd) {
		boot_ext_unlink(l, n);
		return xdrv_err(err, -ENODEV,
				"the driver registered no network interface for its extensions");
	}
	for (size_t i = 0; i < n; i++) {
		struct ldr_ext *e = l[i].ext;
		l[i].ext = NULL; /* the runtime owns it from here, also on failure */
		int rc = ldr_net_ext_attach(nd, l[i].x->hook, LDR_NET_EXT_END, e, l[i].x->policy,
					    err);
		if (rc < 0) {
			boot_ext_unlink(l + i + 1, n - i - 1);
			xdrv_err_prefix(err, "%s: attach", l[i].label);
			return rc;
		}
	}
	return 0;
}

struct rx_count {
	uint64_t frames, bytes;
};

static void on_rx(void *ctx, const uint8_t *frame, size_t len, uint32_t csum)
{
	(void)frame;
	(void)csum;
	struct rx_count *c = ctx;
	c->frames++;
	c->bytes += len;
}

void boot_ext_figures(struct ldr_driver *drv, const char *who, FILE *f)
{
	struct ldr_netdev *nd = ldr_driver_netdev(drv, 0);
	if (!nd)
		return;
	struct ldr_net_ext_info info[LDR_NET_EXT_CHAIN_MAX * 2 + LDR_NET_EXT_HISTORY];
	size_t n = ldr_net_ext_list(nd, info, sizeof info / sizeof info[0]);
	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	char en[256], ev[128], ef[512];
	for (size_t i = 0; i < n; i++) {
		const struct ldr_net_ext_info *x = &info[i];
		fprintf(f,
			"boot: %s: ext %s %s %s: %" PRIu64 " runs, pass %" PRIu64 ", drop %" PRIu64
			", tx %" PRIu64 ", class %" PRIu64 "%s%s\n",
			who, x->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx",
			xdrv_escape_text(x->name, en, sizeof en),
			xdrv_escape_text(x->version, ev, sizeof ev), x->st.runs, x->st.pass,
			x->st.drop, x->st.tx, x->st.classed, x->attached ? "" : "; detached: ",
			x->attached ? "" : xdrv_escape_text(x->failure, ef, sizeof ef));
	}
	fflush(f);
}

int boot_ext_traffic(struct ldr_driver *drv, struct hvb_wire *w, const char *who, char **err)
{
	struct ldr_netdev *nd = ldr_driver_netdev(drv, 0);
	if (!nd)
		return xdrv_err(err, -ENODEV, "the driver registered no network interface");
	struct rx_count c = {0};
	ldr_net_set_rx(nd, on_rx, &c);
	int rc = ldr_net_open(nd, err);
	if (rc)
		return rc;
	/* until the generator is through and the driver idle for 20 ms, as `xdrv run` ends a run
	 * (the chip's interrupt holdoff delays the last frames; the probe watchdog bounds it) */
	uint64_t idle_since = 0;
	for (;;) {
		int did = ldr_driver_dispatch(drv);
		if (did < 0)
			break;
		uint64_t now = xdrv_now_ns();
		if (did > 0 || hvb_wire_gen_pending(w) > 0) {
			idle_since = 0;
			continue;
		}
		if (!idle_since)
			idle_since = now;
		if (now - idle_since >= 20000000u)
			break;
		nanosleep(&(struct timespec){0, 50000}, NULL);
	}
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	struct ldr_net_ext_counts ec;
	ldr_net_ext_counts(nd, &ec);
	printf("boot: %s: wire %s: %" PRIu64 " frames in, host received %" PRIu64
	       ", extensions dropped %" PRIu64 " (policy %" PRIu64 "), %" PRIu64
	       " extension failures\n",
	       who, hvb_wire_name(w), ws.rx_frames, c.frames, ec.rx_dropped, ec.policy_dropped,
	       ec.failures);
	fflush(stdout);
	ldr_net_stop(nd);
	ldr_net_set_rx(nd, NULL, NULL);
	return 0;
}
