/* SPDX-License-Identifier: MIT */
/*
 * virtio_scsi driver, private: the register map and wire formats it uses (virtio 1.x: 4.2.2
 * virtio-mmio, 2.6 split virtqueues, 5.6 SCSI host device; SCSI SPC/SBC command codes and sense),
 * the driver state, and the functions its files share. Never crosses the ABI.
 */
#ifndef VS_H
#define VS_H

#include <xdrv/abi.h>

/* ---- virtio-mmio registers (region 0) ---- */
#define VM_MAGIC	 0x000
#define VM_VERSION	 0x004
#define VM_DEVICE_ID	 0x008
#define VM_VENDOR_ID	 0x00c
#define VM_DEV_FEAT	 0x010
#define VM_DEV_FEAT_SEL	 0x014
#define VM_DRV_FEAT	 0x020
#define VM_DRV_FEAT_SEL	 0x024
#define VM_QUEUE_SEL	 0x030
#define VM_QUEUE_NUM_MAX 0x034
#define VM_QUEUE_NUM	 0x038
#define VM_QUEUE_READY	 0x044
#define VM_QUEUE_NOTIFY	 0x050
#define VM_INT_STATUS	 0x060
#define VM_INT_ACK	 0x064
#define VM_STATUS	 0x070
#define VM_QUEUE_DESC	 0x080 /* low, high at +4 */
#define VM_QUEUE_DRIVER	 0x090
#define VM_QUEUE_DEVICE	 0x0a0
#define VM_CONFIG_GEN	 0x0fc
#define VM_CONFIG	 0x100

#define VM_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_ID_SCSI 8u

#define ST_ACK	       1u
#define ST_DRIVER      2u
#define ST_DRIVER_OK   4u
#define ST_FEATURES_OK 8u
#define ST_NEEDS_RESET 0x40u
#define ST_FAILED      0x80u

#define F_VERSION_1_HI 1u /* feature bit 32: bit 0 of feature word 1 */
#define INT_VRING      1u
#define INT_CONFIG     2u

/* virtio-scsi configuration space, offsets from VM_CONFIG */
#define CFG_NUM_QUEUES	0x00
#define CFG_SEG_MAX	0x04
#define CFG_MAX_SECTORS 0x08
#define CFG_CMD_PER_LUN 0x0c
#define CFG_SENSE_SIZE	0x14
#define CFG_CDB_SIZE	0x18
#define CFG_MAX_TARGET	0x1e /* le16 */
#define CFG_MAX_LUN	0x20

#define REQUEST_QUEUE 2u /* first request queue; 0 control, 1 event */

/* split virtqueue */
#define VQ_DESC_NEXT  1u
#define VQ_DESC_WRITE 2u

/* virtio_scsi_cmd_resp.response */
#define VS_RESP_OK	   0u
#define VS_RESP_OVERRUN	   1u
#define VS_RESP_ABORTED	   2u
#define VS_RESP_BAD_TARGET 3u
#define VS_RESP_RESET	   4u
#define VS_RESP_BUSY	   5u

/* slot header area: request at 0, response at VS_RESP_OFF */
#define VS_HDR_SIZE  512u
#define VS_RESP_OFF  256u
#define VS_CDB_MAX   32u
#define VS_SENSE_MAX 96u
#define VS_SCRATCH   4096u /* data buffer for the driver's own commands (scan) */
#define VS_MAX_DISKS 16u
#define VS_BACKLOG   64u

/* SCSI */
#define SCSI_TEST_UNIT_READY 0x00
#define SCSI_REQUEST_SENSE   0x03
#define SCSI_INQUIRY	     0x12
#define SCSI_READ_CAP10	     0x25
#define SCSI_READ10	     0x28
#define SCSI_WRITE10	     0x2a
#define SCSI_SYNC_CACHE10    0x35
#define SCSI_READ16	     0x88
#define SCSI_WRITE16	     0x8a
#define SCSI_SAI16	     0x9e /* SERVICE ACTION IN(16); READ CAPACITY(16) is action 10h */
#define SCSI_REPORT_LUNS     0xa0

#define SCSI_GOOD	     0x00
#define SCSI_CHECK_CONDITION 0x02
#define SCSI_BUSY	     0x08
#define SCSI_TASK_SET_FULL   0x28

#define SK_NOT_READY	     0x2
#define SK_MEDIUM_ERROR	     0x3
#define SK_ILLEGAL_REQUEST   0x5
#define SK_UNIT_ATTENTION    0x6
#define ASC_LBA_OUT_OF_RANGE 0x21

enum { SLOT_FREE, SLOT_INTERNAL, SLOT_BLK, SLOT_SCSI };

struct vs;

struct vs_disk {
	struct vs *vs;
	xdrv_blkdev_t *blk;
	char name[8];
	uint32_t target, lun;
	uint32_t block_size;
	uint64_t blocks;
	uint32_t use16; /* the capacity needs READ/WRITE(16) */
};

