// SPDX-License-Identifier: MIT
/*
 * Tests for the "netfront" wire (hypervisor-backends/xen/netfront.c) over the loop transport,
 * with the backend in a forked child: either xdrv-backd's own vif handler (backd_vif_ops) on a
 * "gen" wire, or a minimal hostile ring peer that answers with one bad value per test (a
 * response id that is no buffer in flight, an unknown status, an offset and length outside the
 * page, flags never negotiated, a producer index running past what was posted). Each bad value
 * must disconnect the frontend with a message naming the device and the field; afterwards the
 * wire refuses frames instead of touching the rings.
 *
 * The netfront wire is driven without a NIC device (hvb_wire_put / hvb_wire_take, as
 * xdrv-backd drives its wires), so each test sees exactly the frames and errors of the ring.
 */
#define _GNU_SOURCE
#include "../xtest.h"

#include "../../hypervisor-backends/backd/backd_serve.h"
#include "../../hypervisor-backends/xen/netfront.h"
#include "../../hypervisor-backends/xen/xen_ring.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xdrv/hvb.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#define NRX 8
#define NTX 8

static char logbuf[8192];

static void log_capture(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof logbuf - n, "%s\n", line);
}

static int setup(void)
{
	hvb_set_log(log_capture, NULL);
	return 0;
}

static int teardown(void)
{
	hvb_set_log(NULL, NULL);
	return 0;
}

/* ---- the child: a backend ---------------------------------------------------------------------
 */

enum peer_mode {
	PEER_BACKD, /* backd_vif_ops on backd_spec, its counters (or error) in the child's log */
	RX_BAD_ID,
	RX_DUP_ID,
	RX_BAD_STATUS,
	RX_BAD_OFFSET,
	RX_BAD_FLAGS,
	RX_PROD_JUMP,
	RX_DROPPED, /* a known error status: not a disconnect */
	TX_BAD_ID,
	TX_BAD_STATUS,
	TX_PROD_JUMP,
	TX_SG,	  /* advertises feature-sg=1: a 6000-byte frame must come as two slots */
	TX_QUIET, /* asks for a TX notification only at request 100, answers by polling */
	RX_SG,	  /* one 6000-byte frame over two RX buffers (more_data on the first) */
};

/* The wire spec PEER_BACKD serves (set before the fork). */
static const char *backd_spec = "gen:count=300,size=60";

struct peer {
	struct xt *t;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
};

/* Wait (max 20 s) for a notification or a control message; -1 when the frontend has gone. */
static int peer_wait(struct xt *t, int extra_fd)
{
	struct pollfd p[3] = {{.fd = xt_event_fd(t), .events = POLLIN},
			      {.fd = xt_ctl_fd(t), .events = POLLIN},
			      {.fd = extra_fd, .events = POLLIN}};
	int r = poll(p, extra_fd >= 0 ? 3 : 2, 20000);
	if (r <= 0)
		return -1;
	xt_event_ack(t);
	if (p[1].revents) {
		char *err = NULL;
		int rc = xt_ctl_process(t, &err);
		free(err);
		if (rc < 0 || xt_peer_state(t) >= XT_CLOSING)
			return -1;
	}
	return 0;
}

static void *peer_map_key(struct xt *t, const char *key)
{
	uint64_t v = 0;
	char *err = NULL;
	if (xt_read_u64(t, key, 1, UINT32_MAX, 0, &v, &err) < 0) {
		free(err);
		return NULL;
	}
	uint32_t ref = (uint32_t)v;
	void *p = xt_map(t, &ref, 1, &err);
	free(err);
	return p;
}

