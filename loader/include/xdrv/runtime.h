/* SPDX-License-Identifier: MIT */
/*
 * Loader, part 2: the host side of the driver ABI and a driver's lifecycle on a device.
 *
 * Every function a driver may import (driver-abi/include/xdrv/symbols.def) is implemented here with
 * the ABI prototype. Handles given to a driver are tagged indices with a generation, validated on
 * every call; a stale or forged handle, or one of another driver, gets XDRV_EINVAL (or NULL, 0, all
 * ones, as the prototype allows) and one log line, never a crash. Memory, DMA buffers and
 * mappings, interrupt handlers, packets and class registrations a driver holds are tracked per
 * driver instance (one binding of a descriptor to a device) and released at unbind.
 *
 * Pointers into driver memory (a log string, a buffer to map, an ops table) cannot be checked
 * without sandboxing: reads from them are bounded, not validated.
 *
 * The same runtime serves JIT-compiled images and natively compiled drivers (a descriptor from
 * dlsym), so both run through exactly the same ABI and backend.
 *
 * Single-threaded: the host never runs two entry points of one driver at once; interrupts and
 * polls are delivered from ldr_driver_dispatch, never from inside a driver's entry point (a
 * host callback running under xdrv_net_rx that transmits is queued, not re-entered). The
 * current driver (whose memory xdrv_mem_alloc charges) is thread-local.
 */
#ifndef XDRV_RUNTIME_H
#define XDRV_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

struct xdrv_driver;
struct xdrv_net_stats;
struct hvb_device;
struct ldr_driver;
struct ldr_netdev;
struct ldr_blkdev;
struct ldr_scsi_host;

/* The ABI binding table: every symbol of symbols.def with its host address, in the file's
 * order. Static; *count (if not NULL) gets the number of entries. */
struct ldr_abi_binding {
	const char *name;
	void (*addr)(void);
	uint32_t since; /* ABI version */
};
const struct ldr_abi_binding *ldr_abi_bindings(size_t *count);
/* The loader's math helpers: C library functions (floor, nearbyint, fma, ...) that a host's
 * back end calls for portable intrinsics where the CPU has no instruction (llvm.floor on x86-64
 * without SSE4.1, llvm.nearbyint on ppc64el and riscv64, ...). Not importable: the lint refuses
 * these names as imports, only code the back end generates reaches them. `since` is 0. */
const struct ldr_abi_binding *ldr_rt_bindings(size_t *count);

/* A driver host's heartbeat (xdrv/domain.h): the counter is incremented each time the driver's
 * outermost entry point returns to the host, so a host that keeps calling its driver is alive
 * and one stuck in driver code is not. NULL: none (in process). */
void ldr_runtime_set_heartbeat(_Atomic uint64_t *counter);

/* Log sink for driver messages and the runtime's own lines about a driver (bad handles, leaks):
 * `driver` is the binding's label ("xdrv" outside any driver), `msg` one message, at most 1023
 * bytes of what the driver wrote. Both are the driver's bytes, unescaped (control characters,
 * newlines, escape sequences included): a sink that shows them escapes them (xdrv_escape_text).
 * NULL restores the default, "[name] message" on stderr, escaped. Process-wide. */
void ldr_runtime_set_log(void (*fn)(void *ctx, const char *driver, uint32_t level, const char *msg),
			 void *ctx);