struct vs_slot {
	uint32_t kind; /* SLOT_* */
	uint32_t done; /* SLOT_INTERNAL: the device answered */
	uint8_t *hdr;  /* VS_HDR_SIZE bytes of coherent memory */
	uint64_t hdr_bus;
	/* streaming mapping of the caller's data, 0 if none */
	uint64_t map_bus, map_len;
	uint32_t map_dir;
	uint32_t retries;
	/* SLOT_BLK */
	struct vs_disk *disk;
	const struct xdrv_blk_req *breq;
	uint64_t blk_done;  /* blocks transferred so far */
	uint32_t blk_chunk; /* blocks of the command in flight */
	/* SLOT_SCSI */
	const struct xdrv_scsi_cmd *scmd;
};

/* What the device answered to one command (decoded from virtio_scsi_cmd_resp). */
struct vs_result {
	uint32_t response, status, sense_len, resid;
	uint8_t sense[VS_SENSE_MAX];
	uint32_t key, asc, ascq; /* decoded sense, 0 without */
};

struct vs {
	xdrv_device_t *dev;
	xdrv_region_t *regs;
	/* configuration */
	uint32_t num_queues, seg_max, max_sectors, cmd_per_lun, sense_size, cdb_size;
	uint32_t max_target, max_lun;
	/* the request queue */
	uint32_t qsz, nslots;
	uint8_t *ring; /* descriptors, then avail, then used: one coherent buffer */
	uint64_t ring_bus, ring_len;
	uint8_t *desc, *avail, *used;
	uint64_t desc_bus, avail_bus, used_bus;
	uint16_t avail_idx, last_used;
	uint8_t *hdrs;
	uint64_t hdrs_bus, hdrs_len;
	struct vs_slot *slots;
	uint8_t *scratch;
	uint64_t scratch_bus;
	uint32_t broken; /* the device set NEEDS_RESET or misbehaved: fail everything */
	uint32_t irq_on;
	/* block devices and the SCSI host */
	struct vs_disk disks[VS_MAX_DISKS];
	uint32_t ndisks;
	xdrv_scsi_host_t *host;
	/* block requests waiting for a free slot (FIFO) */
	struct {
		struct vs_disk *disk;
		const struct xdrv_blk_req *req;
	} backlog[VS_BACKLOG];
	uint32_t bl_head, bl_tail;
	uint64_t irqs, cmds, retries_done;
};

/* parameters (params.c; virtio_scsi.c declares the table) */
extern XDRV_PARAM(uint32_t, queue_size);
extern XDRV_PARAM(uint32_t, scan_luns);
extern XDRV_PARAM(uint32_t, scan_targets);
extern XDRV_PARAM(uint32_t, retries);
extern XDRV_PARAM(uint32_t, cmd_timeout_ms);

/* virtqueue.c */
int32_t vs_transport_init(struct vs *vs, uint32_t want_qsz);
void vs_transport_reset(struct vs *vs);
int32_t vs_ring_alloc(struct vs *vs);
void vs_ring_free(struct vs *vs);
struct vs_slot *vs_slot_get(struct vs *vs);
void vs_slot_put(struct vs *vs, struct vs_slot *s);
/* Build the chain of slot `s` (request header already written) and hand it to the device. */
void vs_slot_start(struct vs *vs, struct vs_slot *s, uint32_t target, uint32_t lun,
		   const uint8_t *cdb, uint32_t cdb_len, uint32_t dir, uint64_t data_bus,
		   uint32_t data_len);
void vs_result_read(const struct vs *vs, const struct vs_slot *s, struct vs_result *r);
/* Take every completed chain off the used ring and hand each slot to `complete` (disk.c's
 * vs_complete_slot: the transport does not know what a slot carries); returns how many. */
uint32_t vs_reap(struct vs *vs, void (*complete)(struct vs *vs, struct vs_slot *s));
uint32_t vs_device_status(struct vs *vs);

/* disk.c */
void vs_complete_slot(struct vs *vs, struct vs_slot *s);
void vs_disks_register(struct vs *vs);
void vs_fail_all(struct vs *vs, int32_t blk_status, uint32_t host_status);
void vs_backlog_kick(struct vs *vs);
extern const struct xdrv_blk_ops vs_blk_ops;
extern const struct xdrv_scsi_ops vs_scsi_ops;
const char *vs_sense_key_name(uint32_t key);
const char *vs_response_name(uint32_t response);
void vs_log_result(const char *who, const char *what, const struct vs_result *r, uint32_t level);

/* virtio_scsi.c */
int32_t vs_exec_sync(struct vs *vs, uint32_t target, uint32_t lun, const uint8_t *cdb,
		     uint32_t cdb_len, uint32_t dir, uint32_t len, struct vs_result *r);

#endif
