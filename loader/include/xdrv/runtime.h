/* SPDX-License-Identifier: MIT */
/*
 * Loader, part 2: the host side of the driver ABI and a driver's lifecycle on a device.
 *
 * Every function a driver may import (driver-abi/symbols.def) is implemented here with the ABI
 * prototype. Handles given to a driver are validated on every call; a stale or forged handle
 * gets XDRV_EINVAL and a log line, never a crash. Memory, DMA mappings, interrupts and
 * class registrations a driver holds are tracked per driver instance and released at unbind.
 *
 * The same runtime serves JIT-compiled images and natively compiled drivers (a descriptor from
 * dlsym), so both run through exactly the same ABI and backend.
 *
 * Single-threaded: the host never runs two entry points of one driver at once; interrupts and
 * polls are delivered from ldr_driver_dispatch.
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

/* The ABI binding table: every symbol of symbols.def with its host address. */
struct ldr_abi_binding {
	const char *name;
	void (*addr)(void);
	uint32_t since; /* ABI version */
};
const struct ldr_abi_binding *ldr_abi_bindings(size_t *count);

/* Log sink for driver messages: default writes "[name] message" to stderr. */
void ldr_runtime_set_log(void (*fn)(void *ctx, const char *driver, uint32_t level, const char *msg),
			 void *ctx);

struct ldr_bind_opts {
	const char *label;      /* for messages, default the descriptor's name */
	int write_params;       /* 1: write parameter defaults/overrides through desc->params[].var
				   (natively compiled drivers); JIT images have them as constants */
	const char *const *param_kv; /* "name=value" pairs when write_params, may be NULL */
	size_t nparams;
};
/* Check the descriptor (magic, ABI version supported, match against the device), then call
 * probe. */
int ldr_driver_bind(const struct xdrv_driver *desc, struct hvb_device *dev,
		    const struct ldr_bind_opts *opts, struct ldr_driver **out, char **err);
/* Call remove, then release everything the driver still holds. NULL-safe. */
void ldr_driver_unbind(struct ldr_driver *drv);
/* Deliver pending interrupts, scheduled NAPI polls and class polls. Returns events handled. */
int ldr_driver_dispatch(struct ldr_driver *drv);
/* Bytes of driver memory currently allocated, and DMA mappings held. */
uint64_t ldr_driver_mem_in_use(const struct ldr_driver *drv);
uint32_t ldr_driver_dma_in_use(const struct ldr_driver *drv);

/* ---- network class, host side ---------------------------------------------------------------- */
struct ldr_netdev *ldr_driver_netdev(struct ldr_driver *drv, uint32_t index);
int ldr_net_open(struct ldr_netdev *nd, char **err);
int ldr_net_stop(struct ldr_netdev *nd);
/* Queue one frame for transmit (copied). csum_flags XDRV_CSUM_*; start/offset for PARTIAL. */
int ldr_net_xmit(struct ldr_netdev *nd, const void *frame, size_t len, uint32_t csum_flags,
		 uint16_t csum_start, uint16_t csum_offset);
void ldr_net_set_rx(struct ldr_netdev *nd,
		    void (*cb)(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags),
		    void *ctx);
int ldr_net_stats(struct ldr_netdev *nd, struct xdrv_net_stats *st);
void ldr_net_link(const struct ldr_netdev *nd, uint32_t *up, uint32_t *speed, uint32_t *duplex);
const uint8_t *ldr_net_mac(const struct ldr_netdev *nd);

/* ---- block class, host side ------------------------------------------------------------------ */
struct ldr_blkdev *ldr_driver_blkdev(struct ldr_driver *drv, uint32_t index);
const char *ldr_blk_name(const struct ldr_blkdev *bd);
uint32_t ldr_blk_block_size(const struct ldr_blkdev *bd);
uint64_t ldr_blk_num_blocks(const struct ldr_blkdev *bd);
/* Synchronous I/O: submit, dispatch until complete or timeout. op XDRV_BLK_*. */
int ldr_blk_io(struct ldr_blkdev *bd, uint32_t op, uint64_t lba, uint32_t count, void *buf,
	       char **err);

/* ---- SCSI class, host side ------------------------------------------------------------------- */
struct ldr_scsi_host *ldr_driver_scsi_host(struct ldr_driver *drv, uint32_t index);
/* Synchronous command; returns 0 if completed (check *scsi_status), negative on host error. */
int ldr_scsi_exec(struct ldr_scsi_host *h, uint32_t target, uint32_t lun, const uint8_t *cdb,
		  uint32_t cdb_len, uint32_t dir, void *buf, uint64_t len, uint32_t *scsi_status,
		  uint8_t *sense, uint32_t *sense_len, char **err);

#endif
