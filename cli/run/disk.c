// SPDX-License-Identifier: MIT
/*
 * `xdrv run`, disk side (see run_disk.h): block I/O and raw SCSI commands from the command line.
 *
 *   --blk-write DISK:LBA:FILE          FILE's bytes at LBA (the last block padded with zeros)
 *   --blk-read  DISK:LBA:COUNT:FILE    COUNT blocks from LBA into FILE (created or truncated)
 *   --blk-flush DISK                   flush the disk's write cache
 *   --blk-randread DISK:COUNT[:BYTES]  COUNT reads of BYTES (default 4096) at random aligned
 *                                      places; IOPS and the latency's median and spread
 *   --blk-seqread DISK:COUNT[:BYTES]   the same, one place after the other (wrapping at the end)
 *   --blk-qd N                         requests in flight for the two above (1..256, default 1)
 *   --scsi      CDB[,in=N][,out=FILE][,target=T][,lun=L]
 *                                      a CDB in hex (spaces allowed) to SCSI host 0; in=N reads N
 *                                      bytes and prints them in hex, out=FILE sends FILE's bytes
 *
 * Transfers go through ldr_blk_io in pieces of at most CHUNK bytes, so a file of any size can be
 * written. Output is for people and for tests' grep: one line per operation.
 */
#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>

#define CHUNK	    (4u << 20) /* bytes per ldr_blk_io call */
#define SCSI_IO_MAX (16u << 20)
#define HEXDUMP_MAX 512u

#define QD_MAX 256u

enum { OP_WRITE, OP_READ, OP_FLUSH, OP_SCSI, OP_RANDREAD, OP_SEQREAD };

struct run_disk_op {
	struct run_disk_op *next;
	int kind;
	char disk[32];
	uint64_t lba, count;
	char *file;
	FILE *f; /* the file, opened by run_disk_open (before a driver host confines itself) */
	uint8_t *data; /* OP_SCSI out=FILE: its bytes, read by run_disk_open */
	size_t data_len;
	/* OP_SCSI */
	uint8_t cdb[XDRV_SCSI_CDB_MAX];
	uint32_t cdb_len, target, lun, in_len;
	const char *arg; /* the option's text, for messages */
};

void run_disk_usage(FILE *f)
{
	fprintf(f,
		"disk operations (run in order after probe, for drivers with block devices or a "
		"SCSI host):\n"
		"  --blk-write DISK:LBA:FILE        write FILE at block LBA of DISK (e.g. sda); "
		"the\n"
		"                                   last block is padded with zeros\n"
		"  --blk-read DISK:LBA:COUNT:FILE   read COUNT blocks from LBA into FILE\n"
		"  --blk-flush DISK                 flush DISK's write cache (SYNCHRONIZE CACHE)\n"
		"  --blk-randread DISK:COUNT[:BYTES]  COUNT reads of BYTES (default 4096) at "
		"random\n"
		"                                   aligned offsets; prints IOPS and latencies\n"
		"  --blk-seqread DISK:COUNT[:BYTES]  the same, one offset after the other\n"
		"  --blk-qd N                       requests in flight for --blk-randread and\n"
		"                                   --blk-seqread (1..256, default 1)\n"
		"  --scsi CDB[,in=N][,out=FILE][,target=T][,lun=L]\n"
		"                                   send a CDB (hex, spaces allowed) to SCSI host "
		"0;\n"
		"                                   in=N: read N bytes and print them in hex;\n"
		"                                   out=FILE: send FILE's bytes. CHECK CONDITION\n"
		"                                   prints the sense key, ASC and ASCQ with names\n"
		"  A failing operation stops the rest; xdrv run then exits 1.\n"
		"\n");
}

int run_disk_is_option(int code)
{
	return code >= RUN_DISK_OPT_WRITE && code <= RUN_DISK_OPT_QD;
}

