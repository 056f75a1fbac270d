/* SPDX-License-Identifier: MIT */
/*
 * Private to the loader's ABI runtime (runtime_*.c, abi_bind.c): the driver instance, the
 * objects behind the opaque handles a driver holds, the handle tables and the current-driver
 * context. Nothing here is seen by drivers or by other components.
 *
 * Handles are not host pointers. A handle is a tagged index into a per-type table with a
 * generation counter:
 *
 *   63      56 55                 32 31                            0
 *   |  tag   |  generation (24 bit) |  slot index                   |
 *
 * The tag (0xA0 | type) makes the value a non-canonical address on every 64-bit host we know,
 * so a driver that dereferences a handle faults instead of reading host memory; the generation
 * makes a handle stale once its object is gone, even when the slot is reused.
 */
#ifndef XDRV_LOADER_RUNTIME_PRIV_H
#define XDRV_LOADER_RUNTIME_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/runtime.h>

#include <xdrv/fault_guard.h>

_Static_assert(sizeof(void *) == 8, "the runtime encodes handles in 64-bit pointers");

/* Limits, per driver instance. Each keeps a runaway driver from exhausting the host; all are
 * far above what a NIC or HBA driver needs (the DP83820 rings are a few hundred KiB). */
#define LDR_MEM_CAP	   (256ull << 20) /* xdrv_mem_alloc bytes */
#define LDR_DMA_CAP	   (256ull << 20) /* coherent + mapped bytes */
#define LDR_DMA_MAPS_MAX   65536u	  /* streaming mappings held at once */
#define LDR_PKTS_MAX	   65536u	  /* packets owned by the driver at once */
#define LDR_PKT_SIZE_MAX   (64u << 10)	  /* xdrv_pkt_alloc and host frames: 64 KiB (TSO-sized) */
#define LDR_PKT_POOL_BUF   2048u	  /* pooled packet buffer: any Ethernet frame */
#define LDR_PKT_POOL_MAX   1024u	  /* free packets kept per driver: 2 MiB at most */
#define LDR_RXPOOLS_MAX	   16u		  /* ABI 1.1 receive buffer pools per interface */
#define LDR_IO_MAX	   (64ull << 20)  /* one block/SCSI transfer */
#define LDR_MAX_NETDEVS	   4u
#define LDR_MAX_BLKDEVS	   16u
#define LDR_MAX_SCSI_HOSTS 4u
#define LDR_IO_TIMEOUT_MS  5000u /* default wait for a synchronous block/SCSI request */
#define LDR_LOG_MAX	   1023u /* bytes read from a driver's log string */

/* On every function that calls into a driver (an entry point, handler or class operation):
 * UBSan's -fsanitize=function reads a type signature just before the callee, which JIT code
 * does not have (and the page before it may be unmapped). */
#define LDR_CALLS_DRIVER __attribute__((no_sanitize("function")))

/* ---- u64 -> pointer map (open addressing, linear probing, backward-shift deletion) ----------- */
/* Holds only live keys (no tombstones): cap is at most 4x the peak of live, whatever the number
 * of puts and deletes. Iterate with ldr_map_live over [0, cap), without deleting meanwhile. */
struct ldr_map {
	uint64_t *keys;
	void **vals;
	uint8_t *state; /* 0 empty, 1 live */
	uint32_t cap;	/* power of two, or 0 */
	uint32_t live;
	uint32_t min_cap; /* 0 (16), or a power of two: the capacity of the first allocation */
};
/* 0, -ENOMEM, or -EEXIST if the key is present. */
int ldr_map_put(struct ldr_map *m, uint64_t key, void *val);
void *ldr_map_get(const struct ldr_map *m, uint64_t key);
/* Remove and return the value; NULL if absent. */
void *ldr_map_del(struct ldr_map *m, uint64_t key);
void ldr_map_free(struct ldr_map *m);
static inline bool ldr_map_live(const struct ldr_map *m, uint32_t i)
{
	return m->state[i] == 1;
}

struct ldr_pkt;

