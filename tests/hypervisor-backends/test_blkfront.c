// SPDX-License-Identifier: MIT
/*
 * Tests for the blkfront disk backend (xen/blkfront.c) over the loop transport, with the
 * backend in a forked child as on Xen (a separate process): xdrv-backd's vbd handler
 * (backd/backd_vbd.c) serving a ram: or file: disk, and a hostile backend written here that
 * answers the first request wrongly on purpose (unknown id, wrong operation, bad status, a
 * producer index beyond what was asked, no answer at all, ERROR) or publishes bad keys. Each
 * hostile case must fail the I/O with -EIO and a message naming the device and the field, and
 * leave this process standing. The zero-copy path (hvb_disk_buffer: I/O straight from the granted
 * pool) gives the same bytes as the copy path, alone and under the SCSI target's staging.
 */
#include "../xtest.h"
#include "../../hypervisor-backends/backd/backd_serve.h"
#include "../../hypervisor-backends/hvb_priv.h"
#include "../../hypervisor-backends/models/scsi_disk.h"
#include "../../hypervisor-backends/xen/xen_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/hvb_disk.h>

#ifdef XDRV_HAVE_XEN_HEADERS

static int has(const char *err, const char *want)
{
	int ok = err && strstr(err, want);
	if (!ok)
		fprintf(stderr, "expected '%s' in '%s'\n", want, err ? err : "(null)");
	return ok;
}

/* ---- the backend child ----------------------------------------------------------------------- */

enum hostile {
	H_NONE,	       /* xdrv-backd's vbd handler */
	H_UNKNOWN_ID,  /* answers with an id never asked */
	H_WRONG_OP,    /* answers a READ as a WRITE */
	H_BAD_STATUS,  /* status 7 */
	H_PROD_JUMP,   /* rsp_prod 5 beyond the one answer */
	H_SILENT,      /* never answers */
	H_ERROR,       /* answers every request with ERROR */
	H_PLAIN,       /* answers every request with OKAY, moves no data (no indirect offered) */
	H_SECTOR_4K,   /* keys: sector-size 4096 */
	H_SECTORS_BAD, /* keys: sectors "12abc" */
	H_REVERSE      /* answers every 4 requests in reverse order, READ pages filled */
};

/* The vbd handler, served as xdrv-backd's child would: until the frontend goes. */
static int serve_vbd(struct xt *t, const char *spec)
{
	void *priv = NULL;
	char *err = NULL;
	struct backd_dev_cfg dev = {.type = "vbd", .spec = spec};
	if (backd_vbd_ops.start(t, &dev, &priv, &err)) {
		fprintf(stderr, "backend: start: %s\n", err);
		return 4;
	}
	int rc = 0;
	for (;;) {
		/* and the disk's completions (io_uring's eventfd), as xdrv-backd polls them */
		struct pollfd p[3] = {{.fd = xt_event_fd(t), .events = POLLIN},
				      {.fd = xt_ctl_fd(t), .events = POLLIN}};
		int nf = backd_vbd_ops.fds(priv, &p[2].fd, 1);
		p[2].events = POLLIN;
		if (poll(p, 2 + (nfds_t)nf, 10000) <= 0) {
			rc = 5; /* the test never idles this long */
			break;
		}
		if (p[1].revents) {
			int c = xt_ctl_process(t, &err);
			if (c == -ENOTCONN)
				break;
			if (c) {
				rc = 6;
				break;
			}
			int st = xt_peer_state(t);
			if (st == XT_CLOSING || st == XT_CLOSED)
				break;
		}
		if (backd_vbd_ops.run(priv, &err)) {
			fprintf(stderr, "backend: run: %s\n", err);
			rc = 7;
			break;
		}
	}
	backd_vbd_ops.stop(priv);
	free(err);
	return rc;
}

/* H_REVERSE's answer to `req`: OKAY, a READ's pages filled with its sector's low byte. */
static void reverse_answer(struct xt *t, blkif_back_ring_t *ring, const blkif_request_t *req)
{
	for (unsigned i = 0; req->operation == BLKIF_OP_READ && i < req->nr_segments && i < 11;
	     i++) {
		uint32_t ref = req->seg[i].gref;
		char *err = NULL;
		uint8_t *pg = xt_map(t, &ref, 1, &err);
		free(err);
		if (pg) {
			memset(pg, (uint8_t)req->sector_number, XT_PAGE);
			xt_unmap(t, pg, 1);
		}
	}
	blkif_response_t *rsp = RING_GET_RESPONSE(ring, ring->rsp_prod_pvt);
	rsp->id = req->id;
	rsp->operation = req->operation;
	rsp->status = BLKIF_RSP_OKAY;
	ring->rsp_prod_pvt++;
}

