// SPDX-License-Identifier: MIT
/*
 * Tests for the virtio-scsi model's direct data path (issue 14): READ and WRITE data moves
 * between the disk backend and the guest's DMA buffers through the IOMMU translation
 * (hvb_dma_host, vq_iov, hvb_disk_readv/writev), with no stage in between. Data scattered over
 * descriptors of odd lengths that cross page boundaries, on RAM and on an image file whose bytes
 * are checked on disk; several requests made available before one notify; data descriptors
 * that are not mapped, mapped for the other direction, or whose host memory went away, refused
 * with a message (NEEDS_RESET), never a fault of the process.
 */
#include "../xtest.h"
#include "vscsi_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static struct guest G;

static void up(const char *config)
{
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(guest_create(&G, config, &err), 0);
	free(err);
	CU_ASSERT_EQUAL(guest_init(&G, 0) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	static const uint8_t tur[6] = {0};
	guest_scsi(&G, 0, 0, tur, 6, 0, 0); /* the power-on UNIT ATTENTION */
	CU_ASSERT_EQUAL(resp_sense(&G)[2], 0x06);
}

static void down(void)
{
	guest_destroy(&G);
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define NBYTES 8192u /* 16 blocks */

/* Data pieces: odd lengths and places, three of them crossing a page boundary, none adjacent to
 * the next (so none merge into one iovec). Offsets into guest memory. */
static const struct gseg W_PIECES[] = {
	{0x20001, 100, false}, {0x22f9c, 5000, false}, {0x26fff, 1, false}, {0x28800, 3091, false}};
static const struct gseg R_PIECES[] = {
	{0x30ffd, 7, true}, {0x33000, 4096, true}, {0x35f00, 4000, true}, {0x38003, 89, true}};

/* One READ(10)/WRITE(10) of NBYTES at lba with the data in `pieces` (4 of them). Returns the
 * used length (0 if nothing was used). */
static uint32_t rw_pieces(uint32_t lba, bool write, const struct gseg *pieces)
{
	uint8_t *req = G.mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	memset(G.mem + RESP_OFF, 0xee, RESP_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	uint8_t *cdb = req + 19;
	cdb[0] = write ? 0x2a : 0x28;
	xdrv_put_be32(cdb + 2, lba);
	xdrv_put_be16(cdb + 7, NBYTES / 512);
	struct gseg s[6];
	uint32_t n = 0;
	s[n++] = (struct gseg){REQ_OFF, REQ_SIZE, false};
	if (write)
		for (uint32_t i = 0; i < 4; i++)
			s[n++] = pieces[i];
	s[n++] = (struct gseg){RESP_OFF, RESP_SIZE, true};
	if (!write)
		for (uint32_t i = 0; i < 4; i++)
			s[n++] = pieces[i];
	uint16_t before = guest_used_idx(&G, 2);
	guest_submit(&G, 2, s, n);
	uint32_t id = 0, len = 0;
	if (guest_wait_used(&G, 2, (uint16_t)(before + 1)))
		guest_used(&G, 2, before, &id, &len);
	return len;
}

static void gather(const struct gseg *pieces, uint8_t *out)
{
	for (uint32_t i = 0, at = 0; i < 4; at += pieces[i].len, i++)
		memcpy(out + at, G.mem + pieces[i].off, pieces[i].len);
}

static void scatter(const struct gseg *pieces, const uint8_t *in)
{
	for (uint32_t i = 0, at = 0; i < 4; at += pieces[i].len, i++)
		memcpy(G.mem + pieces[i].off, in + at, pieces[i].len);
}

/* Write a pattern scattered, read it back scattered differently: same digest, moved directly. */
static void roundtrip(const char *config, const char *image)
{
	up(config);
	static uint8_t pat[NBYTES], back[NBYTES];
	for (uint32_t i = 0; i < NBYTES; i++)
		pat[i] = (uint8_t)(i * 13 + (i >> 9));
	scatter(W_PIECES, pat);
	CU_ASSERT_EQUAL(rw_pieces(40, true, W_PIECES), RESP_SIZE);
	CU_ASSERT_EQUAL(resp_response(&G), VIRTIO_SCSI_S_OK);
	CU_ASSERT_EQUAL(resp_status(&G), 0);
	CU_ASSERT_EQUAL(rw_pieces(40, false, R_PIECES), RESP_SIZE + NBYTES);
	CU_ASSERT_EQUAL(resp_status(&G), 0);
	gather(R_PIECES, back);
	CU_ASSERT_EQUAL(fnv(back, NBYTES), fnv(pat, NBYTES));
	if (image) { /* the bytes on disk, read past the model */
		memset(back, 0, NBYTES);
		int fd = open(image, O_RDONLY);
		CU_ASSERT_EQUAL(pread(fd, back, NBYTES, 40 * 512), (ssize_t)NBYTES);
		close(fd);
		CU_ASSERT_EQUAL(fnv(back, NBYTES), fnv(pat, NBYTES));
	}
	struct hvb_vscsi_stats st;
	CU_ASSERT_EQUAL(hvb_vscsi_get_stats(G.dev, &st), 0);
	CU_ASSERT_EQUAL(st.direct_bytes, 2u * NBYTES); /* no stage on either request */
	CU_ASSERT_EQUAL(st.bytes_read, NBYTES);
	CU_ASSERT_EQUAL(st.bytes_written, NBYTES);
	down();
}

static void test_scattered_data_on_ram_moves_directly(void)
{
	roundtrip("disk=ram:1M", NULL);
}

static void test_scattered_data_on_an_image_file_moves_directly(void)
{
	const char *img = xtest_path("%s/direct.img", xtest_tmpdir());
	static uint8_t zero[1 << 20];
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, zero, sizeof zero), 0);
	char config[600];
	snprintf(config, sizeof config, "disk=file:%s,aio=sync", img);
	roundtrip(config, img);
	/* the same through io_uring (aio=uring, the default): completed from the poll entry */
	snprintf(config, sizeof config, "disk=file:%s", img);
	roundtrip(config, img);
}

/* Four requests made available, then one notify: all four complete, each with its own data. */
static void test_several_requests_in_one_notify(void)
{
	up("disk=ram:1M");
	/* write 4 blocks of distinct bytes, one request each, all before the notify */
	for (uint32_t k = 0; k < 4; k++) {
		uint32_t base = 0x40000 + k * 0x2000;
		uint8_t *req = G.mem + base;
		memset(req, 0, REQ_SIZE);
		req[0] = 1;
		req[2] = 0x40;
		const uint8_t w10[10] = {0x2a, 0, 0, 0, 0, (uint8_t)(8 + k), 0, 0, 1, 0};
		memcpy(req + 19, w10, 10);
		memset(G.mem + base + 0x1000, 0xa0 + (int)k, 512);
		uint16_t head = (uint16_t)(k * 3);
		guest_desc(&G, 2, head, G.bus + base, REQ_SIZE, VIRTQ_DESC_F_NEXT,
			   (uint16_t)(head + 1));
		guest_desc(&G, 2, (uint16_t)(head + 1), G.bus + base + 0x1000, 512,
			   VIRTQ_DESC_F_NEXT, (uint16_t)(head + 2));
		guest_desc(&G, 2, (uint16_t)(head + 2), G.bus + base + 0x800, RESP_SIZE,
			   VIRTQ_DESC_F_WRITE, 0);
		guest_avail(&G, 2, head);
	}
	uint16_t before = guest_used_idx(&G, 2);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), (uint16_t)(before + 4));
	bool seen[4] = {false};
	for (uint16_t i = 0; i < 4; i++) {
		uint32_t id = 0, len = 0;
		guest_used(&G, 2, (uint16_t)(before + i), &id, &len);
		CU_ASSERT_TRUE(id % 3 == 0 && id / 3 < 4);
		if (id % 3 == 0 && id / 3 < 4)
			seen[id / 3] = true;
		CU_ASSERT_EQUAL(len, RESP_SIZE);
	}
	CU_ASSERT_TRUE(seen[0] && seen[1] && seen[2] && seen[3]);
	for (uint32_t k = 0; k < 4; k++)
		CU_ASSERT_EQUAL(G.mem[0x40000 + k * 0x2000 + 0x800 + 10], 0); /* GOOD */
	/* read the four blocks back in one request: each block is its request's bytes */
	static const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 8, 0, 0, 4, 0};
	CU_ASSERT_EQUAL(guest_scsi(&G, 0, 0, r10, 10, 2048, 2), RESP_SIZE + 2048);
	bool ok = true;
	for (uint32_t i = 0; i < 2048; i++)
		ok = ok && G.mem[DATA_OFF + i] == 0xa0 + i / 512;
	CU_ASSERT_TRUE(ok);
	down();
}