struct ldr_bind_opts {
	const char *label; /* for messages, default the descriptor's name */
	int write_params;  /* 1: write parameter defaults/overrides through desc->params[].var
			      (natively compiled drivers); JIT images have them as constants */
	const char *const *param_kv; /* "name=value" pairs when write_params, may be NULL */
	size_t nparams;
	uint32_t io_timeout_ms; /* ldr_blk_io / ldr_scsi_exec wait at most this; 0: 5000 */
};
/* Check the descriptor (magic, struct_size, ABI major 1 and not newer than this host, flags and
 * reserved fields zero, name, probe, match table), match it against the device's identity (bus,
 * PCI ids and class under mask, or platform compatible), write parameters if asked (each
 * checked against its declared type and range; nothing is written unless all are good), then
 * call probe. The descriptor is copied once; `desc` must stay valid until unbind (its remove).
 * 0 with *out, or a negative errno with *err (caller frees) naming the driver: -EINVAL bad
 * descriptor or options, -ENOTSUP ABI version, -ENODEV no match, -ERANGE/-ENOENT parameter,
 * or probe's own status ("probe failed: -19 (ENODEV)"), after releasing whatever probe
 * acquired. opts may be NULL. */
int ldr_driver_bind(const struct xdrv_driver *desc, struct hvb_device *dev,
		    const struct ldr_bind_opts *opts, struct ldr_driver **out, char **err);
/* Call remove, then release everything the driver still holds (logging one line if anything
 * was left). NULL-safe. The device must outlive this call. */
void ldr_driver_unbind(struct ldr_driver *drv);
/* What unbind released because the driver still held it after remove. */
struct ldr_unbind_report {
	uint64_t mem_bytes, mem_blocks;	       /* xdrv_mem_alloc blocks not freed */
	uint64_t mem_peak;		       /* peak driver memory over the binding */
	uint32_t coherent, dma_maps;	       /* DMA coherent buffers and streaming mappings */
	uint64_t dma_bytes;		       /* bytes of both */
	uint32_t irqs, pkts;		       /* interrupt handlers, packets */
	uint32_t netdevs, blkdevs, scsi_hosts; /* class registrations */
};
/* ldr_driver_unbind that also reports (rep may be NULL; zeroed for a NULL drv). */
void ldr_driver_unbind_report(struct ldr_driver *drv, struct ldr_unbind_report *rep);
/* One round: pending interrupts (handler, then ack at the controller unless the driver did),
 * scheduled NAPI polls (budget 64, again while a poll uses its whole budget, up to 64 rounds),
 * the transmit backlog of queues not stopped, and class polls while requests are outstanding.
 * Returns the events handled (0: idle). NULL-safe; 0 when called from inside the driver. */
int ldr_driver_dispatch(struct ldr_driver *drv);
/* Bytes of driver memory currently allocated, and DMA buffers + mappings held (an ABI 1.1
 * receive buffer pool counts as one mapping). */
uint64_t ldr_driver_mem_in_use(const struct ldr_driver *drv);
uint32_t ldr_driver_dma_in_use(const struct ldr_driver *drv);
/* 0, or the signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL) of a hardware fault in the driver's code.
 * A faulted driver is stopped: its interrupt lines are masked and none of its entry points is
 * called again (remove included); unbind still releases what it holds. The host carries on. */
int ldr_driver_fault_signal(const struct ldr_driver *drv);
/* Why a driver is stopped: LDR_STOP_NONE (it is not), LDR_STOP_FAULT (a hardware fault:
 * ldr_driver_fault_signal), LDR_STOP_LOOP_BUDGET (its code took more backward edges in one
 * entry than the loader's budget_edges), LDR_STOP_CALL_DEPTH (its calls nested deeper than
 * budget_depth). *msg (if msg is not NULL) gets the message logged, e.g. "loop budget of
 * 4194304 back edges exhausted in function poll_rx", "" for LDR_STOP_NONE; borrowed, valid
 * until unbind. The function name is the driver's: escape it to show it. A stopped driver is
 * stopped for good, as after a fault. */
enum ldr_stop_reason {
	LDR_STOP_NONE = 0,
	LDR_STOP_FAULT = 1,
	LDR_STOP_LOOP_BUDGET = 2,
	LDR_STOP_CALL_DEPTH = 3,
};
enum ldr_stop_reason ldr_driver_stop_reason(const struct ldr_driver *drv, const char **msg);

