// SPDX-License-Identifier: MIT
/*
 * Tests for xdrv-backd's vbd handler (backd/backd_vbd.c), served in a forked child as
 * xdrv-backd would, against a raw blkif frontend written here on the loop transport: requests
 * built by hand, so that the handler sees what our blkfront never sends. Good requests
 * (partial segments, two segments, flush) and the answers a frontend's mistakes get (ERROR for
 * a range beyond the disk, EOPNOTSUPP for an operation not offered); and the protocol
 * violations that end the connection (nr_segments, last_sect, an unmappable gref, a producer
 * index beyond the ring, a foreign protocol), with the message naming the field.
 */
#include "../xtest.h"
#include "../../hypervisor-backends/backd/backd_serve.h"
#include "../../hypervisor-backends/xen/xen_ring.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef XDRV_HAVE_XEN_HEADERS
#include <xen/io/protocols.h>

/* ---- the backend child: backd_vbd_ops until the frontend goes; its error in a file ---------- */

struct child {
	pid_t pid;
	char sock[256], errfile[256];
};

static int serve(struct xt *t, const char *spec, const char *errfile)
{
	void *priv = NULL;
	char *err = NULL;
	int rc = 0;
	struct backd_dev_cfg dev = {.type = "vbd", .spec = spec};
	if (backd_vbd_ops.start(t, &dev, &priv, &err)) {
		rc = 4;
		goto out;
	}
	for (;;) {
		/* and the disk's completions (io_uring's eventfd), as xdrv-backd polls them */
		struct pollfd p[3] = {{.fd = xt_event_fd(t), .events = POLLIN},
				      {.fd = xt_ctl_fd(t), .events = POLLIN}};
		int nf = backd_vbd_ops.fds(priv, &p[2].fd, 1);
		p[2].events = POLLIN;
		if (poll(p, 2 + (nfds_t)nf, 10000) <= 0) {
			rc = 5;
			break;
		}
		if (p[1].revents) {
			int c = xt_ctl_process(t, &err);
			int st = xt_peer_state(t);
			if (c == -ENOTCONN || st == XT_CLOSING || st == XT_CLOSED)
				break;
		}
		if (backd_vbd_ops.run(priv, &err)) {
			rc = 7;
			break;
		}
	}
	backd_vbd_ops.stop(priv);
out:
	if (err)
		xtest_write(errfile, err, strlen(err));
	free(err);
	return rc;
}

static void child_start(struct child *c, const char *spec)
{
	static unsigned n;
	snprintf(c->sock, sizeof c->sock, "%s/vbd.%u.sock", xtest_tmpdir(), n);
	snprintf(c->errfile, sizeof c->errfile, "%s/vbd.%u.err", xtest_tmpdir(), n++);
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
		if (xt_listen(c->sock, &l, &err) || write(p[1], "x", 1) != 1)
			_exit(2);
		close(p[1]);
		if (xt_accept(l, &t, &err))
			_exit(3);
		int rc = serve(t, spec, c->errfile);
		xt_disconnect(t);
		xt_listener_close(l);
		_exit(rc);
	}
	close(p[1]);
	char b;
	CU_ASSERT_EQUAL(read(p[0], &b, 1), 1);
	close(p[0]);
}

/* Exit status, and the child's error message (malloc'd, or NULL). */
static int child_wait(struct child *c, char **msg)
{
	int st = 0, rc = -1;
	for (int i = 0; i < 1000 && rc < 0; i++) {
		if (waitpid(c->pid, &st, WNOHANG) == c->pid)
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		else
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	if (rc < 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &st, 0);
	}
	if (msg)
		*msg = (char *)xtest_read(c->errfile, NULL);
	return rc;
}

/* ---- a raw frontend -------------------------------------------------------------------------- */

#define DATA_PAGES 24u

struct front {
	struct xt *t;
	blkif_front_ring_t ring;
	uint8_t *data;
	uint32_t refs[DATA_PAGES];
	struct blkif_request_segment *ind; /* one indirect page */
	uint32_t ind_ref;
	uint64_t sectors;
};