/* The backend half of the handshake, by hand. */
static int peer_connect(struct peer *p, enum peer_mode m)
{
	char *err = NULL;
	xt_write(p->t, "feature-rx-copy", "1");
	xt_write(p->t, "feature-sg", m == TX_SG ? "1" : "0");
	if (xt_set_state(p->t, XT_INITWAIT, &err) < 0 ||
	    xt_wait_peer_state(p->t, XT_INITIALISED, &err) < 0) {
		fprintf(stderr, "peer: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	void *txs = peer_map_key(p->t, "tx-ring-ref"), *rxs = peer_map_key(p->t, "rx-ring-ref");
	if (!txs || !rxs)
		return -1;
	BACK_RING_INIT(&p->tx, (netif_tx_sring_t *)txs, XT_PAGE);
	BACK_RING_INIT(&p->rx, (netif_rx_sring_t *)rxs, XT_PAGE);
	if (m == TX_QUIET)
		p->tx.sring->req_event = 100;
	return xt_set_state(p->t, XT_CONNECTED, &err) < 0 ? -1 : 0;
}

static void rx_respond(struct peer *p, uint16_t id, uint16_t off, uint16_t flags, int16_t st)
{
	netif_rx_response_t *r = RING_GET_RESPONSE(&p->rx, p->rx.rsp_prod_pvt);
	r->id = id;
	r->offset = off;
	r->flags = flags;
	r->status = st;
	p->rx.rsp_prod_pvt++;
}

/* Wait for the frontend's first TX request; its copy in *q. */
static int tx_first(struct peer *p, netif_tx_request_t *q)
{
	/* (the frontend may already be closing after pushing: its requests count) */
	while (p->tx.sring->req_prod == p->tx.req_cons)
		if (peer_wait(p->t, -1) < 0 && p->tx.sring->req_prod == p->tx.req_cons)
			return -1;
	xen_rmb();
	RING_COPY_REQUEST(&p->tx, p->tx.req_cons, q);
	p->tx.req_cons++;
	return 0;
}

static int hostile(struct peer *p, enum peer_mode m)
{
	netif_tx_request_t q;
	switch (m) {
	case RX_BAD_ID:
		rx_respond(p, NRX + 3, 0, 0, 60);
		break;
	case RX_DUP_ID:
		rx_respond(p, 1, 0, 0, 60);
		rx_respond(p, 1, 0, 0, 60);
		break;
	case RX_BAD_STATUS:
		rx_respond(p, 0, 0, 0, -7);
		break;
	case RX_BAD_OFFSET:
		rx_respond(p, 0, 4000, 0, 200);
		break;
	case RX_BAD_FLAGS: /* extra_info: not negotiated (more_data is, with feature-sg) */
		rx_respond(p, 0, 0, NETRXF_extra_info, 60);
		break;
	case RX_PROD_JUMP:
		rx_respond(p, 0, 0, 0, 60);
		p->rx.rsp_prod_pvt += 300; /* far past the 8 buffers posted */
		break;
	case RX_DROPPED:
		rx_respond(p, 2, 0, 0, NETIF_RSP_DROPPED);
		rx_respond(p, 3, 0, 0, 60);
		break;
	case TX_BAD_ID:
	case TX_BAD_STATUS:
	case TX_PROD_JUMP: {
		if (tx_first(p, &q) < 0)
			return -1;
		netif_tx_response_t *r = RING_GET_RESPONSE(&p->tx, p->tx.rsp_prod_pvt);
		r->id = m == TX_BAD_ID ? (uint16_t)(q.id + 77) : q.id;
		r->status = m == TX_BAD_STATUS ? NETIF_RSP_NULL : NETIF_RSP_OKAY;
		p->tx.rsp_prod_pvt += m == TX_PROD_JUMP ? 2 : 1;
		RING_PUSH_RESPONSES(&p->tx);
		xt_notify(p->t);
		return 0;
	}
	case TX_SG: {
		/* one 6000-byte frame: 4096 bytes with more_data and the total, then 1904 */
		netif_tx_request_t q2;
		if (tx_first(p, &q) < 0 || tx_first(p, &q2) < 0)
			return -1;
		if (q.size != 6000 || q.flags != NETTXF_more_data || q2.size != 1904 ||
		    q2.flags != 0 || q.id == q2.id)
			return -1;
		const uint8_t *a = xt_map(p->t, &q.gref, 1, NULL);
		const uint8_t *b = xt_map(p->t, &q2.gref, 1, NULL);
		if (!a || !b || a[0] != 0 || a[4095] != (uint8_t)4095 || b[0] != (uint8_t)4096 ||
		    b[1903] != (uint8_t)5999)
			return -1;
		return 0;
	}
	case RX_SG: {
		/* the first two posted buffers, filled with bytes i & 0xff of the frame */
		netif_rx_request_t q0, q1;
		xen_rmb();
		if (p->rx.sring->req_prod - p->rx.req_cons < 2)
			return -1;
		RING_COPY_REQUEST(&p->rx, p->rx.req_cons, &q0);
		RING_COPY_REQUEST(&p->rx, p->rx.req_cons + 1, &q1);
		p->rx.req_cons += 2;
		uint8_t *a = xt_map(p->t, &q0.gref, 1, NULL);
		uint8_t *b = xt_map(p->t, &q1.gref, 1, NULL);
		if (!a || !b)
			return -1;
		for (uint32_t i = 0; i < 6000; i++)
			(i < 4096 ? a : b)[i % 4096] = (uint8_t)(i * 13);
		rx_respond(p, q0.id, 0, NETRXF_more_data, 4096);
		rx_respond(p, q1.id, 0, 0, 1904);
		break;
	}
	case TX_QUIET:
		/* answer 100 requests without being told, by looking at the ring */
		for (int n = 0; n < 100;) {
			RING_IDX prod = p->tx.sring->req_prod;
			xen_rmb();
			for (; p->tx.req_cons != prod; n++) {
				RING_COPY_REQUEST(&p->tx, p->tx.req_cons, &q);
				p->tx.req_cons++;
				netif_tx_response_t *r =
					RING_GET_RESPONSE(&p->tx, p->tx.rsp_prod_pvt++);
				r->id = q.id;
				r->status = NETIF_RSP_OKAY;
			}
			RING_PUSH_RESPONSES(&p->tx);
			usleep(200);
		}
		return 0;
	default:
		return -1;
	}
	RING_PUSH_RESPONSES(&p->rx);
	xt_notify(p->t);
	return 0;
}

/* xdrv-backd's own child loop (backd_serve_conn) with its vif handler on backd_spec: exit
 * status 0 when the frontend closed, 1 when the handler ended the connection. */
static int run_backd(struct xt *t)
{
	static struct backd_cfg cfg = {.ndevs = 1, .find_ops = backd_dev_ops_find};
	cfg.devs[0] = (struct backd_dev_cfg){.type = "vif", .handle = 0, .spec = backd_spec};
	static volatile sig_atomic_t stop;
	return backd_serve_conn(&cfg, t, &stop);
}

static void peer_main(int ready_fd, const char *path, enum peer_mode m)
{
	struct xt_listener *l = NULL;
	char *err = NULL;
	signal(SIGPIPE, SIG_IGN);
	char logpath[300];
	snprintf(logpath, sizeof logpath, "%s.log", path);
	if (!freopen(logpath, "w", stderr))
		_exit(9);
	setvbuf(stderr, NULL, _IONBF, 0); /* the child ends with _exit */
	if (xt_listen(path, &l, &err) < 0)
		_exit(10);
	if (write(ready_fd, "r", 1) != 1)
		_exit(11);
	struct xt *t = NULL;
	if (xt_accept(l, &t, &err) < 0)
		_exit(12);
	int rc;
	if (m == PEER_BACKD) {
		rc = run_backd(t); /* disconnects */
		xt_listener_close(l);
		_exit(rc);
	} else {
		struct peer p = {.t = t};
		rc = peer_connect(&p, m) < 0 ? 13 : hostile(&p, m) < 0 ? 14 : 0;
		/* stay until the frontend has gone: its Closing must come first */
		while (rc == 0 && peer_wait(t, -1) == 0)
			;
		bool closing = xt_peer_state(t) >= XT_CLOSING;
		if (rc == 0 && !closing)
			rc = 15;
	}
	xt_disconnect(t);
	xt_listener_close(l);
	_exit(rc);
}

/* ---- the parent: the frontend ------------------------------------------------------------------
 */

struct fe {
	pid_t pid;
	struct hvb_wire *w;
	char path[256];
};

static int fe_open(struct fe *f, enum peer_mode m, const char *extra)
{
	memset(f, 0, sizeof *f);
	logbuf[0] = 0;
	snprintf(f->path, sizeof f->path, "%s/backd-%d.sock", xtest_tmpdir(), (int)m);
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	f->pid = fork();
	if (f->pid == 0) {
		close(pfd[0]);
		peer_main(pfd[1], f->path, m);
	}
	close(pfd[1]);
	char c;
	ssize_t n = read(pfd[0], &c, 1);
	close(pfd[0]);
	if (n != 1)
		return -1;
	char opts[512];
	snprintf(opts, sizeof opts, "transport=loop,socket=%s,rx=%d,tx=%d,timeout=5000%s%s",
		 f->path, NRX, NTX, extra ? "," : "", extra ? extra : "");
	char *err = NULL;
	int rc = hvb_wire_create("netfront", opts, &f->w, &err);
	if (rc < 0) {
		fprintf(stderr, "netfront: %s\n", err ? err : "?");
		free(err);
	}
	return rc;
}

/* Close the frontend; the child's exit status. */
static int fe_close(struct fe *f)
{
	hvb_wire_destroy(f->w);
	f->w = NULL;
	int st = 0;
	if (f->pid > 0 && waitpid(f->pid, &st, 0) == f->pid)
		return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
	return -1;
}

/* Take frames until a frame arrives (its length), the wire fails (-errno), or 5 s pass (0). */
static int fe_take(struct fe *f, const uint8_t **frame)
{
	uint64_t deadline = xdrv_now_ns() + 5000000000ull;
	while (xdrv_now_ns() < deadline) {
		int len = hvb_wire_take(f->w, frame);
		if (len != 0)
			return len;
		struct pollfd p = {.fd = hvb_wire_fd(f->w), .events = POLLIN};
		poll(&p, 1, 5);
	}
	return 0;
}

static void expect_disconnect(enum peer_mode m, bool tx, const char *field)
{
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, m, NULL), 0);
	if (tx) {
		uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 0};
		CU_ASSERT_EQUAL(hvb_wire_put(f.w, frame, sizeof frame), 0);
	}
	const uint8_t *fr;
	int rc;
	while ((rc = fe_take(&f, &fr)) > 0) /* good frames before the bad one */
		hvb_wire_taken(f.w, (size_t)rc);
	CU_ASSERT_EQUAL(rc, -EPROTO);
	struct hvb_netfront_stats st;
	CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
	CU_ASSERT_FALSE(st.connected);
	if (!strstr(st.error, field) || !strstr(st.error, "netfront.") ||
	    !strstr(st.error, "(vif 0)"))
		fprintf(stderr, "\nexpected '%s' in: %s\n", field, st.error);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.error, field));
	CU_ASSERT_PTR_NOT_NULL(strstr(st.error, "(vif 0)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, field)); /* logged too */
	/* afterwards nothing touches the rings */
	CU_ASSERT_EQUAL(hvb_wire_take(f.w, &fr), -ENOTCONN);
	uint8_t frame[60] = {0};
	CU_ASSERT_EQUAL(hvb_wire_put(f.w, frame, sizeof frame), -ENOTCONN);
	/* the peer saw our Closing before the socket closed */
	CU_ASSERT_EQUAL(fe_close(&f), 0);
}

static void test_rx_bad_id(void)
{
	expect_disconnect(RX_BAD_ID, false, "rx response id 11");
}

static void test_rx_duplicate_id(void)
{
	expect_disconnect(RX_DUP_ID, false, "rx response id 1 is no posted RX buffer");
}

static void test_rx_bad_status(void)
{
	expect_disconnect(RX_BAD_STATUS, false, "rx response status -7");
}

static void test_rx_bad_offset_len(void)
{
	expect_disconnect(RX_BAD_OFFSET, false, "rx response offset 4000 + status (length) 200");
}

static void test_rx_bad_flags(void)
{
	expect_disconnect(RX_BAD_FLAGS, false, "rx response flags 0x8");
}

static void test_rx_prod_jump(void)
{
	expect_disconnect(RX_PROD_JUMP, false, "rx rsp_prod 301 runs past the 8 buffers posted");
}

static void test_tx_bad_id(void)
{
	expect_disconnect(TX_BAD_ID, true, "tx response id 77");
}

static void test_tx_bad_status(void)
{
	expect_disconnect(TX_BAD_STATUS, true, "tx response status 1");
}

static void test_tx_prod_jump(void)
{
	expect_disconnect(TX_PROD_JUMP, true, "tx rsp_prod 2 runs past the 1 requests");
}

static void test_rx_dropped_is_counted_not_fatal(void)
{
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, RX_DROPPED, NULL), 0);
	const uint8_t *fr;
	CU_ASSERT_EQUAL(fe_take(&f, &fr), 60);
	hvb_wire_taken(f.w, 60);
	struct hvb_netfront_stats st;
	CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
	CU_ASSERT_TRUE(st.connected);
	CU_ASSERT_EQUAL(st.rx_backend_errors, 1);
	CU_ASSERT_EQUAL(st.rx_frames, 1);
	CU_ASSERT_EQUAL(st.error[0], 0);
	CU_ASSERT_EQUAL(fe_close(&f), 0);
}