/* ---- handles --------------------------------------------------------------------------------- */
enum ldr_htype {
	LDR_H_DEVICE = 1,
	LDR_H_REGION,
	LDR_H_NETDEV,
	LDR_H_PKT,
	LDR_H_SCSI,
	LDR_H_BLK,
	LDR_H_RXPOOL, /* ABI 1.1 receive buffer pool (runtime_net.c) */
	LDR_H_NTYPES
};

/* Every object behind a handle starts with this. */
struct ldr_obj {
	struct ldr_driver *drv; /* owner */
	uint64_t handle;
};

/* Allocate a handle for `obj` (which starts with struct ldr_obj); stores it in obj->handle.
 * 0 or -ENOMEM / -ENOSPC. */
int ldr_handle_new(enum ldr_htype t, struct ldr_obj *obj);
/* The object of a valid handle of type t, or NULL. Silent (no log). */
struct ldr_obj *ldr_handle_lookup(enum ldr_htype t, uint64_t h);
/* Invalidate obj->handle (NULL-safe, idempotent). */
void ldr_handle_drop(enum ldr_htype t, struct ldr_obj *obj);
/* The object behind a handle a driver passed to ABI function `fn`, owned by the current driver;
 * NULL plus one log line if the handle is forged, stale, of another type or of another driver,
 * or if no driver entry point is running. */
struct ldr_obj *ldr_resolve(enum ldr_htype t, const void *h, const char *fn);
/* Visit every live object of type t owned by drv (the callback may drop it). */
void ldr_handle_foreach(enum ldr_htype t, struct ldr_driver *drv,
			void (*fn)(struct ldr_obj *obj, void *ctx), void *ctx);
static inline void *ldr_h2p(uint64_t h)
{
	return (void *)(uintptr_t)h;
}

/* ---- objects ------------------------------------------------------------------------------- */
struct ldr_region {
	struct ldr_obj o;
	uint32_t index, kind;
	uint64_t size;
};

struct ldr_irq_line {
	xdrv_irq_handler_t fn;
	void *ctx;
	bool acked;	    /* the driver called xdrv_irq_ack during this delivery */
	uint32_t unhandled; /* consecutive XDRV_IRQ_NONE answers */
};

struct ldr_coherent {
	void *cpu;
	uint64_t size, bus;
};

struct ldr_mapping {
	uint64_t bus, len;
	void *host;
	uint32_t dir;
};

struct ldr_netdev;
struct ldr_blkdev;
struct ldr_scsi_host;
struct ldr_hold;

struct ldr_driver {
	struct ldr_obj dev;	 /* the xdrv_device_t handle */
	struct ldr_driver *next; /* all bound drivers (one per device) */
	const struct xdrv_driver *desc;
	char label[64];
	struct hvb_device *hdev;
	const struct hvb_model_ops *model;
	void *priv; /* xdrv_dev_set_priv */
	struct ldr_region regions[HVB_MAX_REGIONS];
	uint32_t nregions;
	uint32_t in_entry;	/* > 0 while one of the driver's entry points runs */
	bool faulted;		/* its code faulted: no entry point is called again */
	int fault_signo;	/* the fault, for messages and the unbind report */
	uint32_t stop_reason;	/* enum ldr_stop_reason, set with faulted */
	char stop_msg[224];	/* ldr_driver_stop_reason's message */
	bool probed;		/* probe returned OK: remove is due at unbind */
	uint64_t io_timeout_ns; /* ldr_blk_io, ldr_scsi_exec */
	/* the device classes dispatch and unbind walk: ldr_classes, set at bind (a table the
	 * instance carries, so the classes, which wait through the event loop, do not depend on
	 * the list that names them) */
	const struct ldr_class_ops *const *classes;

	/* xdrv_mem_alloc: pointer -> header, bytes charged */
	struct ldr_map allocs;
	uint64_t mem_bytes, mem_peak;

	/* DMA: coherent buffers by CPU address, streaming mappings by bus address */
	struct ldr_map coherent, maps;
	uint64_t dma_bytes;

	struct ldr_irq_line irq[HVB_MAX_IRQS];
	uint32_t nirqs;

