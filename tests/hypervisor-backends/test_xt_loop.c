// SPDX-License-Identifier: MIT
/*
 * The loop transport (hypervisor-backends/xen/xt_loop.c, xt.c) as two real processes: the test
 * process is the frontend, a forked child is the backend (as xdrv-backd's children are). The
 * child reports through its exit status: 0, or the source line of the first check that failed.
 * Covered: the handshake states both ways, key validation (non-printable, too long, out of
 * range), shared pages seen on both sides, maps of refs that are outside the table or not
 * granted, notifications and their counts, the other end's EOF as Closed, and hostile
 * messages both ways (truncated, oversized, bad fds, bad keys, bad page ranges).
 *
 * The hostile tests speak the wire format of xt_loop.c directly; its layout is repeated here.
 */
#define _GNU_SOURCE
#include "../../hypervisor-backends/xen/xt.h"
#include "../xtest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the wire format (xt_loop.c) ----------------------------------------------------------- */
#define W_MAGIC	 0x784c5431u
#define W_HELLO	 1
#define W_WRITE	 2
#define W_GRANT	 3
#define W_REVOKE 4
struct w_hdr {
	uint32_t type, reserved;
};
struct w_hello {
	struct w_hdr h;
	uint32_t magic, handle;
	char type[16];
};
struct w_write {
	struct w_hdr h;
	uint16_t klen, vlen;
	uint32_t reserved;
};
struct w_range {
	struct w_hdr h;
	uint32_t first, count;
};

/* child checks: exit with the failing line */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "backend child: %s:%d: %s\n", __FILE__, __LINE__, #c);     \
			_exit(__LINE__ & 0xff ? __LINE__ & 0xff : 1);                              \
		}                                                                                  \
	} while (0)
#define CHECK_ERR(err, needle)                                                                     \
	do {                                                                                       \
		if (!(err) || !strstr((err), (needle))) {                                          \
			fprintf(stderr, "backend child: %s:%d: message '%s' lacks '%s'\n",         \
				__FILE__, __LINE__, (err) ? (err) : "(null)", (needle));           \
			_exit(__LINE__ & 0xff ? __LINE__ & 0xff : 1);                              \
		}                                                                                  \
		free(err);                                                                         \
		(err) = NULL;                                                                      \
	} while (0)

static void assert_msg(char **err, const char *needle)
{
	CU_ASSERT_PTR_NOT_NULL(*err ? strstr(*err, needle) : NULL);
	if (!*err || !strstr(*err, needle))
		fprintf(stderr, "message '%s' lacks '%s'\n", *err ? *err : "(null)", needle);
	free(*err);
	*err = NULL;
}

struct rig {
	char path[300];
	struct xt_listener *ls;
	pid_t child;
};

typedef void (*backend_fn)(struct xt_listener *ls);

/* Listen, fork the backend child running `fn` (it accepts itself). */
static int rig_start(struct rig *r, backend_fn fn)
{
	char *err = NULL;
	snprintf(r->path, sizeof r->path, "%s/backd.sock", xtest_tmpdir());
	if (xt_listen(r->path, &r->ls, &err) < 0) {
		fprintf(stderr, "xt_listen: %s\n", err);
		free(err);
		return -1;
	}
	fflush(NULL);
	r->child = fork();
	if (r->child == 0) {
		alarm(20); /* a stuck child must not hang the suite */
		fn(r->ls);
		_exit(0);
	}
	return r->child > 0 ? 0 : -1;
}

/* The child's exit status (0: all its checks passed). */
static int rig_finish(struct rig *r)
{
	int st = -1;
	if (r->child > 0)
		waitpid(r->child, &st, 0);
	xt_listener_close(r->ls);
	r->ls = NULL;
	if (WIFSIGNALED(st))
		fprintf(stderr, "backend child: killed by signal %d\n", WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static struct xt *child_accept(struct xt_listener *ls)
{
	struct xt *t = NULL;
	char *err = NULL;
	int r = xt_accept(ls, &t, &err);
	if (r < 0)
		fprintf(stderr, "backend child: accept: %s\n", err);
	CHECK(r == 0);
	close(xt_listener_fd(ls));
	return t;
}

static struct xt *front_open(struct rig *r, const char *type, uint32_t handle)
{
	struct xt_cfg cfg = {.transport = "loop",
			     .type = type,
			     .handle = handle,
			     .name = "netfront.0",
			     .socket = r->path,
			     .timeout_ms = 5000};
	struct xt *t = NULL;
	char *err = NULL;
	int rc = xt_open(&cfg, &t, &err);
	if (rc < 0)
		fprintf(stderr, "xt_open: %s\n", err);
	free(err);
	CU_ASSERT_EQUAL(rc, 0);
	return t;
}

/* Wait (at most 5 s) for fd to be readable. */
static bool readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, ms) > 0;
}