/* The real backend (backd_vif_ops) on a gen wire: 300 frames through 8 RX buffers, each
 * checked and sent back through 8 TX buffers into the backend's checking sink. */
static void test_backd_gen_round_trip(void)
{
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, PEER_BACKD, "vif=0"), 0);
	uint64_t want = 0;
	bool ok = true;
	for (int i = 0; i < 300 && ok; i++) {
		const uint8_t *fr;
		int len = fe_take(&f, &fr);
		uint64_t seq = ~0ull;
		if (len != 60 || !hvb_wire_gen_check(fr, 60, &seq) || seq != want) {
			fprintf(stderr, "\nframe %d: len %d seq %llu\n", i, len,
				(unsigned long long)seq);
			ok = false;
			break;
		}
		uint8_t echo[60];
		memcpy(echo, fr, 60);
		hvb_wire_taken(f.w, 60);
		want++;
		CU_ASSERT_EQUAL(hvb_wire_put(f.w, echo, 60), 0);
	}
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_EQUAL(want, 300);
	/* every TX request pushed (by a take) and answered before we close */
	struct hvb_netfront_stats st;
	uint64_t deadline = xdrv_now_ns() + 5000000000ull;
	do {
		const uint8_t *fr;
		CU_ASSERT_EQUAL(hvb_wire_take(f.w, &fr), 0);
		CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
		if (st.tx_in_flight)
			usleep(1000);
	} while (st.tx_in_flight && xdrv_now_ns() < deadline);
	CU_ASSERT_EQUAL(st.tx_in_flight, 0);
	CU_ASSERT_TRUE(st.connected);
	CU_ASSERT_EQUAL(st.rx_frames, 300);
	CU_ASSERT_EQUAL(st.tx_frames, 300);
	CU_ASSERT_EQUAL(st.rx_backend_errors + st.tx_backend_errors + st.tx_no_buffer, 0);
	/* batching: fewer notifications than frames either way */
	CU_ASSERT_TRUE(st.notify_sent > 0 && st.notify_sent < 600);
	fprintf(stderr, "\n  netfront: 300+300 frames, %llu notifications sent, %llu taken ",
		(unsigned long long)st.notify_sent, (unsigned long long)st.events_taken);
	CU_ASSERT_EQUAL(fe_close(&f), 0);
	/* the backend's sink got every echoed frame, each a good generator frame */
	char *log = (char *)xtest_read(xtest_path("%s.log", f.path), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(log, "frontend->wire 300 frames 18000 bytes (0 runts, 0 wire"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "wire->frontend 300 frames 18000 bytes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "sink 300 frames 18000 bytes, 0 bad"));
	if (!strstr(log, "sink 300 frames"))
		fprintf(stderr, "backend log: %s\n", log);
	free(log);
}

static void test_tx_multi_slot_with_feature_sg(void)
{
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, TX_SG, NULL), 0);
	static uint8_t big[6000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(hvb_wire_put(f.w, big, sizeof big), 0);
	const uint8_t *fr;
	CU_ASSERT_EQUAL(hvb_wire_take(f.w, &fr), 0); /* pushes */
	struct hvb_netfront_stats st;
	CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
	CU_ASSERT_EQUAL(st.tx_frames, 1);
	CU_ASSERT_EQUAL(st.tx_slots, 2);
	CU_ASSERT_EQUAL(fe_close(&f), 0); /* the peer checked both slots' sizes, flags, bytes */
}

