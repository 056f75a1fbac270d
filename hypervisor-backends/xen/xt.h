/* SPDX-License-Identifier: MIT */
/*
 * Split-driver transport (private to hypervisor-backends/): what a Xen frontend and its backend
 * need from each other, behind one interface with two implementations.
 *
 *   - share pages and name each by a 32-bit reference the other end can map;
 *   - an event channel: notify the other end, and a pollable fd that becomes readable when the
 *     other end notified us (xt_event_ack consumes it);
 *   - a key/value handshake: each end writes keys in its own directory and reads the other's;
 *     "state" carries the XenbusState (Initialising 1 ... Closed 6).
 *
 * Transports:
 *   "xen"   libxengnttab (gntshr), libxenevtchn, libxenstore. The frontend may play the
 *           toolstack: it writes the backend directory too (frontend domid 0), with the keys of
 *           xt_cfg.tool_keys, and the keys of xt_cfg.tool_keys_initwait once the backend is in
 *           InitWait (the hotplug scripts' part: physical-device for a vbd). Frontend directory
 *           default: /local/domain/0/xdrv/<type>/<handle>; backend directory:
 *           /local/domain/<backend_domid>/backend/<type>/0/<handle> (dom0 is the frontend).
 *           On close, and on a crash of the process (a reaper child holds a pipe to it), both
 *           directories are removed; xt_open removes what a killed run left at the same paths.
 *   "loop"  for hosts without Xen: the other end is xdrv-backd (hypervisor-backends/backd/), a
 *           separate process. Pages are one memfd (the "grant table"): a reference is a page
 *           index in it; the event channel is two eventfds (one each way); keys and states go
 *           over a SOCK_SEQPACKET UNIX socket, which also passes the fds (SCM_RIGHTS). The
 *           socket closing is the other end's Closed.
 *
 * Everything read from the other end (keys, and by the ring code, ring contents) is untrusted:
 * xt_read_* validate and copy; a bad value is an error naming the device and the key.
 *
 * Single-threaded per xt. Errors: negative errno, with *err (caller frees) naming the device.
 */
#ifndef XDRV_XT_H
#define XDRV_XT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XT_PAGE		 4096u
#define XT_KEY_MAX	 64u	/* key names, without the directory */
#define XT_VAL_MAX	 256u	/* values */
#define XT_MAX_KEYS	 64u	/* keys per directory (loop transport: the backend's mirror) */
#define XT_LOOP_PAGES	 16384u /* loop "grant table": at most 64 MiB shared per device */
#define XT_TOOL_KEYS_MAX 16u

/* XenbusState values (xen/io/xenbus.h), so both transports carry the same numbers. */
enum xt_state {
	XT_UNKNOWN = 0,
	XT_INITIALISING = 1,
	XT_INITWAIT = 2,
	XT_INITIALISED = 3,
	XT_CONNECTED = 4,
	XT_CLOSING = 5,
	XT_CLOSED = 6,
};
const char *xt_state_name(int state); /* "Initialising", ..., "?" */

struct xt_kv {
	const char *key, *val;
};

/* What a frontend opens: the transport and the device. */
struct xt_cfg {
	const char *transport; /* "xen" or "loop" */
	const char *type;      /* "vif" or "vbd" */
	uint32_t handle;       /* vif: N; vbd: the virtual-device number (51712 = xvda) */
	const char *name;      /* for messages: "netfront.0" */
	/* loop */
	const char *socket; /* xdrv-backd's socket; the device it serves as (type, handle) */
	/* xen */
	uint32_t backend_domid; /* 0 */
	const char *fe_path;	/* NULL: /local/domain/0/xdrv/<type>/<handle> */
	bool toolstack;		/* write the backend directory too (frontend domid 0) */
	struct xt_kv tool_keys[XT_TOOL_KEYS_MAX];	   /* backend keys at creation */
	struct xt_kv tool_keys_initwait[XT_TOOL_KEYS_MAX]; /* backend keys after InitWait */
	uint32_t timeout_ms;				   /* handshake waits; 0: 30 s */
	uint32_t spin_us; /* a frontend waiting for responses looks at the ring this long
			     before it sleeps on the event channel (0: sleeps at once) */
};

struct xt;

/*
 * Defaults for frontends created without naming a transport (`--wire netfront`,
 * `disk=blkfront:xvda`): set from the xen backend's options (`--backend
 * xen:transport=loop,socket=PATH`; xen/xen.c). Until set: transport "xen" where /dev/xen/evtchn
 * exists, else "loop" with socket $XDRV_BACKD_SOCKET or /run/xdrv-backd.sock; backend domid 0;
 * toolstack on. xt_default_get fills transport, socket, backend_domid, toolstack, timeout_ms
 * (strings stay owned by the defaults).
 */
void xt_default_get(struct xt_cfg *cfg);
/* Parse "transport=xen|loop,socket=PATH,domid=N,toolstack=0|1,timeout=MS,spin=US" (NULL/""
 * keeps the defaults; spin 0..1000, default 50). 0 or -EINVAL with *err. */
int xt_default_set(const char *options, char **err);