static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	char buf[32];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (buf[0] == '-' || buf[0] == '+' || buf[0] == ' ')
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Split "a:b:c..." into exactly `n` fields, the last one taking the rest (a path may hold ':'). */
static int split(const char *arg, const char **f, size_t *len, int n)
{
	const char *p = arg;
	for (int i = 0; i < n - 1; i++) {
		const char *c = strchr(p, ':');
		if (!c)
			return -1;
		f[i] = p;
		len[i] = (size_t)(c - p);
		p = c + 1;
	}
	f[n - 1] = p;
	len[n - 1] = strlen(p);
	for (int i = 0; i < n; i++)
		if (len[i] == 0)
			return -1;
	return 0;
}

static int set_disk(struct run_disk_op *op, const char *s, size_t n)
{
	if (n >= sizeof op->disk)
		return -1;
	memcpy(op->disk, s, n);
	op->disk[n] = 0;
	return 0;
}

static int parse_scsi(struct run_disk_op *op, const char *arg, char **err)
{
	const char *p = arg;
	int nib = -1;
	for (; *p && *p != ','; p++) {
		if (*p == ' ' || *p == ':')
			continue;
		int v = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
						 : -1;
		if (v < 0)
			return xdrv_err(err, -EINVAL,
					"--scsi %s: '%c' in the CDB is not a hex digit", arg, *p);
		if (nib < 0) {
			nib = v;
			continue;
		}
		if (op->cdb_len == XDRV_SCSI_CDB_MAX)
			return xdrv_err(err, -EINVAL, "--scsi %s: CDB longer than %u bytes", arg,
					XDRV_SCSI_CDB_MAX);
		op->cdb[op->cdb_len++] = (uint8_t)(nib << 4 | v);
		nib = -1;
	}
	if (nib >= 0 || op->cdb_len == 0)
		return xdrv_err(err, -EINVAL,
				"--scsi %s: CDB wants whole bytes in hex (e.g. '00 00 "
				"00 00 00 00')",
				arg);
	while (*p == ',') {
		const char *item = ++p;
		const char *end = strchr(item, ',');
		size_t n = end ? (size_t)(end - item) : strlen(item);
		uint64_t v;
		if (n > 3 && strncmp(item, "in=", 3) == 0 &&
		    parse_u64(item + 3, n - 3, SCSI_IO_MAX, &v) == 0 && v)
			op->in_len = (uint32_t)v;
		else if (n > 4 && strncmp(item, "out=", 4) == 0 && !op->file)
			op->file = strndup(item + 4, n - 4);
		else if (n > 7 && strncmp(item, "target=", 7) == 0 &&
			 parse_u64(item + 7, n - 7, UINT32_MAX, &v) == 0)
			op->target = (uint32_t)v;
		else if (n > 4 && strncmp(item, "lun=", 4) == 0 &&
			 parse_u64(item + 4, n - 4, 255, &v) == 0)
			op->lun = (uint32_t)v;
		else
			return xdrv_err(err, -EINVAL,
					"--scsi %s: bad item '%.*s' (in=BYTES up to 16 MiB, "
					"out=FILE, target=T, lun=0..255)",
					arg, (int)n, item);
		p = item + n;
	}
	if (op->in_len && op->file)
		return xdrv_err(err, -EINVAL, "--scsi %s: in= and out= exclude each other", arg);
	return 0;
}

