/* SPDX-License-Identifier: MIT */
/*
 * The virtio-scsi device model: contract for drivers and hosts.
 *
 * Model name "virtio-scsi": a platform device, compatible "virtio,mmio", one MMIO region
 * (region 0, 0x200 bytes) holding a virtio-mmio version 2 (virtio 1.x, "modern", no legacy)
 * register window, and one interrupt line (line 0). Behind it a SCSI target with up to
 * HVB_VSCSI_MAX_LUNS disks on target 0, each backed by a disk backend (RAM, image file, iSCSI).
 *
 * ---- register window (region 0), all little-endian -----------------------------------------
 *  Control registers 0x000..0x0ff: 32-bit aligned accesses only. Any other width there reads
 *  all ones / drops the write, and is logged as a guest error. Unknown offsets read 0.
 *   0x000 R  MagicValue        0x74726976 ("virt")
 *   0x004 R  Version           2
 *   0x008 R  DeviceID          8 (SCSI host)
 *   0x00c R  VendorID          HVB_VSCSI_VENDOR_ID ("xdrv")
 *   0x010 R  DeviceFeatures    32 bits of the feature word selected by DeviceFeaturesSel
 *   0x014 W  DeviceFeaturesSel 0: bits 0..31, 1: bits 32..63, other: reads 0
 *   0x020 W  DriverFeatures    32 bits of the driver's accepted features, word DriverFeaturesSel
 *   0x024 W  DriverFeaturesSel
 *   0x030 W  QueueSel          0 control, 1 event, 2.. request queues (2 + num_queues - 1)
 *   0x034 R  QueueNumMax       max queue size of the selected queue (0 if it does not exist)
 *   0x038 W  QueueNum          queue size: a power of 2 in 1..QueueNumMax
 *   0x044 RW QueueReady        1 enables the selected queue (addresses and size are latched)
 *   0x050 W  QueueNotify       queue index; processes that queue (see "Processing")
 *   0x060 R  InterruptStatus   bit 0 used buffer, bit 1 configuration change
 *   0x064 W  InterruptACK      clears the bits written; the line is low once status is 0
 *   0x070 RW Status            device status bits (below); writing 0 resets the device
 *   0x080/0x084 W QueueDescLow/High     descriptor table bus address (16-byte aligned)
 *   0x090/0x094 W QueueDriverLow/High   available ring bus address (2-byte aligned)
 *   0x0a0/0x0a4 W QueueDeviceLow/High   used ring bus address (4-byte aligned)
 *   0x0fc R  ConfigGeneration  changes only if config space changes (it never does on its own)
 *  Queue registers (QueueNum, QueueReady, addresses) can be written only while the queue is not
 *  ready; QueueNum/addresses read back as written.
 *
 *  Device configuration space 0x100..0x123 (struct virtio_scsi_config), accesses of 1, 2 or 4
 *  bytes, naturally aligned (use the field's width: 4 for le32, 2 for le16):
 *   0x100 num_queues (request queues)     0x104 seg_max       0x108 max_sectors (512-byte)
 *   0x10c cmd_per_lun (= queue_size)   0x110 event_info_size (16)
 *   0x114 sense_size (RW, default 96, max 96)
 *   0x118 cdb_size (RW, default 32, clamped to 16..32)   0x11c max_channel (le16, 0)
 *   0x11e max_target (le16, 0)   0x120 max_lun (le32, HVB_VSCSI_MAX_LUNS - 1)
 *  From 0x124 up to 0x1ff reads 0, writes are ignored.
 *
 * ---- features and status ----------------------------------------------------------------------
 *  Offered: VIRTIO_F_VERSION_1 (bit 32, required: without it FEATURES_OK does not stick) and
 *  VIRTIO_F_RING_INDIRECT_DESC (bit 28). No VIRTIO_SCSI_F_* feature, no EVENT_IDX. Accepting a
 *  feature not offered makes FEATURES_OK not stick. Features may be written only before
 *  FEATURES_OK. Status: ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8, NEEDS_RESET 0x40,
 *  FAILED 0x80. The device processes queues only while FEATURES_OK and DRIVER_OK are set and
 *  NEEDS_RESET is clear.
 *  NEEDS_RESET is set (and a configuration-change interrupt, bit 1, raised) when the driver
 *  hands the device something malformed: a descriptor index >= queue size, a chain longer than
 *  the queue (or a loop), a nested or misused indirect table, an avail idx more than the queue
 *  size ahead, an unaligned ring, an unmapped/wrong-direction bus address, a request too short
 *  for its header. The device then stops using every queue until reset (Status = 0), and the
 *  cause is logged once (hvb guest error).
 *
 * ---- processing -------------------------------------------------------------------------------
 *  A QueueNotify write processes, synchronously before the write returns, every available
 *  buffer of that queue (with aio=uring, READ/WRITE to a file disk are only started there and
 *  complete from hvb_device_poll, in any order; a WRITE and a later READ of the same blocks
 *  are ordered, and any other command waits for those in flight): each request is completed,
 * written to the used ring (len = bytes the device wrote into device-writable descriptors),
 * used->idx advanced, InterruptStatus bit 0 set and line 0 raised, unless the driver set
 * VIRTQ_AVAIL_F_NO_INTERRUPT. The layout of a request across descriptors is free (VERSION_1 implies
 * ANY_LAYOUT): device-readable bytes are struct virtio_scsi_cmd_req (lun[8], id le64, task_attr,
 * prio, crn, cdb[cdb_size]) then data-out; device-writable bytes are struct virtio_scsi_cmd_resp
 * (sense_len le32, resid le32, status_qualifier le16, status, response, sense[sense_size]) then
 * data-in. A request with both data-out and data-in (bidirectional) is answered response
 * VIRTIO_SCSI_S_FAILURE. A transfer larger than max_sectors * 512 gets CHECK CONDITION, INVALID
 * FIELD IN CDB. A READ/WRITE that needs more bytes than its data buffers hold is answered
 * VIRTIO_SCSI_S_OVERRUN and transfers nothing; other commands return at most the buffer (and their
 * allocation length). resid = data buffer bytes not used (all of them unless response is OK).
 * sense_len = bytes of sense (0 or 18) written, at most sense_size.
 *
 *  LUN addressing: lun[0] = 1, lun[1] = target, lun[2..3] = LUN as SAM flat space (0x40 | lun >>
 *  8, lun & 0xff) or peripheral (0, lun). Bytes 4..7 must be 0. lun[0] != 1 or a target other
 *  than 0: response VIRTIO_SCSI_S_BAD_TARGET. An absent LUN on target 0: INQUIRY answers
 *  peripheral qualifier 3 (byte 0 = 0x7f), REPORT LUNS works, anything else CHECK CONDITION,
 *  ILLEGAL REQUEST, 25h/00h (LOGICAL UNIT NOT SUPPORTED).
 *
 *  The i-th "disk=" item of the config is LUN i of target 0 (REPORT LUNS lists them, peripheral
 *  addressing). Disks are direct-access block devices with 512-byte logical blocks.
 *
 *  UNIT ATTENTION: after power-on (create), a device reset (Status = 0 or hvb_device_reset),
 *  and a LOGICAL UNIT RESET / I_T NEXUS RESET TMF, each affected LUN reports, once, CHECK
 *  CONDITION, UNIT ATTENTION, 29h/00h (POWER ON, RESET, OR BUS DEVICE RESET OCCURRED) for the
 *  first command other than INQUIRY, REPORT LUNS or REQUEST SENSE; REQUEST SENSE returns that
 *  sense and clears it. A driver should issue TEST UNIT READY and retry once on UNIT ATTENTION.
 *  Sense data is fixed format (response code 70h), 18 bytes, sense_len = 18.
 *
 *  Control queue: TMF requests (type 0; ABORT_TASK, ABORT_TASK_SET, CLEAR_TASK_SET,
 *  QUERY_TASK(_SET) answer FUNCTION_COMPLETE (0) since every command has already completed;
 *  LOGICAL_UNIT_RESET and I_T_NEXUS_RESET answer FUNCTION_COMPLETE and raise the unit
 *  attentions); AN query/subscribe (types 1, 2) answer event_actual 0, response OK. Event
 *  queue: buffers are accepted and held; the device never posts an event (no hotplug).
 *
 * ---- configuration string ---------------------------------------------------------------------
 *  "key=value,..." items, in any order, "disk" repeated once per LUN (at least one):
 *   disk=ram:SIZE             zero-filled RAM disk; SIZE in bytes with optional K/M/G suffix,
 *                              a multiple of 512, at most 16G  (e.g. disk=ram:64M)
 *   disk=file:PATH            an existing image file (size a multiple of 512; pread/pwrite;
 *                              SYNCHRONIZE CACHE -> fdatasync: writes acknowledged before a
 *                              good SYNCHRONIZE CACHE are durable). PATH must not contain ','.
 *   disk=iscsi:URL            an iSCSI LUN through libiscsi, URL iscsi://HOST[:PORT]/IQN/LUN
 *                              (e.g. disk=iscsi:iscsi://127.0.0.1:3261/iqn.2026-11.xdrv:t1/1)
 *   ro=1                      every disk write-protected (writes: DATA PROTECT 27h/00h)
 *   num_queues=N              request queues, 1..8 (default 1)
 *   queue_size=N              QueueNumMax of every queue, power of 2, 2..1024 (default 256)
 *   seg_max=N                 advertised seg_max, 1..1024 (default 254)
 *   max_sectors=N             advertised and enforced, 8..65535 (default 4096 = 2 MiB)
 *   serial=STRING             unit serial number base for VPD page 80h (default "xdrv"), LUN i
 *                              reports "<serial>-<i>"; at most 16 characters [A-Za-z0-9._-]
 *   aio=uring|sync            uring (default): READ/WRITE to a disk that takes asynchronous
 *                              requests (file: through io_uring, where the process may use it)
 *                              are started in the QueueNotify write and completed from
 *                              hvb_device_poll, up to 32 in flight, in any order; sync: every
 *                              request completes inside the QueueNotify write
 *  A bad item fails hvb_device_create with -EINVAL and a message naming the item.
 */