/* A frame over two RX slots (we offer feature-sg) comes out whole, and both buffers are posted
 * again at once. */
static void test_rx_multi_slot_is_gathered(void)
{
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, RX_SG, NULL), 0);
	const uint8_t *fr;
	CU_ASSERT_EQUAL_FATAL(fe_take(&f, &fr), 6000);
	bool same = true;
	for (uint32_t i = 0; i < 6000; i++)
		same &= fr[i] == (uint8_t)(i * 13);
	CU_ASSERT_TRUE(same);
	hvb_wire_taken(f.w, 6000);
	struct hvb_netfront_stats st;
	CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
	CU_ASSERT_EQUAL(st.rx_frames, 1);
	CU_ASSERT_TRUE(st.connected);
	CU_ASSERT_EQUAL(fe_close(&f), 0);
}

/* Jumbo frames through the real backend: a 9000-byte frame goes out as a chain of three
 * slots, which xdrv-backd's vif gathers whole into its wire's checking sink. */
static void test_backd_gathers_a_multi_slot_tx_frame(void)
{
	backd_spec = "gen:count=0";
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, PEER_BACKD, "vif=0"), 0);
	static uint8_t big[9000];
	CU_ASSERT_EQUAL(hvb_wire_gen_frame(big, sizeof big, 5, 1514,
					   (const uint8_t[6]){2, 0, 0, 0, 0, 1},
					   (const uint8_t[6]){2, 0, 0, 0, 0, 2}),
			1514);
	for (size_t i = 1514; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(hvb_wire_put(f.w, big, sizeof big), 0);
	const uint8_t *fr;
	CU_ASSERT_EQUAL(hvb_wire_take(f.w, &fr), 0); /* pushes */
	struct hvb_netfront_stats st;
	uint64_t deadline = xdrv_now_ns() + 5000000000ull;
	do {
		CU_ASSERT_EQUAL(hvb_wire_take(f.w, &fr), 0);
		CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
		if (st.tx_in_flight)
			usleep(1000);
	} while (st.tx_in_flight && xdrv_now_ns() < deadline);
	CU_ASSERT_EQUAL(st.tx_slots, 3);
	CU_ASSERT_EQUAL(st.tx_in_flight, 0);
	CU_ASSERT_EQUAL(st.tx_backend_errors, 0);
	CU_ASSERT_EQUAL(fe_close(&f), 0);
	char *log = (char *)xtest_read(xtest_path("%s.log", f.path), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "frontend->wire 1 frames 9000 bytes (0 runts"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "sink 1 frames 9000 bytes"));
	if (!strstr(log, "sink 1 frames 9000 bytes"))
		fprintf(stderr, "backend log: %s\n", log);
	free(log);
	backd_spec = "gen:count=300,size=60";
}