/* ---- handshake --------------------------------------------------------------------------------
 */

static void be_handshake(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	char *err = NULL, buf[64];
	uint64_t v;
	int r;
	CHECK(!strcmp(xt_peer_type(t), "vif"));
	CHECK(xt_peer_handle(t) == 7);
	CHECK(!strcmp(xt_transport(t), "loop"));
	CHECK(xt_write(t, "feature-rx-copy", "1") == 0);
	CHECK(xt_write(t, "mac", "00:16:3e:00:00:07") == 0);
	CHECK(xt_set_state(t, XT_INITWAIT, &err) == 0);
	CHECK(xt_wait_peer_state(t, XT_INITIALISED, &err) == 0);
	CHECK(xt_read_u64(t, "tx-ring-ref", 1, 100, 0, &v, &err) == 0 && v == 5);
	CHECK(xt_read(t, "request-rx-copy", buf, sizeof buf) == 0 && !strcmp(buf, "1"));
	CHECK(xt_set_state(t, XT_CONNECTED, &err) == 0);
	/* the frontend closes: Closing, then Closed (its EOF at the latest) */
	CHECK(xt_wait_peer_state(t, XT_CLOSED, &err) == 0);
	CHECK(xt_peer_state(t) == XT_CLOSED);
	/* then its socket's EOF */
	while ((r = xt_ctl_process(t, &err)) == 0 && readable(xt_ctl_fd(t), 5000))
		;
	CHECK(r == -ENOTCONN);
	CHECK(xt_ctl_process(t, &err) == -ENOTCONN);
	CHECK(xt_peer_state(t) == XT_CLOSED);
	xt_disconnect(t);
}

static void test_xt_loop_handshake_reaches_connected_both_ways(void)
{
	struct rig r;
	char *err = NULL, mac[32];
	uint64_t v = 0;
	struct xt *t;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_handshake), 0);
	t = front_open(&r, "vif", 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(xt_name(t), "netfront.0");
	CU_ASSERT_STRING_EQUAL(xt_transport(t), "loop");
	CU_ASSERT_EQUAL(xt_evtchn_port(t), 1);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_INITWAIT, &err), 0);
	CU_ASSERT_EQUAL(xt_read_u64(t, "feature-rx-copy", 0, 1, 0, &v, &err), 0);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(xt_read(t, "mac", mac, sizeof mac), 0);
	CU_ASSERT_STRING_EQUAL(mac, "00:16:3e:00:00:07");
	CU_ASSERT_EQUAL(xt_write(t, "tx-ring-ref", "%u", 5u), 0);
	CU_ASSERT_EQUAL(xt_write(t, "request-rx-copy", "1"), 0);
	CU_ASSERT_EQUAL(xt_set_state(t, XT_INITIALISED, &err), 0);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_CONNECTED, &err), 0);
	CU_ASSERT_EQUAL(xt_peer_state(t), XT_CONNECTED);
	CU_ASSERT_PTR_NULL(err);
	xt_close(t);
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
}

static void test_xt_loop_state_names(void)
{
	CU_ASSERT_STRING_EQUAL(xt_state_name(XT_INITIALISING), "Initialising");
	CU_ASSERT_STRING_EQUAL(xt_state_name(XT_INITWAIT), "InitWait");
	CU_ASSERT_STRING_EQUAL(xt_state_name(XT_CONNECTED), "Connected");
	CU_ASSERT_STRING_EQUAL(xt_state_name(XT_CLOSED), "Closed");
	CU_ASSERT_STRING_EQUAL(xt_state_name(7), "?");
	CU_ASSERT_STRING_EQUAL(xt_state_name(-1), "?");
}

/* A backend that waits for Initialised while the frontend already went on to Connected. */
static void be_late(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	char *err = NULL;
	CHECK(xt_set_state(t, XT_INITWAIT, &err) == 0);
	CHECK(xt_wait_peer_state(t, XT_INITIALISED, &err) == 0);
	CHECK(xt_peer_state(t) == XT_CONNECTED);
	CHECK(xt_write(t, "go", "1") == 0);
	/* Closing, or Closed right after it, ends this wait */
	CHECK(xt_wait_peer_state(t, XT_CLOSING, &err) == 0);
	xt_disconnect(t);
}

