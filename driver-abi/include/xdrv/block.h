/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — block device class.
 *
 * A storage driver registers one block device per disk it found. The host submits requests;
 * the driver completes each one with xdrv_blk_complete. Requests are host memory the driver only
 * reads, valid until completion.
 */
#ifndef XDRV_BLOCK_H
#define XDRV_BLOCK_H

#include <xdrv/types.h>

#define XDRV_BLK_READ  1u
#define XDRV_BLK_WRITE 2u
#define XDRV_BLK_FLUSH 3u

/*
 *  0             8      12     16            24            32            40 .. 64
 *  | tag         | op   | cnt  | lba         | data        | data_len    | reserved[3]
 */
struct xdrv_blk_req {
	uint64_t tag;
	uint32_t op;	/* XDRV_BLK_* */
	uint32_t count; /* blocks */
	uint64_t lba;
	void *data; /* count * block_size bytes, NULL for FLUSH */
	uint64_t data_len;
	uint64_t reserved[3];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_blk_req) == 64, "xdrv_blk_req layout");

struct xdrv_blk_ops {
	uint32_t struct_size;
	uint32_t reserved0;
	int32_t (*submit)(xdrv_blkdev_t *blk, const struct xdrv_blk_req *req);
	int32_t (*poll)(xdrv_blkdev_t *blk);
	void *reserved[6];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_blk_ops) == 72, "xdrv_blk_ops layout");

/* Register a disk named `name` (e.g. "sda"). NULL on failure. */
xdrv_blkdev_t *xdrv_blk_register(xdrv_device_t *dev, const struct xdrv_blk_ops *ops,
				 const char *name, uint32_t block_size, uint64_t num_blocks,
				 void *priv);
void xdrv_blk_unregister(xdrv_blkdev_t *blk);
void *xdrv_blk_priv(xdrv_blkdev_t *blk);
/* Complete a request: XDRV_OK, XDRV_EIO (medium error), XDRV_ERANGE (LBA out of range). */
void xdrv_blk_complete(xdrv_blkdev_t *blk, const struct xdrv_blk_req *req, int32_t status);

#endif