/* A backend that completes the handshake and then answers the first request wrongly. */
static int serve_hostile(struct xt *t, enum hostile h)
{
	char *err = NULL;
	xt_write(t, "sectors", h == H_SECTORS_BAD ? "12abc" : "8192");
	xt_write(t, "sector-size", "%u", h == H_SECTOR_4K ? 4096 : 512);
	xt_write(t, "info", "0");
	xt_write(t, "feature-flush-cache", "1");
	if (xt_set_state(t, XT_INITWAIT, &err) || xt_wait_peer_state(t, XT_INITIALISED, &err))
		return 10;
	uint64_t ref = 0;
	if (xt_read_u64(t, "ring-ref", 0, UINT32_MAX, 0, &ref, &err))
		return 11;
	uint32_t r = (uint32_t)ref;
	blkif_sring_t *s = xt_map(t, &r, 1, &err);
	if (!s)
		return 12;
	blkif_back_ring_t ring;
	BACK_RING_INIT(&ring, s, XT_PAGE);
	if (xt_set_state(t, XT_CONNECTED, &err))
		return 13;
	bool answered = false;
	blkif_request_t held[4];
	unsigned nheld = 0;
	for (;;) {
		struct pollfd p[2] = {{.fd = xt_event_fd(t), .events = POLLIN},
				      {.fd = xt_ctl_fd(t), .events = POLLIN}};
		if (poll(p, 2, 10000) <= 0)
			return 14;
		if (p[1].revents) {
			if (xt_ctl_process(t, &err) == -ENOTCONN)
				break;
			int st = xt_peer_state(t);
			if (st == XT_CLOSING || st == XT_CLOSED)
				break;
		}
		xt_event_ack(t);
		int more = 1;
		while (more) {
			RING_IDX prod = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE);
			while (ring.req_cons != prod) {
				blkif_request_t req;
				RING_COPY_REQUEST(&ring, ring.req_cons, &req);
				ring.req_cons++;
				if (h == H_REVERSE) {
					held[nheld++] = req;
					if (nheld < 4)
						continue;
					while (nheld) /* the last one first */
						reverse_answer(t, &ring, &held[--nheld]);
					RING_PUSH_RESPONSES(&ring);
					xt_notify(t);
					continue;
				}
				if (h == H_SILENT || (answered && h != H_ERROR && h != H_PLAIN))
					continue;
				blkif_response_t *rsp = RING_GET_RESPONSE(&ring, ring.rsp_prod_pvt);
				rsp->id = h == H_UNKNOWN_ID ? req.id ^ 0x5a00 : req.id;
				rsp->operation = h == H_WRONG_OP ? BLKIF_OP_WRITE : req.operation;
				rsp->status = h == H_BAD_STATUS ? 7
					      : h == H_ERROR	? BLKIF_RSP_ERROR
								: BLKIF_RSP_OKAY;
				ring.rsp_prod_pvt++;
				if (h == H_PROD_JUMP)
					ring.rsp_prod_pvt += 5;
				RING_PUSH_RESPONSES(&ring);
				xt_notify(t);
				answered = true;
			}
			RING_FINAL_CHECK_FOR_REQUESTS(&ring, more);
		}
	}
	free(err);
	return 0;
}

struct child {
	pid_t pid;
	char sock[256];
};

/* Fork the backend; returns once it listens. The frontend then finds it through the process
 * defaults (transport=loop, its socket). */
static void child_start(struct child *c, enum hostile h, const char *spec, unsigned timeout_ms)
{
	static unsigned n;
	snprintf(c->sock, sizeof c->sock, "%s/backd.%u.sock", xtest_tmpdir(), n++);
	int p[2];
	CU_ASSERT_FATAL(pipe(p) == 0);
	c->pid = fork();
	CU_ASSERT_FATAL(c->pid >= 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		struct xt_listener *l = NULL;
		struct xt *t = NULL;
		char *err = NULL;
		if (xt_listen(c->sock, &l, &err)) {
			fprintf(stderr, "backend: listen: %s\n", err);
			_exit(2);
		}
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		close(p[1]);
		if (xt_accept(l, &t, &err)) {
			fprintf(stderr, "backend: accept: %s\n", err);
			_exit(3);
		}
		int rc = h == H_NONE ? serve_vbd(t, spec) : serve_hostile(t, h);
		xt_disconnect(t);
		xt_listener_close(l);
		_exit(rc);
	}
	close(p[1]);
	char b;
	CU_ASSERT_EQUAL(read(p[0], &b, 1), 1);
	close(p[0]);
	char opts[512], *err = NULL;
	snprintf(opts, sizeof opts, "transport=loop,socket=%s,timeout=%u", c->sock, timeout_ms);
	CU_ASSERT_EQUAL(xt_default_set(opts, &err), 0);
	free(err);
}

/* The child's exit status once the frontend has gone (killed after 10 s: a failure). */
static int child_wait(struct child *c)
{
	int st = 0;
	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	return -1;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* ---- through xdrv-backd's vbd handler -------------------------------------------------------- */

static void test_blkfront_round_trip_on_a_ram_disk(void)
{
	struct child c = {0};
	child_start(&c, H_NONE, "ram:4M", 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvda", false, &d, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_size(d), 4u << 20);

	/* 1 MiB + 1 KiB at a 512-byte (not page) aligned offset: 24 requests, several in flight */
	size_t n = (1u << 20) + 1024;
	uint8_t *pat = malloc(n), *back = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pat);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	fill(pat, n, 1);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 3 * 4096 + 512, pat, n, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), 0);
	memset(back, 0, n);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 3 * 4096 + 512, back, n, &err), 0);
	CU_ASSERT_EQUAL(memcmp(pat, back, n), 0);
	/* the last 512 bytes of the disk, and what was never written reads as zeros */
	CU_ASSERT_EQUAL(hvb_disk_write(d, (4u << 20) - 512, pat, 512, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_read(d, (4u << 20) - 1024, back, 1024, &err), 0);
	CU_ASSERT_EQUAL(memcmp(back + 512, pat, 512), 0);
	CU_ASSERT_EQUAL(back[0] | back[511], 0);
	if (err)
		fprintf(stderr, "unexpected: %s\n", err);

	struct hvb_blkfront_stats st;
	CU_ASSERT_EQUAL_FATAL(hvb_blkfront_get_stats(d, &st), 0);
	/* xdrv-backd takes indirect requests: 2 x 6 of them (1 MiB + 1 KiB in 176 KiB pieces, 8
	 * slots of 44 pages), 1 flush, 2 small direct ones */
	CU_ASSERT_EQUAL(st.requests, 2 * 6 + 1 + 2);
	CU_ASSERT_EQUAL(st.indirect, 2 * 6);
	CU_ASSERT_EQUAL(st.responses, st.requests);
	CU_ASSERT_EQUAL(st.errors, 0);
	CU_ASSERT_EQUAL(st.max_in_flight, 6);
	CU_ASSERT_TRUE(st.notify_sent <= st.requests);
	fprintf(stderr,
		"blkfront: %llu requests, %llu in flight at most, %llu notifications "
		"sent, %llu events taken\n",
		(unsigned long long)st.requests, (unsigned long long)st.max_in_flight,
		(unsigned long long)st.notify_sent, (unsigned long long)st.events);
	CU_ASSERT_EQUAL(hvb_blkfront_get_stats(NULL, &st), -EINVAL);

	/* the disk layer refuses what lies beyond the disk before the backend sees it */
	CU_ASSERT_EQUAL(hvb_disk_read(d, 4u << 20, back, 512, &err), -ERANGE);
	free(err);
	err = NULL;
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
	free(pat);
	free(back);
}