static void test_xt_loop_wait_accepts_a_later_setup_state(void)
{
	struct rig r;
	char *err = NULL, b[4];
	struct xt *t;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_late), 0);
	t = front_open(&r, "vbd", 51712);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_INITWAIT, &err), 0);
	CU_ASSERT_EQUAL(xt_set_state(t, XT_CONNECTED, &err), 0);
	/* wait for the backend's "go", then close */
	for (int i = 0; i < 100 && xt_read(t, "go", b, sizeof b) != 0; i++)
		if (readable(xt_ctl_fd(t), 100))
			xt_ctl_process(t, &err);
	CU_ASSERT_EQUAL(xt_read(t, "go", b, sizeof b), 0);
	xt_close(t);
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
	free(err);
}

/* ---- keys ------------------------------------------------------------------------------------ */

static int raw_write(int sock, const char *key, const void *val, size_t vlen)
{
	unsigned char buf[1024];
	struct w_write w = {
		.h = {.type = W_WRITE}, .klen = (uint16_t)strlen(key), .vlen = (uint16_t)vlen};
	memcpy(buf, &w, sizeof w);
	memcpy(buf + sizeof w, key, strlen(key));
	memcpy(buf + sizeof w + strlen(key), val, vlen);
	return send(sock, buf, sizeof w + strlen(key) + vlen, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void be_bad_values(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	int s = xt_ctl_fd(t);
	char long_val[200];
	char *err = NULL;
	memset(long_val, 'x', sizeof long_val);
	CHECK(raw_write(s, "ctl", "a\x01z", 3) == 0);
	CHECK(raw_write(s, "del", "a\x7fz", 3) == 0);
	CHECK(raw_write(s, "nul",
			"4\0"
			"2",
			3) == 0);
	CHECK(raw_write(s, "long", long_val, sizeof long_val) == 0);
	CHECK(raw_write(s, "word", "12abc", 5) == 0);
	CHECK(raw_write(s, "neg", "-1", 2) == 0);
	CHECK(raw_write(s, "huge", "99999999999999999999999", 23) == 0);
	CHECK(raw_write(s, "wrap", "18446744073709551616", 20) == 0);
	CHECK(raw_write(s, "range", "70000", 5) == 0);
	CHECK(raw_write(s, "ok", "42", 2) == 0);
	CHECK(raw_write(s, "empty", "", 0) == 0);
	CHECK(raw_write(s, "max", "18446744073709551615", 20) == 0);
	CHECK(xt_set_state(t, XT_INITWAIT, &err) == 0);
	/* until the frontend is done */
	CHECK(xt_wait_peer_state(t, XT_CLOSED, &err) == 0);
	xt_disconnect(t);
}

static void test_xt_loop_read_refuses_bad_values_naming_device_key_and_value(void)
{
	struct rig r;
	char *err = NULL, b[300];
	uint64_t v;
	struct xt *t;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_bad_values), 0);
	t = front_open(&r, "vif", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_INITWAIT, &err), 0);
	/* xt_read: printable ASCII only, length */
	CU_ASSERT_EQUAL(xt_read(t, "ctl", b, sizeof b), -EINVAL);
	CU_ASSERT_STRING_EQUAL(b, "");
	CU_ASSERT_EQUAL(xt_read(t, "del", b, sizeof b), -EINVAL);
	CU_ASSERT_EQUAL(xt_read(t, "nul", b, sizeof b), -EINVAL);
	CU_ASSERT_EQUAL(xt_read(t, "long", b, 64), -E2BIG);
	CU_ASSERT_EQUAL(xt_read(t, "long", b, 200), -E2BIG); /* no room for the NUL */
	CU_ASSERT_EQUAL(xt_read(t, "long", b, 201), 0);
	CU_ASSERT_EQUAL(strlen(b), 200);
	CU_ASSERT_EQUAL(xt_read(t, "absent", b, sizeof b), -ENOENT);
	CU_ASSERT_EQUAL(xt_read(t, "../etc", b, sizeof b), -EINVAL);
	CU_ASSERT_EQUAL(xt_read(t, "empty", b, sizeof b), 0);
	CU_ASSERT_STRING_EQUAL(b, "");
	/* xt_read_u64: decimal, range, messages with device, key, escaped value */
	CU_ASSERT_EQUAL(xt_read_u64(t, "ok", 0, 100, 7, &v, &err), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(xt_read_u64(t, "absent", 0, 100, 7, &v, &err), -ENOENT);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(xt_read_u64(t, "word", 0, 100, 7, &v, &err), -EINVAL);
	CU_ASSERT_EQUAL(v, 7);
	assert_msg(&err, "netfront.0: backend key word: '12abc' is not an unsigned decimal");
	CU_ASSERT_EQUAL(xt_read_u64(t, "ctl", 0, 100, 7, &v, &err), -EINVAL);
	assert_msg(&err, "key ctl: 'a\\x01z'");
	CU_ASSERT_EQUAL(xt_read_u64(t, "nul", 0, 100, 7, &v, &err), -EINVAL);
	assert_msg(&err, "'4\\x002'");
	CU_ASSERT_EQUAL(xt_read_u64(t, "neg", 0, 100, 7, &v, &err), -EINVAL);
	assert_msg(&err, "'-1'");
	CU_ASSERT_EQUAL(xt_read_u64(t, "huge", 0, UINT64_MAX, 7, &v, &err), -EINVAL);
	assert_msg(&err, "key huge");
	CU_ASSERT_EQUAL(xt_read_u64(t, "wrap", 0, UINT64_MAX, 7, &v, &err), -EINVAL);
	assert_msg(&err, "key wrap");
	CU_ASSERT_EQUAL(xt_read_u64(t, "max", 0, UINT64_MAX, 7, &v, &err), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(xt_read_u64(t, "range", 1, 65535, 7, &v, &err), -EINVAL);
	assert_msg(&err, "netfront.0: backend key range: '70000' out of range 1..65535");
	CU_ASSERT_EQUAL(xt_read_u64(t, "long", 0, 100, 7, &v, &err), -EINVAL);
	assert_msg(&err, "xxx...");
	CU_ASSERT_EQUAL(xt_read_u64(t, "empty", 0, 100, 7, &v, &err), -EINVAL);
	assert_msg(&err, "key empty: ''");
	/* our own writes are checked too */
	CU_ASSERT_EQUAL(xt_write(t, "bad key", "1"), -EINVAL);
	CU_ASSERT_EQUAL(xt_write(t, "/abs", "1"), -EINVAL);
	CU_ASSERT_EQUAL(xt_write(t, "k", "%s", "a\nb"), -EINVAL);
	memset(b, 'y', 299);
	b[299] = '\0';
	CU_ASSERT_EQUAL(xt_write(t, "k", "%s", b), -E2BIG);
	xt_close(t);
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
}

static void be_bad_state(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	CHECK(raw_write(xt_ctl_fd(t), "state", "9", 1) == 0);
	while (xt_peer_state(t) != XT_CLOSED && readable(xt_ctl_fd(t), 5000))
		if (xt_ctl_process(t, NULL) < 0)
			break;
	xt_disconnect(t);
}

static void test_xt_loop_peer_state_out_of_range_is_an_error(void)
{
	struct rig r;
	char *err = NULL;
	struct xt *t;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_bad_state), 0);
	t = front_open(&r, "vif", 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_INITWAIT, &err), -EPROTO);
	assert_msg(&err, "backend key state: '9' is not a state");
	CU_ASSERT_EQUAL(xt_peer_state(t), -EINVAL);
	xt_close(t);
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
}

