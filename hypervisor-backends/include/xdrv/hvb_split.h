/* SPDX-License-Identifier: MIT */
/*
 * Split drivers for a supervisor (driver domains, loader/README.md): the backends that touch the
 * outside world (a TAP, disk image files, iSCSI) run in a backend server the supervisor starts,
 * and the driver host reaches them through Xen split-driver frontends (netfront, blkfront) over
 * the loop transport (memfd pages, eventfds, a UNIX socket). The server is xdrv-backd's, started
 * as a process of the supervisor's instead of a daemon of its own:
 *
 *	supervisor ── fork ─► backend server (backd_serve)        driver host (sandboxed)
 *	                        holds the TAP wires open             device model + driver
 *	                        per frontend: a child ◄── rings ──►  netfront / blkfront
 *	                        TAP / file / iSCSI
 *
 * A driver host that dies closes its end; the child serving it ends; the next driver host
 * connects again and is served by a new child, from the same TAP (its addresses stay) and the
 * same disk (a write the backend answered is in the file).
 */
#ifndef XDRV_HVB_SPLIT_H
#define XDRV_HVB_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVB_SPLIT_MAX_DEVS 9 /* a wire and up to 8 disks */

/* What the supervisor serves (`xdrv run --backends`): AUTO: a `tap:` wire and `file:`/`iscsi:`
 * disks, while a generator wire and RAM disks, which touch nothing outside, stay in the driver
 * host; SUPERVISOR: every wire and disk; HOST: nothing. Frontends (netfront, blkfront) are
 * never served: they already are one half of a split driver. */
enum hvb_split_where { HVB_SPLIT_AUTO, HVB_SPLIT_SUPERVISOR, HVB_SPLIT_HOST };
/* "auto", "supervisor", "host": 0, or -EINVAL. */
int hvb_split_where_parse(const char *s, enum hvb_split_where *out);
/* Does the split apply to devices on this backend spec (NAME[:OPTIONS], NULL: the default)?
 * Only on native: with xen the user has chosen the frontends already. */
bool hvb_split_backend_applies(const char *backend);

struct hvb_split_plan {
	char *device;			/* the driver host's device spec: each served disk=SPEC as
					   disk=blkfront:xvdX; NULL: unchanged */
	char wire[16];			/* the driver host's wire ("netfront"); "": unchanged */
	bool wire_source;		/* the served wire generates traffic (gen:) */
	uint64_t source_frames;		/* and its count= (0: not given): the driver host cannot
					   see the generator, so it waits for that many frames
					   before an idle run may end */
	char *args[HVB_SPLIT_MAX_DEVS]; /* "0=tap:IF@NS", "xvda=file:IMG" */
	const char *types[HVB_SPLIT_MAX_DEVS]; /* "vif", "vbd" */
	size_t ndevs;			       /* 0: nothing to serve */
	char served[512]; /* for messages: "wire tap:xb@nsB, disk file:a.img" */
};
/* Decide what is served of `device` (MODEL[:key=val,disk=SPEC,...], may be NULL) and `wire`
 * (KIND[:OPTIONS], may be NULL). 0, or -errno with *err; free with hvb_split_plan_free. */
int hvb_split_plan(enum hvb_split_where where, const char *device, const char *wire,
		   struct hvb_split_plan *p, char **err);
void hvb_split_plan_free(struct hvb_split_plan *p); /* zeroes it; safe on a zeroed plan */

struct hvb_split;

/*
 * Fork the backend server for p's devices: it leaves the supervisor's process group (a
 * terminal's ^C reaches the supervisor, which stops it last), dies with the supervisor, closes
 * every descriptor but stdio, opens and holds the TAP wires, checks that every disk file opens,
 * listens on a socket in a directory of its own ($TMPDIR or /tmp, xdrv-split.XXXXXX, mode 0700)
 * and serves each frontend that connects in a child of its own. Returns once it listens: 0 with
 * *out, or -errno with *err (a device spec, a TAP or a file that could not be opened is named;
 * nothing is left running or on disk). Log lines start with `log_name`; only errors are logged
 * unless `verbose`.
 */
int hvb_split_start(const struct hvb_split_plan *p, const char *log_name, bool verbose,
		    struct hvb_split **out, char **err);
const char *hvb_split_socket(const struct hvb_split *s); /* for hvb_split_frontends */
int hvb_split_pid(const struct hvb_split *s);
/* SIGTERM to the server, which stops its children (they tear down what they opened), wait for
 * it, remove its socket and directory, free. NULL-safe. */
void hvb_split_stop(struct hvb_split *s);

/* In the driver host: netfront wires and blkfront disks created from now on that name no
 * transport use the loop transport to `socket` (as `--backend xen:transport=loop,socket=`). */
int hvb_split_frontends(const char *socket, char **err);

#endif
