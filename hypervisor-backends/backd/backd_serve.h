/* SPDX-License-Identifier: MIT */
/*
 * xdrv-backd's server (backd_serve.c), apart from its command line (main_xdrv-backd.c) so that
 * tests can run it with handlers of their own: the device table from --vif/--vbd, the accept
 * loop that forks a child per frontend, and the child's loop around a backd_dev_ops handler.
 */
#ifndef XDRV_BACKD_SERVE_H
#define XDRV_BACKD_SERVE_H

#include "backd.h"

#include <signal.h>
#include <stddef.h>

struct hvb_wire;

#define BACKD_MAX_DEVS 64
#define BACKD_POLL_MS  100 /* run() is called at least this often while connected */

struct backd_dev_cfg {
	char type[8]; /* "vif", "vbd" */
	uint32_t handle;
	const char *spec; /* borrowed (argv) */
	/* vif: a wire the server opened once and holds (backd_hold_wires), served to each
	 * frontend in turn, so that a TAP and its addresses outlive a frontend that reconnects;
	 * NULL: the handler opens spec for each frontend */
	struct hvb_wire *held;
};

struct backd_cfg {
	const char *socket;
	struct backd_dev_cfg devs[BACKD_MAX_DEVS];
	size_t ndevs;
	/* the handler for a device type, NULL if none: backd_dev_ops_find (backd_devs.c), or a
	 * test's own */
	const struct backd_dev_ops *(*find_ops)(const char *type);
	/* > 0: once listening, write "ok\n" here and close it, instead of the "listening" line
	 * on stdout (a supervisor that started the server waits for it); 0 (stdin): no */
	int ready_fd;
};

/* Add "--vif N=SPEC" (type "vif") or "--vbd VDEV=SPEC" (type "vbd": VDEV a number such as
 * 51712, or xvdX / xvdXY: 202:16*index). `arg` must outlive cfg. 0, or -EINVAL with *err. */
int backd_add_dev(struct backd_cfg *cfg, const char *type, const char *arg, char **err);

/* The configured device (type, handle), NULL if none. */
const struct backd_dev_cfg *backd_find_dev(const struct backd_cfg *cfg, const char *type,
					   uint32_t handle);
/* Its spec, NULL if none. */
const char *backd_find_spec(const struct backd_cfg *cfg, const char *type, uint32_t handle);

/* Open the wire of every vif whose kind touches the outside world (tap) now, in this process,
 * and hold it (backd_dev_cfg.held) until backd_release_wires; open and close every file disk,
 * so that one that cannot be opened is said now. 0, or -errno with *err naming the device. */
int backd_hold_wires(struct backd_cfg *cfg, char **err);
void backd_release_wires(struct backd_cfg *cfg);

/*
 * Listen on cfg->socket, print "xdrv-backd: listening on PATH" to stdout (flushed), and serve
 * frontends until SIGTERM or SIGINT: each in a forked child (backd_serve_conn), reaped as it
 * ends. On the signal: SIGTERM to the children, wait for them, remove the socket file. Log
 * lines go to stderr. 0 after a signal, or -errno with *err if it could not listen.
 * Installs handlers for SIGTERM, SIGINT, SIGCHLD; ignores SIGPIPE.
 */
int backd_serve(const struct backd_cfg *cfg, char **err);

/*
 * Serve one accepted frontend to its end (in the child): look up its spec and handler (an
 * unknown device is refused: an "error" key, Closed), start, then poll the event channel, the
 * control fd and the handler's fds, acking the event before each run. Ends on the frontend's
 * EOF or Closing, a protocol error, a handler error, or *stop; stop and disconnect; a log line
 * names the device and why. Returns the exit status for the child: 0 when the frontend
 * closed, 1 otherwise.
 */
int backd_serve_conn(const struct backd_cfg *cfg, struct xt *t, volatile sig_atomic_t *stop);

/* backd_devs.c: the built-in handlers (vif, vbd) by type. */
const struct backd_dev_ops *backd_dev_ops_find(const char *type);

#endif