static void test_tx_too_big_without_feature_sg(void)
{
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, RX_DROPPED, NULL), 0);
	static uint8_t big[6000];
	CU_ASSERT_EQUAL(hvb_wire_put(f.w, big, sizeof big), -EMSGSIZE);
	CU_ASSERT_EQUAL(hvb_wire_put(f.w, big, 4096), 0); /* a page still fits one slot */
	struct hvb_netfront_stats st;
	CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
	CU_ASSERT_EQUAL(st.tx_too_big, 1);
	CU_ASSERT_EQUAL(st.tx_frames, 1);
	CU_ASSERT_TRUE(st.connected);
	const uint8_t *fr;
	CU_ASSERT_EQUAL(fe_take(&f, &fr), 60); /* the peer's one good frame */
	CU_ASSERT_EQUAL(fe_close(&f), 0);
}

/* The backend asked to be notified at TX request 100 only: 99 frames (pushed one by one, while
 * the 8 TX buffers come back by polling) send no notification, the 100th sends one. */
static void test_tx_notifies_only_when_asked(void)
{
	struct fe f;
	CU_ASSERT_EQUAL_FATAL(fe_open(&f, TX_QUIET, NULL), 0);
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 0};
	struct hvb_netfront_stats st;
	const uint8_t *fr;
	for (int i = 0; i < 99; i++) {
		CU_ASSERT_EQUAL(hvb_wire_put(f.w, frame, sizeof frame), 0);
		CU_ASSERT_EQUAL(hvb_wire_take(f.w, &fr), 0);
	}
	CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
	CU_ASSERT_EQUAL(st.tx_frames, 99);
	CU_ASSERT_EQUAL(st.notify_sent, 0);
	CU_ASSERT_EQUAL(hvb_wire_put(f.w, frame, sizeof frame), 0);
	CU_ASSERT_EQUAL(hvb_wire_take(f.w, &fr), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_netfront_get_stats(f.w, &st), 0);
	CU_ASSERT_EQUAL(st.notify_sent, 1);
	CU_ASSERT_EQUAL(st.tx_no_buffer, 0);
	CU_ASSERT_EQUAL(fe_close(&f), 0);
}

