// SPDX-License-Identifier: MIT
/*
 * Tests for the "tap" wire (hypervisor-backends/wire/tap.c) with the DP83820 model: an
 * interface created inside a fresh network namespace, addressed and up, once as a veth with
 * PACKET_MMAP rings (io=ring) and once as a TAP (io=tap); a frame the chip transmits reaches a
 * UDP socket in that namespace byte for byte, and the kernel's ARP request for the far end
 * arrives in the chip's receive ring. io=auto falls back to the TAP, saying why, when the ring
 * is refused (XDRV_WIRE_NO_RING); a frame longer than the MTU from the kernel side is skipped
 * and counted. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and `ip`,
 * as CI has; without them the suite fails rather than skips. The namespace is deleted in the
 * suite's cleanup, and the interface goes with the wire's file descriptor.
 */
#define _GNU_SOURCE
#include "nic_rig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char ns[32], ifname[16];

static int setup(void)
{
	snprintf(ns, sizeof ns, "xdrv-nicm-%d", (int)getpid());
	snprintf(ifname, sizeof ifname, "xnicm%d", (int)(getpid() % 100000));
	if (xtest_sh("ip netns add %s", ns) != 0)
		return -1;
	return rig_open(NULL);
}

static int teardown(void)
{
	rig_close();
	xtest_sh("ip netns del %s", ns);
	return 0;
}

/* A UDP socket created inside the test namespace, bound to 10.0.0.1:9; -1 on failure. */
static int udp_socket_in_ns(void)
{
	char path[64];
	snprintf(path, sizeof path, "/run/netns/%s", ns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	int s = -1;
	if (self >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0) {
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
		inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
		if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
			close(s);
			s = -1;
		}
		if (setns(self, CLONE_NEWNET) != 0) {
			/* cannot return to the test's namespace: nothing after this is trustworthy
			 */
			fprintf(stderr, "setns back failed: %s\n", strerror(errno));
			_exit(2);
		}
	}
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return s;
}

static void carries_frames_both_ways(const char *io, const char *want_io)
{
	char opts[160];
	snprintf(opts, sizeof opts, "name=%s,netns=%s,addr=10.0.0.1/24,mtu=1500,io=%s", ifname, ns,
		 io);
	struct hvb_wire *w = NULL;
	char *err = NULL;
	int rc = hvb_wire_create("tap", opts, &w, &err);
	if (rc != 0)
		fprintf(stderr, "tap: %s\n", err ? err : "?");
	free(err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(hvb_wire_attach(w, R.d, &err), 0);
	CU_ASSERT_EQUAL(xtest_sh("ip -n %s link show %s | grep -q 'UP'", ns, ifname), 0);
	CU_ASSERT_NOT_EQUAL(xtest_sh("ip link show %s >/dev/null 2>&1", ifname), 0); /* not here */
	int sock = udp_socket_in_ns();
	CU_ASSERT_FATAL(sock >= 0);

	/* chip -> wire -> kernel: a generator frame (10.0.0.2:9 -> 10.0.0.1:9), broadcast MAC */
	static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	CU_ASSERT_EQUAL(hvb_wire_gen_frame(R.mem + RIG_TXBUF, 2048, 77, 200, bc, rig_mac), 200);
	desc32(RIG_TXRING, 0, busof(RIG_TXBUF), DP83820_CMDSTS_OWN | 200, 0);
	wr(DP83820_TXDP, (uint32_t)busof(RIG_TXRING));
	wr(DP83820_CR, DP83820_CR_TXE);
	CU_ASSERT_NOT_EQUAL(cmdsts32(RIG_TXRING) & DP83820_CMDSTS_OK, 0);
	hvb_wire_flush(w); /* a ring sends what it queued at the next pump or flush */
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	CU_ASSERT_EQUAL(poll(&pfd, 1, 3000), 1);
	uint8_t buf[2048];
	ssize_t n = recv(sock, buf, sizeof buf, 0);
	CU_ASSERT_EQUAL(n, 200 - 42);
	/* the payload as sent, byte for byte */
	CU_ASSERT_TRUE(n == 200 - 42 && memcmp(buf, R.mem + RIG_TXBUF + 42, (size_t)n) == 0);
	CU_ASSERT_TRUE(n >= 4 && xdrv_get_be32(buf) == 77);

	/* kernel -> wire -> chip: sending to 10.0.0.2 makes the kernel ask for its MAC */
	for (uint32_t i = 0; i < 8; i++)
		desc32(RIG_RXRING + 16 * i, i < 7 ? busof(RIG_RXRING + 16 * (i + 1)) : 0,
		       busof(RIG_RXBUF + RIG_RXBUF_SZ * i), RIG_RXBUF_SZ, 0);
	wr(DP83820_RFCR, DP83820_RFCR_RFEN | DP83820_RFCR_AAB | DP83820_RFCR_APM);
	wr(DP83820_RXDP, (uint32_t)busof(RIG_RXRING));
	wr(DP83820_CR, DP83820_CR_RXE);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
	CU_ASSERT_EQUAL(sendto(sock, "ping", 4, 0, (struct sockaddr *)&to, sizeof to), 4);
	bool arp = false;
	uint32_t next = 0;
	for (int round = 0; round < 3000 && !arp && next < 8; round++) {
		hvb_device_poll(R.d);
		uint32_t st = cmdsts32(RIG_RXRING + 16 * next);
		if (!(st & DP83820_CMDSTS_OWN)) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		const uint8_t *f = R.mem + RIG_RXBUF + RIG_RXBUF_SZ * next;
		/* ARP request (opcode 1) for 10.0.0.2 */
		if ((st & DP83820_CMDSTS_OK) && xdrv_get_be16(f + 12) == 0x0806 &&
		    xdrv_get_be16(f + 20) == 1 && f[38] == 10 && f[41] == 2)
			arp = true;
		next++;
	}
	CU_ASSERT_TRUE(arp);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.tx_frames, 1);
	CU_ASSERT_TRUE(ws.rx_frames >= 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ws.io);
	CU_ASSERT_STRING_EQUAL(ws.io, want_io);
	close(sock);
	hvb_wire_destroy(w);
	/* closing the wire deleted the interface (and a ring's veth peer) */
	CU_ASSERT_NOT_EQUAL(xtest_sh("ip -n %s link show %s >/dev/null 2>&1", ns, ifname), 0);
	CU_ASSERT_NOT_EQUAL(xtest_sh("ip -n %s -o link | grep -q ' xw'", ns), 0);
}