	struct ldr_netdev *net[LDR_MAX_NETDEVS];
	struct ldr_blkdev *blk[LDR_MAX_BLKDEVS];
	struct ldr_scsi_host *scsi[LDR_MAX_SCSI_HOSTS];
	uint32_t pkts; /* packets the driver owns */
	/* recycled packets (runtime_net.c): up to LDR_PKT_POOL_MAX, each with a buffer of
	 * LDR_PKT_POOL_BUF bytes, so a frame costs no malloc/free once the rings are full */
	struct ldr_pkt *pkt_pool;
	uint32_t pkt_pool_n;
	uint32_t rxpools; /* ABI 1.1 receive buffer pools (runtime_net.c): one mapping each */
	/* live update (runtime_update.c): set while this instance is removed for one, or probed
	 * by one; its interfaces' unregister and release detach them into the hold instead of
	 * destroying them, and its xdrv_net_register takes the held one of the same slot */
	struct ldr_hold *hold;
};

/* ---- live update (runtime_update.c) ------------------------------------------------------- */
/* What a device's host side keeps while no driver is bound to it during a live update: the
 * interfaces (their host pointers, receive callback, extension chains and counters), each
 * detached from the removed driver (handle dropped, packets, backlog and pools released). */
struct ldr_hold {
	struct hvb_device *hdev;
	struct ldr_netdev *net[LDR_MAX_NETDEVS];
	bool was_open[LDR_MAX_NETDEVS];
	uint64_t frames_dropped; /* host frames lost at the detach: backlog, rx batch, tx ring */
	/* disks, with the requests the driver had not completed (re-issued to the next driver),
	 * and what the next driver must register them as */
	struct ldr_blkdev *blk[LDR_MAX_BLKDEVS];
	struct {
		char name[32];
		uint32_t block_size;
		uint64_t num_blocks;
	} blk_as[LDR_MAX_BLKDEVS];
	struct ldr_scsi_host *scsi[LDR_MAX_SCSI_HOSTS];
	uint32_t scsi_aborted; /* commands the host had abandoned, finished as aborted */
};
/* runtime_driver.c: bind with drv->hold set during probe (NULL: ldr_driver_bind); unbind with
 * drv->hold set (remove, then release: the registered interfaces go to the hold). */
int ldr_driver_bind_hold(const struct xdrv_driver *desc, struct hvb_device *dev,
			 const struct ldr_bind_opts *opts, struct ldr_hold *hold,
			 struct ldr_driver **out, char **err);
void ldr_driver_unbind_hold(struct ldr_driver *drv, struct ldr_hold *hold,
			    struct ldr_unbind_report *rep);
/* runtime_net.c: close the driver's open interfaces to the host for the update (ldr_net_xmit
 * refuses and counts; the driver's own transmits go on); frames the driver has not finished
 * sending (its transmit ring, an undelivered rx batch); destroy what a hold still keeps (its
 * chains detached). */
void ldr_net_quiesce(struct ldr_driver *drv);
uint32_t ldr_net_in_flight(struct ldr_driver *drv);
void ldr_net_hold_release(struct ldr_hold *hold);
/* runtime_block.c: requests the driver has not completed; re-issue a held disk's requests to
 * the driver that registered it again (a refused one completes with the refusal; returns the
 * number re-issued); destroy what a hold still keeps (its requests finished with ENODEV). */
uint32_t ldr_blk_in_flight(const struct ldr_driver *drv);
uint32_t ldr_blk_reissue(struct ldr_blkdev *bd);
void ldr_blk_hold_release(struct ldr_hold *hold);
/* runtime_scsi.c: commands not completed; destroy what a hold still keeps. */
uint32_t ldr_scsi_in_flight(const struct ldr_driver *drv);
void ldr_scsi_hold_release(struct ldr_hold *hold);

/* ---- the current driver -------------------------------------------------------------------- */
/* The driver instance whose entry point runs on this thread, or NULL. */
struct ldr_driver *ldr_current(void);
/* Enter/leave one of drv's entry points; returns the previous current driver to restore. */
struct ldr_driver *ldr_enter(struct ldr_driver *drv);
void ldr_leave(struct ldr_driver *drv, struct ldr_driver *prev);
/* A driver host's heartbeat (ldr_runtime_set_heartbeat): the host is in its own code, not the
 * driver's (the event loop, a wait for a request). No-op in process. */
