// SPDX-License-Identifier: MIT
/*
 * A SCSI target of direct-access disks (SPC-4 / SBC-3 subset), independent of the transport.
 * Each LUN is a disk backend (xdrv/hvb_disk.h) with 512-byte logical blocks.
 *
 * Commands:
 *   00h TEST UNIT READY          03h REQUEST SENSE (fixed format only; DESC=1 is an error)
 *   12h INQUIRY (standard data, VPD pages 00h supported pages, 80h serial, 83h identification)
 *   1Ah MODE SENSE(6), 5Ah MODE SENSE(10): pages 08h caching, 0Ah control, 3Fh all; PC current,
 *       changeable, default (saved: 39h/00h SAVING PARAMETERS NOT SUPPORTED); an 8-byte block
 *       descriptor unless DBD
 *   25h READ CAPACITY(10), 9Eh/10h READ CAPACITY(16) (SERVICE ACTION IN(16))
 *   28h/88h READ(10/16), 2Ah/8Ah WRITE(10/16) (FUA: flush after the write)
 *   35h/91h SYNCHRONIZE CACHE(10/16): the backend's flush
 *   A0h REPORT LUNS (select report 0, 1, 2; peripheral LUN addressing)
 * Everything else: CHECK CONDITION, ILLEGAL REQUEST, 20h/00h. Sense data is fixed format
 * (70h), 18 bytes. Errors: LBA out of range 21h/00h; invalid field in CDB 24h/00h (also a
 * transfer above the maximum); write to a read-only disk DATA PROTECT 27h/00h; backend failure
 * MEDIUM ERROR 11h/00h (read) or 0Ch/00h (write, flush); absent LUN ILLEGAL REQUEST 25h/00h.
 * UNIT ATTENTION 29h/00h is pending per LUN after power-on and resets, reported once to the
 * first command other than INQUIRY, REPORT LUNS and REQUEST SENSE (which returns and clears it).
 */
#include "scsi_disk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>

#include "../hvb_priv.h"

/* space-padded ASCII fields, not strings */
static const uint8_t VENDOR[8] = {'X', 'D', 'R', 'V', ' ', ' ', ' ', ' '};
static const uint8_t PRODUCT[16] = {'V', 'I', 'R', 'T', 'I', 'O', '-', 'S',
				    'C', 'S', 'I', ' ', 'D', 'I', 'S', 'K'};
static const uint8_t REVISION[4] = {'1', '.', '0', ' '};

struct scsi_lun {
	struct hvb_disk *disk;
	uint64_t blocks;
	bool ua; /* UNIT ATTENTION pending */
	char serial[32];
	/* SCSI_STAGE_SIZE bytes for READ/WRITE data: the disk's own (hvb_disk_buffer: blkfront's
	 * granted pages, no copy in the backend), or the target's stage */
	uint8_t *stage;
};

/* One asynchronous READ/WRITE in flight. */
struct scsi_aio {
	struct hvb_disk_aio a;
	struct iovec *iov; /* HVB_DISK_IOV_MAX, allocated at the first use of the slot */
	void *tag;
	uint32_t lun;
	uint64_t lba, blocks;
	bool busy;
};