static void test_blkfront_flushed_writes_reach_the_backend_file(void)
{
	const char *img = xtest_path("%s/blk.img", xtest_tmpdir());
	uint8_t *init = calloc(1, 1 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init);
	fill(init, 1 << 20, 7);
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, init, 1 << 20), 0);
	char spec[512];
	snprintf(spec, sizeof spec, "file:%s", img);
	struct child c = {0};
	child_start(&c, H_NONE, spec, 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:51712", false, &d, &err), 0);
	uint8_t back[8192], pat[8192];
	CU_ASSERT_EQUAL(hvb_disk_read(d, 65536, back, sizeof back, &err), 0);
	CU_ASSERT_EQUAL(memcmp(back, init + 65536, sizeof back), 0);
	fill(pat, sizeof pat, 9);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 512 * 77, pat, sizeof pat, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), 0);
	/* seen from outside, by another descriptor, while the device is still open */
	int fd = open(img, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, back, sizeof back, 512 * 77), (ssize_t)sizeof back);
	CU_ASSERT_EQUAL(memcmp(back, pat, sizeof pat), 0);
	close(fd);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
	free(err);
	free(init);
}

/* ---- zero copy ------------------------------------------------------------------------------- */

static struct hvb_blkfront_stats stats_of(const struct hvb_disk *d)
{
	struct hvb_blkfront_stats st;
	memset(&st, 0, sizeof st);
	CU_ASSERT_EQUAL(hvb_blkfront_get_stats(d, &st), 0);
	return st;
}

/* A file image of `n` bytes of fill(seed), served by a forked xdrv-backd vbd handler. */
static const char *image(struct child *c, const char *name, uint8_t *init, size_t n, uint32_t seed)
{
	static char img[512];
	snprintf(img, sizeof img, "%s/%s", xtest_tmpdir(), name);
	fill(init, n, seed);
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, init, n), 0);
	char spec[600];
	snprintf(spec, sizeof spec, "file:%s", img);
	child_start(c, H_NONE, spec, 5000);
	return img;
}

static bool file_has(const char *img, uint64_t off, const uint8_t *want, size_t n)
{
	uint8_t *got = malloc(n);
	int fd = open(img, O_RDONLY);
	bool ok = got && fd >= 0 && pread(fd, got, n, (off_t)off) == (ssize_t)n &&
		  memcmp(got, want, n) == 0;
	if (fd >= 0)
		close(fd);
	free(got);
	return ok;
}