static int front_open(struct front *f, const struct child *c, const char *protocol, bool persistent)
{
	char *err = NULL;
	struct xt_cfg cfg = {.transport = "loop",
			     .type = "vbd",
			     .handle = 51712,
			     .name = "rawfront",
			     .socket = c->sock,
			     .timeout_ms = 5000};
	int rc = xt_open(&cfg, &f->t, &err);
	if (rc == 0)
		rc = xt_wait_peer_state(f->t, XT_INITWAIT, &err);
	uint32_t ref = 0;
	blkif_sring_t *s = rc ? NULL : xt_share(f->t, 1, &ref, &err);
	f->data = s ? xt_share(f->t, DATA_PAGES, f->refs, &err) : NULL;
	f->ind = f->data ? xt_share(f->t, 1, &f->ind_ref, &err) : NULL;
	if (!f->ind) {
		fprintf(stderr, "rawfront: %s\n", err ? err : "?");
		free(err);
		return rc ? rc : -ENOMEM;
	}
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&f->ring, s, XT_PAGE);
	xt_write(f->t, "ring-ref", "%u", ref);
	xt_write(f->t, "event-channel", "%u", xt_evtchn_port(f->t));
	xt_write(f->t, "protocol", "%s", protocol);
	if (persistent)
		xt_write(f->t, "feature-persistent", "1");
	rc = xt_set_state(f->t, XT_INITIALISED, &err);
	if (rc == 0)
		rc = xt_wait_peer_state(f->t, XT_CONNECTED, &err);
	if (rc == 0)
		rc = xt_read_u64(f->t, "sectors", 1, UINT64_MAX, 0, &f->sectors, &err);
	if (rc)
		fprintf(stderr, "rawfront: %s\n", err ? err : "?");
	free(err);
	return rc;
}

/* Push one request; its response's status, -ECONNRESET when the backend ends the connection
 * instead, or -ETIMEDOUT (neither within 3 s). */
static int front_do(struct front *f, const blkif_request_t *req)
{
	*RING_GET_REQUEST(&f->ring, f->ring.req_prod_pvt) = *req;
	f->ring.req_prod_pvt++;
	int notify = 0;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->ring, notify);
	if (notify)
		xt_notify(f->t);
	for (int i = 0; i < 300; i++) {
		int more = 0;
		RING_FINAL_CHECK_FOR_RESPONSES(&f->ring, more);
		if (more) {
			blkif_response_t rsp;
			RING_COPY_RESPONSE(&f->ring, f->ring.rsp_cons, &rsp);
			f->ring.rsp_cons++;
			CU_ASSERT_EQUAL(rsp.id, req->id);
			CU_ASSERT_EQUAL(rsp.operation, req->operation);
			return rsp.status;
		}
		struct pollfd p[2] = {{.fd = xt_event_fd(f->t), .events = POLLIN},
				      {.fd = xt_ctl_fd(f->t), .events = POLLIN}};
		poll(p, 2, 10);
		xt_event_ack(f->t);
		if (p[1].revents) {
			char *err = NULL;
			int c = xt_ctl_process(f->t, &err);
			free(err);
			if (c == -ENOTCONN || xt_peer_state(f->t) >= XT_CLOSING)
				return -ECONNRESET;
		}
	}
	return -ETIMEDOUT;
}

static blkif_request_t rq(uint8_t op, uint64_t sector, uint8_t nseg)
{
	static uint64_t id = 100;
	blkif_request_t r;
	memset(&r, 0, sizeof r);
	r.operation = op;
	r.nr_segments = nseg;
	r.id = id++;
	r.sector_number = sector;
	return r;
}

static void seg(blkif_request_t *r, unsigned i, uint32_t gref, uint8_t first, uint8_t last)
{
	r->seg[i].gref = gref;
	r->seg[i].first_sect = first;
	r->seg[i].last_sect = last;
}