#ifndef XDRV_VIRTIO_SCSI_H
#define XDRV_VIRTIO_SCSI_H

#include <stdint.h>

struct hvb_device;

#define HVB_VSCSI_VENDOR_ID   0x76726478u /* "xdrv" little-endian */
#define HVB_VSCSI_MAX_LUNS    8u
#define HVB_VSCSI_BLOCK	      512u
#define HVB_VSCSI_REGION_SIZE 0x200u

/* virtio-mmio register offsets (virtio 1.x, 4.2.2) */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u
#define VIRTIO_ID_SCSI	  8u

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER	  2u
#define VIRTIO_STATUS_DRIVER_OK	  4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED	  0x80u

#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_VERSION_1	    32

#define VIRTIO_MMIO_INT_VRING  1u
#define VIRTIO_MMIO_INT_CONFIG 2u

/* split virtqueue layout (virtio 1.x, 2.6) */
#define VIRTQ_DESC_F_NEXT	   1u
#define VIRTQ_DESC_F_WRITE	   2u
#define VIRTQ_DESC_F_INDIRECT	   4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* virtio-scsi (virtio 1.x, 5.6) */
#define VIRTIO_SCSI_QUEUE_CONTROL 0u
#define VIRTIO_SCSI_QUEUE_EVENT	  1u
#define VIRTIO_SCSI_QUEUE_REQUEST 2u /* first request queue */

