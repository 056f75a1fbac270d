/* SPDX-License-Identifier: MIT */
/*
 * Wire sides: what is at the other end of a NIC model's cable. A wire is attached to one NIC
 * device (a model with hvb_nic_ops, e.g. "dp83820"); frames the chip transmits go to the wire
 * (hvb_wire_tx, called by the model), frames the wire has go into the chip's receiver when the
 * wire is pumped (hvb_wire_pump; hvb_device_poll pumps the attached wire).
 *
 * Kinds (one ops table each, listed in registry.c with the other pluggable parts):
 *   "gen"  in-process generator and sink, for tests and benchmarks. Options:
 *            count=N     frames to generate (default 0; hvb_wire_gen_start adds more)
 *            size=S      frame length without FCS, 60..1514 (default 60; 64-byte frames on
 *                        the wire = 60 + FCS)
 *            dst=MAC     destination (default 02:00:00:00:00:01, the dp83820 default)
 *            src=MAC     source (default 02:00:00:00:00:02)
 *            check=0|1   sink checks generator-looking frames (default 1)
 *            digest=0|1  sink digests every frame (default 1; 0: stats digest reads 0). The
 *                        FNV-1a digest costs ~4 cycles a byte, more than the model itself, so
 *                        throughput runs turn both off and correctness runs keep them.
 *          Generated frames are Ethernet/IPv4/UDP (10.0.0.2:9 -> 10.0.0.1:9), valid IP and UDP
 *          checksums, payload = 32-bit big-endian sequence number then bytes (seq + i) & 0xff;
 *          deterministic, so the same run gives the same frames on every architecture.
 *          The sink counts what the NIC transmits and folds every frame into a digest
 *          (FNV-1a 64 over each frame's 16-bit length and bytes, in order), and checks frames
 *          that look like generator frames (IPv4/UDP to port 9): bad ones count in tx_bad.
 *   "tap"  a Linux interface in a namespace, spec as in xdrv/tap.h (io=auto: a veth pair with
 *          PACKET_MMAP rings, batched; else, or with io=tap, a TAP, IFF_TAP | IFF_NO_PI):
 *            IFNAME[@NETNS], or
 *            name=IFNAME   interface name (required, at most 15 bytes)
 *            netns=NAME    create it inside network namespace /run/netns/NAME (as `ip netns`
 *                          makes), entered with setns around the open; default: current one
 *            addr=A.B.C.D/N  IPv4 address set on the interface (optional)
 *            mtu=N         (optional, 68..9000; frames from the kernel longer than it allows
 *                          are skipped and counted in rx_rejected)
 *            io=auto|ring|tap  how frames move (xdrv/tap.h); auto falls back to a TAP with one
 *                          line (hvb_log) naming why the ring could not be made
 *          The interface is brought up. Frames are pumped non-blocking both ways; destroy
 *          closes the fd, which deletes the interface. Needs CAP_NET_ADMIN (and CAP_SYS_ADMIN
 *          for netns).
 *
 * Single-threaded, like hvb.h. Errors: 0 or a negative errno; *err (caller frees) names the
 * wire and what failed.
 */
#ifndef XDRV_WIRE_H
#define XDRV_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvb_device;
struct hvb_wire;
struct hvb_wire_stats;

/* What a NIC model offers a wire (hvb_model_ops.nic). */
struct hvb_nic_ops {
	/* Deliver one frame (no FCS) to the receiver: 0 consumed (stored, or dropped as the chip
	 * would), -EAGAIN no room now under flow control (the wire keeps the frame), -EINVAL
	 * malformed length. */
	int (*receive)(void *opaque, const void *frame, size_t len);
};

