// SPDX-License-Identifier: MIT
/*
 * hvb-diskbench: the cost of the virtio-scsi device model and its disk backend alone, with no
 * driver: a minimal in-process guest (one request queue, one descriptor chain reused) issues
 * READ(10)/WRITE(10) through checked register writes and IOMMU-mapped memory, as a driver would,
 * and the same access pattern is run with pread/pwrite on the image file as the ceiling. It
 * tells how much of a driver benchmark's time is the model's, not the driver's.
 *
 *   hvb-diskbench [--seconds S] DISK-SPEC      e.g. ram:256M, file:/var/tmp/d.img
 *
 * Prints one Markdown table: 4 KiB random read and write IOPS, 1 MiB sequential read and write
 * MB/s, for the model and (file: disks) for pread/pwrite on the same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/dma.h>
#include <xdrv/endian.h>
#include <xdrv/hvb.h>
#include <xdrv/util.h>
#include <xdrv/virtio_scsi.h>

#define MEM	(2u << 20) /* guest memory: rings, headers, then a 1 MiB data buffer */
#define QN	16u
#define DESC	0x0000u
#define AVAIL	0x1000u
#define USED	0x2000u
#define REQ	0x3000u
#define RESP	0x4000u
#define DATA	0x100000u
#define REQ_SZ	VIRTIO_SCSI_CMD_REQ_SIZE(VIRTIO_SCSI_CDB_DEFAULT)
#define RESP_SZ VIRTIO_SCSI_CMD_RESP_SIZE(VIRTIO_SCSI_SENSE_DEFAULT)

struct bench {
	struct hvb_backend *be;
	struct hvb_device *dev;
	uint8_t *mem;
	uint64_t bus;
	uint16_t avail;
	uint64_t blocks;
};

static void wr(struct bench *b, uint32_t off, uint32_t v)
{
	hvb_reg_write(b->dev, 0, off, 4, v);
}

static void desc(struct bench *b, uint16_t i, uint32_t off, uint32_t len, uint16_t flags)
{
	uint8_t *d = b->mem + DESC + (size_t)16 * i;
	xdrv_put_le64(d, b->bus + off);
	xdrv_put_le32(d + 8, len);
	xdrv_put_le16(d + 12, flags);
	xdrv_put_le16(d + 14, (uint16_t)(i + 1));
}