#define VIRTIO_SCSI_CFG_NUM_QUEUES	0x00
#define VIRTIO_SCSI_CFG_SEG_MAX		0x04
#define VIRTIO_SCSI_CFG_MAX_SECTORS	0x08
#define VIRTIO_SCSI_CFG_CMD_PER_LUN	0x0c
#define VIRTIO_SCSI_CFG_EVENT_INFO_SIZE 0x10
#define VIRTIO_SCSI_CFG_SENSE_SIZE	0x14
#define VIRTIO_SCSI_CFG_CDB_SIZE	0x18
#define VIRTIO_SCSI_CFG_MAX_CHANNEL	0x1c /* le16 */
#define VIRTIO_SCSI_CFG_MAX_TARGET	0x1e /* le16 */
#define VIRTIO_SCSI_CFG_MAX_LUN		0x20
#define VIRTIO_SCSI_CFG_SIZE		0x24

#define VIRTIO_SCSI_CDB_DEFAULT	  32u
#define VIRTIO_SCSI_SENSE_DEFAULT 96u

/* request header sizes with the default cdb_size/sense_size */
#define VIRTIO_SCSI_CMD_REQ_SIZE(cdb)	 (19u + (cdb))	 /* lun 8, id 8, attr, prio, crn */
#define VIRTIO_SCSI_CMD_RESP_SIZE(sense) (12u + (sense)) /* sense_len, resid, sq, st, resp */