struct hvb_wire_ops {
	const char *name; /* "gen", "tap" */
	const char *description;
	/* Parse options, set up; *priv for the wire's own state. 0 or -errno with *err. */
	int (*create)(struct hvb_wire *w, const char *options, void **priv, char **err);
	void (*destroy)(void *priv);
	/* A frame the NIC transmitted. 0, or -errno (counted as a wire TX error). */
	int (*tx)(void *priv, const void *frame, size_t len);
	/* Next frame for the NIC's receiver: stores up to `cap` bytes in buf and returns its
	 * length, 0 when none is waiting, or -errno. The wire keeps it until hvb_wire_pump calls
	 * `consumed` (the NIC refused it with -EAGAIN: offered again next pump). */
	int (*peek)(void *priv, uint8_t *buf, size_t cap);
	/* Optional: the same without the copy, *frame valid until `consumed` or the next call. */
	int (*peek_ref)(void *priv, const uint8_t **frame);
	void (*consumed)(void *priv);
	/* Optional: hand frames queued by `tx` to the other side now (a kind that batches). */
	void (*flush)(void *priv);
	/* Optional: another process took the wire over (hvb_wire_adopt). */
	void (*adopt)(void *priv);
	/* Optional (NULL when the kind has none). A traffic source: queue `count` more frames of
	 * `size` bytes (0 or -EINVAL), and the frames it still has to offer. */
	int (*start)(void *priv, uint64_t count, uint32_t size);
	uint64_t (*pending)(const void *priv);
	/* Optional: add the kind's own counters to *out (a checking sink: tx_bad, digest, and set
	 * out->sink; an interface: rx_rejected and io). */
	void (*stats)(const void *priv, struct hvb_wire_stats *out);
	/* Optional: a descriptor that becomes readable (POLLIN) when the wire may have frames
	 * for the receiver (a TAP's fd, netfront's event channel), or -1. */
	int (*fd)(const void *priv);
};

struct hvb_wire_stats {
	uint64_t tx_frames, tx_bytes; /* NIC -> wire */
	uint64_t tx_errors;	      /* the wire could not take a frame (TAP write failed) */
	uint64_t tx_bad;	      /* gen sink: generator-looking frames that failed the check */
	uint64_t rx_frames, rx_bytes; /* wire -> NIC, taken by the receiver */
	uint64_t rx_deferred;	      /* pump stopped: the NIC had no room (flow control) */
	uint64_t digest;	      /* gen sink: FNV-1a 64 of the transmitted frames */
	bool sink;		      /* the kind checks and digests (tx_bad, digest are valid) */
	uint64_t rx_rejected;	      /* frames from the other side too long or short: skipped */
	uint64_t rx_lost;	      /* frames the kernel dropped before the wire saw them */
	const char *io;		      /* "ring" or "tap" for a "tap" wire, else NULL */
};

/* The wire kind called `name`, or NULL; the NULL-terminated list of every kind. */
const struct hvb_wire_ops *hvb_wire_kind_find(const char *name);
const struct hvb_wire_ops *const *hvb_wire_kind_list(void);

/* Create a wire of `kind` with `options` (may be NULL). 0 with *out, -ENOENT unknown kind, or
 * the kind's error (-EINVAL bad option, -EPERM, -ENOENT no such netns, ...). */
int hvb_wire_create(const char *kind, const char *options, struct hvb_wire **out, char **err);
/* Detaches first; NULL-safe. */
void hvb_wire_destroy(struct hvb_wire *w);
/* Connect to a NIC device: -ENOTSUP if its model has no hvb_nic_ops, -EBUSY if either end is
 * already connected. The device's hvb_device_poll then pumps this wire. */
int hvb_wire_attach(struct hvb_wire *w, struct hvb_device *nic, char **err);
void hvb_wire_detach(struct hvb_wire *w); /* NULL-safe */
/* Move up to `budget` frames from the wire into the NIC's receiver. Returns frames taken (0 if
 * none waiting or the NIC has no room), or -errno (-ENOTCONN when not attached). */