/* ---- a hostile frontend against xdrv-backd's vif handler ----------------------------------------
 */

struct rawfe {
	pid_t pid;
	char path[256];
	struct xt *t;
	uint8_t *pages; /* tx ring, rx ring, 4 buffers */
	uint32_t refs[6];
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
};

/* xdrv-backd's vif handler on `spec` in a child; we are a frontend by hand. `keys` false: leave
 * out request-rx-copy (the handler must refuse at the handshake). */
static int raw_open(struct rawfe *r, const char *spec, bool keys)
{
	memset(r, 0, sizeof *r);
	snprintf(r->path, sizeof r->path, "%s/backd-raw.sock", xtest_tmpdir());
	backd_spec = spec;
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	r->pid = fork();
	if (r->pid == 0) {
		close(pfd[0]);
		peer_main(pfd[1], r->path, PEER_BACKD);
	}
	close(pfd[1]);
	char c;
	ssize_t n = read(pfd[0], &c, 1);
	close(pfd[0]);
	if (n != 1)
		return -1;
	struct xt_cfg cfg = {.transport = "loop",
			     .type = "vif",
			     .name = "rawfe",
			     .socket = r->path,
			     .timeout_ms = 5000};
	char *err = NULL;
	if (xt_open(&cfg, &r->t, &err) < 0 || xt_wait_peer_state(r->t, XT_INITWAIT, &err) < 0)
		goto fail;
	r->pages = xt_share(r->t, 6, r->refs, &err);
	if (!r->pages)
		goto fail;
	SHARED_RING_INIT((netif_tx_sring_t *)r->pages);
	SHARED_RING_INIT((netif_rx_sring_t *)(r->pages + XT_PAGE));
	FRONT_RING_INIT(&r->tx, (netif_tx_sring_t *)r->pages, XT_PAGE);
	FRONT_RING_INIT(&r->rx, (netif_rx_sring_t *)(r->pages + XT_PAGE), XT_PAGE);
	xt_write(r->t, "tx-ring-ref", "%u", r->refs[0]);
	xt_write(r->t, "rx-ring-ref", "%u", r->refs[1]);
	xt_write(r->t, "event-channel", "1");
	xt_write(r->t, "feature-rx-notify", "1");
	if (keys)
		xt_write(r->t, "request-rx-copy", "1");
	if (xt_set_state(r->t, XT_INITIALISED, &err) < 0 ||
	    xt_wait_peer_state(r->t, XT_CONNECTED, &err) < 0)
		goto fail;
	return 0;
fail:
	if (keys) /* (without them the refusal is the point) */
		fprintf(stderr, "rawfe: %s\n", err ? err : "?");
	free(err);
	return -1;
}