static void test_blkfront_zero_copy_matches_the_copy_path(void)
{
	const size_t isz = 2u << 20, z = 256u << 10;
	uint8_t *init = malloc(isz), *cp = malloc(3 << 19), *keep = malloc(2 * z);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(keep);
	struct child c = {0};
	char img[512];
	snprintf(img, sizeof img, "%s", image(&c, "zc.img", init, isz, 11));
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdg", false, &d, &err), 0);

	/* two 256 KiB buffers, page-aligned and apart; a third would leave the copy path less
	 * than half the pool */
	uint8_t *zc = hvb_disk_buffer(d, z), *zc2 = hvb_disk_buffer(d, z);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zc2);
	CU_ASSERT_EQUAL((uintptr_t)zc % 4096, 0);
	CU_ASSERT_EQUAL((uintptr_t)zc2 % 4096, 0);
	CU_ASSERT_TRUE(zc2 + z <= zc || zc + z <= zc2);
	CU_ASSERT_PTR_NULL(hvb_disk_buffer(d, z));
	CU_ASSERT_PTR_NULL(hvb_disk_buffer(d, 0));
	struct hvb_blkfront_stats s0 = stats_of(d), s1, s2;

	/* 256 KiB at a sector (not page) aligned offset into the pool: one indirect request of
	 * 64 segments (xdrv-backd takes 64), no copy */
	memset(zc, 0, z);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 3 * 512, zc, z, &err), 0);
	CU_ASSERT_EQUAL(memcmp(zc, init + 3 * 512, z), 0);
	s1 = stats_of(d);
	CU_ASSERT_EQUAL(s1.zero_copy_bytes - s0.zero_copy_bytes, z);
	CU_ASSERT_EQUAL(s1.copied_bytes, s0.copied_bytes);
	CU_ASSERT_EQUAL(s1.requests - s0.requests, 1);
	CU_ASSERT_EQUAL(s1.indirect - s0.indirect, 1);

	/* the same range through the copy path: the same bytes, in 176 + 80 KiB requests */
	memset(cp, 0, z);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 3 * 512, cp, z, &err), 0);
	CU_ASSERT_EQUAL(memcmp(cp, zc, z), 0);
	s2 = stats_of(d);
	CU_ASSERT_EQUAL(s2.copied_bytes - s1.copied_bytes, z);
	CU_ASSERT_EQUAL(s2.zero_copy_bytes, s1.zero_copy_bytes);
	CU_ASSERT_EQUAL(s2.requests - s1.requests, 2);

	/* a page-aligned part of a buffer, ending in a partial page (13 pages: indirect) */
	size_t part = 12 * 4096 + 512;
	CU_ASSERT_EQUAL(hvb_disk_read(d, 1 << 20, zc2 + 4096, part, &err), 0);
	CU_ASSERT_EQUAL(memcmp(zc2 + 4096, init + (1 << 20), part), 0);
	s1 = stats_of(d);
	CU_ASSERT_EQUAL(s1.zero_copy_bytes - s2.zero_copy_bytes, part);
	/* not on a page boundary of the pool: the copy path, still the right bytes */
	CU_ASSERT_EQUAL(hvb_disk_read(d, 8192, zc + 512, 4096, &err), 0);
	CU_ASSERT_EQUAL(memcmp(zc + 512, init + 8192, 4096), 0);
	s2 = stats_of(d);
	CU_ASSERT_EQUAL(s2.copied_bytes - s1.copied_bytes, 4096);
	CU_ASSERT_EQUAL(s2.zero_copy_bytes, s1.zero_copy_bytes);

	/* writes both ways, seen in the image file from outside after a flush */
	size_t wz = 200 * 1024 + 512;
	fill(zc2, wz, 12);
	fill(cp, 64 << 10, 13);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 700 * 512, zc2, wz, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 3 << 19, cp, 64 << 10, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), 0);
	CU_ASSERT_TRUE(file_has(img, 700 * 512, zc2, wz));
	CU_ASSERT_TRUE(file_has(img, 3 << 19, cp, 64 << 10));
	s1 = stats_of(d);
	CU_ASSERT_EQUAL(s1.zero_copy_bytes - s2.zero_copy_bytes, wz);
	CU_ASSERT_EQUAL(s1.copied_bytes - s2.copied_bytes, 64 << 10);

	/* the copy path never touches the pages handed out: 1.5 MiB through every slot */
	memcpy(init + 700 * 512, zc2, wz);
	memcpy(init + (3 << 19), cp, 64 << 10);
	fill(zc, z, 14);
	fill(zc2, z, 15);
	memcpy(keep, zc, z);
	memcpy(keep + z, zc2, z);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 512 * 512, cp, 3 << 19, &err), 0);
	CU_ASSERT_EQUAL(memcmp(cp, init + 512 * 512, 3 << 19), 0);
	CU_ASSERT_EQUAL(memcmp(zc, keep, z), 0);
	CU_ASSERT_EQUAL(memcmp(zc2, keep + z, z), 0);
	s2 = stats_of(d);
	CU_ASSERT_EQUAL(s2.errors, 0);
	/* the copy path keeps 224 pages with two buffers out: 5 slots of 44 pages */
	CU_ASSERT_EQUAL(s2.max_in_flight, 5);
	if (err)
		fprintf(stderr, "unexpected: %s\n", err);
	free(err);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
	free(init);
	free(cp);
	free(keep);
}

/* the SCSI target's data phases, into and out of two 1 MiB buffers */
static uint8_t scsi_out[1 << 20], scsi_in[1 << 20];

static int scsi_get_out(void *ctx, uint64_t off, void *dst, uint64_t len)
{
	(void)ctx;
	if (off + len > sizeof scsi_out)
		return -EFAULT;
	memcpy(dst, scsi_out + off, len);
	return 0;
}

static int scsi_put_in(void *ctx, uint64_t off, const void *src, uint64_t len)
{
	(void)ctx;
	if (off + len > sizeof scsi_in)
		return -EFAULT;
	memcpy(scsi_in + off, src, len);
	return 0;
}

static struct scsi_cmd scsi_rw(struct scsi_target *t, uint32_t lun, uint8_t op, uint32_t lba,
			       uint16_t blocks)
{
	static const struct scsi_xfer x = {scsi_get_out, scsi_put_in, NULL, NULL};
	uint8_t cdb[10] = {
		op,	      0, (uint8_t)(lba >> 24),	 (uint8_t)(lba >> 16), (uint8_t)(lba >> 8),
		(uint8_t)lba, 0, (uint8_t)(blocks >> 8), (uint8_t)blocks,      0};
	struct scsi_cmd c = {
		.cdb = cdb, .cdb_len = 10, .out_len = sizeof scsi_out, .in_cap = sizeof scsi_in};
	CU_ASSERT_EQUAL(scsi_target_exec(t, lun, &c, &x), 0);
	return c;
}

