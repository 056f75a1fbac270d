// SPDX-License-Identifier: MIT
/*
 * Tests for the virtio-scsi model's asynchronous READ/WRITE (issue 14, aio=uring): a file
 * disk's requests are started in the QueueNotify write and completed from hvb_device_poll
 * through io_uring, several in flight at once. Eight WRITEs then eight READs made available
 * before one notify each leave the same bytes on disk and in the buffers as aio=sync does; a
 * WRITE and a READ of the same blocks in one batch return the written bytes; a device reset or
 * destroy with requests in flight waits for them and completes none; a DMA unmap of a buffer in
 * flight returns only once the kernel is done with it; aio=sync and a bad aio= value.
 */
#include "../xtest.h"
#include "vscsi_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static struct guest G;

#define QD	8u
#define BLKS	8u /* 4 KiB per request */
#define BYTES	(BLKS * 512u)
#define AREA(k) (0x40000u + (k)*0x4000u) /* request k: header, response and data */

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

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Request k (k < QD) in slot `slot`: WRITE(10) or READ(10) of BLKS blocks at lba, two
 * descriptors each (header + data-out, or response + data-in: any layout), made available
 * without a notify. Data-out bytes at AREA(k) + REQ_SIZE, data-in at AREA(k) + 0x2000 +
 * RESP_SIZE. */
static void queue_rw(uint32_t slot, uint32_t k, bool write, uint32_t lba)
{
	uint8_t *req = G.mem + AREA(k);
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	uint8_t *cdb = req + 19;
	cdb[0] = write ? 0x2a : 0x28;
	xdrv_put_be32(cdb + 2, lba);
	xdrv_put_be16(cdb + 7, BLKS);
	memset(G.mem + AREA(k) + 0x2000, 0xee, RESP_SIZE);
	uint16_t head = (uint16_t)(2 * slot);
	uint32_t out_len = REQ_SIZE + (write ? BYTES : 0), in_len = RESP_SIZE + (write ? 0 : BYTES);
	guest_desc(&G, 2, head, G.bus + AREA(k), out_len, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
	guest_desc(&G, 2, (uint16_t)(head + 1), G.bus + AREA(k) + 0x2000, in_len,
		   VIRTQ_DESC_F_WRITE, 0);
	guest_avail(&G, 2, head);
}

static uint8_t *out_data(uint32_t k)
{
	return G.mem + AREA(k) + REQ_SIZE;
}

static uint8_t *in_data(uint32_t k)
{
	return G.mem + AREA(k) + 0x2000 + RESP_SIZE;
}

static uint8_t status_of(uint32_t k)
{
	return G.mem[AREA(k) + 0x2000 + 10];
}

static const char *image(const char *name)
{
	const char *img = xtest_path("%s/%s", xtest_tmpdir(), name);
	static uint8_t init[1 << 20];
	for (uint32_t i = 0; i < sizeof init; i++)
		init[i] = (uint8_t)(i * 7 + (i >> 12));
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, init, sizeof init), 0);
	return img;
}

static uint64_t file_digest(const char *img)
{
	static uint8_t b[1 << 20];
	int fd = open(img, O_RDONLY);
	ssize_t n = pread(fd, b, sizeof b, 0);
	close(fd);
	CU_ASSERT_EQUAL(n, (ssize_t)sizeof b);
	return fnv(b, sizeof b);
}

/* QD WRITEs, one notify, then QD READs of the same blocks, one notify: returns the digest of
 * the read data; *async gets the number of requests completed from the poll entry and
 * *inflight whether none had completed when the notify returned. */