/* Close; the handler's log (caller frees) and its exit status in *status. */
static char *raw_close(struct rawfe *r, int *status)
{
	int st = 0;
	/* the handler ends by itself on a bad request: wait for that before closing */
	waitpid(r->pid, &st, 0);
	xt_close(r->t);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
	return (char *)xtest_read(xtest_path("%s.log", r->path), NULL);
}

static void raw_tx(struct rawfe *r, uint32_t gref, uint16_t off, uint16_t flags, uint16_t size)
{
	netif_tx_request_t *q = RING_GET_REQUEST(&r->tx, r->tx.req_prod_pvt++);
	q->gref = gref;
	q->offset = off;
	q->flags = flags;
	q->id = 0;
	q->size = size;
	RING_PUSH_REQUESTS(&r->tx);
	xt_notify(r->t);
}

static void expect_backd_refuses(const char *spec, int how, const char *field)
{
	struct rawfe r;
	CU_ASSERT_EQUAL_FATAL(raw_open(&r, spec, true), 0);
	switch (how) {
	case 0: /* producer index far ahead */
		r.tx.sring->req_prod = 300;
		xt_notify(r.t);
		break;
	case 1:
		raw_tx(&r, 9999, 0, 0, 60);
		break;
	case 2:
		raw_tx(&r, r.refs[2], 4000, 0, 200);
		break;
	case 3: /* more_data is negotiated (feature-sg), extra_info is not */
		raw_tx(&r, r.refs[2], 0, NETTXF_extra_info, 60);
		break;
	case 5: /* a chain whose first request's total is less than the rest */
		raw_tx(&r, r.refs[2], 0, NETTXF_more_data, 60);
		raw_tx(&r, r.refs[3], 0, 0, 100);
		break;
	case 4: { /* an RX buffer that is not granted, and a frame for it */
		netif_rx_request_t *q = RING_GET_REQUEST(&r.rx, r.rx.req_prod_pvt++);
		q->id = 0;
		q->gref = 7777;
		RING_PUSH_REQUESTS(&r.rx);
		xt_notify(r.t);
		break;
	}
	}
	int st = -1;
	char *log = raw_close(&r, &st);
	CU_ASSERT_EQUAL(st, 1); /* run failed: the connection ends, the process does not crash */
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	if (!strstr(log, field))
		fprintf(stderr, "\nexpected '%s' in: %s\n", field, log);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, field));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "vif 0"));
	free(log);
}