/* ---- live update (runtime_update.c) ------------------------------------------------------ */
/* What a live update did. */
struct ldr_update_report {
	uint64_t frames_dropped; /* host frames lost: backlog, rx batch, the old transmit ring */
	uint32_t netdevs_kept;	 /* interfaces that stayed registered on the host side */
	uint32_t in_flight_left; /* frames still on their way when quiescing gave up */
	uint64_t quiesce_ns;	 /* dispatching the old driver until its transmits were done */
	uint64_t remove_ns;	 /* its remove and release */
	uint64_t probe_ns;	 /* the new driver's probe and the interfaces' open */
	int rolled_back; /* the new one failed after the old was removed: old probed again */
	uint32_t blkdevs_kept, scsi_kept; /* disks and SCSI hosts kept registered */
	uint32_t reqs_reissued;		  /* disk requests the old driver had not completed,
					     submitted again to the driver that runs now */
	struct ldr_unbind_report removed; /* what the old driver's unbind released */
};
/* Replace the driver bound to a device by another descriptor (a newer version of the same
 * driver, already loaded and checked by the caller) without unregistering the device's network
 * interfaces, disks or SCSI hosts: the host's struct ldr_netdev / ldr_blkdev / ldr_scsi_host
 * pointers, receive callbacks, packet extension chains and class counters stay as they are.
 * Between two dispatches (not from inside the driver): quiesce (the interfaces closed to the
 * host; dispatch until the frames in the driver's transmit ring and its outstanding disk
 * requests are done, at most quiesce_ms, 0: 100), remove the old driver (its registrations
 * detached, not destroyed; frames still queued are dropped and counted; disk requests it has
 * not completed are kept), probe `desc` on the same device (its registrations take the held
 * objects, slot by slot, a disk under the same name and geometry), re-issue the kept disk
 * requests to it, open again the interfaces that were open. Refused before anything changes
 * (-EINVAL, -EDEADLK, with *err): another driver name, a call from inside the driver. If the new
 * driver's probe fails, or it does not register every interface, disk and SCSI host the old one
 * had, it is unbound and the old descriptor (which must still be loaded) probed again (the kept
 * requests re-issued to it): *drvp is that instance, rep->rolled_back 1, the new one's error
 * returned, *err saying both. If even that fails, *drvp is NULL and the objects stay
 * unregistered (their pointers valid; waits on kept requests time out). 0 with *drvp the new
 * instance. rep may be NULL. */
int ldr_driver_update(struct ldr_driver **drvp, const struct xdrv_driver *desc,
		      const struct ldr_bind_opts *opts, uint32_t quiesce_ms,
		      struct ldr_update_report *rep, char **err);
/* ldr_driver_update to the driver of an image: *img's driver on the device replaced by nimg's
 * (loaded by the caller; ldr_image_update owns it from here). 0: *img unloaded and replaced by
 * nimg; else nimg unloaded, *img kept (its driver runs again when rep->rolled_back; *drvp is NULL
 * when neither version is bound). ldr_image_update_compiled: nimg linked from a record the
 * compiler process made (a driver host's live update; -EINVAL a record without a descriptor). */
struct ldr_ctx;
struct ldr_image;
struct ldr_compiled;
int ldr_image_update(struct ldr_image **img, struct ldr_image *nimg, struct ldr_driver **drvp,
		     const struct ldr_bind_opts *opts, struct ldr_update_report *rep, char **err);
int ldr_image_update_compiled(struct ldr_ctx *ctx, const struct ldr_compiled *c,
			      struct ldr_image **img, struct ldr_driver **drvp,
			      const struct ldr_bind_opts *opts, struct ldr_update_report *rep,
			      char **err);

/* ---- network class, host side ---------------------------------------------------------------- */
/* The interface the driver registered in slot `index` (0..3), NULL if none. The pointer stays
 * valid until unbind (a slot the driver unregisters and registers again is the same object). */