static uint64_t qd_run(const char *aio, const char *img, uint64_t *file, uint64_t *async,
		       bool *inflight)
{
	char config[700];
	snprintf(config, sizeof config, "disk=file:%s,aio=%s", img, aio);
	up(config);
	*inflight = true;
	for (uint32_t pass = 0; pass < 2; pass++) {
		bool write = pass == 0;
		for (uint32_t k = 0; k < QD; k++) {
			if (write)
				for (uint32_t i = 0; i < BYTES; i++)
					out_data(k)[i] = (uint8_t)(k * 31 + i * 3 + (i >> 8));
			else
				memset(in_data(k), 0, BYTES);
			/* scattered over the disk, in descending order */
			queue_rw(k, k, write, 1000 - 100 * k);
		}
		uint16_t before = guest_used_idx(&G, 2);
		g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
		*inflight = *inflight && guest_used_idx(&G, 2) == before;
		CU_ASSERT_TRUE(guest_wait_used(&G, 2, (uint16_t)(before + QD)));
		for (uint32_t k = 0; k < QD; k++)
			CU_ASSERT_EQUAL(status_of(k), 0);
	}
	uint8_t all[QD * BYTES];
	for (uint32_t k = 0; k < QD; k++)
		memcpy(all + k * BYTES, in_data(k), BYTES);
	bool same = true;
	for (uint32_t k = 0; k < QD; k++)
		same = same && memcmp(in_data(k), out_data(k), BYTES) == 0;
	CU_ASSERT_TRUE(same);
	struct hvb_vscsi_stats st;
	CU_ASSERT_EQUAL(hvb_vscsi_get_stats(G.dev, &st), 0);
	*async = st.async_requests;
	CU_ASSERT_EQUAL(st.bytes_written, QD * BYTES);
	CU_ASSERT_EQUAL(st.bytes_read, QD * BYTES);
	CU_ASSERT_EQUAL(st.direct_bytes, 2 * QD * BYTES);
	guest_destroy(&G);
	*file = file_digest(img);
	return fnv(all, sizeof all);
}

static void test_qd8_writes_and_reads_match_the_sync_path(void)
{
	uint64_t fs, fu, as, au;
	bool is, iu;
	uint64_t ds = qd_run("sync", image("qd-sync.img"), &fs, &as, &is);
	uint64_t du = qd_run("uring", image("qd-uring.img"), &fu, &au, &iu);
	CU_ASSERT_EQUAL(du, ds);
	CU_ASSERT_EQUAL(fu, fs);
	CU_ASSERT_EQUAL(as, 0u); /* aio=sync: everything inside the notify */
	CU_ASSERT_FALSE(is);
	CU_ASSERT_EQUAL(au, 2u * QD); /* aio=uring: every READ/WRITE from the poll entry */
	CU_ASSERT_TRUE(iu);
}

/* A WRITE then a READ of the same blocks in one notify: the READ returns the written bytes. */
static void test_write_then_read_of_the_same_blocks_in_one_batch(void)
{
	char config[700];
	snprintf(config, sizeof config, "disk=file:%s", image("wr.img"));
	up(config);
	for (uint32_t round = 0; round < 20; round++) {
		for (uint32_t i = 0; i < BYTES; i++)
			out_data(0)[i] = (uint8_t)(round * 17 + i);
		memset(in_data(1), 0, BYTES);
		queue_rw(0, 0, true, 64);
		queue_rw(1, 1, false, 64 + 4); /* overlaps the second half of the WRITE */
		uint16_t before = guest_used_idx(&G, 2);
		g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
		CU_ASSERT_TRUE_FATAL(guest_wait_used(&G, 2, (uint16_t)(before + 2)));
		CU_ASSERT_EQUAL(memcmp(in_data(1), out_data(0) + 4 * 512, BYTES / 2), 0);
	}
	guest_destroy(&G);
}

/* Requests in flight when the driver resets the device: none is completed into the (reset)
 * rings, and the device works again after a new init. The same for a destroy. */