int run_disk_parse(struct run_disk *rd, int code, const char *arg, char **err)
{
	if (code == RUN_DISK_OPT_QD) {
		uint64_t qd = 0;
		if (parse_u64(arg, strlen(arg), QD_MAX, &qd) || !qd)
			return xdrv_err(err, -EINVAL, "--blk-qd wants 1..%u, not %s", QD_MAX, arg);
		rd->qd = (unsigned)qd;
		return 0;
	}
	struct run_disk_op *op = calloc(1, sizeof *op);
	if (!op)
		return xdrv_err(err, -ENOMEM, "out of memory");
	op->arg = arg;
	const char *f[4];
	size_t n[4];
	int rc = 0;
	switch (code) {
	case RUN_DISK_OPT_WRITE:
		op->kind = OP_WRITE;
		if (split(arg, f, n, 3) || set_disk(op, f[0], n[0]) ||
		    parse_u64(f[1], n[1], UINT64_MAX, &op->lba) || !(op->file = strdup(f[2])))
			rc = xdrv_err(err, -EINVAL, "--blk-write wants DISK:LBA:FILE, not %s", arg);
		break;
	case RUN_DISK_OPT_READ:
		op->kind = OP_READ;
		if (split(arg, f, n, 4) || set_disk(op, f[0], n[0]) ||
		    parse_u64(f[1], n[1], UINT64_MAX, &op->lba) ||
		    parse_u64(f[2], n[2], UINT32_MAX, &op->count) || !op->count ||
		    !(op->file = strdup(f[3])))
			rc = xdrv_err(err, -EINVAL,
				      "--blk-read wants DISK:LBA:COUNT:FILE (COUNT 1..%u), not %s",
				      UINT32_MAX, arg);
		break;
	case RUN_DISK_OPT_FLUSH:
		op->kind = OP_FLUSH;
		if (!*arg || set_disk(op, arg, strlen(arg)))
			rc = xdrv_err(err, -EINVAL, "--blk-flush wants a disk name, not '%s'", arg);
		break;
	case RUN_DISK_OPT_SCSI:
		op->kind = OP_SCSI;
		rc = parse_scsi(op, arg, err);
		break;
	case RUN_DISK_OPT_RANDREAD:
	case RUN_DISK_OPT_SEQREAD: {
		const char *name =
			code == RUN_DISK_OPT_SEQREAD ? "--blk-seqread" : "--blk-randread";
		op->kind = code == RUN_DISK_OPT_SEQREAD ? OP_SEQREAD : OP_RANDREAD;
		int parts = split(arg, f, n, 3) == 0 ? 3 : split(arg, f, n, 2) == 0 ? 2 : 0;
		op->in_len = 4096;
		uint64_t bytes = 4096;
		if (!parts || set_disk(op, f[0], n[0]) ||
		    parse_u64(f[1], n[1], 100000000, &op->count) || !op->count ||
		    (parts == 3 && (parse_u64(f[2], n[2], CHUNK, &bytes) || !bytes)))
			rc = xdrv_err(err, -EINVAL,
				      "%s wants DISK:COUNT[:BYTES] (COUNT 1..100000000, "
				      "BYTES up to %u), not %s",
				      name, CHUNK, arg);
		op->in_len = (uint32_t)bytes;
		break;
	}
	default:
		rc = xdrv_err(err, -EINVAL, "not a disk option: %d", code);
	}
	if (rc) {
		free(op->file);
		if (op->f)
			fclose(op->f);
		free(op->data);
		free(op);
		return rc;
	}
	if (rd->tail)
		rd->tail->next = op;
	else
		rd->head = op;
	rd->tail = op;
	rd->count++;
	return 0;
}

int run_disk_open(struct run_disk *rd, char **err)
{
	for (struct run_disk_op *op = rd->head; op; op = op->next) {
		if (!op->file || op->f || op->data)
			continue;
		if (op->kind == OP_SCSI) {
			int rc = xdrv_read_file(op->file, SCSI_IO_MAX, &op->data, &op->data_len,
						err);
			if (rc)
				return rc;
			if (!op->data && !(op->data = malloc(1))) /* an empty file was read */
				return xdrv_err(err, -ENOMEM, "out of memory");
			continue;
		}
		bool in = op->kind == OP_WRITE; /* --blk-write reads the file */
		/* --blk-read's file is truncated when the read runs, not now: an earlier
		 * --blk-write may read the same file */
		int fd = open(op->file, in ? O_RDONLY | O_CLOEXEC : O_WRONLY | O_CREAT | O_CLOEXEC,
			      0666);
		op->f = fd >= 0 ? fdopen(fd, in ? "rb" : "wb") : NULL;
		if (fd >= 0 && !op->f)
			close(fd);
		if (!op->f)
			return xdrv_err(err, -errno, "--blk-%s %s: %s: %s", in ? "write" : "read",
					op->arg, op->file, strerror(errno));
	}
	return 0;
}