struct ldr_netdev *ldr_driver_netdev(struct ldr_driver *drv, uint32_t index);
/* Call the driver's open/stop. open: 0 or its status with *err; stop drops the backlog. */
int ldr_net_open(struct ldr_netdev *nd, char **err);
int ldr_net_stop(struct ldr_netdev *nd);
/* Transmit one frame (copied; 1..65536 bytes). csum_flags XDRV_CSUM_*; start/offset for
 * PARTIAL. Handed to the driver's xmit at once, or queued in a backlog (1024 frames) while the
 * queue is stopped or the driver is busy. 0, or -ENODEV, -ENETDOWN (not open), -EMSGSIZE,
 * -ENOBUFS (backlog full), or the driver's refusal. */
int ldr_net_xmit(struct ldr_netdev *nd, const void *frame, size_t len, uint32_t csum_flags,
		 uint16_t csum_start, uint16_t csum_offset);
/* Split each frame ldr_net_xmit queues into fragments of at most frag_len bytes (up to
 * XDRV_PKT_MAX_FRAGS; the last one takes the rest), to exercise a driver's scatter-gather.
 * 0 (default): one fragment. */
void ldr_net_set_tx_frag(struct ldr_netdev *nd, uint32_t frag_len);
/* Where received frames go, one call per frame; `frame` is valid during the call only. The
 * frames of one NAPI poll arrive after the poll returned, one call each (ldr_net_set_rx_batch
 * takes them in one call). The callback may call ldr_net_xmit (queued until the next dispatch
 * when it runs inside the driver: ABI 1.1 pool delivery, or xdrv_net_rx outside a poll). */
void ldr_net_set_rx(struct ldr_netdev *nd,
		    void (*cb)(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags),
		    void *ctx);
/* One received frame of a batch; `data` is valid during the callback only. */
struct ldr_net_frame {
	const uint8_t *data;
	size_t len;
	uint32_t csum_flags;
};
/* Where received frames go, a batch at a time: every frame one NAPI poll of the driver
 * delivered, in one call after the poll returned (frames an ABI 1.0 driver hands over with
 * xdrv_net_rx), or during the driver's xdrv_rxpool_deliver (ABI 1.1; at most 64 frames a call,
 * so a bigger batch comes in several). Replaces a callback set with ldr_net_set_rx (NULL: back
 * to that one, which then gets the frames one call each). The callback may call ldr_net_xmit;
 * it must not keep `data` nor write to it. */
void ldr_net_set_rx_batch(struct ldr_netdev *nd,
			  void (*cb)(void *ctx, const struct ldr_net_frame *frames, size_t n),
			  void *ctx);
/* The driver's get_stats: 0, -EOPNOTSUPP, or its status. */
int ldr_net_stats(struct ldr_netdev *nd, struct xdrv_net_stats *st);
/* Link state as the driver last reported it (zeros before). Any output may be NULL. */
void ldr_net_link(const struct ldr_netdev *nd, uint32_t *up, uint32_t *speed, uint32_t *duplex);
const uint8_t *ldr_net_mac(const struct ldr_netdev *nd); /* 6 bytes, borrowed */

/* ---- block class, host side ------------------------------------------------------------------ */
struct ldr_blkdev *ldr_driver_blkdev(struct ldr_driver *drv, uint32_t index); /* slot 0..15 */
const char *ldr_blk_name(const struct ldr_blkdev *bd);
uint32_t ldr_blk_block_size(const struct ldr_blkdev *bd);
uint64_t ldr_blk_num_blocks(const struct ldr_blkdev *bd);
/* Synchronous I/O: submit, dispatch until complete or the timeout. op XDRV_BLK_*; buf holds
 * count * block size bytes (NULL for FLUSH); at most 64 MiB. The driver works on a bounce
 * buffer, so a request that times out is abandoned safely (freed at its late completion or at
 * unbind). 0, or -EINVAL/-ERANGE/-E2BIG before submitting, the driver's status (-EIO medium
 * error, ...), -ETIMEDOUT, -EDEADLK from inside the driver; *err says which. */