/* ---- pages and events --------------------------------------------------------------------------
 */

static void be_pages(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	char *err = NULL, key[16];
	uint32_t refs[5], bad[2];
	uint64_t v;
	unsigned char *m;
	CHECK(xt_set_state(t, XT_INITWAIT, &err) == 0);
	CHECK(xt_wait_peer_state(t, XT_INITIALISED, &err) == 0);
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof key, "ref%d", i);
		CHECK(xt_read_u64(t, key, 1, UINT32_MAX, 0, &v, &err) == 0);
		refs[i] = (uint32_t)v;
	}
	/* refs 0..2: share A (3 pages), 3..4: share B; map B's two, then A's three: two runs */
	{
		uint32_t order[5] = {refs[3], refs[4], refs[0], refs[1], refs[2]};
		m = xt_map(t, order, 5, &err);
		CHECK(m != NULL);
		CHECK(m[0] == 'B' && m[4095] == 'b' && m[4096] == 'B' + 1);
		CHECK(m[2 * 4096] == 'A' && m[3 * 4096] == 'A' + 1 && m[4 * 4096 + 100] == 'A' + 2);
		m[4 * 4096 + 200] = 0x5a; /* share A's third page */
		xt_unmap(t, m, 5);
	}
	/* refs outside the table or not granted are refused, naming the ref */
	bad[0] = refs[0];
	bad[1] = 0;
	CHECK(xt_map(t, bad, 2, &err) == NULL);
	CHECK_ERR(err, "ref 0: not granted");
	bad[1] = 16384;
	CHECK(xt_map(t, bad, 2, &err) == NULL);
	CHECK_ERR(err, "ref 16384: outside");
	bad[1] = 4000;
	CHECK(xt_map(t, bad, 2, &err) == NULL);
	CHECK_ERR(err, "ref 4000: outside");
	CHECK(xt_map(t, bad, 0, &err) == NULL);
	CHECK_ERR(err, "map 0 pages");
	CHECK(xt_notify(t) == 0);
	/* the frontend revokes share B: its refs are in the table but no longer granted */
	CHECK(xt_wait_peer_state(t, XT_CONNECTED, &err) == 0);
	CHECK(xt_map(t, &refs[3], 1, &err) == NULL);
	CHECK_ERR(err, "not granted");
	CHECK(xt_map(t, &refs[0], 1, &err) != NULL);
	CHECK(xt_write(t, "checked", "1") == 0);
	CHECK(xt_wait_peer_state(t, XT_CLOSED, &err) == 0);
	xt_disconnect(t);
}

