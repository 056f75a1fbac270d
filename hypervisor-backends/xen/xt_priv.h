/* SPDX-License-Identifier: MIT */
/*
 * Inside the split-driver transport (xt.h): the part of `struct xt` both implementations share
 * (name, fds, statistics, timeout) and the small ops table xt.c dispatches through. xt.c holds
 * what does not depend on the transport (key validation, state waits, statistics); xt_loop.c
 * and xt_xen.c hold the rest.
 */
#ifndef XDRV_XT_PRIV_H
#define XDRV_XT_PRIV_H

#include "xt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XT_DEFAULT_TIMEOUT_MS 30000u

struct xt_ops {
	int (*notify)(struct xt *t);
	/* 1 if a notification was pending (consumed and re-armed), 0 if not, -errno */
	int (*event_ack)(struct xt *t);
	int (*ctl_process)(struct xt *t, char **err);
	/* write key=val (val NUL-terminated, validated by xt.c) in our own directory */
	int (*write)(struct xt *t, const char *key, const char *val);
	/* the peer's raw value: *val malloc'd (caller frees, NUL added after len bytes), *len its
	 * length (it may hold NULs and any byte); -ENOENT if absent */
	int (*read_raw)(struct xt *t, const char *key, char **val, size_t *len);
	/* called by xt_wait_peer_state with each peer state it sees (xen: tool_keys_initwait);
	 * optional */
	int (*peer_state_seen)(struct xt *t, int state, char **err);
	void *(*share)(struct xt *t, uint32_t n, uint32_t *refs, char **err);
	void (*unshare)(struct xt *t, void *addr, uint32_t n);
	uint32_t (*evtchn_port)(const struct xt *t);
	void (*close)(struct xt *t); /* frees t */
};

struct xt {
	const struct xt_ops *ops;
	const char *transport;
	char name[64];
	bool is_backend; /* loop backend end (xdrv-backd) */
	bool peer_gone;	 /* the other end closed: its state reads Closed */
	int event_fd;	 /* readable when the peer notified us */
	int ctl_fd;	 /* readable when keys may have changed */
	uint32_t timeout_ms;
	struct xt_stats stats;
	void *impl; /* the transport's own state */
};

/* Fill the common part (name from cfg->name or "<type>.<handle>"). */
void xt_init_common(struct xt *t, const struct xt_ops *ops, const char *transport,
		    const struct xt_cfg *cfg);
/* Key names: 1..XT_KEY_MAX bytes of [A-Za-z0-9_@.-/]: '/' separates components ("queue-0/
 * tx-ring-ref"), none empty, none starting with '.' (no "..": a key stays in its directory). */
bool xt_key_valid(const char *key, size_t len);
/* Printable ASCII (0x20..0x7e) only. */
bool xt_val_printable(const char *val, size_t len);
/* `len` raw bytes made printable for a message ("\xHH" escapes, cut with "..."). */
const char *xt_escape(const char *in, size_t len, char *out, size_t cap);
/* The other end's word in messages: "backend" for a frontend, "frontend" for the backend. */
const char *xt_peer_word(const struct xt *t);
/* Wait for the peer state with an explicit timeout (xt_close's short waits): as
 * xt_wait_peer_state. */
int xt_wait_peer_state_ms(struct xt *t, enum xt_state want, uint32_t timeout_ms, char **err);

/* The implementations' constructors (frontend side). */
int xt_loop_open(const struct xt_cfg *cfg, struct xt **out, char **err);
int xt_xen_open(const struct xt_cfg *cfg, struct xt **out, char **err);
/* Backend-side operations exist only for the loop transport. */
bool xt_is_loop_backend(const struct xt *t);

#endif