int ldr_blk_io(struct ldr_blkdev *bd, uint32_t op, uint64_t lba, uint32_t count, void *buf,
	       char **err);
/* Several requests in flight: start one without waiting (the same checks and errors as
 * ldr_blk_io up to the driver's submit; a write's data is copied now), *out its handle for
 * ldr_blk_wait; a read's data goes to buf when ldr_blk_wait returns it, so buf must stay valid
 * until then. flags: 0 or LDR_BLK_NOCOPY: the driver works on buf itself, no bounce buffer and
 * no copy; the caller then keeps buf valid until the request completes, and after a timeout
 * (the request abandoned) until the driver is unbound, since the driver may still write it. */
#define LDR_BLK_NOCOPY 1u
struct ldr_blk_req;
int ldr_blk_start(struct ldr_blkdev *bd, uint32_t op, uint64_t lba, uint32_t count, void *buf,
		  uint32_t flags, struct ldr_blk_req **out, char **err);
/* Dispatch the driver until one of reqs[0..n) (NULL entries skipped) completes, in whatever
 * order the driver completes them: *index says which; it is then finished (freed, a read's data
 * in its buf) and its status returned as ldr_blk_io's would be. After -ETIMEDOUT (none within
 * the I/O timeout: *index UINT32_MAX) all of them are abandoned, as ldr_blk_io abandons one. */
int ldr_blk_wait(struct ldr_blkdev *bd, struct ldr_blk_req *const *reqs, uint32_t n,
		 uint32_t *index, char **err);

/* ---- SCSI class, host side ------------------------------------------------------------------- */
struct ldr_scsi_host *ldr_driver_scsi_host(struct ldr_driver *drv, uint32_t index); /* 0..3 */
/* Synchronous command; returns 0 if completed (check *scsi_status; on CHECK CONDITION the
 * sense data is in `sense`, which must hold XDRV_SCSI_SENSE_MAX bytes, its length in
 * *sense_len), negative on a host error: -ENODEV no target, -ECANCELED aborted, -ECONNRESET
 * bus reset, -EIO, -ETIMEDOUT, -EBUSY (queue full until the timeout), or -EINVAL for a bad
 * CDB length, direction or buffer. scsi_status, sense and sense_len may be NULL. Data goes
 * through a bounce buffer as for ldr_blk_io. */
int ldr_scsi_exec(struct ldr_scsi_host *h, uint32_t target, uint32_t lun, const uint8_t *cdb,
		  uint32_t cdb_len, uint32_t dir, void *buf, uint64_t len, uint32_t *scsi_status,
		  uint8_t *sense, uint32_t *sense_len, char **err);
/* Call the driver's reset of host h (bus reset: the driver completes outstanding commands with
 * XDRV_SCSI_HOST_RESET). 0, the driver's status, -EOPNOTSUPP without a reset op, -ENODEV, or
 * -EDEADLK from inside the driver, with *err. */
int ldr_scsi_reset(struct ldr_scsi_host *h, char **err);
/* Describe SCSI sense data (fixed format 70h/71h or descriptor format 72h/73h) in one line:
 * "sense key 0x5 ILLEGAL REQUEST, ASC/ASCQ 0x21/0x00 LOGICAL BLOCK ADDRESS OUT OF RANGE". The
 * key, ASC and ASCQ go to the outputs that are not NULL (0 when the data is too short or of an
 * unknown format, and the text says so). Never reads past `len`; `out` always terminated. */
void ldr_scsi_sense_describe(const uint8_t *sense, uint32_t len, uint32_t *key, uint32_t *asc,
			     uint32_t *ascq, char *out, size_t cap);
/* Names: "ILLEGAL REQUEST" for a sense key (0..15), the SPC name of an ASC/ASCQ pair or NULL
 * when it is not in the table. */
const char *ldr_scsi_sense_key_name(uint32_t key);
const char *ldr_scsi_asc_name(uint32_t asc, uint32_t ascq);

#endif