void ldr_beat(void);

/* ---- budgets (runtime_budget.c; the instrumentation is loader/budget.c) --------------------- */
/* What instrumented driver code counts, in host memory: the absolute symbol __xdrv_budget of
 * every image's JITDylib. Process-wide: driver code runs on one thread at a time (the runtime's
 * contract above; one driver per process in the driver-host model of issue 12). */
struct ldr_budget_state {
	uint64_t used;	/* backward edges since the outermost entry into driver code */
	uint32_t depth; /* frames of instrumented driver code on the stack */
	uint32_t pad;
};
extern struct ldr_budget_state ldr_budget_g;
/* After a stop (xdrv/fault_guard.h XDRV_GUARD_STOP): the message (kind, limit, function) of the
 * last stop on this thread into buf; returns its enum ldr_stop_reason. */
uint32_t ldr_budget_last_stop(char *buf, size_t len);

/* runtime_fault.c: a hardware fault in drv's code (xdrv/fault_guard.h) stops the driver, never the
 * host: log it, mask its interrupt lines, and refuse every later entry. */
void ldr_driver_fault(struct ldr_driver *drv, const struct xdrv_guard *g);

/*
 * Call into driver code: `call` runs as drv's entry point under a fault guard. If drv has
 * faulted before, or faults now, `on_fault` runs instead (give the result a failure value
 * there). The entry depth is restored by hand after a fault, because the longjmp skips the
 * leaves of any entries nested inside; so is the call depth the budget counts (the frames the
 * longjmp skipped never returned). A budget stop arrives here the same way (XDRV_GUARD_STOP). The
 * signal mask is not saved (sigsetjmp(.., 0)): that would cost a system call on every call into a
 * driver, and the handler never changes the mask (SA_NODEFER, empty sa_mask), so there is nothing
 * to restore.
 */
#define LDR_DRIVER_CALL(drv, call, on_fault)                                                       \
	do {                                                                                       \
		if ((drv)->faulted) {                                                              \
			on_fault;                                                                  \
			break;                                                                     \
		}                                                                                  \
		struct xdrv_guard guard_;                                                          \
		uint32_t depth_ = (drv)->in_entry;                                                 \
		struct ldr_driver *prev_ = ldr_enter(drv);                                         \
		uint32_t bdepth_ = ldr_budget_g.depth;                                             \
		xdrv_guard_push(&guard_);                                                          \
		if (sigsetjmp(guard_.jb, 0) == 0) {                                                \
			call;                                                                      \
		} else {                                                                           \
			(drv)->in_entry = depth_ + 1;                                              \
			ldr_budget_g.depth = bdepth_;                                              \
			ldr_driver_fault((drv), &guard_);                                          \
			on_fault;                                                                  \
		}                                                                                  \
		xdrv_guard_pop(&guard_);                                                           \
		ldr_leave((drv), prev_);                                                           \
	} while (0)

/* ---- logging ------------------------------------------------------------------------------- */
/* A host message about a driver (drv may be NULL) through the log sink. */
void ldr_rt_log(struct ldr_driver *drv, uint32_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Short name of an XDRV_E* status ("ENODEV"), "?" if unknown. */
const char *ldr_status_name(int32_t st);

/* ---- release at unbind (each file releases its own kind) ------------------------------------ */
void ldr_mem_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep);
void ldr_device_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep);

/* ---- dispatch pieces (each returns events handled) ----------------------------------------- */
int ldr_irq_dispatch(struct ldr_driver *drv);

/* ---- device classes ------------------------------------------------------------------------ */
/*
 * One device class (runtime_net.c, runtime_block.c, runtime_scsi.c), listed in
 * runtime_classes.c. Every op is required.
 */