void run_disk_free(struct run_disk *rd)
{
	struct run_disk_op *op = rd ? rd->head : NULL;
	while (op) {
		struct run_disk_op *next = op->next;
		free(op->file);
		free(op);
		op = next;
	}
	if (rd)
		memset(rd, 0, sizeof *rd);
}

static struct ldr_blkdev *find_disk(struct ldr_driver *drv, const char *name)
{
	for (uint32_t i = 0; i < 16; i++) {
		struct ldr_blkdev *bd = ldr_driver_blkdev(drv, i);
		if (bd && strcmp(ldr_blk_name(bd), name) == 0)
			return bd;
	}
	return NULL;
}

/* "12.345 ms, 812.3 MB/s" in a static buffer (one call per printf). The time includes reading
 * or writing the local file. */
static const char *rate(uint64_t bytes, uint64_t ns)
{
	static char buf[64];
	double ms = (double)ns / 1e6;
	if (ns)
		snprintf(buf, sizeof buf, "%.3f ms, %.1f MB/s", ms,
			 (double)bytes / 1e6 / (ms / 1e3));
	else
		snprintf(buf, sizeof buf, "%.3f ms", ms);
	return buf;
}

/* run_disk_exec_live's hook, for the operation running (NULL: none) */
static const struct run_disk_live *live_now;

static void between_requests(void)
{
	if (live_now && live_now->pump)
		live_now->pump(live_now->ctx, false);
}

static int do_write(const struct run_disk_op *op, struct ldr_blkdev *bd, FILE *out, char **err)
{
	uint32_t bs = ldr_blk_block_size(bd);
	FILE *f = op->f;
	if (!f)
		return xdrv_err(err, -EBADF, "--blk-write %s: %s is not open", op->arg, op->file);
	uint8_t *buf = malloc(CHUNK);
	uint64_t lba = op->lba, bytes = 0, t0 = xdrv_now_ns();
	int rc = buf ? 0 : xdrv_err(err, -ENOMEM, "out of memory");
	while (rc == 0) {
		size_t got = fread(buf, 1, CHUNK, f);
		if (got == 0) {
			if (ferror(f))
				rc = xdrv_err(err, -EIO, "--blk-write %s: reading %s failed",
					      op->arg, op->file);
			break;
		}
		uint32_t blocks = (uint32_t)((got + bs - 1) / bs);
		memset(buf + got, 0, (size_t)blocks * bs - got);
		rc = ldr_blk_io(bd, XDRV_BLK_WRITE, lba, blocks, buf, err);
		lba += blocks;
		bytes += got;
		between_requests();
	}
	if (rc == 0)
		fprintf(out,
			"blk: %s: wrote %" PRIu64 " bytes (%" PRIu64
			" blocks) from %s at lba %" PRIu64 " in %s\n",
			ldr_blk_name(bd), bytes, lba - op->lba, op->file, op->lba,
			rate(bytes, xdrv_now_ns() - t0));
	free(buf);
	return rc;
}