static void expect_refused(const char *msg)
{
	CU_ASSERT_NOT_EQUAL(g_rd(&G, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, msg));
	if (!strstr(G.log, msg))
		fprintf(stderr, "log was: %s\n", G.log);
}

/* A READ whose data descriptor is not mapped, or mapped only for the device to read: refused
 * before the disk is read, with a message. */
static void test_unmapped_or_read_only_data_is_refused(void)
{
	up("disk=ram:1M");
	uint8_t *req = G.mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
	memcpy(req + 19, r10, 10);
	guest_desc(&G, 2, 0, G.bus + REQ_OFF, REQ_SIZE, VIRTQ_DESC_F_NEXT, 1);
	guest_desc(&G, 2, 1, G.bus + RESP_OFF, RESP_SIZE, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		   2);
	guest_desc(&G, 2, 2, 0xdead0000ull, 4096, VIRTQ_DESC_F_WRITE, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_refused("command data buffer not accessible (unmapped bus address)");
	struct hvb_vscsi_stats st;
	hvb_vscsi_get_stats(G.dev, &st);
	CU_ASSERT_EQUAL(st.bytes_read, 0u);
	CU_ASSERT_EQUAL(st.direct_bytes, 0u);
	down();

	/* the same with a buffer the driver mapped TO_DEVICE: the device may not write it */
	up("disk=ram:1M");
	uint8_t *ro = aligned_alloc(4096, 4096);
	uint64_t ro_bus = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(G.dev, ro, 4096, XDRV_DMA_TO_DEVICE, &ro_bus, &err), 0);
	memset(ro, 0x5a, 4096);
	req = G.mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	memcpy(req + 19, r10, 10);
	guest_desc(&G, 2, 3, G.bus + REQ_OFF, REQ_SIZE, VIRTQ_DESC_F_NEXT, 4);
	guest_desc(&G, 2, 4, G.bus + RESP_OFF, RESP_SIZE, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		   5);
	guest_desc(&G, 2, 5, ro_bus, 4096, VIRTQ_DESC_F_WRITE, 0);
	guest_avail(&G, 2, 3);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_refused("command data buffer not accessible (unmapped bus address)");
	bool untouched = true;
	for (uint32_t i = 0; i < 4096; i++)
		untouched = untouched && ro[i] == 0x5a;
	CU_ASSERT_TRUE(untouched);
	down();
	free(ro);
}