/* response codes (virtio_scsi_cmd_resp.response, TMF/AN response) */
#define VIRTIO_SCSI_S_OK		 0u
#define VIRTIO_SCSI_S_FUNCTION_COMPLETE	 0u
#define VIRTIO_SCSI_S_OVERRUN		 1u
#define VIRTIO_SCSI_S_ABORTED		 2u
#define VIRTIO_SCSI_S_BAD_TARGET	 3u
#define VIRTIO_SCSI_S_RESET		 4u
#define VIRTIO_SCSI_S_BUSY		 5u
#define VIRTIO_SCSI_S_TRANSPORT_FAILURE	 6u
#define VIRTIO_SCSI_S_TARGET_FAILURE	 7u
#define VIRTIO_SCSI_S_NEXUS_FAILURE	 8u
#define VIRTIO_SCSI_S_FAILURE		 9u
#define VIRTIO_SCSI_S_FUNCTION_SUCCEEDED 10u
#define VIRTIO_SCSI_S_FUNCTION_REJECTED	 11u
#define VIRTIO_SCSI_S_INCORRECT_LUN	 12u

/* control queue */
#define VIRTIO_SCSI_T_TMF		     0u
#define VIRTIO_SCSI_T_AN_QUERY		     1u
#define VIRTIO_SCSI_T_AN_SUBSCRIBE	     2u
#define VIRTIO_SCSI_T_TMF_ABORT_TASK	     0u
#define VIRTIO_SCSI_T_TMF_ABORT_TASK_SET     1u
#define VIRTIO_SCSI_T_TMF_CLEAR_ACA	     2u
#define VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET     3u
#define VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET    4u
#define VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET 5u
#define VIRTIO_SCSI_T_TMF_QUERY_TASK	     6u
#define VIRTIO_SCSI_T_TMF_QUERY_TASK_SET     7u
#define VIRTIO_SCSI_TMF_REQ_SIZE	     24u /* type, subtype, lun[8], id */
#define VIRTIO_SCSI_TMF_RESP_SIZE	     1u
#define VIRTIO_SCSI_AN_REQ_SIZE		     16u /* type, lun[8], event_requested */
#define VIRTIO_SCSI_AN_RESP_SIZE	     5u	 /* event_actual, response */

/* Counters of one virtio-scsi device since create (a device reset does not clear them). */
struct hvb_vscsi_stats {
	uint64_t notifies;		 /* QueueNotify writes */
	uint64_t requests;		 /* command requests completed into the used ring */
	uint64_t tmfs;			 /* control-queue requests completed */
	uint64_t interrupts;		 /* rising edges of line 0 */
	uint64_t check_conditions;	 /* commands answered CHECK CONDITION */
	uint64_t bad_target;		 /* answered VIRTIO_SCSI_S_BAD_TARGET */
	uint64_t reads, writes, flushes; /* READ(10/16), WRITE(10/16), SYNCHRONIZE CACHE */
	uint64_t bytes_read, bytes_written;
	uint64_t backend_errors; /* disk backend I/O failures (answered MEDIUM ERROR) */
	uint64_t needs_reset;	 /* times NEEDS_RESET was set */
	uint64_t direct_bytes;	 /* READ/WRITE bytes moved by the backend into/out of DMA buffers */
	uint64_t async_requests; /* of `requests`, completed later from hvb_device_poll (aio) */
	uint64_t in_flight;	 /* requests started and not yet completed (now, not a total) */
};

/* Copy the counters of a virtio-scsi device: 0, or -EINVAL if `d` is not one. */
int hvb_vscsi_get_stats(const struct hvb_device *d, struct hvb_vscsi_stats *out);
/* Number of disks (LUNs), 0 if `d` is not a virtio-scsi device. */
uint32_t hvb_vscsi_num_luns(const struct hvb_device *d);
/* Size in 512-byte blocks of LUN `lun`, 0 if there is none. */
uint64_t hvb_vscsi_lun_blocks(const struct hvb_device *d, uint32_t lun);
/* The Status register as the driver sees it (NEEDS_RESET included); 0 if not virtio-scsi. */
uint32_t hvb_vscsi_status(const struct hvb_device *d);

#endif