static void test_reset_and_destroy_with_requests_in_flight(void)
{
	char config[700];
	snprintf(config, sizeof config, "disk=file:%s", image("reset.img"));
	up(config);
	for (uint32_t k = 0; k < QD; k++)
		queue_rw(k, k, k % 2 == 0, 200 + 16 * k);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), 1); /* only the TEST UNIT READY of up() */
	g_wr(&G, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(hvb_device_poll(G.dev), 0);
	struct hvb_vscsi_stats st;
	CU_ASSERT_EQUAL(hvb_vscsi_get_stats(G.dev, &st), 0);
	CU_ASSERT_EQUAL(st.async_requests, 0u);
	memset(G.mem + g_qbase(2) + 0x200, 0, 0x100); /* a fresh used ring */
	CU_ASSERT_EQUAL(guest_init(&G, 0) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	static const uint8_t tur[6] = {0};
	CU_ASSERT_EQUAL(guest_scsi(&G, 0, 0, tur, 6, 0, 0), RESP_SIZE); /* the reset's UA */
	for (uint32_t i = 0; i < BYTES; i++)
		out_data(0)[i] = (uint8_t)(i ^ 0x5a);
	queue_rw(1, 0, true, 300);
	queue_rw(2, 1, false, 300);
	uint16_t before = guest_used_idx(&G, 2);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_TRUE(guest_wait_used(&G, 2, (uint16_t)(before + 2)));
	CU_ASSERT_EQUAL(memcmp(in_data(1), out_data(0), BYTES), 0);
	/* destroy with requests in flight: the backend waits before the memory is freed */
	for (uint32_t k = 0; k < 4; k++)
		queue_rw(3 + k, k, false, 400 + 8 * k);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	guest_destroy(&G);
}

/* The driver unmaps a buffer whose READ is in flight: the unmap returns once the data is in it,
 * and the request still completes afterwards. */
static void test_unmap_of_a_buffer_in_flight_waits_for_it(void)
{
	const char *img = image("unmap.img");
	char config[700];
	snprintf(config, sizeof config, "disk=file:%s", img);
	up(config);
	uint8_t *buf = aligned_alloc(4096, 8192);
	memset(buf, 0, 8192);
	uint64_t bus = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(G.dev, buf, 8192, XDRV_DMA_FROM_DEVICE, &bus, &err), 0);
	uint8_t *req = G.mem + AREA(0);
	memset(req, 0, REQ_SIZE);
	req[0] = 1;
	req[2] = 0x40;
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 16, 0, 0, 16, 0};
	memcpy(req + 19, r10, 10);
	guest_desc(&G, 2, 0, G.bus + AREA(0), REQ_SIZE, VIRTQ_DESC_F_NEXT, 1);
	guest_desc(&G, 2, 1, G.bus + AREA(0) + 0x2000, RESP_SIZE,
		   VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	guest_desc(&G, 2, 2, bus, 8192, VIRTQ_DESC_F_WRITE, 0);
	guest_avail(&G, 2, 0);
	uint16_t before = guest_used_idx(&G, 2);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), before);
	CU_ASSERT_EQUAL(hvb_dma_unmap(G.dev, bus, 8192), 0);
	uint8_t want[8192];
	int fd = open(img, O_RDONLY);
	CU_ASSERT_EQUAL(pread(fd, want, sizeof want, 16 * 512), (ssize_t)sizeof want);
	close(fd);
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof want), 0); /* done before the unmap returned */
	free(buf);
	CU_ASSERT_TRUE(guest_wait_used(&G, 2, (uint16_t)(before + 1)));
	CU_ASSERT_EQUAL(status_of(0), 0);
	guest_destroy(&G);
}

/* aio=sync completes inside the notify; a bad value is refused naming the key. */
static void test_aio_sync_and_a_bad_value(void)
{
	char config[700];
	snprintf(config, sizeof config, "disk=file:%s,aio=sync", image("sync.img"));
	up(config);
	queue_rw(0, 0, false, 8);
	uint16_t before = guest_used_idx(&G, 2);
	g_wr(&G, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	CU_ASSERT_EQUAL(guest_used_idx(&G, 2), (uint16_t)(before + 1));
	guest_destroy(&G);

	struct hvb_backend *be = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &be, &err), 0);
	CU_ASSERT_EQUAL(hvb_device_create(be, "virtio-scsi", "disk=ram:1M,aio=fast", &d, &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "aio=fast: expected uring or sync") : NULL);
	free(err);
	hvb_backend_destroy(be);
}

XTEST_SUITE(vscsi_aio, NULL, NULL, XTEST(test_qd8_writes_and_reads_match_the_sync_path),
	    XTEST(test_write_then_read_of_the_same_blocks_in_one_batch),
	    XTEST(test_reset_and_destroy_with_requests_in_flight),
	    XTEST(test_unmap_of_a_buffer_in_flight_waits_for_it),
	    XTEST(test_aio_sync_and_a_bad_value))