static void test_xt_loop_shared_pages_are_seen_by_the_backend_and_bad_refs_refused(void)
{
	struct rig r;
	char *err = NULL, key[16], b[4];
	uint32_t refs[5];
	unsigned char *a, *bp;
	struct xt *t;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_pages), 0);
	t = front_open(&r, "vif", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NULL(xt_share(t, 0, refs, &err));
	assert_msg(&err, "share 0 pages");
	a = xt_share(t, 3, refs, &err);
	bp = xt_share(t, 2, refs + 3, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bp);
	CU_ASSERT_NOT_EQUAL(refs[0], 0); /* ref 0 is never valid */
	CU_ASSERT_EQUAL(refs[1], refs[0] + 1);
	CU_ASSERT_EQUAL(a[100], 0); /* zeroed */
	for (int i = 0; i < 3; i++)
		a[i * 4096] = (unsigned char)('A' + i);
	a[2 * 4096 + 100] = 'A' + 2;
	bp[0] = 'B';
	bp[4095] = 'b';
	bp[4096] = 'B' + 1;
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof key, "ref%d", i);
		CU_ASSERT_EQUAL(xt_write(t, key, "%u", refs[i]), 0);
	}
	CU_ASSERT_EQUAL(xt_set_state(t, XT_INITIALISED, &err), 0);
	/* the backend writes into share A, then notifies */
	CU_ASSERT_TRUE(readable(xt_event_fd(t), 5000));
	CU_ASSERT_EQUAL(xt_event_ack(t), 1);
	CU_ASSERT_EQUAL(a[2 * 4096 + 200], 0x5a);
	xt_unshare(t, bp, 2);
	CU_ASSERT_EQUAL(xt_set_state(t, XT_CONNECTED, &err), 0);
	for (int i = 0; i < 100 && xt_read(t, "checked", b, sizeof b) != 0; i++)
		if (readable(xt_ctl_fd(t), 100))
			CU_ASSERT_EQUAL(xt_ctl_process(t, &err), 0);
	CU_ASSERT_EQUAL(xt_read(t, "checked", b, sizeof b), 0);
	/* a page shared again after a revoke starts zeroed */
	bp = xt_share(t, 2, refs + 3, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bp);
	CU_ASSERT_EQUAL(bp[0], 0);
	xt_unshare(t, a, 3);
	xt_close(t); /* unshares what is left */
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
	free(err);
}

static void be_events(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	char *err = NULL;
	struct xt_stats s;
	CHECK(xt_set_state(t, XT_INITWAIT, &err) == 0);
	CHECK(xt_wait_peer_state(t, XT_CONNECTED, &err) == 0);
	/* the frontend notified five times before Connected: one pending event */
	CHECK(xt_event_ack(t) == 1);
	CHECK(xt_event_ack(t) == 0);
	xt_get_stats(t, &s);
	CHECK(s.events_taken == 1 && s.notify_sent == 0);
	for (int i = 0; i < 3; i++)
		CHECK(xt_notify(t) == 0);
	xt_get_stats(t, &s);
	CHECK(s.notify_sent == 3);
	CHECK(xt_write(t, "done", "1") == 0); /* after the notifications */
	CHECK(xt_wait_peer_state(t, XT_CLOSED, &err) == 0);
	xt_disconnect(t);
}