static void test_blkfront_scsi_target_stages_in_the_granted_pool(void)
{
	/* LUN 0 and 1: blkfront disks, each with its own backend and its own staging pages in
	 * its pool; LUN 2: a ram disk, staged in the target's own buffer */
	const size_t isz = 1u << 20;
	uint8_t *init0 = malloc(isz), *init1 = malloc(isz);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init1);
	struct child c0 = {0}, c1 = {0};
	char img0[512];
	struct scsi_target *t = NULL;
	struct hvb_disk *d0 = NULL, *d1 = NULL, *r = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(scsi_target_create("zc", 0, &t, &err), 0);
	snprintf(img0, sizeof img0, "%s", image(&c0, "lun0.img", init0, isz, 21));
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdh", false, &d0, &err), 0);
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(t, d0, &err), 0);
	image(&c1, "lun1.img", init1, isz, 22);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdi", false, &d1, &err), 0);
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(t, d1, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("ram:1M", false, &r, &err), 0);
	CU_ASSERT_PTR_NULL(hvb_disk_buffer(r, 4096)); /* ram: no buffer of its own */
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(t, r, &err), 0);
	for (uint32_t l = 0; l < 3; l++) { /* the power-on unit attentions */
		struct scsi_cmd c = {.cdb = (const uint8_t[6]){0}, .cdb_len = 6};
		scsi_target_exec(t, l, &c,
				 &(struct scsi_xfer){scsi_get_out, scsi_put_in, NULL, NULL});
	}

	/* 300 KiB from each blkfront LUN: two staging pieces (256 + 44 KiB) each */
	struct scsi_cmd c = scsi_rw(t, 0, 0x28, 7, 600);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	CU_ASSERT_EQUAL(c.in_len, 600 * 512);
	CU_ASSERT_EQUAL(memcmp(scsi_in, init0 + 7 * 512, 600 * 512), 0);
	c = scsi_rw(t, 1, 0x28, 100, 600);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	CU_ASSERT_EQUAL(memcmp(scsi_in, init1 + 100 * 512, 600 * 512), 0);
	/* a write through LUN 0's staging pages, flushed, in the image file */
	fill(scsi_out, 520 * 512, 23);
	c = scsi_rw(t, 0, 0x2a, 1000, 520);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	c = scsi_rw(t, 0, 0x35, 0, 0);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	CU_ASSERT_TRUE(file_has(img0, 1000 * 512, scsi_out, 520 * 512));
	c = scsi_rw(t, 0, 0x28, 1000, 520);
	CU_ASSERT_EQUAL(memcmp(scsi_in, scsi_out, 520 * 512), 0);
	/* the ram LUN, through the target's own stage */
	fill(scsi_out, 64 * 512, 24);
	c = scsi_rw(t, 2, 0x2a, 5, 64);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	c = scsi_rw(t, 2, 0x28, 5, 64);
	CU_ASSERT_EQUAL(memcmp(scsi_in, scsi_out, 64 * 512), 0);

	/* every data byte of the blkfront LUNs went without blkfront's copy */
	struct hvb_blkfront_stats s0 = stats_of(d0), s1 = stats_of(d1);
	CU_ASSERT_EQUAL(s0.zero_copy_bytes, (600 + 520 + 520) * 512);
	CU_ASSERT_EQUAL(s0.copied_bytes, 0);
	CU_ASSERT_EQUAL(s1.zero_copy_bytes, 600 * 512);
	CU_ASSERT_EQUAL(s1.copied_bytes, 0);
	if (err)
		fprintf(stderr, "unexpected: %s\n", err);
	free(err);
	scsi_target_destroy(t); /* closes the disks: both backends go */
	CU_ASSERT_EQUAL(child_wait(&c0), 0);
	CU_ASSERT_EQUAL(child_wait(&c1), 0);
	free(init0);
	free(init1);
}

static void test_blkfront_spec_errors(void)
{
	struct hvb_disk *d = NULL;
	char *err = NULL;
	static const struct {
		const char *spec;
		const char *msg;
	} bad[] = {
		{"blkfront:", "blkfront '': expected VDEV[:PHYS]"},
		{"blkfront:sda", "VDEV 'sda': expected xvda..xvdz or a number"},
		{"blkfront:xvdA", "VDEV 'xvdA'"},
		{"blkfront:4294967296", "VDEV '4294967296'"},
		{"blkfront:xvda:/dev/loop0",
		 "PHYS '/dev/loop0' is for the xen transport in toolstack "
		 "mode (this is loop"},
	};
	CU_ASSERT_EQUAL(xt_default_set("transport=loop,socket=/nonexistent/backd.sock", &err), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(hvb_disk_open(bad[i].spec, false, &d, &err), -EINVAL);
		CU_ASSERT_PTR_NULL(d);
		CU_ASSERT_TRUE(has(err, bad[i].msg));
		free(err);
		err = NULL;
	}
	/* the xen transport in toolstack mode: PHYS is needed, and must be a block device; all
	 * checked before the transport is touched (this host has no Xen) */
	CU_ASSERT_EQUAL(xt_default_set("transport=xen,toolstack=1", &err), 0);
	static const struct {
		const char *spec;
		int rc;
		const char *msg;
	} phys[] = {
		{"blkfront:xvda", -EINVAL,
		 "blkfront xvda: the xen transport in toolstack mode "
		 "needs the dom0 block device (blkfront:xvda:/dev/loop0)"},
		{"blkfront:xvda:/dev/null", -EINVAL,
		 "blkfront xvda: PHYS '/dev/null': not a block device"},
		{"blkfront:xvda:/nonexistent/loop9", -ENOENT,
		 "blkfront xvda: PHYS '/nonexistent/loop9': No such file or directory"},
	};
	for (size_t i = 0; i < sizeof phys / sizeof phys[0]; i++) {
		CU_ASSERT_EQUAL(hvb_disk_open(phys[i].spec, false, &d, &err), phys[i].rc);
		CU_ASSERT_PTR_NULL(d);
		CU_ASSERT_TRUE(has(err, phys[i].msg));
		free(err);
		err = NULL;
	}
	CU_ASSERT_EQUAL(xt_default_set("transport=loop,socket=/nonexistent/backd.sock", &err), 0);
	/* nothing listening: the transport's error, the device named */
	CU_ASSERT_TRUE(hvb_disk_open("blkfront:xvdb", false, &d, &err) < 0);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_TRUE(has(err, "blkfront xvdb"));
	free(err);
}

/* ---- hostile backends ------------------------------------------------------------------------ */

/* A read that the backend answers wrongly fails with -EIO naming `field`; later calls fail
 * too (the device is disconnected), and the process carries on. */
