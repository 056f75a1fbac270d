// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for what the loop transport (hypervisor-backends/xen/xt_loop.c) receives
 * from the other end, both ways: the input is a list of messages sent over a real
 * SOCK_SEQPACKET connection, then the receiving end takes them (xt_accept + xt_ctl_process for
 * the backend end; xt_ctl_process for the frontend end) and reads keys, states and maps the
 * way a handler would. Nothing may crash, and no fd may leak (checked after each input).
 *
 * Input: byte 0 bit 0: 0 = messages go to a backend (the first is the hello; bit 1 set: a
 * well-formed hello with good fds is sent first instead), 1 = messages go to a frontend.
 * Then records: u16 length (little-endian), u8 fd count (low 2 bits: 0..3 eventfds; bit 2:
 * the first fd a memfd sealed against shrinking), then the bytes.
 */
#define _GNU_SOURCE
#include "../../hypervisor-backends/xen/xt.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct xt_listener *ls;
static char path[108];

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 128; fd++) /* a leak takes the lowest free number */
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static int raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(s);
		s = -1;
	}
	return s;
}

static void send_rec(int s, const uint8_t *p, size_t len, unsigned fdspec)
{
	struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[3], n = (int)(fdspec & 3);
	for (int i = 0; i < n; i++) {
		if (i == 0 && (fdspec & 4)) {
			fds[i] = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
			if (fds[i] >= 0) {
				(void)!ftruncate(fds[i], 4 * 4096);
				fcntl(fds[i], F_ADD_SEALS, F_SEAL_SHRINK);
			}
		} else {
			fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		}
	}
	if (n) {
		struct cmsghdr *c;
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	(void)sendmsg(s, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Records from the input, each sent on s. */
static void send_all(int s, const uint8_t *d, size_t n)
{
	size_t o = 0;
	int count = 0;
	while (o + 3 <= n && count++ < 128) {
		size_t len = (size_t)d[o] | (size_t)d[o + 1] << 8;
		unsigned fdspec = d[o + 2];
		o += 3;
		if (len > n - o)
			len = n - o;
		send_rec(s, d + o, len, fdspec);
		o += len;
	}
}

/* What a handler does with what arrived. */
static void use(struct xt *t)
{
	char buf[64];
	uint64_t v;
	uint32_t refs[4] = {0, 1, 2, 3};
	void *m;
	for (int i = 0; i < 200; i++) {
		struct pollfd p = {.fd = xt_ctl_fd(t), .events = POLLIN};
		if (poll(&p, 1, 0) <= 0 || xt_ctl_process(t, NULL) < 0)
			break;
	}
	(void)xt_read(t, "ring-ref", buf, sizeof buf);
	(void)xt_read_u64(t, "ring-ref", 1, UINT32_MAX, 0, &v, NULL);
	(void)xt_peer_state(t);
	(void)xt_event_ack(t);
	if (xt_peer_type(t)[0]) {
		m = xt_map(t, refs + 1, 3, NULL);
		if (m) {
			memset(m, 0xa5, 3 * 4096); /* must be mapped and writable */
			xt_unmap(t, m, 3);
		}
		(void)xt_map(t, refs, 1, NULL);
	}
}

static void to_backend(const uint8_t *d, size_t n, bool good_hello)
{
	int s = raw_connect();
	struct xt *t = NULL;
	if (s < 0)
		abort();
	if (good_hello) {
		struct {
			uint32_t type, reserved, magic, handle;
			char dtype[16];
		} h = {1, 0, 0x784c5431u, 0, "vif"};
		static const uint8_t grant[] = {3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0};
		send_rec(s, (const uint8_t *)&h, sizeof h, 4 | 3);
		send_rec(s, grant, sizeof grant, 0);
	}
	send_all(s, d, n);
	shutdown(s, SHUT_WR);
	if (xt_accept(ls, &t, NULL) == 0) {
		use(t);
		xt_disconnect(t);
	}
	close(s);
}

static void to_frontend(const uint8_t *d, size_t n)
{
	struct xt_cfg cfg = {
		.transport = "loop", .type = "vif", .handle = 0, .socket = path, .timeout_ms = 1};
	struct xt *t = NULL;
	uint32_t ref;
	void *page;
	int s;
	if (xt_open(&cfg, &t, NULL) < 0)
		abort();
	s = accept4(xt_listener_fd(ls), NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		abort();
	page = xt_share(t, 1, &ref, NULL);
	send_all(s, d, n);
	close(s); /* then EOF */
	use(t);
	(void)xt_wait_peer_state(t, XT_CONNECTED, NULL);
	xt_unshare(t, page, 1);
	xt_close(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int before;
	if (!ls) {
		snprintf(path, sizeof path, "/tmp/xdrv-fuzz-xt-%d.sock", (int)getpid());
		if (xt_listen(path, &ls, NULL) < 0)
			abort();
	}
	if (size < 1 || size > 32768)
		return 0;
	before = count_fds();
	if (data[0] & 1)
		to_frontend(data + 1, size - 1);
	else
		to_backend(data + 1, size - 1, data[0] & 2);
	if (count_fds() != before) {
		fprintf(stderr, "fd leak: %d -> %d\n", before, count_fds());
		abort();
	}
	return 0;
}