/* One command; returns 0 for GOOD status, -EIO otherwise. */
static int cmd(struct bench *b, uint8_t op, uint64_t lba, uint32_t nblocks)
{
	if (!b->mem)
		return -EIO;
	uint8_t *req = b->mem + REQ;
	uint32_t len = nblocks * HVB_VSCSI_BLOCK;
	req[19] = op;
	xdrv_put_be32(req + 19 + 2, (uint32_t)lba);
	xdrv_put_be16(req + 19 + 7, (uint16_t)nblocks);
	desc(b, 0, REQ, REQ_SZ, VIRTQ_DESC_F_NEXT);
	if (op == 0x2a) {
		desc(b, 1, DATA, len, VIRTQ_DESC_F_NEXT);
		desc(b, 2, RESP, RESP_SZ, VIRTQ_DESC_F_WRITE);
	} else {
		desc(b, 1, RESP, RESP_SZ, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
		desc(b, 2, DATA, len, VIRTQ_DESC_F_WRITE);
	}
	xdrv_put_le16(b->mem + AVAIL + 4 + (size_t)2 * (b->avail % QN), 0);
	b->avail++;
	xdrv_put_le16(b->mem + AVAIL + 2, b->avail);
	wr(b, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_SCSI_QUEUE_REQUEST);
	wr(b, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	if (xdrv_get_le16(b->mem + USED + 2) != b->avail)
		return -EIO;
	return b->mem[RESP + 10] == 0 && b->mem[RESP + 11] == 0 ? 0 : -EIO;
}

static int setup(struct bench *b, const char *spec, char **err)
{
	char config[1100];
	if (xdrv_snprintf(config, sizeof config, "disk=%s,queue_size=%u", spec, QN))
		return xdrv_err(err, -EINVAL, "disk spec too long");
	int rc = hvb_backend_create("native", NULL, &b->be, err);
	if (!rc)
		rc = hvb_device_create(b->be, "virtio-scsi", config, &b->dev, err);
	if (rc)
		return rc;
	b->mem = aligned_alloc(4096, MEM);
	if (!b->mem)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memset(b->mem, 0, MEM);
	rc = hvb_dma_map(b->dev, b->mem, MEM, XDRV_DMA_BIDIRECTIONAL, &b->bus, err);
	if (rc)
		return rc;
	uint64_t f = 1ull << VIRTIO_F_VERSION_1;
	wr(b, VIRTIO_MMIO_STATUS, 3);
	wr(b, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(b, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	wr(b, VIRTIO_MMIO_STATUS, 0xb);
	wr(b, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_SCSI_QUEUE_REQUEST);
	wr(b, VIRTIO_MMIO_QUEUE_NUM, QN);
	wr(b, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(b->bus + DESC));
	wr(b, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((b->bus + DESC) >> 32));
	wr(b, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(b->bus + AVAIL));
	wr(b, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((b->bus + AVAIL) >> 32));
	wr(b, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(b->bus + USED));
	wr(b, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((b->bus + USED) >> 32));
	wr(b, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(b, VIRTIO_MMIO_STATUS, 0xf);
	if (hvb_reg_read(b->dev, 0, VIRTIO_MMIO_STATUS, 4) != 0xf)
		return xdrv_err(err, -EIO, "device did not accept the driver");
	b->mem[REQ] = 1;
	b->mem[REQ + 2] = 0x40;
	b->blocks = hvb_vscsi_lun_blocks(b->dev, 0);
	if (b->blocks < 2048 || b->blocks > 0xffffffffu)
		return xdrv_err(err, -EINVAL, "disk '%s': need 1 MiB .. 2 TiB", spec);
	cmd(b, 0x00, 0, 0); /* the power-on unit attention */
	return 0;
}

/* xorshift: the same pseudo-random LBAs for the model and the ceiling */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

enum { RAND_READ, RAND_WRITE, SEQ_READ, SEQ_WRITE, NKIND };
static const char *const kind_name[NKIND] = {"4 KiB random read", "4 KiB random write",
					     "1 MiB sequential read", "1 MiB sequential write"};

/* Run `kind` for `seconds` through the model (fd < 0) or pread/pwrite on fd. Returns ops/s, or
 * a negative value on an I/O error. */
static double run(struct bench *b, int fd, int kind, double seconds)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull, ops = 0, seq = 0;
	uint32_t n = kind >= SEQ_READ ? 2048 : 8;
	bool write = kind == RAND_WRITE || kind == SEQ_WRITE;
	uint64_t t0 = xdrv_now_ns(), limit = (uint64_t)(seconds * 1e9);
	if (b->blocks < 2ull * n)
		return -1;
	while (xdrv_now_ns() - t0 < limit) {
		for (int k = 0; k < 16; k++, ops++) {
			uint64_t lba;
			if (kind >= SEQ_READ) {
				lba = seq;
				seq = seq + n + n > b->blocks ? 0 : seq + n;
			} else {
				lba = next_rand(&seed) % (b->blocks / n) * n;
			}
			int rc;
			if (fd < 0) {
				rc = cmd(b, write ? 0x2a : 0x28, lba, n);
			} else {
				size_t len = (size_t)n * HVB_VSCSI_BLOCK;
				off_t off = (off_t)(lba * HVB_VSCSI_BLOCK);
				ssize_t r = write ? pwrite(fd, b->mem + DATA, len, off)
						  : pread(fd, b->mem + DATA, len, off);
				rc = r == (ssize_t)len ? 0 : -EIO;
			}
			if (rc)
				return -1;
		}
	}
	return (double)ops * 1e9 / (double)(xdrv_now_ns() - t0);
}

static void print_row(int kind, double model, double ceiling)
{
	bool mb = kind >= SEQ_READ;
	const char *unit = mb ? "MB/s" : "IOPS";
	double scale = mb ? 1.048576 : 1.0;
	if (ceiling > 0)
		printf("| %s | %.0f %s | %.0f %s | %.2f |\n", kind_name[kind], model * scale, unit,
		       ceiling * scale, unit, model / ceiling);
	else
		printf("| %s | %.0f %s | - | - |\n", kind_name[kind], model * scale, unit);
}

int main(int argc, char **argv)
{
	double seconds = 1.0;
	int a = 1;
	if (argc > 2 && strcmp(argv[1], "--seconds") == 0) {
		seconds = atof(argv[2]);
		a = 3;
	}
	if (argc != a + 1 || seconds <= 0 || seconds > 600) {
		fprintf(stderr,
			"usage: hvb-diskbench [--seconds S (0..600)] DISK-SPEC\n"
			"  e.g. hvb-diskbench ram:256M; hvb-diskbench file:/var/tmp/d.img\n");
		return 2;
	}
	const char *spec = argv[a];
	struct bench b = {0};
	char *err = NULL;
	int fd = -1, status = 0;
	if (setup(&b, spec, &err)) {
		fprintf(stderr, "hvb-diskbench: %s\n", err ? err : "setup failed");
		free(err);
		status = 1;
		goto out;
	}
	if (strncmp(spec, "file:", 5) == 0 && (fd = open(spec + 5, O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "hvb-diskbench: %s: %s\n", spec + 5, strerror(errno));
		status = 1;
		goto out;
	}
	printf("| %s, %.1f s each | virtio-scsi model | pread/pwrite | model / ceiling |\n", spec,
	       seconds);
	printf("| --- | --- | --- | --- |\n");
	for (int k = 0; k < NKIND; k++) {
		double m = run(&b, -1, k, seconds), c = fd >= 0 ? run(&b, fd, k, seconds) : 0;
		if (m < 0 || c < 0) {
			fprintf(stderr, "hvb-diskbench: %s: I/O failed\n", kind_name[k]);
			status = 1;
			break;
		}
		print_row(k, m, c);
	}
out:
	if (fd >= 0)
		close(fd);
	hvb_backend_destroy(b.be);
	free(b.mem);
	return status;
}