static int has(const char *s, const char *want)
{
	int ok = s && strstr(s, want);
	if (!ok)
		fprintf(stderr, "expected '%s' in '%s'\n", want, s ? s : "(null)");
	return ok;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void good_requests(bool persistent)
{
	struct child c = {0};
	child_start(&c, "ram:1M");
	struct front f = {0};
	CU_ASSERT_EQUAL_FATAL(front_open(&f, &c, XEN_IO_PROTO_ABI_NATIVE, persistent), 0);
	CU_ASSERT_EQUAL(f.sectors, 2048);
	char feat[8];
	CU_ASSERT_EQUAL(xt_read(f.t, "feature-flush-cache", feat, sizeof feat), 0);
	CU_ASSERT_STRING_EQUAL(feat, "1");
	CU_ASSERT_EQUAL(xt_read(f.t, "feature-max-indirect-segments", feat, sizeof feat), 0);
	CU_ASSERT_STRING_EQUAL(feat, "64");

	/* write: sectors 1..3 of page 0 then all of page 1, to sectors 10..20 */
	for (uint32_t i = 0; i < 2 * XT_PAGE; i++)
		f.data[i] = (uint8_t)(i * 13 + 1);
	for (int round = 0; round < 2; round++) { /* twice: a kept mapping is used again */
		blkif_request_t w = rq(BLKIF_OP_WRITE, 10, 2);
		seg(&w, 0, f.refs[0], 1, 3);
		seg(&w, 1, f.refs[1], 0, 7);
		CU_ASSERT_EQUAL(front_do(&f, &w), BLKIF_RSP_OKAY);
	}
	/* read the 11 sectors back into page 2 (all 8) and page 3 (sectors 4..6) */
	blkif_request_t r = rq(BLKIF_OP_READ, 10, 2);
	seg(&r, 0, f.refs[2], 0, 7);
	seg(&r, 1, f.refs[3], 4, 6);
	CU_ASSERT_EQUAL(front_do(&f, &r), BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp(f.data + 2 * XT_PAGE, f.data + 512, 3 * 512), 0);
	CU_ASSERT_EQUAL(memcmp(f.data + 2 * XT_PAGE + 3 * 512, f.data + XT_PAGE, 5 * 512), 0);
	CU_ASSERT_EQUAL(memcmp(f.data + 3 * XT_PAGE + 4 * 512, f.data + XT_PAGE + 5 * 512, 3 * 512),
			0);
	blkif_request_t fl = rq(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	CU_ASSERT_EQUAL(front_do(&f, &fl), BLKIF_RSP_OKAY);
	blkif_request_t wb = rq(BLKIF_OP_WRITE_BARRIER, 0, 0);
	CU_ASSERT_EQUAL(front_do(&f, &wb), BLKIF_RSP_OKAY);

	/* a frontend's mistakes that are answered, and the connection goes on */
	blkif_request_t end = rq(BLKIF_OP_READ, 2047, 1);
	seg(&end, 0, f.refs[4], 0, 1); /* the last sector and one beyond */
	CU_ASSERT_EQUAL(front_do(&f, &end), BLKIF_RSP_ERROR);
	blkif_request_t far = rq(BLKIF_OP_READ, UINT64_MAX - 3, 1);
	seg(&far, 0, f.refs[4], 0, 7);
	CU_ASSERT_EQUAL(front_do(&f, &far), BLKIF_RSP_ERROR);
	blkif_request_t disc = rq(BLKIF_OP_DISCARD, 0, 0);
	CU_ASSERT_EQUAL(front_do(&f, &disc), BLKIF_RSP_EOPNOTSUPP);
	CU_ASSERT_EQUAL(front_do(&f, &r), BLKIF_RSP_OKAY);

	xt_close(f.t);
	char *msg = NULL;
	CU_ASSERT_EQUAL(child_wait(&c, &msg), 0);
	free(msg);
}

static void test_vbd_serves_good_requests(void)
{
	good_requests(false);
}

static void test_vbd_serves_good_requests_with_persistent_mappings(void)
{
	good_requests(true);
}

/* An indirect request over `n` pages from page `first`, whole pages. */
static blkif_request_t rq_ind(struct front *f, uint8_t op, uint64_t sector, unsigned first,
			      unsigned n)
{
	blkif_request_t r = rq(BLKIF_OP_INDIRECT, sector, 0);
	blkif_request_indirect_t ind;
	memset(&ind, 0, sizeof ind);
	ind.operation = BLKIF_OP_INDIRECT;
	ind.indirect_op = op;
	ind.nr_segments = (uint16_t)n;
	ind.id = r.id;
	ind.sector_number = sector;
	ind.indirect_grefs[0] = f->ind_ref;
	for (unsigned i = 0; i < n; i++)
		f->ind[i] = (struct blkif_request_segment){
			.gref = f->refs[first + i], .first_sect = 0, .last_sect = 7};
	memset(&r, 0, sizeof r);
	memcpy(&r, &ind, sizeof ind);
	return r;
}

static void test_vbd_serves_indirect_requests(void)
{
	struct child c = {0};
	child_start(&c, "ram:1M");
	struct front f = {0};
	CU_ASSERT_EQUAL_FATAL(front_open(&f, &c, XEN_IO_PROTO_ABI_NATIVE, true), 0);
	for (uint32_t i = 0; i < 12 * XT_PAGE; i++)
		f.data[i] = (uint8_t)(i * 7 + 3);
	/* 12 pages (more than a direct request holds) written at sector 100, read back into pages
	 * 12..23; the response names the data operation, as Linux's blkback answers */
	blkif_request_t w = rq_ind(&f, BLKIF_OP_WRITE, 100, 0, 12);
	*RING_GET_REQUEST(&f.ring, f.ring.req_prod_pvt) = w;
	f.ring.req_prod_pvt++;
	int notify = 0;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f.ring, notify);
	xt_notify(f.t);
	blkif_response_t rsp = {0};
	for (int i = 0; i < 300 && f.ring.sring->rsp_prod == f.ring.rsp_cons; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	CU_ASSERT_FATAL(f.ring.sring->rsp_prod != f.ring.rsp_cons);
	RING_COPY_RESPONSE(&f.ring, f.ring.rsp_cons, &rsp);
	f.ring.rsp_cons++;
	CU_ASSERT_EQUAL(rsp.id, w.id);
	CU_ASSERT_EQUAL(rsp.operation, BLKIF_OP_WRITE);
	CU_ASSERT_EQUAL(rsp.status, BLKIF_RSP_OKAY);
	blkif_request_t r = rq_ind(&f, BLKIF_OP_READ, 100, 12, 12);
	*RING_GET_REQUEST(&f.ring, f.ring.req_prod_pvt) = r;
	f.ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f.ring, notify);
	xt_notify(f.t);
	for (int i = 0; i < 300 && f.ring.sring->rsp_prod == f.ring.rsp_cons; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	CU_ASSERT_FATAL(f.ring.sring->rsp_prod != f.ring.rsp_cons);
	RING_COPY_RESPONSE(&f.ring, f.ring.rsp_cons, &rsp);
	f.ring.rsp_cons++;
	CU_ASSERT_EQUAL(rsp.operation, BLKIF_OP_READ);
	CU_ASSERT_EQUAL(rsp.status, BLKIF_RSP_OKAY);
	CU_ASSERT_EQUAL(memcmp(f.data, f.data + 12 * XT_PAGE, 12 * XT_PAGE), 0);
	xt_close(f.t);
	char *msg = NULL;
	CU_ASSERT_EQUAL(child_wait(&c, &msg), 0);
	free(msg);
}

enum bad {
	B_NSEG,
	B_NSEG0,
	B_LAST_SECT,
	B_FIRST_GT_LAST,
	B_GREF,
	B_PROD_JUMP,
	B_IND_NSEG,
	B_IND_OP,
	B_IND_GREF
};

/* The disk the broken requests go to: ram (synchronous), or a file (io_uring). */
static const char *bad_spec = "ram:1M";

/* One broken request: the connection ends, the handler's message names the field. */
static void bad_request(enum bad b, const char *want)
{
	struct child c = {0};
	child_start(&c, bad_spec);
	struct front f = {0};
	CU_ASSERT_EQUAL_FATAL(front_open(&f, &c, XEN_IO_PROTO_ABI_NATIVE, b == B_GREF), 0);
	blkif_request_t r = rq(BLKIF_OP_READ, 0, 1);
	seg(&r, 0, f.refs[0], 0, 7);
	if (b == B_NSEG)
		r.nr_segments = 12;
	if (b == B_NSEG0)
		r.nr_segments = 0;
	if (b == B_LAST_SECT)
		r.seg[0].last_sect = 8;
	if (b == B_FIRST_GT_LAST)
		r.seg[0].first_sect = 5, r.seg[0].last_sect = 4;
	if (b == B_GREF)
		r.seg[0].gref = 9999;
	if (b == B_PROD_JUMP)
		f.ring.req_prod_pvt += 40; /* 41 requests on a ring of 32 */
	if (b == B_IND_NSEG || b == B_IND_OP || b == B_IND_GREF) {
		r = rq_ind(&f, b == B_IND_OP ? BLKIF_OP_FLUSH_DISKCACHE : BLKIF_OP_READ, 0, 0, 4);
		blkif_request_indirect_t *ind = (blkif_request_indirect_t *)&r;
		if (b == B_IND_NSEG)
			ind->nr_segments = 65;
		if (b == B_IND_GREF)
			ind->indirect_grefs[0] = 77777;
	}
	CU_ASSERT_EQUAL(front_do(&f, &r), -ECONNRESET);
	char *msg = NULL;
	CU_ASSERT_EQUAL(child_wait(&c, &msg), 7);
	CU_ASSERT_TRUE(has(msg, "vbd 51712: "));
	CU_ASSERT_TRUE(has(msg, want));
	free(msg);
	xt_close(f.t);
}

static void test_vbd_ends_the_connection_on_nr_segments(void)
{
	bad_request(B_NSEG, "nr_segments 12 (want 1..11)");
	bad_request(B_NSEG0, "nr_segments 0 (want 1..11)");
}

static void test_vbd_ends_the_connection_on_bad_sectors_in_a_segment(void)
{
	bad_request(B_LAST_SECT, "seg[0]: first_sect 0, last_sect 8 (want first <= last <= 7)");
	bad_request(B_FIRST_GT_LAST, "seg[0]: first_sect 5, last_sect 4");
}

static void test_vbd_ends_the_connection_on_a_gref_not_granted(void)
{
	bad_request(B_GREF, "seg[].gref: ");
}

static void test_vbd_ends_the_connection_on_a_producer_index_jump(void)
{
	bad_request(B_PROD_JUMP, "req_prod 41: 41 requests beyond the 0 answered");
}

static void test_vbd_ends_the_connection_on_bad_indirect_requests(void)
{
	bad_request(B_IND_NSEG, "indirect nr_segments 65 (want 1..64)");
	bad_request(B_IND_OP, "indirect_op 3 (want READ 0 or WRITE 1)");
	bad_request(B_IND_GREF, "indirect_grefs[0]: ");
}

static void test_vbd_refuses_a_foreign_protocol(void)
{
	struct child c = {0};
	child_start(&c, "ram:1M");
	struct front f = {0};
	CU_ASSERT_NOT_EQUAL(front_open(&f, &c, "x86_32-abi", false), 0);
	char *msg = NULL;
	CU_ASSERT_EQUAL(child_wait(&c, &msg), 4);
	CU_ASSERT_TRUE(has(msg, "vbd 51712: frontend key protocol: 'x86_32-abi', expected"));
	free(msg);
	xt_close(f.t);
}

static void test_vbd_refuses_a_disk_that_does_not_open(void)
{
	struct child c = {0};
	child_start(&c, "file:/nonexistent/disk.img");
	struct front f = {0};
	CU_ASSERT_NOT_EQUAL(front_open(&f, &c, XEN_IO_PROTO_ABI_NATIVE, false), 0);
	char *msg = NULL;
	CU_ASSERT_EQUAL(child_wait(&c, &msg), 4);
	CU_ASSERT_TRUE(has(msg, "vbd 51712: disk 'file:/nonexistent/disk.img'"));
	free(msg);
	xt_close(f.t);
}

/* ---- requests in flight (a file: disk, served through its io_uring) -------------------------- */

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* A 1 MiB image of fill(seed) in a test folder: its spec (static), its path in file_img, its
 * contents in init. */
static char file_img[512];
static const char *file_image(const char *name, uint8_t *init, uint32_t seed)
{
	static char spec[600];
	const char *img = file_img;
	snprintf(file_img, sizeof file_img, "%s/%s", xtest_tmpdir(), name);
	fill(init, 1u << 20, seed);
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, init, 1u << 20), 0);
	snprintf(spec, sizeof spec, "file:%s", img);
	return spec;
}