/* ---- both ends ------------------------------------------------------------------------------ */

/* Notify the other end (an eventfd write / an event-channel notify); counted. */
int xt_notify(struct xt *t);
/* Readable (POLLIN) when the other end notified us. */
int xt_event_fd(const struct xt *t);
/* Consume pending notifications: 1 if there was one, 0 if not, -errno. Re-arms (unmask). */
int xt_event_ack(struct xt *t);
/* Readable when the other end's keys or state may have changed: call xt_ctl_process. */
int xt_ctl_fd(const struct xt *t);
/* Take what arrived on the control fd (non-blocking). 0, or -ENOTCONN once the other end has
 * gone (its state then reads Closed), or -EPROTO on a malformed message (with *err). */
int xt_ctl_process(struct xt *t, char **err);

/* Write a key in our own directory. */
int xt_write(struct xt *t, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Our state (writes "state"). */
int xt_set_state(struct xt *t, enum xt_state s, char **err);
/* Read a key of the other end's directory into buf (NUL-terminated; -ENOENT if absent,
 * -E2BIG if longer than cap - 1, -EINVAL if it holds a NUL or a byte outside printable ASCII). */
int xt_read(struct xt *t, const char *key, char *buf, size_t cap);
/* An unsigned decimal in [min, max]: 0; -ENOENT absent (*out = dflt); -EINVAL malformed or out
 * of range, with *err naming the device, the key and the value (escaped). */
int xt_read_u64(struct xt *t, const char *key, uint64_t min, uint64_t max, uint64_t dflt,
		uint64_t *out, char **err);
/* The other end's state: XT_UNKNOWN if absent, -EINVAL if not 0..6. */
int xt_peer_state(struct xt *t);
/* Wait (polling the control fd) until the other end's state is `want`; -ECONNRESET if it goes
 * to Closing/Closed first, -ETIMEDOUT, with *err naming the device and the state seen.
 * For InitWait..Connected, a later state before Closing also ends the wait (a backend waiting
 * for Initialised may find the frontend Connected already); waiting for Closing, Closed ends
 * it too. The -ECONNRESET message quotes the other end's "error" key if it wrote one.
 * xen transport in toolstack mode: the first time it sees the backend in InitWait or later,
 * it writes cfg->tool_keys_initwait into the backend directory (the hotplug scripts' part),
 * so a frontend waits for InitWait with this call before it goes on. */
int xt_wait_peer_state(struct xt *t, enum xt_state want, char **err);

struct xt_stats {
	uint64_t notify_sent;  /* xt_notify calls (eventfd writes / hypercalls) */
	uint64_t events_taken; /* xt_event_ack that found one */
};
void xt_get_stats(const struct xt *t, struct xt_stats *out);
const char *xt_name(const struct xt *t);
const char *xt_transport(const struct xt *t); /* "xen" / "loop" */

/* ---- frontend -------------------------------------------------------------------------------- */

/* Connect: loop: to the backd socket, which must serve (type, handle); xen: xenstore, evtchn,
 * gntshr, the directories (toolstack mode). Our state is Initialising. */
int xt_open(const struct xt_cfg *cfg, struct xt **out, char **err);
/* Closing, Closed, tear down (directories, grants, fds). NULL-safe. */
void xt_close(struct xt *t);
/* Share n zeroed pages, writable by the other end: the address, refs[i] names page i. NULL with
 * *err on failure. */
void *xt_share(struct xt *t, uint32_t n, uint32_t *refs, char **err);
void xt_unshare(struct xt *t, void *addr, uint32_t n);
/* The event-channel port to publish as "event-channel" (xen: a bound port; loop: 1). */
uint32_t xt_evtchn_port(const struct xt *t);

/* ---- backend (loop transport only: xdrv-backd) ----------------------------------------------- */

struct xt_listener;
/* Listen on a UNIX socket path (an old socket file there is replaced; mode 0600). */
int xt_listen(const char *path, struct xt_listener **out, char **err);
int xt_listener_fd(const struct xt_listener *l); /* readable: a frontend is connecting */
/* Accept one frontend (blocking at most timeout_ms for its hello). 0 with *out, its type and
 * handle from xt_peer_type/xt_peer_handle; -EPROTO for a malformed hello (connection closed). */
int xt_accept(struct xt_listener *l, struct xt **out, char **err);
void xt_listener_close(struct xt_listener *l); /* removes the socket file; NULL-safe */
const char *xt_peer_type(const struct xt *t);
uint32_t xt_peer_handle(const struct xt *t);
/* Map n pages named by the frontend's refs (each checked: inside its table, and shared), as one
 * contiguous range. NULL with *err naming the bad ref. */
void *xt_map(struct xt *t, const uint32_t *refs, uint32_t n, char **err);
void xt_unmap(struct xt *t, void *addr, uint32_t n);
/* Backend side close: our state Closed, the socket closed. NULL-safe. */
void xt_disconnect(struct xt *t);
/* Free this process's copy without a word to the other end (the parent after forking a child
 * that serves the connection). NULL-safe. */
void xt_forget(struct xt *t);

#endif