/* Host memory behind a live mapping that the driver made inaccessible: the backend's transfer
 * fails (a fault guard for RAM, EFAULT from preadv for a file) and the request is refused. */
static void memory_gone(const char *config)
{
	up(config);
	uint8_t *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(buf != MAP_FAILED);
	uint64_t bus = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(G.dev, buf, 8192, XDRV_DMA_FROM_DEVICE, &bus, &err), 0);
	CU_ASSERT_EQUAL(mprotect(buf + 4096, 4096, PROT_NONE), 0);
	uint8_t *req = G.mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 16, 0};
	memcpy(req + 19, r10, 10);
	guest_desc(&G, 2, 0, G.bus + REQ_OFF, REQ_SIZE, VIRTQ_DESC_F_NEXT, 1);
	guest_desc(&G, 2, 1, G.bus + RESP_OFF, RESP_SIZE, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		   2);
	guest_desc(&G, 2, 2, bus, 8192, VIRTQ_DESC_F_WRITE, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	expect_refused("command data buffer not accessible");
	down();
	munmap(buf, 8192);
}

static void test_host_memory_gone_on_ram_is_refused(void)
{
	memory_gone("disk=ram:1M");
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "ram: iovec"));
}

static void test_host_memory_gone_on_a_file_is_refused(void)
{
	const char *img = xtest_path("%s/gone.img", xtest_tmpdir());
	static uint8_t zero[65536];
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, zero, sizeof zero), 0);
	char config[600];
	snprintf(config, sizeof config, "disk=file:%s,aio=sync", img);
	memory_gone(config);
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "Bad address")); /* preadv's or pread's EFAULT */
}

/* The same through io_uring: the EFAULT comes back in the completion, and the request is
 * refused from the poll entry. */
static void test_host_memory_gone_on_a_file_through_io_uring_is_refused(void)
{
	const char *img = xtest_path("%s/gone-uring.img", xtest_tmpdir());
	static uint8_t zero[65536];
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, zero, sizeof zero), 0);
	char config[600];
	snprintf(config, sizeof config, "disk=file:%s,aio=uring", img);
	up(config);
	uint8_t *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(buf != MAP_FAILED);
	uint64_t bus = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(G.dev, buf, 8192, XDRV_DMA_FROM_DEVICE, &bus, &err), 0);
	CU_ASSERT_EQUAL(mprotect(buf + 4096, 4096, PROT_NONE), 0);
	uint8_t *req = G.mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 16, 0};
	memcpy(req + 19, r10, 10);
	guest_desc(&G, 2, 0, G.bus + REQ_OFF, REQ_SIZE, VIRTQ_DESC_F_NEXT, 1);
	guest_desc(&G, 2, 1, G.bus + RESP_OFF, RESP_SIZE, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		   2);
	guest_desc(&G, 2, 2, bus, 8192, VIRTQ_DESC_F_WRITE, 0);
	guest_avail(&G, 2, 0);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	for (int i = 0; i < 100000 && !(g_rd(&G, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	     i++)
		hvb_device_poll(G.dev);
	expect_refused("command data buffer not accessible");
	CU_ASSERT_PTR_NOT_NULL(strstr(G.log, "DMA memory not accessible"));
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 1); /* only the TEST UNIT READY of up() */
	down();
	munmap(buf, 8192);
}

XTEST_SUITE(vscsi_direct, NULL, NULL, XTEST(test_scattered_data_on_ram_moves_directly),
	    XTEST(test_scattered_data_on_an_image_file_moves_directly),
	    XTEST(test_several_requests_in_one_notify),
	    XTEST(test_unmapped_or_read_only_data_is_refused),
	    XTEST(test_host_memory_gone_on_ram_is_refused),
	    XTEST(test_host_memory_gone_on_a_file_is_refused),
	    XTEST(test_host_memory_gone_on_a_file_through_io_uring_is_refused))