int hvb_wire_pump(struct hvb_wire *w, uint32_t budget);
void hvb_wire_get_stats(const struct hvb_wire *w, struct hvb_wire_stats *out);
const char *hvb_wire_name(const struct hvb_wire *w); /* "gen.0" style; borrowed */
/* Hand frames a batching kind queued to the other side now (hvb_wire_pump does it first; a
 * caller that transmits outside the pump calls it before it sleeps). NULL-safe. */
void hvb_wire_flush(struct hvb_wire *w);
/* The calling process took `w` over from the one that used it last (a fork child serving a wire
 * its parent holds): a kind that keeps positions in memory it shares with the kernel re-learns
 * them. NULL-safe. */
void hvb_wire_adopt(struct hvb_wire *w);
/* The kind's pollable descriptor (hvb_wire_ops.fd), or -1 when it has none. */
int hvb_wire_fd(const struct hvb_wire *w);

/* ---- a wire without a NIC device (xdrv-backd serves a Xen frontend's rings from a wire) ------
 * The caller stands where the NIC would: hvb_wire_put is a frame "the NIC transmitted" (counted
 * in tx_*), hvb_wire_take offers the frame the wire has for "the receiver" in *frame (valid until
 * the next call on the wire; 0 when none, or -errno) and hvb_wire_taken takes it (counted in
 * rx_*; untaken, it is offered again). Not for a wire attached to a device (-EBUSY). */
int hvb_wire_put(struct hvb_wire *w, const void *frame, size_t len);
int hvb_wire_take(struct hvb_wire *w, const uint8_t **frame);
void hvb_wire_taken(struct hvb_wire *w, size_t len);

/* Model side: hand a transmitted frame to the device's wire. 0; -ENOTCONN no wire (the frame
 * is lost, as on an unplugged port); or the wire's error. */
int hvb_wire_tx(struct hvb_device *nic, const void *frame, size_t len);

/* ---- traffic sources (kinds with the optional start/pending ops, e.g. "gen") --------------------
 */
/* True if the wire's kind generates traffic itself (has `pending`). */
bool hvb_wire_is_source(const struct hvb_wire *w);
/* Queue `count` more frames of `size` bytes (60..1514 for "gen") for the receiver; -EINVAL for a
 * kind that is not a source, or a size it refuses. */
int hvb_wire_gen_start(struct hvb_wire *w, uint64_t count, uint32_t size);
/* Frames still to generate (0 for a kind that is not a source). */
uint64_t hvb_wire_gen_pending(const struct hvb_wire *w);

/* ---- "gen" frames ------------------------------------------------------------------------------
 */
/* Build generator frame number `seq` of `size` bytes into buf (cap >= size); returns size or
 * -EINVAL. The same bytes the "gen" wire sends; for tests and the benchmark's TX side. */
int hvb_wire_gen_frame(uint8_t *buf, size_t cap, uint64_t seq, uint32_t size, const uint8_t dst[6],
		       const uint8_t src[6]);
/* Check that a frame is a valid generator frame (Ethernet/IPv4/UDP, both checksums right,
 * payload pattern matches its sequence number): true with *seq set. */
bool hvb_wire_gen_check(const uint8_t *frame, size_t len, uint64_t *seq);

/* The sink's digest step: FNV-1a 64 over the frame's 16-bit big-endian length, then its bytes.
 * Start from HVB_WIRE_DIGEST_INIT. For hosts that digest frames the same way (xdrv run). */
#define HVB_WIRE_DIGEST_INIT 0xcbf29ce484222325ull
uint64_t hvb_wire_digest(uint64_t h, const void *frame, size_t len);

/* ---- checksum helpers (shared by the model's offload and the generator) ---------------------- */
/* Internet checksum (RFC 1071) of buf folded onto `sum`, not complemented. */
uint32_t hvb_csum_add(uint32_t sum, const void *buf, size_t len);
uint16_t hvb_csum_fold(uint32_t sum); /* ~fold(sum) */

#endif
