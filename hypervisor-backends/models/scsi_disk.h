/* SPDX-License-Identifier: MIT */
/*
 * Private to hypervisor-backends/: a SCSI target with up to SCSI_MAX_LUNS direct-access disks
 * (scsi_disk.c), independent of the transport. The transport (virtio_scsi.c, the CDB fuzzer,
 * tests) hands it a CDB and two data callbacks; it answers status, fixed-format sense and the
 * count of data-in bytes. Commands and sense codes are listed in scsi_disk.c.
 */
#ifndef XDRV_HVB_SCSI_DISK_H
#define XDRV_HVB_SCSI_DISK_H

#include <stdbool.h>
#include <stdint.h>

struct hvb_disk;

#define SCSI_MAX_LUNS	8u
#define SCSI_SENSE_LEN	18u /* fixed format, additional length 10 */
#define SCSI_BLOCK	512u
#define SCSI_STAGE_SIZE 262144u /* data bounce buffer, the LUN's disk's or the target's */

#define SCSI_STATUS_GOOD	    0x00
#define SCSI_STATUS_CHECK_CONDITION 0x02

#define SENSE_NO_SENSE	      0x0
#define SENSE_NOT_READY	      0x2
#define SENSE_MEDIUM_ERROR    0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION  0x6
#define SENSE_DATA_PROTECT    0x7

/* Data phase of one command: offsets are from the start of the command's data-out / data-in
 * bytes. Each returns 0 or a negative errno (the transport's DMA failed): the command is then
 * abandoned and scsi_target_exec returns that error. */
struct iovec;
struct scsi_xfer {
	int (*get_out)(void *ctx, uint64_t off, void *dst, uint64_t len);
	int (*put_in)(void *ctx, uint64_t off, const void *src, uint64_t len);
	void *ctx;
	/* Optional (NULL: the data is always copied through get_out/put_in). The host memory of
	 * data-in (in) or data-out bytes [off, off+len) as at most `max` iovecs: their count,
	 * -E2BIG if more are needed (the target then copies), or another negative errno (-EFAULT:
	 * not mapped), which abandons the command as a failed data callback does. READ and WRITE
	 * then move the data between the disk backend and that memory directly
	 * (hvb_disk_readv/writev), without the target's stage. */
	int (*iov)(void *ctx, bool in, uint64_t off, uint64_t len, struct iovec *iov, uint32_t max);
};

struct scsi_cmd {
	const uint8_t *cdb;
	uint32_t cdb_len;
	uint64_t out_len; /* data-out bytes the initiator supplied */
	uint64_t in_cap;  /* data-in bytes the initiator has room for */
	/* results */
	uint8_t status;
	bool overrun; /* a READ/WRITE needs more data than the buffers hold: nothing was done */
	uint8_t sense[SCSI_SENSE_LEN];
	uint32_t sense_len; /* 0 or SCSI_SENSE_LEN */
	uint64_t in_len;    /* data-in bytes produced */
};

struct scsi_stats {
	uint64_t commands, check_conditions, reads, writes, flushes, bytes_read, bytes_written,
		backend_errors;
	uint64_t direct_bytes; /* READ/WRITE bytes the backend moved to/from the iovecs itself */
};

struct scsi_target;

/* Empty target: LUNs are added with scsi_target_add (which takes ownership of the disk). */
int scsi_target_create(const char *serial, uint32_t max_xfer_blocks, struct scsi_target **out,
		       char **err);
int scsi_target_add(struct scsi_target *t, struct hvb_disk *disk, char **err);
void scsi_target_destroy(struct scsi_target *t); /* closes the disks; NULL-safe */
uint32_t scsi_target_luns(const struct scsi_target *t);
uint64_t scsi_target_lun_blocks(const struct scsi_target *t, uint32_t lun);
/* Power-on / reset: every LUN gets a pending UNIT ATTENTION 29h/00h. */
void scsi_target_reset(struct scsi_target *t);
void scsi_target_reset_lun(struct scsi_target *t, uint32_t lun);
/* Run one command to LUN `lun` of the target (absent LUNs answer as SPC says). 0, or the
 * transport's negative errno from a data callback (the command's results are then invalid). */
int scsi_target_exec(struct scsi_target *t, uint32_t lun, struct scsi_cmd *c,
		     const struct scsi_xfer *x);
const struct scsi_stats *scsi_target_stats(const struct scsi_target *t);

/*
 * Asynchronous READ/WRITE (disks with hvb_disk_aio_submit: the file backend's io_uring). At
 * most SCSI_AIO_MAX commands of a target are in flight. scsi_target_exec_async runs one
 * command: a READ/WRITE whose data goes directly (x->iov) to a disk that takes asynchronous
 * requests is started and answers 1 (in flight: its data buffers, and whatever `tag` names,
 * must stay until scsi_target_reap returns it); anything else runs as scsi_target_exec does
 * (0 or its negative errno), after every command in flight has finished (a barrier: a FLUSH,
 * a staged READ or a reset sees the writes before it). A READ/WRITE that overlaps one in
 * flight on the same LUN where either writes waits for that one first, so that a WRITE
 * followed by a READ of the same blocks returns the written data. `tag` NULL: synchronous.
 */
#define SCSI_AIO_MAX 32u
int scsi_target_exec_async(struct scsi_target *t, uint32_t lun, struct scsi_cmd *c,
			   const struct scsi_xfer *x, void *tag);
/* Hand the started commands to the kernel (one system call per disk). */
void scsi_target_kick(struct scsi_target *t);
/* A finished command: 1 with *tag and *c (status, sense, in_len as scsi_target_exec leaves
 * them), -EFAULT with *tag (its data memory was not accessible: a DMA fault), or 0 if none is
 * finished (wait: block for one while any is in flight). */
int scsi_target_reap(struct scsi_target *t, bool wait, void **tag, struct scsi_cmd *c);
uint32_t scsi_target_inflight(const struct scsi_target *t);
/* Wait until no command in flight uses host memory [host, host+len) (before that memory is
 * unmapped); their results stay for scsi_target_reap. */
void scsi_target_quiesce(struct scsi_target *t, const void *host, uint64_t len);
/* Wait for every command in flight and drop them (device reset, destroy). */
void scsi_target_cancel(struct scsi_target *t);

#endif