static void hostile_read(enum hostile h, const char *field)
{
	struct child c = {0};
	child_start(&c, h, NULL, h == H_SILENT ? 300 : 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdc", false, &d, &err), 0);
	uint8_t buf[8192];
	CU_ASSERT_EQUAL(hvb_disk_read(d, 0, buf, sizeof buf, &err), -EIO);
	CU_ASSERT_TRUE(has(err, "blkfront xvdc: "));
	CU_ASSERT_TRUE(has(err, field));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_disk_write(d, 0, buf, 512, &err), -EIO);
	CU_ASSERT_TRUE(has(err, "blkfront xvdc: disconnected: "));
	CU_ASSERT_TRUE(has(err, field));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), -EIO);
	/* a disconnected device hands out no more of its pool */
	CU_ASSERT_PTR_NULL(hvb_disk_buffer(d, 4096));
	free(err);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
}

static void test_blkfront_rejects_an_unknown_response_id(void)
{
	hostile_read(H_UNKNOWN_ID, ": not an outstanding request");
}

static void test_blkfront_rejects_a_response_with_the_wrong_operation(void)
{
	hostile_read(H_WRONG_OP, ": operation 1, but the request was READ (0)");
}

static void test_blkfront_rejects_a_bad_status(void)
{
	hostile_read(H_BAD_STATUS, ": status 7: not OKAY (0), ERROR (-1) or EOPNOTSUPP (-2)");
}

static void test_blkfront_rejects_a_producer_index_jump(void)
{
	hostile_read(H_PROD_JUMP, "rsp_prod 6: 6 new responses, but 1 requests are outstanding");
}

static void test_blkfront_times_out_on_a_silent_backend(void)
{
	hostile_read(H_SILENT, "no response to 1 outstanding requests in 300 ms");
}

static void test_blkfront_error_status_fails_the_call_only(void)
{
	struct child c = {0};
	child_start(&c, H_ERROR, NULL, 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdd", false, &d, &err), 0);
	uint8_t buf[4096];
	for (int i = 0; i < 2; i++) { /* an I/O error, not a disconnection: twice the same */
		CU_ASSERT_EQUAL(hvb_disk_read(d, 4096, buf, sizeof buf, &err), -EIO);
		CU_ASSERT_TRUE(
			has(err, "blkfront xvdd: READ of sectors 8+8: the backend answered ERROR"));
		free(err);
		err = NULL;
	}
	struct hvb_blkfront_stats st;
	CU_ASSERT_EQUAL(hvb_blkfront_get_stats(d, &st), 0);
	CU_ASSERT_EQUAL(st.errors, 2);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
}

static void test_blkfront_direct_requests_without_indirect(void)
{
	/* a backend that does not offer indirect requests: 44 KiB requests, 24 for 1 MiB, all of
	 * them in flight at once (the ring's 32 slots) */
	struct child c = {0};
	child_start(&c, H_PLAIN, NULL, 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdf", false, &d, &err), 0);
	uint8_t *buf = malloc(1 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, 0x5a, 1 << 20);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 0, buf, 1 << 20, &err), 0);
	CU_ASSERT_EQUAL(buf[0] | buf[(1 << 20) - 1], 0); /* the pool's zeros: no data moved */
	struct hvb_blkfront_stats st;
	CU_ASSERT_EQUAL(hvb_blkfront_get_stats(d, &st), 0);
	CU_ASSERT_EQUAL(st.requests, 24);
	CU_ASSERT_EQUAL(st.indirect, 0);
	CU_ASSERT_EQUAL(st.max_in_flight, 24);
	CU_ASSERT_EQUAL(st.zero_copy_bytes, 0);
	CU_ASSERT_EQUAL(st.copied_bytes, 1 << 20);

	/* zero copy without indirect requests: 256 KiB from the pool in 6 direct requests of up to
	 * 11 pages; this backend moves no data, so the buffer keeps what it held (the copy path
	 * would have copied the slot pages' zeros over it) */
	uint8_t *zc = hvb_disk_buffer(d, 256 << 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zc);
	memset(zc, 0xa5, 256 << 10);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 0, zc, 256 << 10, &err), 0);
	CU_ASSERT_EQUAL(zc[0] & zc[(256 << 10) - 1], 0xa5);
	struct hvb_blkfront_stats st2;
	CU_ASSERT_EQUAL(hvb_blkfront_get_stats(d, &st2), 0);
	CU_ASSERT_EQUAL(st2.requests - st.requests, 6);
	CU_ASSERT_EQUAL(st2.indirect, 0);
	CU_ASSERT_EQUAL(st2.zero_copy_bytes, 256 << 10);
	CU_ASSERT_EQUAL(st2.copied_bytes, st.copied_bytes);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
	free(buf);
	free(err);
}

static void hostile_keys(enum hostile h, int rc, const char *msg)
{
	struct child c = {0};
	child_start(&c, h, NULL, 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_disk_open("blkfront:xvde", false, &d, &err), rc);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_TRUE(has(err, msg));
	free(err);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
}

static void test_blkfront_rejects_bad_backend_keys(void)
{
	hostile_keys(H_SECTOR_4K, -EINVAL,
		     "blkfront xvde: backend key sector-size: 4096, but only 512 is supported");
	hostile_keys(H_SECTORS_BAD, -EINVAL, "sectors");
}

/* ---- asynchronous requests (hvb_disk_aio_submit) --------------------------------------------- */

/* Reap until every one of `n` requests submitted is back: non-blocking looks first (the
 * model's poll), then waits (its barrier). The order they came back in goes to order[]. */
static unsigned aio_reap_all(struct hvb_disk *d, unsigned n, struct hvb_disk_aio **order)
{
	unsigned got = 0;
	uint64_t end = xdrv_now_ns() + 5000000000ull;
	while (got < n && xdrv_now_ns() < end) {
		struct hvb_disk_aio *a = hvb_disk_aio_reap(d);
		if (a)
			order[got++] = a;
		else
			nanosleep(&(struct timespec){0, 100 * 1000}, NULL);
	}
	return got;
}

