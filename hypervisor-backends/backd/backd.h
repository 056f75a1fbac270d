/* SPDX-License-Identifier: MIT */
/*
 * xdrv-backd (main_xdrv-backd.c): xdrv's own backend for the loop transport (xen/xt.h). It
 * listens on a UNIX socket; each frontend that connects is served by a forked child, so a
 * frontend that misbehaves, or a crash serving it, ends that connection only. The child runs
 * the device's handler below until the frontend closes (its socket's EOF) or breaks the
 * protocol, then tears down what it made (TAP, open disk).
 *
 * Devices are configured on the command line by type and handle:
 *   --vif N=WIRE-SPEC     netif rings <-> a wire kind (xdrv/wire.h): tap:IF@NS, gen:...
 *   --vbd VDEV=DISK-SPEC  blkif rings <-> a disk backend (xdrv/hvb_disk.h): file:, ram:, iscsi:
 *
 * A handler does the backend half of the handshake (its keys, InitWait, wait for the
 * frontend's Initialised/Connected, map the rings it names, Connected) in `start`, then `run`
 * is called whenever the event channel or one of its own fds is readable (and at least every
 * `poll_ms`). Values from the frontend's directory and ring are untrusted: a bad one ends the
 * connection with a message naming the device and the field.
 */
#ifndef XDRV_BACKD_H
#define XDRV_BACKD_H

#include "../xen/xt.h"

#define BACKD_MAX_FDS 4

struct backd_dev_cfg;

struct backd_dev_ops {
	const char *type; /* "vif", "vbd" */
	/* Handshake and set-up for the frontend on `t`, served as `dev` says (its spec, and what
	 * the server holds open for it: backd_serve.h). 0 with *priv, or -errno with *err (the
	 * connection is then closed). */
	int (*start)(struct xt *t, const struct backd_dev_cfg *dev, void **priv, char **err);
	/* Extra fds to poll for POLLIN (a TAP); returns how many (<= cap). */
	int (*fds)(void *priv, int *fds, int cap);
	/* Do the work that is ready: requests from the rings, frames from the TAP. 0 to go on,
	 * -errno to end the connection (with *err). */
	int (*run)(void *priv, char **err);
	void (*stop)(void *priv); /* unmap, close, free; NULL-safe priv */
};

/* How long a handler watches its ring for more work before it sleeps on the event channel
 * (xdrv-backd --spin-us, default 50; 0: never). backd_serve.c. */
extern unsigned backd_spin_us;
/* The name log lines start with ("xdrv-backd"; `xdrv run` names its own). backd_serve.c. */
extern const char *backd_log_name;
/* Log the lines of normal operation (serving, connected, ended, counters); errors are always
 * logged. Default true. backd_serve.c. */
extern bool backd_verbose;

extern const struct backd_dev_ops backd_vif_ops; /* backd_vif.c */
extern const struct backd_dev_ops backd_vbd_ops; /* backd_vbd.c */

#endif
