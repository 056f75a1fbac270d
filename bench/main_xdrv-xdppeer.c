// SPDX-License-Identifier: MIT
/*
 * xdrv-xdppeer: the eBPF/XDP peer of the filter extension (issue 16; docs/BENCHMARKS.md,
 * "Packet extensions"). It makes a veth pair in the current network namespace, attaches
 * bench/xdp_filter.bpf.o (compiled with clang -target bpf) to one end in native (driver) mode
 * (generic mode if the kernel refuses, said on stdout), fills its `deny` set with the addresses
 * the filter extension's bench denies, and sends 64-byte IPv4/UDP frames into the other end from
 * one thread with sendmmsg(2) for a while, source addresses cycling through --sources of which
 * the first --deny are denied. It prints one line:
 *
 *   xdppeer: mode=drv seen=N dropped=N secs=S mpps=R
 *
 * where seen/dropped are the XDP program's own counts, so the rate is what the filter
 * processed, not what was offered. Needs root (CAP_NET_ADMIN, CAP_BPF); run it under
 * `ip netns exec` to keep the veth private. Bench only. Exit 0, 1 on a setup error, 2 on usage.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef XDRV_HAVE_LIBBPF
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#define BATCH	    64u
#define FRAME_LEN   64u
#define SOURCES_MAX 1024u

struct opts {
	const char *obj;
	double secs;
	unsigned sources, deny;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t src_addr(unsigned i)
{
	return htonl(0x0a010000u | (i + 1u)); /* 10.1.0.(i+1) */
}

static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < 20; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void make_frame(uint8_t *f, uint32_t src)
{
	static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 2}, src_mac[6] = {0x02, 0, 0, 0, 0, 1};
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t dst = htonl(0x0a020001u);
	uint16_t c;

	memset(f, 0, FRAME_LEN);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = FRAME_LEN - 14;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = ip_csum(ip);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = 0x30;
	udp[1] = 0x39; /* 12345 */
	udp[2] = 0x00;
	udp[3] = 0x09; /* 9 (discard) */
	udp[5] = FRAME_LEN - 14 - 20;
}

static int veth_up(char **err)
{
	/* The pair is made with ip(8): this tool runs under `ip netns exec` anyway. */
	if (system("ip link add xpA type veth peer name xpB && ip link set xpA up && "
		   "ip link set xpB up") != 0) {
		*err = strdup("cannot create the veth pair xpA/xpB (ip link add ... type veth)");
		return -1;
	}
	return 0;
}