static void test_blkfront_aio_in_flight_matches_the_synchronous_path(void)
{
	const size_t isz = 2u << 20;
	uint8_t *init = malloc(isz), *sync = malloc(isz), *buf = malloc(isz);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sync);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	struct child c = {0};
	const char *img = image(&c, "aio.img", init, isz, 21);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvda", false, &d, &err), 0);

	/* 24 reads at once: 4 KiB ones, odd iovec splits, and 200 KiB ones that take several
	 * slots each (more than the ring holds in total: they go on as slots free up) */
	enum { N = 24 };
	static struct hvb_disk_aio a[N];
	static struct iovec iov[N][3];
	uint64_t off[N], len[N], at = 0;
	for (unsigned i = 0; i < N; i++) {
		len[i] = i % 6 == 5 ? 200u << 10 : i % 3 == 1 ? 8192 + 1536 : 4096;
		off[i] = (uint64_t)((i * 37) % 200) * 8192 + (i % 2) * 512;
		uint64_t l0 = i % 3 == 1 ? 700 : len[i], l1 = i % 3 == 1 ? 4000 : 0;
		iov[i][0] = (struct iovec){buf + at, l0};
		iov[i][1] = (struct iovec){buf + at + l0, l1};
		iov[i][2] = (struct iovec){buf + at + l0 + l1, len[i] - l0 - l1};
		a[i] = (struct hvb_disk_aio){.off = off[i], .iov = iov[i], .n = 3, .user = &a[i]};
		CU_ASSERT_EQUAL_FATAL(hvb_disk_aio_submit(d, &a[i], &err), 0);
		at += len[i];
	}
	CU_ASSERT_EQUAL(hvb_disk_aio_pending(d), N);
	hvb_disk_aio_kick(d);
	/* wait for the last one: the others finish on the way */
	hvb_disk_aio_wait(d, &a[N - 1]);
	CU_ASSERT_TRUE(a[N - 1].done);
	struct hvb_disk_aio *order[N];
	unsigned got = aio_reap_all(d, N, order);
	CU_ASSERT_EQUAL_FATAL(got, N);
	CU_ASSERT_EQUAL(hvb_disk_aio_pending(d), 0);
	CU_ASSERT_PTR_NULL(hvb_disk_aio_reap(d));
	struct hvb_blkfront_stats st = stats_of(d);
	at = 0;
	for (unsigned i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(a[i].result, 0);
		CU_ASSERT_EQUAL(memcmp(buf + at, init + off[i], len[i]), 0);
		/* the synchronous path reads the same bytes */
		CU_ASSERT_EQUAL(hvb_disk_read(d, off[i], sync, len[i], &err), 0);
		CU_ASSERT_EQUAL(memcmp(buf + at, sync, len[i]), 0);
		at += len[i];
	}
	CU_ASSERT_EQUAL(st.aio, N);
	/* all at once: 20 small requests and the last 24 KiB of each 200 KiB one in the 24 slots
	 * of their own, the first 176 KiB of those 4 in the pool's (indirect) */
	CU_ASSERT_EQUAL(st.max_in_flight, 28);
	CU_ASSERT_EQUAL(st.indirect, 4);
	CU_ASSERT_EQUAL(st.errors, 0);

	/* 16 writes at once on ranges of their own, then one synchronous read of them all and the
	 * image file seen from outside after a flush: the bytes the synchronous path writes */
	fill(buf, 16 * 12288, 33);
	for (unsigned i = 0; i < 16; i++) {
		iov[i][0] = (struct iovec){buf + i * 12288, 12288};
		a[i] = (struct hvb_disk_aio){
			.off = (1u << 20) + i * 12288, .iov = iov[i], .n = 1, .write = true};
		CU_ASSERT_EQUAL_FATAL(hvb_disk_aio_submit(d, &a[i], &err), 0);
		if (i == 7)
			hvb_disk_aio_kick(d); /* some on the ring while more are accepted */
	}
	hvb_disk_aio_kick(d);
	for (unsigned i = 0; i < 16; i++)
		hvb_disk_aio_wait(d, &a[i]);
	CU_ASSERT_EQUAL(aio_reap_all(d, 16, order), 16);
	for (unsigned i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(a[i].result, 0);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 1u << 20, sync, 16 * 12288, &err), 0);
	CU_ASSERT_EQUAL(memcmp(sync, buf, 16 * 12288), 0);
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), 0);
	CU_ASSERT_TRUE(file_has(img, 1u << 20, buf, 16 * 12288));
	CU_ASSERT_TRUE(file_has(img, 0, init, 1u << 20)); /* the rest untouched */
	if (err)
		fprintf(stderr, "unexpected: %s\n", err);
	free(err);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
	free(init);
	free(sync);
	free(buf);
}

