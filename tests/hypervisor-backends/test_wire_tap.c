// SPDX-License-Identifier: MIT
/*
 * Tests for the "tap" wire (hypervisor-backends/wire/tap.c) with the DP83820 model: a TAP
 * interface created inside a fresh network namespace, addressed and up; a frame the chip
 * transmits reaches a UDP socket in that namespace, and the kernel's ARP request for the far
 * end arrives in the chip's receive ring. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and `ip`,
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

static void test_tap_in_netns_carries_frames_both_ways(void)
{
	char opts[128];
	snprintf(opts, sizeof opts, "name=%s,netns=%s,addr=10.0.0.1/24,mtu=1500", ifname, ns);
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
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	CU_ASSERT_EQUAL(poll(&pfd, 1, 3000), 1);
	uint8_t buf[2048];
	ssize_t n = recv(sock, buf, sizeof buf, 0);
	CU_ASSERT_EQUAL(n, 200 - 42);
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
	close(sock);
	hvb_wire_destroy(w);
	/* closing the fd deleted the interface */
	CU_ASSERT_NOT_EQUAL(xtest_sh("ip -n %s link show %s >/dev/null 2>&1", ns, ifname), 0);
}

XTEST_SUITE(hvb_wire_tap, setup, teardown, XTEST(test_tap_in_netns_carries_frames_both_ways))