static int do_read(const struct run_disk_op *op, struct ldr_blkdev *bd, FILE *out, char **err)
{
	uint32_t bs = ldr_blk_block_size(bd);
	uint64_t nb = ldr_blk_num_blocks(bd);
	if (op->lba >= nb || op->count > nb - op->lba)
		return xdrv_err(err, -ERANGE,
				"--blk-read %s: blocks %" PRIu64 "..%" PRIu64
				" are beyond the end of %s (%" PRIu64
				" blocks); the host does not send such a request (use --scsi to "
				"see what the device answers)",
				op->arg, op->lba, op->lba + op->count - 1, ldr_blk_name(bd), nb);
	FILE *f = op->f;
	if (!f || ftruncate(fileno(f), 0) != 0)
		return xdrv_err(err, f ? -errno : -EBADF, "--blk-read %s: %s: %s", op->arg,
				op->file, f ? strerror(errno) : "not open");
	uint8_t *buf = malloc(CHUNK);
	int rc = buf ? 0 : xdrv_err(err, -ENOMEM, "out of memory");
	uint32_t per = CHUNK / bs;
	uint64_t t0 = xdrv_now_ns();
	for (uint64_t done = 0; rc == 0 && done < op->count;) {
		uint32_t n = op->count - done < per ? (uint32_t)(op->count - done) : per;
		rc = ldr_blk_io(bd, XDRV_BLK_READ, op->lba + done, n, buf, err);
		if (rc == 0 && fwrite(buf, bs, n, f) != n)
			rc = xdrv_err(err, -EIO, "--blk-read %s: writing %s failed", op->arg,
				      op->file);
		done += n;
		between_requests();
	}
	if (fflush(f) != 0 && rc == 0)
		rc = xdrv_err(err, -EIO, "--blk-read %s: writing %s failed", op->arg, op->file);
	if (rc == 0)
		fprintf(out,
			"blk: %s: read %" PRIu64 " blocks (%" PRIu64 " bytes) at lba %" PRIu64
			" into %s in %s\n",
			ldr_blk_name(bd), op->count, op->count * bs, op->lba, op->file,
			rate(op->count * bs, xdrv_now_ns() - t0));
	free(buf);
	return rc;
}

static void hexdump(FILE *out, const uint8_t *p, uint64_t n)
{
	uint64_t shown = n < HEXDUMP_MAX ? n : HEXDUMP_MAX;
	for (uint64_t i = 0; i < shown; i += 16) {
		fprintf(out, "scsi:   %04" PRIx64 ":", i);
		for (uint64_t j = i; j < i + 16 && j < shown; j++)
			fprintf(out, " %02x", p[j]);
		fputc('\n', out);
	}
	if (shown < n)
		fprintf(out, "scsi:   ... %" PRIu64 " more bytes\n", n - shown);
}