static void test_xt_loop_notifications_are_counted_and_coalesce(void)
{
	struct rig r;
	char *err = NULL, b[4];
	struct xt_stats s;
	struct xt *t;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_events), 0);
	t = front_open(&r, "vif", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(xt_event_ack(t), 0);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(xt_notify(t), 0);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_INITWAIT, &err), 0);
	CU_ASSERT_EQUAL(xt_set_state(t, XT_CONNECTED, &err), 0);
	/* all three notifications came before "done": one event */
	for (int i = 0; i < 100 && xt_read(t, "done", b, sizeof b) != 0; i++)
		if (readable(xt_ctl_fd(t), 100))
			CU_ASSERT_EQUAL(xt_ctl_process(t, &err), 0);
	CU_ASSERT_EQUAL(xt_read(t, "done", b, sizeof b), 0);
	CU_ASSERT_TRUE(readable(xt_event_fd(t), 0));
	CU_ASSERT_EQUAL(xt_event_ack(t), 1);
	CU_ASSERT_EQUAL(xt_event_ack(t), 0);
	CU_ASSERT_FALSE(readable(xt_event_fd(t), 0));
	xt_get_stats(t, &s);
	CU_ASSERT_EQUAL(s.notify_sent, 5);
	CU_ASSERT_EQUAL(s.events_taken, 1);
	xt_close(t);
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
}

/* ---- the other end going away ------------------------------------------------------------------
 */

static void be_vanish(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	char *err = NULL;
	CHECK(xt_write(t, "error", "no vif 9 here") == 0);
	CHECK(xt_set_state(t, XT_INITWAIT, &err) == 0);
	_exit(0); /* no Closed: the socket's EOF says it */
}

static void test_xt_loop_peer_eof_reads_as_closed(void)
{
	struct rig r;
	char *err = NULL;
	struct xt *t;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_vanish), 0);
	t = front_open(&r, "vif", 9);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_CONNECTED, &err), -ECONNRESET);
	assert_msg(&err, "netfront.0: backend went to Closed while waiting for Connected: no vif 9 "
			 "here");
	CU_ASSERT_EQUAL(xt_peer_state(t), XT_CLOSED);
	CU_ASSERT_EQUAL(xt_ctl_process(t, &err), -ENOTCONN);
	CU_ASSERT_EQUAL(xt_wait_peer_state(t, XT_CLOSED, &err), 0);
	CU_ASSERT(xt_write(t, "k", "v") < 0);
	xt_close(t);
}

static void test_xt_loop_open_without_backend_fails_naming_socket(void)
{
	struct xt_cfg cfg = {.transport = "loop",
			     .type = "vbd",
			     .handle = 51712,
			     .socket = "/nonexistent/backd.sock"};
	struct xt *t = (struct xt *)1;
	char *err = NULL;
	CU_ASSERT_EQUAL(xt_open(&cfg, &t, &err), -ENOENT);
	CU_ASSERT_PTR_NULL(t);
	assert_msg(&err, "vbd.51712: loop transport: connecting to xdrv-backd at "
			 "/nonexistent/backd.sock");
	cfg.transport = "carrier-pigeon";
	CU_ASSERT_EQUAL(xt_open(&cfg, &t, &err), -EINVAL);
	assert_msg(&err, "transport 'carrier-pigeon': unknown");
	cfg.transport = "loop";
	cfg.type = "v/../x";
	CU_ASSERT_EQUAL(xt_open(&cfg, &t, &err), -EINVAL);
	free(err);
}