static void test_ring_in_netns_carries_frames_both_ways(void)
{
	carries_frames_both_ways("ring", "ring");
}

static void test_tap_in_netns_carries_frames_both_ways(void)
{
	carries_frames_both_ways("tap", "tap");
}

static char logged[512];

static void keep_line(void *ctx, const char *line)
{
	(void)ctx;
	snprintf(logged, sizeof logged, "%s", line);
}

/* io=auto without the ring: a TAP that still carries frames, and one line saying why; io=ring
 * fails naming the reason. */
static void test_auto_falls_back_to_tap_and_says_why(void)
{
	setenv("XDRV_WIRE_NO_RING", "1", 1);
	logged[0] = 0;
	hvb_set_log(keep_line, NULL);
	carries_frames_both_ways("auto", "tap");
	hvb_set_log(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(logged, "plain TAP I/O"));
	CU_ASSERT_PTR_NOT_NULL(strstr(logged, "XDRV_WIRE_NO_RING"));
	char opts[96];
	snprintf(opts, sizeof opts, "name=%s,netns=%s,io=ring", ifname, ns);
	struct hvb_wire *w = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_wire_create("tap", opts, &w, &err), -EOPNOTSUPP);
	CU_ASSERT_TRUE(err && strstr(err, "XDRV_WIRE_NO_RING"));
	free(err);
	unsetenv("XDRV_WIRE_NO_RING");
}

/* The kernel side sends a frame longer than the wire's MTU (the user raised the interface's and
 * the peer's MTU behind its back): skipped and counted, the next frame still passes. */
static void test_ring_skips_frames_longer_than_its_mtu(void)
{
	char opts[160];
	snprintf(opts, sizeof opts, "name=%s,netns=%s,addr=10.0.0.1/24,mtu=1500,io=ring", ifname,
		 ns);
	struct hvb_wire *w = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_wire_create("tap", opts, &w, &err), 0);
	CU_ASSERT_EQUAL(
		xtest_sh("for i in $(ip -n %s -o link | grep -oE 'xw[0-9a-f]{8}'); do "
			 "ip -n %s link set $i mtu 4000; done; ip -n %s link set %s mtu 4000",
			 ns, ns, ns, ifname),
		0);
	int sock = udp_socket_in_ns();
	CU_ASSERT_FATAL(sock >= 0);
	int one = 1;
	setsockopt(sock, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "10.0.0.255", &to.sin_addr);
	static uint8_t big[3000];
	CU_ASSERT_EQUAL(sendto(sock, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to),
			(ssize_t)sizeof big);
	CU_ASSERT_EQUAL(sendto(sock, big, 100, 0, (struct sockaddr *)&to, sizeof to), 100);
	/* the small one arrives (after the kernel's own IPv6 chatter, if any); the big one not */
	bool small = false, big_seen = false;
	for (int round = 0; round < 3000 && !small; round++) {
		const uint8_t *f = NULL;
		int len = hvb_wire_take(w, &f);
		if (len <= 0) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		bool udp9 = len >= 42 && xdrv_get_be16(f + 12) == 0x0800 && f[23] == 17 &&
			    xdrv_get_be16(f + 36) == 9;
		small |= udp9 && len == 14 + 20 + 8 + 100;
		big_seen |= len > 1518;
		hvb_wire_taken(w, (size_t)len);
	}
	CU_ASSERT_TRUE(small);
	CU_ASSERT_FALSE(big_seen);
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(w, &ws);
	CU_ASSERT_EQUAL(ws.rx_rejected, 1);
	close(sock);
	hvb_wire_destroy(w);
}

XTEST_SUITE(hvb_wire_tap, setup, teardown, XTEST(test_ring_in_netns_carries_frames_both_ways),
	    XTEST(test_tap_in_netns_carries_frames_both_ways),
	    XTEST(test_auto_falls_back_to_tap_and_says_why),
	    XTEST(test_ring_skips_frames_longer_than_its_mtu))