struct ldr_class_ops {
	const char *name; /* "net", "block", "scsi": for messages */
	/* Deliver what the class holds for the driver (backlogs, polls of its registrations) from
	 * ldr_driver_dispatch; never from inside a driver entry point. Returns events handled. */
	int (*dispatch)(struct ldr_driver *drv);
	/* At unbind, after the device is quiet: unregister and free every registration of the
	 * class the driver still holds, and its outstanding requests; count them in `rep`. */
	void (*release_all)(struct ldr_driver *drv, struct ldr_unbind_report *rep);
};
extern const struct ldr_class_ops ldr_net_class;
extern const struct ldr_class_ops ldr_blk_class;
extern const struct ldr_class_ops ldr_scsi_class;
/* NULL-terminated; dispatch and release order (runtime_classes.c). */
extern const struct ldr_class_ops *const ldr_classes[];

/* ---- the event loop (runtime_dispatch.c) ---------------------------------------------------- */
/* Wait for a synchronous request: dispatch `drv` until *done or the deadline. Returns 0 or
 * -ETIMEDOUT. */
int ldr_wait_done(struct ldr_driver *drv, const bool *done, uint64_t timeout_ns);

/* ---- synchronous requests (block and SCSI classes, runtime_sreq.c) -------------------------- */
/*
 * A request the host submitted and waits for. It and its data (a bounce buffer, never the
 * caller's buffer) stay host memory the driver may use until it completes the request, even
 * after the host stopped waiting: such an abandoned request is freed at its completion or when
 * the class shuts down. Each class embeds this as the first member of its request struct.
 */
struct ldr_sreq {
	struct ldr_sreq *next;
	uint8_t *bounce;
	uint64_t bounce_cap; /* bytes allocated behind bounce (>= the request's length) */
	size_t size;	     /* of the whole request struct */
	bool done, abandoned;
};
/* Requests kept for reuse, each with its bounce buffer: a request costs no allocation, and no
 * page faults on a fresh buffer, once the pool holds one as large. A buffer only ever held this
 * list's own requests' data (one driver's), so it is handed out again without zeroing; a new
 * one is zeroed. */
#define LDR_SREQ_POOL	  8u
#define LDR_SREQ_POOL_MAX (64ull << 20) /* bytes of bounce buffers kept per list */
struct ldr_sreq_list {
	struct ldr_sreq *head;
	uint64_t completions;
	bool any_done; /* set by ldr_sreq_finish: a waiter for several requests looks again */
	struct ldr_sreq *pool[LDR_SREQ_POOL];
	uint32_t pool_n;
	uint64_t pool_bytes;
};
/* A request of `size` bytes (struct ldr_sreq first; the rest zeroed) with a bounce buffer of at
 * least `len` bytes (none for 0): from l's pool when one fits, else new and zeroed. NULL when
 * out of memory. */
void *ldr_sreq_alloc(struct ldr_sreq_list *l, size_t size, uint64_t len);
/* Back to l's pool, or freed when the pool is full. */
void ldr_sreq_free(struct ldr_sreq_list *l, struct ldr_sreq *r);
/* Free the pool (at shutdown, after the last request finished). */
void ldr_sreq_pool_drain(struct ldr_sreq_list *l);
void ldr_sreq_push(struct ldr_sreq_list *l, struct ldr_sreq *r);
void ldr_sreq_unlink(struct ldr_sreq_list *l, struct ldr_sreq *r);
/* The outstanding request whose driver-visible part, `offset` bytes into it, is `view`. */
struct ldr_sreq *ldr_sreq_find(const struct ldr_sreq_list *l, const void *view, size_t offset);
/* Unlink, mark done, count a completion; free it if the host had abandoned it. */
void ldr_sreq_finish(struct ldr_sreq_list *l, struct ldr_sreq *r);
/* Wait until r is done; on timeout mark it abandoned and return -ETIMEDOUT. */
int ldr_sreq_wait(struct ldr_driver *drv, struct ldr_sreq *r, uint64_t timeout_ns);

/* ---- packet extensions on network interfaces (runtime_ext.c, xdrv/net_ext.h) --------------- */
struct ldr_ext;
struct ldr_ext_meta;
struct ldr_ext_stats;
struct ldr_net_ext; /* an interface's chains */
/* runtime_net.c, for runtime_ext.c: the interface's chains slot, driver and index, and the
 * counters of its transmit classes. */