/* Queue one request; pushed (one notification at most) by front_push. */
static void front_queue(struct front *f, const blkif_request_t *req)
{
	*RING_GET_REQUEST(&f->ring, f->ring.req_prod_pvt) = *req;
	f->ring.req_prod_pvt++;
}

static void front_push(struct front *f)
{
	int notify = 0;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->ring, notify);
	if (notify)
		xt_notify(f->t);
}

/* Up to n responses within 3 s: how many came. */
static unsigned front_collect(struct front *f, blkif_response_t *rsp, unsigned n)
{
	unsigned got = 0;
	for (int i = 0; i < 300 && got < n; i++) {
		int more = 1;
		while (more && got < n) {
			RING_FINAL_CHECK_FOR_RESPONSES(&f->ring, more);
			if (more)
				RING_COPY_RESPONSE(&f->ring, f->ring.rsp_cons++, &rsp[got++]);
		}
		if (got < n) {
			struct pollfd p = {.fd = xt_event_fd(f->t), .events = POLLIN};
			poll(&p, 1, 10);
			xt_event_ack(f->t);
		}
	}
	return got;
}

static void test_vbd_file_requests_in_flight(void)
{
	static uint8_t init[1u << 20];
	const char *spec = file_image("inflight.img", init, 3);
	struct child c = {0};
	child_start(&c, spec);
	struct front f = {0};
	CU_ASSERT_EQUAL_FATAL(front_open(&f, &c, XEN_IO_PROTO_ABI_NATIVE, true), 0);
	/* 20 reads pushed at once, one page each from sector 8 * (37 * i % 200), one partial
	 * (sectors 2..5 of its page), one over the end (ERROR), the rest answered in any order */
	enum { N = 20 };
	blkif_request_t r[N];
	for (unsigned i = 0; i < N; i++) {
		r[i] = rq(BLKIF_OP_READ, 8u * (37 * i % 200), 1);
		seg(&r[i], 0, f.refs[i], i == 3 ? 2 : 0, i == 3 ? 5 : 7);
		if (i == 9)
			r[i].sector_number = 2047;
		front_queue(&f, &r[i]);
	}
	front_push(&f);
	blkif_response_t rsp[N];
	CU_ASSERT_EQUAL_FATAL(front_collect(&f, rsp, N), N);
	unsigned seen = 0;
	for (unsigned k = 0; k < N; k++) {
		unsigned i = (unsigned)(rsp[k].id - r[0].id);
		CU_ASSERT_FATAL(i < N && !(seen & 1u << i));
		seen |= 1u << i;
		CU_ASSERT_EQUAL(rsp[k].operation, BLKIF_OP_READ);
		CU_ASSERT_EQUAL(rsp[k].status, i == 9 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
		uint64_t off = r[i].sector_number * 512;
		if (i == 3) {
			CU_ASSERT_EQUAL(memcmp(f.data + i * XT_PAGE + 2 * 512, init + off, 4 * 512),
					0);
		} else if (i != 9) {
			CU_ASSERT_EQUAL(memcmp(f.data + i * XT_PAGE, init + off, XT_PAGE), 0);
		}
	}
	/* 4 writes at once (pages 20..23 to sectors 1000 + 8k), a barrier flush after them, and
	 * a read of all four: the file has them, the read sees them (the flush orders) */
	fill(f.data + 20 * XT_PAGE, 4 * XT_PAGE, 11);
	for (unsigned i = 0; i < 4; i++) {
		blkif_request_t w = rq(BLKIF_OP_WRITE, 1000 + 8 * i, 1);
		seg(&w, 0, f.refs[20 + i], 0, 7);
		front_queue(&f, &w);
	}
	blkif_request_t fl = rq(BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	front_queue(&f, &fl);
	blkif_request_t back = rq_ind(&f, BLKIF_OP_READ, 1000, 0, 4);
	front_queue(&f, &back);
	front_push(&f);
	CU_ASSERT_EQUAL_FATAL(front_collect(&f, rsp, 6), 6);
	for (unsigned k = 0; k < 6; k++)
		CU_ASSERT_EQUAL(rsp[k].status, BLKIF_RSP_OKAY);
	/* the flush answered after the writes, the read after the flush */
	CU_ASSERT_EQUAL(rsp[4].id, fl.id);
	CU_ASSERT_EQUAL(rsp[5].id, back.id);
	CU_ASSERT_EQUAL(memcmp(f.data, f.data + 20 * XT_PAGE, 4 * XT_PAGE), 0);
	uint8_t *img = xtest_read(file_img, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT_EQUAL(memcmp(img + 1000 * 512, f.data + 20 * XT_PAGE, 4 * XT_PAGE), 0);
	CU_ASSERT_EQUAL(memcmp(img, init, 1000 * 512), 0);
	free(img);
	xt_close(f.t);
	char *msg = NULL;
	CU_ASSERT_EQUAL(child_wait(&c, &msg), 0);
	free(msg);
}

static void test_vbd_file_broken_request_among_requests_in_flight(void)
{
	/* good reads, then one with last_sect 8, in one push: the connection ends with the
	 * message, after the reads in flight have finished (they are not answered) */
	static uint8_t init[1u << 20];
	const char *spec = file_image("broken.img", init, 4);
	struct child c = {0};
	child_start(&c, spec);
	struct front f = {0};
	CU_ASSERT_EQUAL_FATAL(front_open(&f, &c, XEN_IO_PROTO_ABI_NATIVE, false), 0);
	for (unsigned i = 0; i < 8; i++) {
		blkif_request_t r =
			i == 6 ? rq(BLKIF_OP_WRITE, 8 * i, 1) : rq(BLKIF_OP_READ, 8 * i, 1);
		seg(&r, 0, f.refs[i], 0, i == 6 ? 8 : 7);
		front_queue(&f, &r);
	}
	front_push(&f);
	char *msg = NULL;
	CU_ASSERT_EQUAL(child_wait(&c, &msg), 7);
	CU_ASSERT_TRUE(has(msg, "vbd 51712: request id "));
	CU_ASSERT_TRUE(has(msg, "seg[0]: first_sect 0, last_sect 8 (want first <= last <= 7)"));
	free(msg);
	/* the image is untouched: the broken WRITE was never done */
	uint8_t *img = xtest_read(file_img, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT_EQUAL(memcmp(img, init, 1u << 20), 0);
	free(img);
	xt_close(f.t);
}

static void test_vbd_file_ends_the_connection_on_broken_requests(void)
{
	/* the same broken requests to a disk served through io_uring */
	static uint8_t init[1u << 20];
	bad_spec = file_image("bad.img", init, 6);
	test_vbd_ends_the_connection_on_nr_segments();
	test_vbd_ends_the_connection_on_bad_sectors_in_a_segment();
	test_vbd_ends_the_connection_on_a_gref_not_granted();
	test_vbd_ends_the_connection_on_a_producer_index_jump();
	test_vbd_ends_the_connection_on_bad_indirect_requests();
	bad_spec = "ram:1M";
}

static void test_vbd_file_disconnect_with_requests_in_flight(void)
{
	/* the ring full of large reads and writes, and the frontend gone at once: the handler
	 * waits for its I/O before it unmaps the pages, and ends cleanly */
	static uint8_t init[1u << 20];
	const char *spec = file_image("gone.img", init, 5);
	for (int round = 0; round < 3; round++) {
		struct child c = {0};
		child_start(&c, spec);
		struct front f = {0};
		CU_ASSERT_EQUAL_FATAL(front_open(&f, &c, XEN_IO_PROTO_ABI_NATIVE, round == 1), 0);
		for (unsigned i = 0; i < 32; i++) {
			uint8_t op = i % 4 == 3 ? BLKIF_OP_WRITE : BLKIF_OP_READ;
			blkif_request_t r = rq(op, 24 * (i % 40), 11);
			for (unsigned k = 0; k < 11; k++)
				seg(&r, k, f.refs[(i + k) % DATA_PAGES], 0, 7);
			front_queue(&f, &r);
		}
		front_push(&f);
		if (round == 2)
			nanosleep(&(struct timespec){0, 200 * 1000}, NULL);
		xt_close(f.t);
		char *msg = NULL;
		CU_ASSERT_EQUAL(child_wait(&c, &msg), 0);
		if (msg)
			fprintf(stderr, "unexpected: %s\n", msg);
		free(msg);
	}
}

XTEST_SUITE(backd_vbd, NULL, NULL, XTEST(test_vbd_serves_good_requests),
	    XTEST(test_vbd_serves_good_requests_with_persistent_mappings),
	    XTEST(test_vbd_ends_the_connection_on_nr_segments),
	    XTEST(test_vbd_ends_the_connection_on_bad_sectors_in_a_segment),
	    XTEST(test_vbd_ends_the_connection_on_a_gref_not_granted),
	    XTEST(test_vbd_ends_the_connection_on_a_producer_index_jump),
	    XTEST(test_vbd_serves_indirect_requests),
	    XTEST(test_vbd_ends_the_connection_on_bad_indirect_requests),
	    XTEST(test_vbd_refuses_a_foreign_protocol),
	    XTEST(test_vbd_refuses_a_disk_that_does_not_open),
	    XTEST(test_vbd_file_requests_in_flight),
	    XTEST(test_vbd_file_broken_request_among_requests_in_flight),
	    XTEST(test_vbd_file_ends_the_connection_on_broken_requests),
	    XTEST(test_vbd_file_disconnect_with_requests_in_flight))

#endif