struct scsi_target {
	struct scsi_lun luns[SCSI_MAX_LUNS];
	struct scsi_aio aio[SCSI_AIO_MAX];
	uint32_t inflight;
	uint32_t nluns;
	uint32_t max_xfer_blocks;
	char serial[24];
	uint8_t *stage; /* SCSI_STAGE_SIZE, for the LUNs whose disk has no buffer of its own */
	struct iovec iov[HVB_DISK_IOV_MAX]; /* one command's data, for hvb_disk_readv/writev */
	struct scsi_stats st;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* ---- target lifecycle ------------------------------------------------------------------------ */

int scsi_target_create(const char *serial, uint32_t max_xfer_blocks, struct scsi_target **out,
		       char **err)
{
	*out = NULL;
	struct scsi_target *t = calloc(1, sizeof *t);
	uint8_t *stage = malloc(SCSI_STAGE_SIZE);
	if (!t || !stage) {
		free(t);
		free(stage);
		return xdrv_err(err, -ENOMEM, "scsi target: out of memory");
	}
	t->stage = stage;
	t->max_xfer_blocks = max_xfer_blocks ? max_xfer_blocks : 0xffff;
	snprintf(t->serial, sizeof t->serial, "%.16s", serial && *serial ? serial : "xdrv");
	*out = t;
	return 0;
}

int scsi_target_add(struct scsi_target *t, struct hvb_disk *disk, char **err)
{
	if (t->nluns >= SCSI_MAX_LUNS)
		return xdrv_err(err, -E2BIG, "scsi target: at most %u LUNs", SCSI_MAX_LUNS);
	struct scsi_lun *l = &t->luns[t->nluns];
	l->disk = disk;
	l->blocks = hvb_disk_size(disk) / SCSI_BLOCK;
	l->ua = true;
	l->stage = hvb_disk_buffer(disk, SCSI_STAGE_SIZE);
	if (!l->stage)
		l->stage = t->stage;
	snprintf(l->serial, sizeof l->serial, "%s-%u", t->serial, t->nluns);
	t->nluns++;
	return 0;
}

void scsi_target_destroy(struct scsi_target *t)
{
	if (!t)
		return;
	scsi_target_cancel(t);
	for (uint32_t i = 0; i < SCSI_AIO_MAX; i++)
		free(t->aio[i].iov);
	for (uint32_t i = 0; i < t->nluns; i++)
		hvb_disk_close(t->luns[i].disk);
	free(t->stage);
	free(t);
}

uint32_t scsi_target_luns(const struct scsi_target *t)
{
	return t ? t->nluns : 0;
}

uint64_t scsi_target_lun_blocks(const struct scsi_target *t, uint32_t lun)
{
	return t && lun < t->nluns ? t->luns[lun].blocks : 0;
}

void scsi_target_reset(struct scsi_target *t)
{
	for (uint32_t i = 0; i < t->nluns; i++)
		t->luns[i].ua = true;
}

void scsi_target_reset_lun(struct scsi_target *t, uint32_t lun)
{
	if (lun < t->nluns)
		t->luns[lun].ua = true;
}

const struct scsi_stats *scsi_target_stats(const struct scsi_target *t)
{
	return &t->st;
}

/* ---- completion helpers ---------------------------------------------------------------------- */

static void sense_fixed(uint8_t *s, uint8_t key, uint8_t asc, uint8_t ascq)
{
	memset(s, 0, SCSI_SENSE_LEN);
	s[0] = 0x70; /* current error, fixed format */
	s[2] = key;
	s[7] = SCSI_SENSE_LEN - 8; /* additional sense length */
	s[12] = asc;
	s[13] = ascq;
}

static int check(struct scsi_target *t, struct scsi_cmd *c, uint8_t key, uint8_t asc, uint8_t ascq)
{
	c->status = SCSI_STATUS_CHECK_CONDITION;
	sense_fixed(c->sense, key, asc, ascq);
	c->sense_len = SCSI_SENSE_LEN;
	t->st.check_conditions++;
	return 0;
}

#define INVALID_OPCODE(t, c) check(t, c, SENSE_ILLEGAL_REQUEST, 0x20, 0x00)
#define LBA_RANGE(t, c)	     check(t, c, SENSE_ILLEGAL_REQUEST, 0x21, 0x00)
#define INVALID_FIELD(t, c)  check(t, c, SENSE_ILLEGAL_REQUEST, 0x24, 0x00)
#define LUN_ABSENT(t, c)     check(t, c, SENSE_ILLEGAL_REQUEST, 0x25, 0x00)

/* Return `len` bytes of parameter data, cut to the allocation length and the buffer. */
static int data_in(struct scsi_cmd *c, const struct scsi_xfer *x, const void *buf, uint64_t len,
		   uint64_t alloc)
{
	if (len > alloc)
		len = alloc;
	if (len > c->in_cap)
		len = c->in_cap;
	int rc = x->put_in(x->ctx, 0, buf, len);
	if (rc)
		return rc;
	c->in_len = len;
	return 0;
}

/* ---- commands -------------------------------------------------------------------------------- */

static void inquiry_standard(uint8_t *b, bool present)
{
	memset(b, 0, 36);
	b[0] = present ? 0x00 : 0x7f; /* direct access block device / no LU */
	b[2] = 0x06;		      /* SPC-4 */
	b[3] = 0x12;		      /* HISUP, response data format 2 */
	b[4] = 36 - 5;
	b[7] = 0x02; /* CMDQUE */
	memcpy(b + 8, VENDOR, 8);
	memcpy(b + 16, PRODUCT, 16);
	memcpy(b + 32, REVISION, 4);
}

static int cmd_inquiry(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
		       const struct scsi_xfer *x)
{
	const uint8_t *cdb = c->cdb;
	uint8_t b[64];
	uint16_t alloc = be16(cdb + 3);
	uint8_t pq = l ? 0x00 : 0x7f;
	if (cdb[1] & 0xfe) /* CMDDT (obsolete) or reserved bits */
		return INVALID_FIELD(t, c);
	if (!(cdb[1] & 1)) {
		if (cdb[2])
			return INVALID_FIELD(t, c);
		inquiry_standard(b, l != NULL);
		return data_in(c, x, b, 36, alloc);
	}
	memset(b, 0, sizeof b);
	b[0] = pq;
	b[1] = cdb[2];
	size_t n;
	const char *serial = l ? l->serial : t->serial;
	size_t slen = strlen(serial);
	switch (cdb[2]) {
	case 0x00: /* supported VPD pages */
		b[3] = 3;
		b[4] = 0x00;
		b[5] = 0x80;
		b[6] = 0x83;
		n = 7;
		break;
	case 0x80: /* unit serial number */
		b[3] = (uint8_t)slen;
		memcpy(b + 4, serial, slen);
		n = 4 + slen;
		break;
	case 0x83: /* device identification: one T10 vendor ID designator, LU association */
		b[4] = 0x02; /* code set ASCII */
		b[5] = 0x01; /* association LU, designator type T10 vendor ID */
		b[7] = (uint8_t)(8 + slen);
		memcpy(b + 8, VENDOR, 8);
		memcpy(b + 16, serial, slen);
		n = 16 + slen;
		put_be16(b + 2, (uint16_t)(n - 4));
		break;
	default:
		return INVALID_FIELD(t, c);
	}
	return data_in(c, x, b, n, alloc);
}

static int cmd_request_sense(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
			     const struct scsi_xfer *x)
{
	uint8_t s[SCSI_SENSE_LEN];
	if (c->cdb[1] & 1) /* DESC: descriptor format not supported */
		return INVALID_FIELD(t, c);
	if (!l) {
		sense_fixed(s, SENSE_ILLEGAL_REQUEST, 0x25, 0x00);
	} else if (l->ua) {
		sense_fixed(s, SENSE_UNIT_ATTENTION, 0x29, 0x00);
		l->ua = false;
	} else {
		sense_fixed(s, SENSE_NO_SENSE, 0x00, 0x00);
	}
	return data_in(c, x, s, sizeof s, c->cdb[4]);
}

static int cmd_read_capacity10(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
			       const struct scsi_xfer *x)
{
	uint8_t b[8];
	if (!(c->cdb[8] & 1) && be32(c->cdb + 2)) /* LBA without PMI */
		return INVALID_FIELD(t, c);
	uint64_t last = l->blocks - 1;
	put_be32(b, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
	put_be32(b + 4, SCSI_BLOCK);
	return data_in(c, x, b, sizeof b, sizeof b);
}

static int cmd_read_capacity16(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
			       const struct scsi_xfer *x)
{
	uint8_t b[32] = {0};
	if ((c->cdb[1] & 0x1f) != 0x10) /* only READ CAPACITY(16) in SERVICE ACTION IN(16) */
		return INVALID_FIELD(t, c);
	put_be64(b, l->blocks - 1);
	put_be32(b + 8, SCSI_BLOCK);
	return data_in(c, x, b, sizeof b, be32(c->cdb + 10));
}

/* Mode pages into b, returning the length, or 0 for an unsupported page. pc: 0 current, 1
 * changeable, 2 default. */
static size_t mode_pages(uint8_t page, uint8_t pc, uint8_t *b)
{
	size_t n = 0;
	if (page == 0x08 || page == 0x3f) { /* caching */
		memset(b + n, 0, 20);
		b[n] = 0x08;
		b[n + 1] = 0x12;
		if (pc != 1)
			b[n + 2] = 0x04; /* WCE: writes may be cached until SYNCHRONIZE CACHE */
		n += 20;
	}
	if (page == 0x0a || page == 0x3f) { /* control */
		memset(b + n, 0, 12);
		b[n] = 0x0a;
		b[n + 1] = 0x0a;
		if (pc != 1)
			b[n + 3] = 0x10; /* QUEUE ALGORITHM MODIFIER 1: unrestricted reordering */
		n += 12;
	}
	return n;
}

static int cmd_mode_sense(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
			  const struct scsi_xfer *x, bool ten)
{
	const uint8_t *cdb = c->cdb;
	bool dbd = cdb[1] & 0x08;
	uint8_t pc = cdb[2] >> 6, page = cdb[2] & 0x3f, sub = cdb[3];
	uint32_t alloc = ten ? be16(cdb + 7) : cdb[4];
	uint8_t b[8 + 8 + 64];
	if (pc == 3)
		return check(t, c, SENSE_ILLEGAL_REQUEST, 0x39, 0x00);
	if (sub != 0 && !(page == 0x3f && sub == 0xff))
		return INVALID_FIELD(t, c);
	size_t hdr = ten ? 8 : 4, bd = dbd ? 0 : 8;
	memset(b, 0, sizeof b);
	size_t np = mode_pages(page, pc, b + hdr + bd);
	if (np == 0)
		return INVALID_FIELD(t, c);
	uint8_t devspec =
		(uint8_t)(0x10 | (hvb_disk_read_only(l->disk) ? 0x80 : 0)); /* DPOFUA, WP */
	if (bd) {
		uint8_t *d = b + hdr;
		uint32_t nb = l->blocks > 0xffffff ? 0xffffff : (uint32_t)l->blocks;
		d[1] = (uint8_t)(nb >> 16);
		d[2] = (uint8_t)(nb >> 8);
		d[3] = (uint8_t)nb;
		d[5] = (uint8_t)(SCSI_BLOCK >> 16);
		d[6] = (uint8_t)(SCSI_BLOCK >> 8);
		d[7] = (uint8_t)SCSI_BLOCK;
	}
	size_t total = hdr + bd + np;
	if (ten) {
		put_be16(b, (uint16_t)(total - 2));
		b[3] = devspec;
		put_be16(b + 6, (uint16_t)bd);
	} else {
		b[0] = (uint8_t)(total - 1);
		b[2] = devspec;
		b[3] = (uint8_t)bd;
	}
	return data_in(c, x, b, total, alloc);
}

static int cmd_report_luns(struct scsi_target *t, struct scsi_cmd *c, const struct scsi_xfer *x)
{
	uint8_t b[8 + 8 * SCSI_MAX_LUNS] = {0};
	uint8_t sel = c->cdb[2];
	if (sel > 2)
		return INVALID_FIELD(t, c);
	uint32_t alloc = be32(c->cdb + 6);
	if (alloc < 16)
		return INVALID_FIELD(t, c);
	put_be32(b, 8 * t->nluns);
	for (uint32_t i = 0; i < t->nluns; i++)
		b[8 + 8 * i + 1] = (uint8_t)i; /* peripheral device addressing, bus 0 */
	return data_in(c, x, b, 8 + 8 * (uint64_t)t->nluns, alloc);
}

static int medium_error(struct scsi_target *t, struct scsi_cmd *c, bool write, char **msg)
{
	t->st.backend_errors++;
	hvb_log("scsi target: %s", msg && *msg ? *msg : "backend I/O error");
	free(*msg);
	*msg = NULL;
	return check(t, c, SENSE_MEDIUM_ERROR, write ? 0x0c : 0x11, 0x00);
}

/*
 * READ/WRITE data straight between the disk backend and the transport's memory (the driver's
 * DMA buffers): 0 done; 1 completed with CHECK CONDITION (the backend failed); -EOPNOTSUPP or
 * -E2BIG (no direct path for this disk or this many pieces: the caller stages the data);
 * another negative errno abandons the command (the memory is not mapped, or went away).
 */
static int rw_direct(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
		     const struct scsi_xfer *x, bool write, uint64_t off, uint64_t bytes)
{
	if (!x->iov || !hvb_disk_has_iov(l->disk, write))
		return -EOPNOTSUPP;
	int n = x->iov(x->ctx, !write, 0, bytes, t->iov, HVB_DISK_IOV_MAX);
	if (n < 0)
		return n;
	if (n == 0)
		return -E2BIG; /* nothing to hand over: copy instead */
	char *msg = NULL;
	int rc = write ? hvb_disk_writev(l->disk, off, t->iov, (uint32_t)n, &msg)
		       : hvb_disk_readv(l->disk, off, t->iov, (uint32_t)n, &msg);
	if (rc == -EFAULT) {
		/* the driver's memory, not the disk: a DMA fault, as a failed copy would be */
		hvb_log("scsi target: %s", msg ? msg : "DMA memory not accessible");
		free(msg);
		return -EFAULT;
	}
	if (rc) {
		medium_error(t, c, write, &msg);
		return 1;
	}
	if (write)
		t->st.bytes_written += bytes;
	else
		t->st.bytes_read += bytes;
	t->st.direct_bytes += bytes;
	return 0;
}

static int cmd_rw(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
		  const struct scsi_xfer *x, bool write, bool sixteen)
{
	const uint8_t *cdb = c->cdb;
	uint64_t lba = sixteen ? be64(cdb + 2) : be32(cdb + 2);
	uint64_t n = sixteen ? be32(cdb + 10) : be16(cdb + 7);
	bool fua = cdb[1] & 0x08;
	if (cdb[1] & 0xe0) /* RDPROTECT/WRPROTECT: no protection information */
		return INVALID_FIELD(t, c);
	if (lba > l->blocks || n > l->blocks - lba)
		return LBA_RANGE(t, c);
	if (n > t->max_xfer_blocks)
		return INVALID_FIELD(t, c);
	if (write && hvb_disk_read_only(l->disk))
		return check(t, c, SENSE_DATA_PROTECT, 0x27, 0x00);
	uint64_t bytes = n * SCSI_BLOCK;
	if (bytes > (write ? c->out_len : c->in_cap)) {
		c->overrun = true;
		return 0;
	}
	char *msg = NULL;
	int rc = rw_direct(t, l, c, x, write, lba * SCSI_BLOCK, bytes);
	if (rc == 0)
		goto done;
	if (rc != -E2BIG && rc != -EOPNOTSUPP)
		return rc == 1 ? 0 : rc;
	for (uint64_t done = 0; done < bytes;) {
		uint64_t chunk = bytes - done > SCSI_STAGE_SIZE ? SCSI_STAGE_SIZE : bytes - done;
		uint64_t off = lba * SCSI_BLOCK + done;
		if (write) {
			rc = x->get_out(x->ctx, done, l->stage, chunk);
			if (rc)
				return rc;
			if (hvb_disk_write(l->disk, off, l->stage, chunk, &msg))
				return medium_error(t, c, true, &msg);
			t->st.bytes_written += chunk;
		} else {
			if (hvb_disk_read(l->disk, off, l->stage, chunk, &msg))
				return medium_error(t, c, false, &msg);
			rc = x->put_in(x->ctx, done, l->stage, chunk);
			if (rc)
				return rc;
			t->st.bytes_read += chunk;
		}
		done += chunk;
	}
done:
	if (write)
		t->st.writes++;
	else
		t->st.reads++;
	c->in_len = write ? 0 : bytes;
	if (write && fua && hvb_disk_flush(l->disk, &msg))
		return medium_error(t, c, true, &msg);
	return 0;
}

static int cmd_sync_cache(struct scsi_target *t, struct scsi_lun *l, struct scsi_cmd *c,
			  bool sixteen)
{
	const uint8_t *cdb = c->cdb;
	uint64_t lba = sixteen ? be64(cdb + 2) : be32(cdb + 2);
	uint64_t n = sixteen ? be32(cdb + 10) : be16(cdb + 7);
	if (lba > l->blocks || n > l->blocks - lba)
		return LBA_RANGE(t, c);
	char *msg = NULL;
	t->st.flushes++;
	if (hvb_disk_flush(l->disk, &msg))
		return medium_error(t, c, true, &msg);
	return 0;
}

/* CDB length by group code (SPC-4 4.2.5.1); 0 for groups with no commands here. */
static uint32_t cdb_length(uint8_t op)
{
	switch (op >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 4:
		return 16;
	case 5:
		return 12;
	default:
		return 0;
	}
}

int scsi_target_exec(struct scsi_target *t, uint32_t lun, struct scsi_cmd *c,
		     const struct scsi_xfer *x)
{
	c->status = SCSI_STATUS_GOOD;
	c->overrun = false;
	c->sense_len = 0;
	c->in_len = 0;
	t->st.commands++;
	if (c->cdb_len == 0)
		return INVALID_OPCODE(t, c);
	uint8_t op = c->cdb[0];
	uint32_t need = cdb_length(op);
	if (need == 0)
		return INVALID_OPCODE(t, c);
	if (c->cdb_len < need)
		return INVALID_FIELD(t, c);
	struct scsi_lun *l = lun < t->nluns ? &t->luns[lun] : NULL;
	switch (op) {
	case 0x12:
		return cmd_inquiry(t, l, c, x);
	case 0xa0:
		return cmd_report_luns(t, c, x);
	case 0x03:
		return cmd_request_sense(t, l, c, x);
	default:
		break;
	}
	if (!l)
		return LUN_ABSENT(t, c);
	if (l->ua) {
		l->ua = false;
		return check(t, c, SENSE_UNIT_ATTENTION, 0x29, 0x00);
	}
	switch (op) {
	case 0x00:
		return 0;
	case 0x1a:
		return cmd_mode_sense(t, l, c, x, false);
	case 0x5a:
		return cmd_mode_sense(t, l, c, x, true);
	case 0x25:
		return cmd_read_capacity10(t, l, c, x);
	case 0x9e:
		return cmd_read_capacity16(t, l, c, x);
	case 0x28:
		return cmd_rw(t, l, c, x, false, false);
	case 0x88:
		return cmd_rw(t, l, c, x, false, true);
	case 0x2a:
		return cmd_rw(t, l, c, x, true, false);
	case 0x8a:
		return cmd_rw(t, l, c, x, true, true);
	case 0x35:
		return cmd_sync_cache(t, l, c, false);
	case 0x91:
		return cmd_sync_cache(t, l, c, true);
	default:
		return INVALID_OPCODE(t, c);
	}
}

/* ---- asynchronous READ/WRITE ----------------------------------------------------------------- */

uint32_t scsi_target_inflight(const struct scsi_target *t)
{
	return t ? t->inflight : 0;
}

static void wait_all(struct scsi_target *t)
{
	for (uint32_t i = 0; t->inflight && i < SCSI_AIO_MAX; i++)
		if (t->aio[i].busy)
			hvb_disk_aio_wait(t->luns[t->aio[i].lun].disk, &t->aio[i].a);
}

/* 1 started, 0 completed here (c filled), 2 not for the asynchronous path (the caller runs it
 * synchronously), or a negative errno (the transport's memory). */
static int rw_async(struct scsi_target *t, uint32_t lun, struct scsi_cmd *c,
		    const struct scsi_xfer *x, void *tag)
{
	struct scsi_lun *l = &t->luns[lun];
	const uint8_t *cdb = c->cdb;
	uint8_t op = cdb[0];
	bool write = op == 0x2a || op == 0x8a, sixteen = op == 0x88 || op == 0x8a;
	if ((sixteen ? c->cdb_len < 16 : c->cdb_len < 10) || (cdb[1] & 0xe8))
		return 2; /* short CDB, protection or FUA: the synchronous path answers */
	uint64_t lba = sixteen ? be64(cdb + 2) : be32(cdb + 2);
	uint64_t n = sixteen ? be32(cdb + 10) : be16(cdb + 7);
	uint64_t bytes = n * SCSI_BLOCK;
	if (n == 0 || lba > l->blocks || n > l->blocks - lba || n > t->max_xfer_blocks ||
	    (write && hvb_disk_read_only(l->disk)) || bytes > (write ? c->out_len : c->in_cap))
		return 2; /* the errors are answered by cmd_rw */
	struct scsi_aio *s = NULL;
	for (uint32_t i = 0; i < SCSI_AIO_MAX && !s; i++)
		if (!t->aio[i].busy)
			s = &t->aio[i];
	if (!s)
		return 2;
	if (!s->iov && !(s->iov = malloc(HVB_DISK_IOV_MAX * sizeof *s->iov)))
		return 2;
	int k = x->iov(x->ctx, !write, 0, bytes, s->iov, HVB_DISK_IOV_MAX);
	if (k == 0 || k == -E2BIG)
		return 2;
	if (k < 0)
		return k;
	/* a command in flight on these blocks where either writes finishes first */
	for (uint32_t i = 0; i < SCSI_AIO_MAX; i++) {
		struct scsi_aio *o = &t->aio[i];
		if (o->busy && o->lun == lun && (write || o->a.write) && lba < o->lba + o->blocks &&
		    o->lba < lba + n)
			hvb_disk_aio_wait(l->disk, &o->a);
	}
	s->a = (struct hvb_disk_aio){.off = lba * SCSI_BLOCK,
				     .iov = s->iov,
				     .n = (uint32_t)k,
				     .write = write,
				     .user = s};
	char *msg = NULL;
	int rc = hvb_disk_aio_submit(l->disk, &s->a, &msg);
	if (rc == -EOPNOTSUPP)
		return 2;
	t->st.commands++;
	if (rc) {
		medium_error(t, c, write, &msg);
		return 0;
	}
	s->busy = true;
	s->tag = tag;
	s->lun = lun;
	s->lba = lba;
	s->blocks = n;
	t->inflight++;
	return 1;
}

int scsi_target_exec_async(struct scsi_target *t, uint32_t lun, struct scsi_cmd *c,
			   const struct scsi_xfer *x, void *tag)
{
	if (tag && x->iov && lun < t->nluns && !t->luns[lun].ua && c->cdb_len >= 10 &&
	    t->inflight < SCSI_AIO_MAX) {
		uint8_t op = c->cdb[0];
		if (op == 0x28 || op == 0x88 || op == 0x2a || op == 0x8a) {
			c->status = SCSI_STATUS_GOOD;
			c->overrun = false;
			c->sense_len = 0;
			c->in_len = 0;
			int r = rw_async(t, lun, c, x, tag);
			if (r != 2)
				return r;
		}
	}
	wait_all(t);
	return scsi_target_exec(t, lun, c, x);
}

void scsi_target_kick(struct scsi_target *t)
{
	for (uint32_t i = 0; t->inflight && i < t->nluns; i++)
		hvb_disk_aio_kick(t->luns[i].disk);
}

static struct hvb_disk_aio *reap_any(struct scsi_target *t, bool wait)
{
	for (uint32_t i = 0; i < t->nluns; i++) {
		if (!hvb_disk_aio_pending(t->luns[i].disk))
			continue;
		struct hvb_disk_aio *a = hvb_disk_aio_reap(t->luns[i].disk);
		if (a)
			return a;
	}
	for (uint32_t i = 0; wait && i < SCSI_AIO_MAX; i++) {
		if (!t->aio[i].busy)
			continue;
		struct hvb_disk *d = t->luns[t->aio[i].lun].disk;
		hvb_disk_aio_wait(d, &t->aio[i].a);
		return hvb_disk_aio_reap(d);
	}
	return NULL;
}

int scsi_target_reap(struct scsi_target *t, bool wait, void **tag, struct scsi_cmd *c)
{
	if (!t->inflight)
		return 0;
	struct hvb_disk_aio *a = reap_any(t, wait);
	if (!a)
		return 0;
	struct scsi_aio *s = a->user;
	struct scsi_lun *l = &t->luns[s->lun];
	int rc = 1;
	c->status = SCSI_STATUS_GOOD;
	c->overrun = false;
	c->sense_len = 0;
	c->in_len = 0;
	if (a->result == -EFAULT) {
		hvb_log("scsi target: disk '%s': %s %llu+%llu: DMA memory not accessible",
			hvb_disk_spec(l->disk), a->write ? "write" : "read",
			(unsigned long long)a->off, (unsigned long long)a->len);
		rc = -EFAULT;
	} else if (a->result) {
		char *msg = NULL;
		xdrv_err(&msg, a->result, "disk '%s': %s %llu+%llu: %s", hvb_disk_spec(l->disk),
			 a->write ? "write" : "read", (unsigned long long)a->off,
			 (unsigned long long)a->len, strerror(-a->result));
		medium_error(t, c, a->write, &msg);
	} else {
		if (a->write) {
			t->st.writes++;
			t->st.bytes_written += a->len;
		} else {
			t->st.reads++;
			t->st.bytes_read += a->len;
			c->in_len = a->len;
		}
		t->st.direct_bytes += a->len;
	}
	*tag = s->tag;
	s->busy = false;
	t->inflight--;
	return rc;
}

static bool overlaps(const struct scsi_aio *s, const uint8_t *p, uint64_t len)
{
	for (uint32_t i = 0; i < s->a.n; i++) {
		const uint8_t *b = s->iov[i].iov_base;
		if (b < p + len && p < b + s->iov[i].iov_len)
			return true;
	}
	return false;
}

void scsi_target_quiesce(struct scsi_target *t, const void *host, uint64_t len)
{
	for (uint32_t i = 0; t->inflight && i < SCSI_AIO_MAX; i++) {
		struct scsi_aio *s = &t->aio[i];
		if (s->busy && !s->a.done && (!host || overlaps(s, host, len)))
			hvb_disk_aio_wait(t->luns[s->lun].disk, &s->a);
	}
}

void scsi_target_cancel(struct scsi_target *t)
{
	if (!t)
		return;
	wait_all(t);
	for (uint32_t i = 0; i < t->nluns; i++)
		while (hvb_disk_aio_reap(t->luns[i].disk))
			;
	for (uint32_t i = 0; i < SCSI_AIO_MAX; i++)
		t->aio[i].busy = false;
	t->inflight = 0;
}