struct ldr_net_ext **ldr_netdev_ext(struct ldr_netdev *nd);
struct ldr_driver *ldr_netdev_driver(const struct ldr_netdev *nd);
uint32_t ldr_netdev_index(const struct ldr_netdev *nd);
bool ldr_netdev_registered(const struct ldr_netdev *nd);
void ldr_netdev_class_counts(const struct ldr_netdev *nd, uint64_t *sent, uint64_t *dropped,
			     uint32_t *waiting);
/* runtime_ext.c, for runtime_net.c (only while *ldr_netdev_ext(nd) is not NULL): run the RX
 * chain over a received frame (XDRV_EXT_PASS, _DROP or _TX) or the TX chain over a frame to
 * send (XDRV_EXT_PASS with *cls, or _DROP); count a bounced frame the transmit path lost;
 * detach everything at unregister and unbind. */
int ldr_net_ext_rx(struct ldr_netdev *nd, uint8_t *frame, uint32_t len, uint64_t now_ns);
/* The RX chain over a poll's batch of n (<= LDR_NET_EXT_BATCH) frames: verdicts[i] gets frame
 * i's (XDRV_EXT_PASS, _DROP or _TX), the same as n calls of ldr_net_ext_rx would give. When
 * `copy` is not NULL the frames are a receive pool's, which the host never writes: before the
 * first extension that may rewrite frames (ldr_ext_writes), the frames still in the chain are
 * copied to copy + i * stride and frames[i] points there; the caller uses frames[i] after. */
#define LDR_NET_EXT_BATCH 64u
void ldr_net_ext_rx_batch(struct ldr_netdev *nd, uint8_t **frames, const uint32_t *lens, uint32_t n,
			  uint64_t now_ns, uint8_t *copy, size_t stride, int *verdicts);
bool ldr_net_ext_rx_active(struct ldr_netdev *nd); /* the RX chain is not empty */
int ldr_net_ext_tx(struct ldr_netdev *nd, uint8_t *frame, uint32_t len, uint32_t *cls);
void ldr_net_ext_bounce_lost(struct ldr_netdev *nd);
void ldr_net_ext_release(struct ldr_netdev *nd);
/* runtime_net.c reaches the functions above only through this table, which runtime_ext.c
 * hands it when it creates an interface's chains (so runtime_net.c names nothing of
 * runtime_ext.c, and the loader's files make no circle); it calls them only while the
 * interface has chains. */
struct ldr_net_ext_hooks {
	void (*rx_batch)(struct ldr_netdev *nd, uint8_t **frames, const uint32_t *lens, uint32_t n,
			 uint64_t now_ns, uint8_t *copy, size_t stride, int *verdicts);
	bool (*rx_active)(struct ldr_netdev *nd);
	int (*tx)(struct ldr_netdev *nd, uint8_t *frame, uint32_t len, uint32_t *cls);
	void (*bounce_lost)(struct ldr_netdev *nd);
	void (*release)(struct ldr_netdev *nd);
};
void ldr_netdev_set_ext_hooks(const struct ldr_net_ext_hooks *hooks);
/* The extension functions the chains call (xdrv/ext_host.h). A unit test may put a double in
 * their place; returns the previous table (NULL restores the real one). */
struct ldr_ext_calls {
	int32_t (*run)(struct ldr_ext *e, uint8_t *frame, uint32_t len,
		       const struct ldr_ext_meta *m);
	const char *(*failure)(const struct ldr_ext *e);
	const char *(*name)(const struct ldr_ext *e);
	const char *(*version)(const struct ldr_ext *e);
	uint32_t (*hooks)(const struct ldr_ext *e);
	void (*stats)(const struct ldr_ext *e, struct ldr_ext_stats *st);
	void (*unload)(struct ldr_ext *e);
	/* optional (NULL: the chain runs frame by frame with run, and copies pool frames for
	 * every extension) */
	uint32_t (*run_batch)(struct ldr_ext *e, uint8_t *const *frames, const uint32_t *lens,
			      uint32_t n, const struct ldr_ext_meta *m, int32_t *out);
	int (*writes)(const struct ldr_ext *e);
};
const struct ldr_ext_calls *ldr_net_ext_set_calls(const struct ldr_ext_calls *calls);

#endif