/* ---- hostile frontends ----------------------------------------------------------------------- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static int send_fds(int s, const void *msg, size_t len, const int *fds, int nfds)
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		struct cmsghdr *c;
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* A hello: kind 0 good, 1 unsealed memfd, 2 a pipe for an eventfd. fds[3] filled. */
static void hello_fds(int kind, int fds[3])
{
	fds[0] = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ftruncate(fds[0], 8 * 4096);
	if (kind != 1)
		fcntl(fds[0], F_ADD_SEALS, F_SEAL_SHRINK);
	fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (kind == 2) {
		int p[2];
		pipe(p);
		fds[2] = p[0];
		close(p[1]);
	} else {
		fds[2] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
}

static const struct w_hello good_hello = {
	.h = {.type = W_HELLO}, .magic = W_MAGIC, .handle = 4, .type = "vif"};

/* Hellos the backend must refuse: a part of each message. */
static const char *const bad_hello_msgs[] = {
	"4 bytes, expected 32", "not an xdrv loop hello", "device type is not a plain name",
	"0 fds, expected 3",	"5 fds, expected 3",	  "not a memfd sealed",
	"not eventfds",		"oversized message",	  "closed before its hello",
};
#define N_BAD_HELLO (sizeof bad_hello_msgs / sizeof bad_hello_msgs[0])

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void be_refuse_hellos(struct xt_listener *ls)
{
	int before = count_fds();
	for (size_t i = 0; i < N_BAD_HELLO; i++) {
		struct xt *t = NULL;
		char *err = NULL;
		int r = xt_accept(ls, &t, &err);
		if (r != -EPROTO)
			fprintf(stderr, "hello %zu: %d %s\n", i, r, err ? err : "");
		CHECK(r == -EPROTO);
		CHECK(t == NULL);
		CHECK_ERR(err, bad_hello_msgs[i]);
	}
	/* the fds of refused hellos were all closed */
	CHECK(count_fds() == before);
}

static void test_xt_loop_backend_refuses_bad_hellos_without_crashing(void)
{
	struct rig r;
	int fds[16];
	struct w_hello h;
	unsigned char big[2000];
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_refuse_hellos), 0);
	for (size_t i = 0; i < N_BAD_HELLO; i++) {
		int s = raw_connect(r.path), n = 3, kind = 0;
		CU_ASSERT_FATAL(s >= 0);
		h = good_hello;
		switch (i) {
		case 0: /* truncated */
			CU_ASSERT_EQUAL(send_fds(s, &h, 4, NULL, 0), 0);
			break;
		case 1:
			h.magic = 0x12345678;
			n = 0;
			break;
		case 2:
			memset(h.type, 'v', sizeof h.type); /* no NUL */
			n = 0;
			break;
		case 3:
			n = 0;
			break;
		case 4:
			n = 5;
			break;
		case 5:
			kind = 1;
			break;
		case 6:
			kind = 2;
			break;
		case 7: /* oversized */
			memset(big, 0, sizeof big);
			memcpy(big, &h, sizeof h);
			CU_ASSERT_EQUAL(send_fds(s, big, sizeof big, NULL, 0), 0);
			break;
		default: /* connect and close */
			break;
		}
		if (i >= 1 && i <= 6) {
			int nf = 0;
			if (n) {
				hello_fds(kind, fds);
				nf = 3;
				for (; nf < n; nf++)
					fds[nf] = eventfd(0, EFD_CLOEXEC);
			}
			CU_ASSERT_EQUAL(send_fds(s, &h, sizeof h, fds, nf), 0);
			for (int k = 0; k < nf; k++)
				close(fds[k]);
		}
		/* the backend drops the connection: wait for it, so hellos do not overlap */
		{
			char c;
			struct pollfd p = {.fd = s, .events = POLLIN};
			if (i != N_BAD_HELLO - 1)
				poll(&p, 1, 5000);
			if (i != N_BAD_HELLO - 1)
				CU_ASSERT_EQUAL(recv(s, &c, 1, 0), 0);
		}
		close(s);
	}
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
}

/* Messages after a good hello that the backend must refuse (one connection each). */
static const char *const bad_msg_expect[] = {
	"truncated message",   "oversized message", "malformed key write", "bad name",
	"malformed key write", "outside 1..",	    "outside 1..",	   "fds after the hello",
	"unexpected message",  "more than 64 keys", "malformed grant",	   "truncated key write",
};
#define N_BAD_MSG (sizeof bad_msg_expect / sizeof bad_msg_expect[0])

static void be_refuse_msgs(struct xt_listener *ls)
{
	for (size_t i = 0; i < N_BAD_MSG; i++) {
		struct xt *t = NULL;
		char *err = NULL;
		int r = 0;
		CHECK(xt_accept(ls, &t, &err) == 0);
		CHECK(xt_peer_handle(t) == 4);
		while (r == 0 && readable(xt_ctl_fd(t), 5000))
			r = xt_ctl_process(t, &err);
		if (r != -EPROTO)
			fprintf(stderr, "message %zu: %d %s\n", i, r, err ? err : "");
		CHECK(r == -EPROTO);
		CHECK_ERR(err, bad_msg_expect[i]);
		xt_disconnect(t);
	}
}