static void test_backd_refuses_tx_prod_jump(void)
{
	expect_backd_refuses("gen:count=0", 0, "frontend tx req_prod 300 is more than a ring");
}

static void test_backd_refuses_bad_tx_gref(void)
{
	expect_backd_refuses("gen:count=0", 1, "frontend tx request gref 9999");
}

static void test_backd_refuses_tx_offset_size(void)
{
	expect_backd_refuses("gen:count=0", 2, "frontend tx request offset 4000 + size 200");
}

static void test_backd_refuses_tx_flags(void)
{
	expect_backd_refuses("gen:count=0", 3, "frontend tx request flags 0x8");
}

static void test_backd_refuses_tx_chain_sizes(void)
{
	expect_backd_refuses("gen:count=0", 5, "total size 60 does not hold the 100 bytes");
}

static void test_backd_refuses_bad_rx_gref(void)
{
	expect_backd_refuses("gen:count=1", 4, "frontend rx request gref 7777");
}

static void test_backd_refuses_frontend_without_rx_copy(void)
{
	struct rawfe r;
	CU_ASSERT_EQUAL(raw_open(&r, "gen:count=0", false), -1); /* the backend went away */
	int st = -1;
	char *log = raw_close(&r, &st);
	CU_ASSERT_EQUAL(st, 1);
	CU_ASSERT_TRUE(log && strstr(log, "vif 0: frontend key request-rx-copy=0"));
	free(log);
}

static void test_options_are_checked(void)
{
	static const char *const bad[][2] = {
		{"rx=0", "option rx=0"},
		{"tx=257", "option tx=257"},
		{"transport=pci", "option transport=pci"},
		{"mac=00:11", "option mac=00:11"},
		{"vif=x", "option vif=x"},
		{"colour=red", "option 'colour': unknown"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct hvb_wire *w = NULL;
		char *err = NULL;
		CU_ASSERT_EQUAL(hvb_wire_create("netfront", bad[i][0], &w, &err), -EINVAL);
		CU_ASSERT_PTR_NULL(w);
		CU_ASSERT_TRUE(err && strstr(err, bad[i][1]));
		free(err);
	}
	/* no backend listening: a clear error, not a hang */
	struct hvb_wire *w = NULL;
	char *err = NULL;
	char opts[300];
	snprintf(opts, sizeof opts, "transport=loop,socket=%s/nobody.sock,timeout=500",
		 xtest_tmpdir());
	CU_ASSERT_TRUE(hvb_wire_create("netfront", opts, &w, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
}

XTEST_SUITE(hvb_netfront, setup, teardown, XTEST(test_options_are_checked),
	    XTEST(test_backd_gen_round_trip), XTEST(test_rx_dropped_is_counted_not_fatal),
	    XTEST(test_rx_bad_id), XTEST(test_rx_duplicate_id), XTEST(test_rx_bad_status),
	    XTEST(test_rx_bad_offset_len), XTEST(test_rx_bad_flags), XTEST(test_rx_prod_jump),
	    XTEST(test_tx_bad_id), XTEST(test_tx_bad_status), XTEST(test_tx_prod_jump),
	    XTEST(test_tx_multi_slot_with_feature_sg), XTEST(test_tx_too_big_without_feature_sg),
	    XTEST(test_rx_multi_slot_is_gathered), XTEST(test_backd_gathers_a_multi_slot_tx_frame),
	    XTEST(test_tx_notifies_only_when_asked), XTEST(test_backd_refuses_tx_prod_jump),
	    XTEST(test_backd_refuses_bad_tx_gref), XTEST(test_backd_refuses_tx_offset_size),
	    XTEST(test_backd_refuses_tx_flags), XTEST(test_backd_refuses_tx_chain_sizes),
	    XTEST(test_backd_refuses_bad_rx_gref),
	    XTEST(test_backd_refuses_frontend_without_rx_copy))