static int run(const struct opts *o)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	int prog_fd, deny_fd, stats_fd, ifb, ifa, sock = -1, rc = 1;
	const char *mode = "drv";
	char *err = NULL;
	uint8_t frames[SOURCES_MAX][FRAME_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll;
	unsigned next = 0;
	double t0, t1;
	int ncpu = libbpf_num_possible_cpus();

	if (veth_up(&err) != 0)
		goto out;
	ifa = (int)if_nametoindex("xpA");
	ifb = (int)if_nametoindex("xpB");
	obj = bpf_object__open_file(o->obj, NULL);
	if (!obj || bpf_object__load(obj) != 0) {
		fprintf(stderr, "xdrv-xdppeer: cannot load %s: %s\n", o->obj, strerror(errno));
		goto out;
	}
	prog = bpf_object__find_program_by_name(obj, "xdp_filter");
	deny_fd = bpf_object__find_map_fd_by_name(obj, "deny");
	stats_fd = bpf_object__find_map_fd_by_name(obj, "stats");
	if (!prog || deny_fd < 0 || stats_fd < 0 || ncpu <= 0) {
		fprintf(stderr, "xdrv-xdppeer: %s lacks xdp_filter, deny or stats\n", o->obj);
		goto out;
	}
	prog_fd = bpf_program__fd(prog);
	if (bpf_xdp_attach(ifb, prog_fd, XDP_FLAGS_DRV_MODE, NULL) != 0) {
		mode = "skb";
		if (bpf_xdp_attach(ifb, prog_fd, XDP_FLAGS_SKB_MODE, NULL) != 0) {
			fprintf(stderr, "xdrv-xdppeer: cannot attach XDP to xpB: %s\n",
				strerror(errno));
			goto out;
		}
	}
	for (unsigned i = 0; i < o->deny; i++) {
		uint32_t k = src_addr(i);
		uint64_t v = 0;

		if (bpf_map_update_elem(deny_fd, &k, &v, BPF_ANY) != 0) {
			fprintf(stderr, "xdrv-xdppeer: cannot fill deny: %s\n", strerror(errno));
			goto out;
		}
	}
	for (unsigned i = 0; i < o->sources; i++)
		make_frame(frames[i], src_addr(i));
	sock = socket(AF_PACKET, SOCK_RAW, 0);
	if (sock < 0) {
		fprintf(stderr, "xdrv-xdppeer: AF_PACKET socket: %s\n", strerror(errno));
		goto out;
	}
	{
		int one = 1;

		(void)setsockopt(sock, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifa;
	sll.sll_protocol = htons(ETH_P_IP);
	if (bind(sock, (struct sockaddr *)&sll, sizeof sll) != 0) {
		fprintf(stderr, "xdrv-xdppeer: bind to xpA: %s\n", strerror(errno));
		goto out;
	}
	t0 = now_s();
	do {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i].iov_base = frames[next];
			iov[i].iov_len = FRAME_LEN;
			memset(&msgs[i], 0, sizeof msgs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			next = next + 1 == o->sources ? 0 : next + 1;
		}
		if (sendmmsg(sock, msgs, BATCH, 0) < 0 && errno != ENOBUFS && errno != EAGAIN) {
			fprintf(stderr, "xdrv-xdppeer: sendmmsg: %s\n", strerror(errno));
			goto out;
		}
		t1 = now_s();
	} while (t1 - t0 < o->secs);
	{
		uint64_t seen = 0, dropped = 0, *v = calloc((size_t)ncpu, sizeof *v);
		uint32_t k;

		if (!v)
			goto out;
		k = 0;
		if (bpf_map_lookup_elem(stats_fd, &k, v) == 0)
			for (int c = 0; c < ncpu; c++)
				seen += v[c];
		k = 1;
		if (bpf_map_lookup_elem(stats_fd, &k, v) == 0)
			for (int c = 0; c < ncpu; c++)
				dropped += v[c];
		free(v);
		printf("xdppeer: mode=%s seen=%llu dropped=%llu secs=%.3f mpps=%.3f\n", mode,
		       (unsigned long long)seen, (unsigned long long)dropped, t1 - t0,
		       (double)seen / (t1 - t0) / 1e6);
	}
	rc = 0;
out:
	if (err)
		fprintf(stderr, "xdrv-xdppeer: %s\n", err);
	free(err);
	if (sock >= 0)
		close(sock);
	bpf_object__close(obj);
	(void)system("ip link del xpA 2>/dev/null");
	return rc;
}
#endif /* XDRV_HAVE_LIBBPF */

static void usage(FILE *f)
{
	fprintf(f, "usage: xdrv-xdppeer --obj XDP.o [--for SECONDS] [--sources N] [--deny N]\n"
		   "  The eBPF/XDP peer of the filter extension: see the source's header.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"obj", required_argument, NULL, 'o'},	   {"for", required_argument, NULL, 't'},
		{"sources", required_argument, NULL, 's'}, {"deny", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0}};
	const char *objpath = NULL;
	double secs = 2.0;
	long sources = 16, deny = 4;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *end = NULL;

		switch (c) {
		case 'o':
			objpath = optarg;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end || secs <= 0 || secs > 3600) {
				fprintf(stderr, "xdrv-xdppeer: --for wants 0 < SECONDS <= 3600\n");
				return 2;
			}
			break;
		case 's':
		case 'd': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 1024) {
				fprintf(stderr, "xdrv-xdppeer: --%s wants 0..1024\n",
					c == 's' ? "sources" : "deny");
				return 2;
			}
			*(c == 's' ? &sources : &deny) = v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!objpath || optind != argc || sources < 1 || deny > sources) {
		usage(stderr);
		return 2;
	}
#ifdef XDRV_HAVE_LIBBPF
	{
		struct opts o = {objpath, secs, (unsigned)sources, (unsigned)deny};

		return run(&o);
	}
#else
	fprintf(stderr, "xdrv-xdppeer: built without libbpf (a cross build, or no libbpf-dev): "
			"the XDP peer is not available\n");
	return 1;
#endif
}