static void test_xt_loop_backend_refuses_bad_messages_without_crashing(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_refuse_msgs), 0);
	for (size_t i = 0; i < N_BAD_MSG; i++) {
		int s = raw_connect(r.path), fds[3];
		unsigned char buf[2000];
		struct w_write w = {.h = {.type = W_WRITE}};
		struct w_range g = {.h = {.type = W_GRANT}};
		CU_ASSERT_FATAL(s >= 0);
		hello_fds(0, fds);
		CU_ASSERT_EQUAL(send_fds(s, &good_hello, sizeof good_hello, fds, 3), 0);
		memset(buf, 0, sizeof buf);
		switch (i) {
		case 0:
			send_fds(s, buf, 3, NULL, 0);
			break;
		case 1:
			memcpy(buf, &w, sizeof w);
			send_fds(s, buf, sizeof buf, NULL, 0);
			break;
		case 2: /* klen says more than sent */
			w.klen = 10;
			w.vlen = 1;
			memcpy(buf, &w, sizeof w);
			memcpy(buf + sizeof w, "abc", 3);
			send_fds(s, buf, sizeof w + 3, NULL, 0);
			break;
		case 3:
			raw_write(s, "a\tb", "1", 1);
			break;
		case 4: /* value longer than XT_VAL_MAX */
			w.klen = 1;
			w.vlen = 300;
			memcpy(buf, &w, sizeof w);
			send_fds(s, buf, sizeof w + 301, NULL, 0);
			break;
		case 5:
			g.first = 16000;
			g.count = 1000;
			send_fds(s, &g, sizeof g, NULL, 0);
			break;
		case 6:
			g.first = 1;
			g.count = UINT32_MAX;
			send_fds(s, &g, sizeof g, NULL, 0);
			break;
		case 7:
			g.first = 1;
			g.count = 1;
			send_fds(s, &g, sizeof g, fds, 1);
			break;
		case 8:
			g.h.type = 77;
			send_fds(s, &g, sizeof g, NULL, 0);
			break;
		case 9:
			for (int k = 0; k < 65; k++) {
				char key[16];
				snprintf(key, sizeof key, "k%d", k);
				raw_write(s, key, "v", 1);
			}
			break;
		case 10:
			send_fds(s, &g, sizeof g - 4, NULL, 0);
			break;
		default:
			send_fds(s, &w, sizeof w - 2, NULL, 0);
			break;
		}
		for (int k = 0; k < 3; k++)
			close(fds[k]);
		/* wait for the backend to drop us */
		{
			char c[64];
			ssize_t n;
			while (readable(s, 5000) && (n = recv(s, c, sizeof c, 0)) > 0)
				;
		}
		close(s);
	}
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
}

/* ---- a hostile backend -------------------------------------------------------------------------
 */

static void be_hostile(struct xt_listener *ls)
{
	struct xt *t = child_accept(ls);
	int s = xt_ctl_fd(t);
	struct w_range g = {.h = {.type = W_GRANT}, .first = 1, .count = 1};
	unsigned char big[1500];
	int fd = eventfd(0, 0);
	/* the frontend's xt_ctl_process stops at the first bad message: one per call */
	CHECK(send(s, &g, sizeof g, MSG_NOSIGNAL) == sizeof g); /* backends do not grant */
	memset(big, 0, sizeof big);
	((struct w_hdr *)big)->type = W_WRITE;
	CHECK(send(s, big, sizeof big, MSG_NOSIGNAL) == sizeof big);
	CHECK(send_fds(s, "\2\0\0\0\0\0\0\0\1\0\1\0\0\0\0\0kv", 18, &fd, 1) == 0);
	close(fd);
	while (readable(s, 5000) && xt_ctl_process(t, NULL) == 0)
		;
	CHECK(xt_peer_state(t) == XT_CLOSED);
	xt_forget(t);
}

static void test_xt_loop_frontend_refuses_bad_backend_messages(void)
{
	struct rig r;
	char *err = NULL;
	const char *expect[] = {"netfront.0: backend sent an unexpected message (type 3)",
				"netfront.0: backend sent an oversized message",
				"netfront.0: backend sent fds after the hello"};
	struct xt *t;
	int before = count_fds();
	CU_ASSERT_EQUAL_FATAL(rig_start(&r, be_hostile), 0);
	t = front_open(&r, "vif", 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(readable(xt_ctl_fd(t), 5000));
		CU_ASSERT_EQUAL(xt_ctl_process(t, &err), -EPROTO);
		assert_msg(&err, expect[i]);
	}
	CU_ASSERT_EQUAL(xt_peer_state(t), XT_UNKNOWN);
	xt_close(t);
	CU_ASSERT_EQUAL(rig_finish(&r), 0);
	CU_ASSERT_EQUAL(count_fds(), before); /* the fd it sent was closed */
}

XTEST_SUITE(xt_loop, NULL, NULL, XTEST(test_xt_loop_state_names),
	    XTEST(test_xt_loop_handshake_reaches_connected_both_ways),
	    XTEST(test_xt_loop_wait_accepts_a_later_setup_state),
	    XTEST(test_xt_loop_read_refuses_bad_values_naming_device_key_and_value),
	    XTEST(test_xt_loop_peer_state_out_of_range_is_an_error),
	    XTEST(test_xt_loop_shared_pages_are_seen_by_the_backend_and_bad_refs_refused),
	    XTEST(test_xt_loop_notifications_are_counted_and_coalesce),
	    XTEST(test_xt_loop_peer_eof_reads_as_closed),
	    XTEST(test_xt_loop_open_without_backend_fails_naming_socket),
	    XTEST(test_xt_loop_backend_refuses_bad_hellos_without_crashing),
	    XTEST(test_xt_loop_backend_refuses_bad_messages_without_crashing),
	    XTEST(test_xt_loop_frontend_refuses_bad_backend_messages))