static int do_scsi(const struct run_disk_op *op, struct ldr_driver *drv, FILE *out, char **err)
{
	struct ldr_scsi_host *h = ldr_driver_scsi_host(drv, 0);
	if (!h)
		return xdrv_err(err, -ENODEV, "--scsi %s: the driver registered no SCSI host",
				op->arg);
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t dir = XDRV_SCSI_DIR_NONE;
	int rc = 0;
	if (op->file) {
		if (!op->data)
			return xdrv_err(err, -EBADF, "--scsi %s: %s was not read", op->arg,
					op->file);
		len = op->data_len;
		if (len && !(buf = malloc(len)))
			return xdrv_err(err, -ENOMEM, "out of memory");
		if (len)
			memcpy(buf, op->data, len);
		dir = len ? XDRV_SCSI_DIR_TO_DEVICE : XDRV_SCSI_DIR_NONE;
	} else if (op->in_len) {
		len = op->in_len;
		if (!(buf = calloc(1, len)))
			return xdrv_err(err, -ENOMEM, "out of memory");
		dir = XDRV_SCSI_DIR_FROM_DEVICE;
	}
	uint32_t status = 0, sense_len = 0;
	uint8_t sense[XDRV_SCSI_SENSE_MAX];
	char *xerr = NULL;
	rc = ldr_scsi_exec(h, op->target, op->lun, op->cdb, op->cdb_len, dir, buf, len, &status,
			   sense, &sense_len, &xerr);
	fprintf(out, "scsi: cdb");
	for (uint32_t i = 0; i < op->cdb_len; i++)
		fprintf(out, " %02x", op->cdb[i]);
	fprintf(out, " to %u:%u: ", op->target, op->lun);
	if (rc) {
		fprintf(out, "host error\n");
		rc = xdrv_err(err, rc, "--scsi %s: %s", op->arg, xerr ? xerr : "failed");
	} else if (status == XDRV_SCSI_STATUS_GOOD) {
		fprintf(out, "GOOD\n");
		if (dir == XDRV_SCSI_DIR_FROM_DEVICE)
			hexdump(out, buf, len);
	} else if (status == XDRV_SCSI_STATUS_CHECK_CONDITION) {
		char text[200];
		ldr_scsi_sense_describe(sense, sense_len, NULL, NULL, NULL, text, sizeof text);
		fprintf(out, "CHECK CONDITION\nscsi: %s\nscsi: sense data (%u bytes):", text,
			sense_len);
		for (uint32_t i = 0; i < sense_len; i++)
			fprintf(out, " %02x", sense[i]);
		fputc('\n', out);
		rc = xdrv_err(err, -EIO, "--scsi %s: CHECK CONDITION, %s", op->arg, text);
	} else {
		fprintf(out, "status 0x%02x\n", status);
		rc = xdrv_err(err, -EIO, "--scsi %s: SCSI status 0x%02x", op->arg, status);
	}
	free(xerr);
	free(buf);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* COUNT reads of in_len bytes at random block-aligned places (xorshift, fixed seed: the same
 * places every run) or one place after the other, `qd` in flight (ldr_blk_start/ldr_blk_wait,
 * one buffer each, which the driver reads into directly: LDR_BLK_NOCOPY): IOPS over the whole,
 * latency (start to completion) percentiles. */
static int do_randread(const struct run_disk_op *op, struct ldr_blkdev *bd, unsigned qd, FILE *out,
		       char **err)
{
	const char *name = op->kind == OP_SEQREAD ? "--blk-seqread" : "--blk-randread";
	uint32_t bs = ldr_blk_block_size(bd);
	uint64_t nb = ldr_blk_num_blocks(bd);
	uint32_t blocks = (op->in_len + bs - 1) / bs;
	if (!blocks || nb < blocks || !op->count)
		return xdrv_err(err, -ERANGE, "%s %s: %s has %" PRIu64 " blocks", name, op->arg,
				ldr_blk_name(bd), nb);
	if (qd > op->count)
		qd = (unsigned)op->count;
	if (qd == 0)
		qd = 1;
	uint64_t places = nb / blocks, x = 0x9e3779b97f4a7c15ull, next = 0;
	size_t bytes = (size_t)blocks * bs;
	uint8_t *buf = malloc(bytes * qd);
	uint64_t *lat = calloc(op->count, sizeof *lat);
	uint64_t t_start[QD_MAX];
	struct ldr_blk_req *reqs[QD_MAX] = {0};
	int rc = buf && lat ? 0 : xdrv_err(err, -ENOMEM, "out of memory");
	uint64_t t0 = xdrv_now_ns(), issued = 0, done = 0;
	while (rc == 0 && done < op->count) {
		for (unsigned k = 0; rc == 0 && k < qd && issued < op->count; k++) {
			if (reqs[k])
				continue;
			uint64_t place;
			if (op->kind == OP_SEQREAD) {
				place = next++ % places;
			} else {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				place = x % places;
			}
			t_start[k] = xdrv_now_ns();
			rc = ldr_blk_start(bd, XDRV_BLK_READ, place * blocks, blocks,
					   buf + bytes * k, LDR_BLK_NOCOPY, &reqs[k], err);
			issued++;
		}
		if (rc)
			break;
		uint32_t k = UINT32_MAX;
		rc = ldr_blk_wait(bd, reqs, qd, &k, err);
		if (k >= qd)
			break; /* timed out: every request is abandoned */
		lat[done++] = xdrv_now_ns() - t_start[k];
		reqs[k] = NULL;
		between_requests(); /* the others still in flight */
	}
	/* after a failure, the rest still in flight: wait for them (they own their buffers) */
	for (uint32_t k = 0; rc && k != UINT32_MAX;) {
		bool any = false;
		for (unsigned i = 0; i < qd; i++)
			any = any || reqs[i];
		if (!any)
			break;
		char *e2 = NULL;
		ldr_blk_wait(bd, reqs, qd, &k, &e2);
		free(e2);
		if (k < qd)
			reqs[k] = NULL;
	}
	uint64_t total = xdrv_now_ns() - t0;
	if (rc == 0) {
		qsort(lat, op->count, sizeof *lat, cmp_u64);
		uint64_t med = lat[op->count / 2], p99 = lat[op->count * 99 / 100];
		fprintf(out,
			"blk: %s: %" PRIu64 " %s reads of %u bytes in %.3f ms, %.0f IOPS; latency "
			"us min %.1f median %.1f p99 %.1f max %.1f; %.1f MB/s, %u in flight\n",
			ldr_blk_name(bd), op->count,
			op->kind == OP_SEQREAD ? "sequential" : "random", blocks * bs,
			(double)total / 1e6, (double)op->count / ((double)total / 1e9),
			(double)lat[0] / 1e3, (double)med / 1e3, (double)p99 / 1e3,
			(double)lat[op->count - 1] / 1e3,
			(double)op->count * blocks * bs / 1e6 / ((double)total / 1e9), qd);
	}
	free(lat);
	/* a request abandoned at a timeout may still be written into later: keep its buffer */
	bool abandoned = false;
	for (unsigned i = 0; i < qd; i++)
		abandoned = abandoned || reqs[i];
	if (!abandoned)
		free(buf);
	return rc;
}

int run_disk_exec(const struct run_disk *rd, struct ldr_driver *drv, FILE *out, char **err)
{
	const struct run_disk_live live = {.drvp = &drv};
	return run_disk_exec_live(rd, &live, out, err);
}

static int exec_ops(const struct run_disk *rd, const struct run_disk_live *live, FILE *out,
		    char **err)
{
	struct ldr_driver *drv = *live->drvp;
	for (uint32_t i = 0; i < 16; i++) {
		struct ldr_blkdev *bd = ldr_driver_blkdev(drv, i);
		if (!bd)
			continue;
		uint64_t nb = ldr_blk_num_blocks(bd);
		uint32_t bs = ldr_blk_block_size(bd);
		fprintf(out, "blk: %s: %" PRIu64 " blocks of %u bytes (%" PRIu64 " MiB)\n",
			ldr_blk_name(bd), nb, bs, nb * bs >> 20);
	}
	for (const struct run_disk_op *op = rd->head; op; op = op->next) {
		int rc;
		drv = *live->drvp; /* a live update between two operations replaced it */
		if (op->kind == OP_SCSI) {
			rc = do_scsi(op, drv, out, err);
		} else {
			struct ldr_blkdev *bd = find_disk(drv, op->disk);
			if (!bd)
				return xdrv_err(err, -ENODEV,
						"%s: the driver registered no disk %s", op->arg,
						op->disk);
			if (op->kind == OP_WRITE)
				rc = do_write(op, bd, out, err);
			else if (op->kind == OP_READ)
				rc = do_read(op, bd, out, err);
			else if (op->kind == OP_RANDREAD || op->kind == OP_SEQREAD)
				rc = do_randread(op, bd, rd->qd, out, err);
			else if ((rc = ldr_blk_io(bd, XDRV_BLK_FLUSH, 0, 0, NULL, err)) == 0)
				fprintf(out, "blk: %s: flushed\n", op->disk);
		}
		fflush(out);
		if (rc)
			return rc;
	}
	return 0;
}

int run_disk_exec_live(const struct run_disk *rd, const struct run_disk_live *live, FILE *out,
		       char **err)
{
	live_now = live;
	int rc = exec_ops(rd, live, out, err);
	live_now = NULL;
	return rc;
}