static void test_blkfront_aio_completes_out_of_order(void)
{
	/* a backend that answers every 4 requests in reverse order, each READ's pages filled with
	 * its sector number's low byte */
	struct child c = {0};
	child_start(&c, H_REVERSE, NULL, 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdb", false, &d, &err), 0);
	static uint8_t buf[4][4096];
	struct iovec iov[4];
	struct hvb_disk_aio a[4];
	for (unsigned i = 0; i < 4; i++) {
		iov[i] = (struct iovec){buf[i], sizeof buf[i]};
		a[i] = (struct hvb_disk_aio){.off = (i + 1) * 4096u, .iov = &iov[i], .n = 1};
		CU_ASSERT_EQUAL_FATAL(hvb_disk_aio_submit(d, &a[i], &err), 0);
	}
	hvb_disk_aio_kick(d);
	hvb_disk_aio_wait(d, &a[0]); /* answered last */
	struct hvb_disk_aio *order[4];
	CU_ASSERT_EQUAL_FATAL(aio_reap_all(d, 4, order), 4);
	for (unsigned i = 0; i < 4; i++) {
		CU_ASSERT_PTR_EQUAL(order[i], &a[3 - i]);
		CU_ASSERT_EQUAL(a[i].result, 0);
		CU_ASSERT_EQUAL(buf[i][0], (uint8_t)((i + 1) * 8));
		CU_ASSERT_EQUAL(buf[i][4095], (uint8_t)((i + 1) * 8));
	}
	free(err);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
}

static void test_blkfront_aio_fails_on_errors_and_disconnects(void)
{
	/* ERROR: that request fails with -EIO, the device goes on */
	struct child c = {0};
	child_start(&c, H_ERROR, NULL, 5000);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvdd", false, &d, &err), 0);
	static uint8_t buf[3][8192];
	struct iovec iov[3];
	struct hvb_disk_aio a[3];
	for (unsigned i = 0; i < 3; i++) {
		iov[i] = (struct iovec){buf[i], sizeof buf[i]};
		a[i] = (struct hvb_disk_aio){.off = i * 8192u, .iov = &iov[i], .n = 1};
		CU_ASSERT_EQUAL_FATAL(hvb_disk_aio_submit(d, &a[i], &err), 0);
	}
	hvb_disk_aio_kick(d);
	for (unsigned i = 0; i < 3; i++)
		hvb_disk_aio_wait(d, &a[i]);
	struct hvb_disk_aio *order[3];
	CU_ASSERT_EQUAL(aio_reap_all(d, 3, order), 3);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(a[i].result, -EIO);
	CU_ASSERT_EQUAL(hvb_disk_aio_submit(d, &a[0], &err), 0); /* still connected */
	hvb_disk_aio_wait(d, &a[0]);
	CU_ASSERT_PTR_EQUAL(hvb_disk_aio_reap(d), &a[0]);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);

	/* a backend that never answers: the wait times out, every request in flight fails, and
	 * so does every later call (disconnected); nothing blocks, nothing is lost */
	child_start(&c, H_SILENT, NULL, 300);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvde", false, &d, &err), 0);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL_FATAL(hvb_disk_aio_submit(d, &a[i], &err), 0);
	hvb_disk_aio_kick(d);
	CU_ASSERT_PTR_NULL(hvb_disk_aio_reap(d)); /* not answered yet */
	hvb_disk_aio_wait(d, &a[1]);
	CU_ASSERT_EQUAL(aio_reap_all(d, 3, order), 3);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(a[i].result, -EIO);
	CU_ASSERT_EQUAL(hvb_disk_aio_submit(d, &a[0], &err), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 0, buf[0], 512, &err), -EIO);
	CU_ASSERT_TRUE(has(err, "blkfront xvde: disconnected: no response to 3 outstanding"));
	free(err);
	err = NULL;
	/* closed with requests the backend never answered: no wait, no crash */
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
	free(err);
}

static void test_blkfront_aio_synchronous_call_is_a_barrier(void)
{
	/* requests accepted but not kicked: a synchronous read first finishes them, and they are
	 * still reaped afterwards */
	uint8_t *init = malloc(1u << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init);
	struct child c = {0};
	image(&c, "aio-barrier.img", init, 1u << 20, 5);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("blkfront:xvda", false, &d, &err), 0);
	static uint8_t w[8192], r[8192];
	fill(w, sizeof w, 77);
	struct iovec iov = {w, sizeof w};
	struct hvb_disk_aio a = {.off = 40960, .iov = &iov, .n = 1, .write = true};
	CU_ASSERT_EQUAL_FATAL(hvb_disk_aio_submit(d, &a, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 40960, r, sizeof r, &err), 0);
	CU_ASSERT_EQUAL(memcmp(r, w, sizeof r), 0);
	CU_ASSERT_TRUE(a.done);
	CU_ASSERT_PTR_EQUAL(hvb_disk_aio_reap(d), &a);
	CU_ASSERT_EQUAL(a.result, 0);
	CU_ASSERT_EQUAL(hvb_disk_aio_pending(d), 0);
	free(err);
	hvb_disk_close(d);
	CU_ASSERT_EQUAL(child_wait(&c), 0);
	free(init);
}

XTEST_SUITE(blkfront, NULL, NULL, XTEST(test_blkfront_round_trip_on_a_ram_disk),
	    XTEST(test_blkfront_flushed_writes_reach_the_backend_file),
	    XTEST(test_blkfront_zero_copy_matches_the_copy_path),
	    XTEST(test_blkfront_scsi_target_stages_in_the_granted_pool),
	    XTEST(test_blkfront_spec_errors), XTEST(test_blkfront_rejects_an_unknown_response_id),
	    XTEST(test_blkfront_rejects_a_response_with_the_wrong_operation),
	    XTEST(test_blkfront_rejects_a_bad_status),
	    XTEST(test_blkfront_rejects_a_producer_index_jump),
	    XTEST(test_blkfront_times_out_on_a_silent_backend),
	    XTEST(test_blkfront_error_status_fails_the_call_only),
	    XTEST(test_blkfront_direct_requests_without_indirect),
	    XTEST(test_blkfront_rejects_bad_backend_keys),
	    XTEST(test_blkfront_aio_in_flight_matches_the_synchronous_path),
	    XTEST(test_blkfront_aio_completes_out_of_order),
	    XTEST(test_blkfront_aio_fails_on_errors_and_disconnects),
	    XTEST(test_blkfront_aio_synchronous_call_is_a_barrier))

#endif
