/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — SCSI host adapter class.
 *
 * An HBA driver registers a host; the host sends it commands through queuecommand, and the
 * driver completes each with xdrv_scsi_complete, passing status and sense data as the target
 * returned them. The command structure is host memory the driver only reads, valid until
 * completion.
 */
#ifndef XDRV_SCSI_H
#define XDRV_SCSI_H

#include <xdrv/types.h>

#define XDRV_SCSI_CDB_MAX   32u
#define XDRV_SCSI_SENSE_MAX 96u

#define XDRV_SCSI_DIR_NONE	  0u
#define XDRV_SCSI_DIR_TO_DEVICE	  1u
#define XDRV_SCSI_DIR_FROM_DEVICE 2u

/* Host (transport) status of a completion. */
#define XDRV_SCSI_HOST_OK	 0u
#define XDRV_SCSI_HOST_NO_TARGET 1u
#define XDRV_SCSI_HOST_ABORTED	 2u
#define XDRV_SCSI_HOST_ERROR	 3u
#define XDRV_SCSI_HOST_RESET	 4u

/* SCSI status bytes. */
#define XDRV_SCSI_STATUS_GOOD		 0x00u
#define XDRV_SCSI_STATUS_CHECK_CONDITION 0x02u
#define XDRV_SCSI_STATUS_BUSY		 0x08u

/*
 * One command.
 *  0             8      12     13     14     16                  48            56
 *  | tag         | tgt  | lun  |cdblen| dir  | cdb[32]           | data        |
 *  56            64      72 .. 96
 *  | data_len    | rsvd[3]
 */
struct xdrv_scsi_cmd {
	uint64_t tag;
	uint32_t target;
	uint8_t lun;
	uint8_t cdb_len;
	uint16_t dir; /* XDRV_SCSI_DIR_* */
	uint8_t cdb[XDRV_SCSI_CDB_MAX];
	void *data;	   /* one contiguous host buffer, or NULL */
	uint64_t data_len; /* bytes */
	uint64_t reserved[3];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_scsi_cmd) == 88, "xdrv_scsi_cmd layout");

struct xdrv_scsi_ops {
	uint32_t struct_size;
	uint32_t reserved0;
	/* Start a command; XDRV_OK when queued, XDRV_EBUSY to have the host retry later. */
	int32_t (*queuecommand)(xdrv_scsi_host_t *host, const struct xdrv_scsi_cmd *cmd);
	/* Reset the bus; outstanding commands are completed with XDRV_SCSI_HOST_RESET. */
	int32_t (*reset)(xdrv_scsi_host_t *host);
	/* Poll for completions (for hosts driven without interrupts). */
	int32_t (*poll)(xdrv_scsi_host_t *host);
	void *reserved[5];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_scsi_ops) == 72, "xdrv_scsi_ops layout");

xdrv_scsi_host_t *xdrv_scsi_register(xdrv_device_t *dev, const struct xdrv_scsi_ops *ops,
				     uint32_t max_target, uint32_t max_lun, uint32_t can_queue,
				     void *priv);
void xdrv_scsi_unregister(xdrv_scsi_host_t *host);
void *xdrv_scsi_priv(xdrv_scsi_host_t *host);
/* Complete `cmd`. sense may be NULL; sense_len is capped at XDRV_SCSI_SENSE_MAX; resid is the
 * count of data bytes not transferred. */
void xdrv_scsi_complete(xdrv_scsi_host_t *host, const struct xdrv_scsi_cmd *cmd,
			uint32_t host_status, uint32_t scsi_status, const uint8_t *sense,
			uint32_t sense_len, uint64_t resid);

#endif
